import { defineConfig } from "vitest/config";

// Unit tests: no Docker, no network, no Python. Fast and parallel.
export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
    testTimeout: 20_000,
  },
});
