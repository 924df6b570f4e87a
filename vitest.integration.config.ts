import { defineConfig } from "vitest/config";

// Integration tests: a real Docker Engine, a real registry on 127.0.0.1 and the real
// SGLang v0.5.9 wheel. One worker, so builds and registries do not fight over 2 cores.
export default defineConfig({
  test: {
    include: ["test/integration/**/*.itest.ts"],
    testTimeout: 900_000,
    hookTimeout: 900_000,
    fileParallelism: false,
    maxWorkers: 1,
  },
});
