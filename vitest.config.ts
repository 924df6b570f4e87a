import { defineConfig } from "vitest/config";

// Unit tests: no Docker, no network, no Python. Fast and parallel.
export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
    testTimeout: 20_000,
    // GitHub's workflow parser imports its JSON schema without an import attribute, which
    // Node rejects; inlining lets Vite load it.
    server: { deps: { inline: [/@actions\/workflow-parser/] } },
  },
});
