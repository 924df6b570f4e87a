/** The CI job's name (SGLANG_IMAGE_PATCHER_RUN_LABEL) on containers and build tags, and only there. */
import { describe, expect, it } from "vitest";
import { CI_RUN_LABEL, ciRun, containerLabels, newRunId } from "../../src/labels.js";

describe("the CI run label", () => {
  const env = { SGLANG_IMAGE_PATCHER_RUN_LABEL: "gha-123-2-5" };

  it("labels every container and prefixes the run id (so the per-run build tag) when set", () => {
    expect(containerLabels("verify", "r1", env)).toEqual({
      "io.github.sglang-image-patcher.role": "verify",
      "io.github.sglang-image-patcher.run": "r1",
      [CI_RUN_LABEL]: "gha-123-2-5",
    });
    expect(newRunId(env)).toMatch(/^gha-123-2-5-[0-9a-z]+-[0-9a-f]{6}$/);
  });

  it("is absent when unset", () => {
    expect(Object.keys(containerLabels("verify", "r1", {}))).not.toContain(CI_RUN_LABEL);
    expect(newRunId({})).toMatch(/^[0-9a-z]+-[0-9a-f]{6}$/);
  });

  it("a value that does not fit a tag or a label filter is refused, naming the variable", () => {
    for (const bad of ["*", "a b", "-x", "x".repeat(65), "a,b=c"])
      expect(() => ciRun({ SGLANG_IMAGE_PATCHER_RUN_LABEL: bad })).toThrow(/SGLANG_IMAGE_PATCHER_RUN_LABEL must be 1 to 64 of/);
  });
});
