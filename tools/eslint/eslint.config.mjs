// ESLint for the TypeScript and the Node scripts: `npm run lint:ts` (a stage of `npm test`).
// The recommended rules of ESLint and typescript-eslint, without the type-aware ones (those need
// a TypeScript program; `tsc` already checks the types).
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: ["dist/**", "node_modules/**", "tools/**", ".venv*/**", ".cache/**"] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ["**/*.{ts,mjs}"],
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: "module",
      globals: { process: "readonly", console: "readonly", Buffer: "readonly", setTimeout: "readonly", clearTimeout: "readonly", setImmediate: "readonly", performance: "readonly", AbortController: "readonly", AbortSignal: "readonly", URL: "readonly", NodeJS: "readonly", fetch: "readonly", structuredClone: "readonly" },
    },
    rules: {
      // `_`-prefixed parameters are deliberately unused (interface shapes, fakes).
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      // A wrapping error keeps what it wraps as its `cause` (the one-line message still names it).
      "preserve-caught-error": ["error", { requireCatchParameter: true }],
    },
  },
  {
    // Test doubles and JSON fixtures read loosely.
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
