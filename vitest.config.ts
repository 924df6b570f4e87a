import { readFile } from "node:fs/promises";
import { defineConfig, type Plugin } from "vitest/config";

// GitHub's workflow parser is published with dist/*.js.map files whose sources (../src/*.ts) are
// not in the package, so Vite, reading each file's map to inline the dependency, warned once per
// module (67 "points to missing source files" lines on every run). A map without its sources
// maps nothing: this loads the parser's files without their sourceMappingURL comment, and Vite
// keeps the plain JavaScript (stack traces then point at dist/*.js, which is all that exists).
const PARSER_FILE = /[\\/]node_modules[\\/]@actions[\\/]workflow-parser[\\/]dist[\\/].*\.js$/;
const workflowParserWithoutMaps: Plugin = {
  name: "workflow-parser-without-source-maps",
  enforce: "pre",
  async load(id) {
    const file = id.split("?")[0]!;
    if (!PARSER_FILE.test(file)) return null;
    const code = await readFile(file, "utf8");
    return { code: code.replace(/^\/\/# sourceMappingURL=\S+\s*$/m, ""), map: null };
  },
};

// Unit tests: no Docker, no network, no Python, no npm. Fast and parallel.
export default defineConfig({
  plugins: [workflowParserWithoutMaps],
  test: {
    include: ["test/unit/**/*.test.ts"],
    testTimeout: 20_000,
    // GitHub's workflow parser imports its JSON schema without an import attribute, which
    // Node rejects; inlining lets Vite load it.
    server: { deps: { inline: [/@actions\/workflow-parser/] } },
  },
});
