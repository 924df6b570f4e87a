import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain ESM helper scripts without type declarations
import { indexesFromPlan, matrixFromPlan } from "../../scripts/gha-matrix.mjs";
// @ts-expect-error plain ESM helper scripts without type declarations
import { summaryMarkdown } from "../../scripts/gha-summary.mjs";
// @ts-expect-error plain ESM helper scripts without type declarations
import { attestationInputs } from "../../scripts/gha-attestation.mjs";
// @ts-expect-error plain ESM helper scripts without type declarations
import { indexAttestationInputs } from "../../scripts/gha-index.mjs";

describe("gha-matrix", () => {
  it("maps each planned target to its runner architecture", () => {
    const plan = { targets: [
      { target: "v0.5.9-cu129-amd64", base: { platform: "linux/amd64" } },
      { target: "v0.5.9-cu130-arm64-runtime", base: { platform: "linux/arm64" } },
    ] };
    expect(matrixFromPlan(plan)).toEqual({ include: [
      { target: "v0.5.9-cu129-amd64", arch: "amd64" },
      { target: "v0.5.9-cu130-arm64-runtime", arch: "arm64" },
    ] });
  });

  it("refuses an empty plan and an unknown platform", () => {
    expect(() => matrixFromPlan({ targets: [] })).toThrow(/no targets/);
    expect(indexesFromPlan({ indexes: [{ tag: "v0.5.23-cu130", targets: [] }] })).toEqual(["v0.5.23-cu130"]);
    expect(indexesFromPlan({ indexes: [] })).toEqual([""]);
    expect(() => matrixFromPlan({ targets: [{ target: "x", base: { platform: "linux/s390x" } }] })).toThrow(/x: unsupported platform linux\/s390x/);
  });
});

describe("gha-summary", () => {
  it("shows status, pushed digests and the check table", () => {
    const md = summaryMarkdown({ targets: [{
      target: "v0.5.9-cu129-amd64", status: "pushed",
      push: [{ digest: "ghcr.io/o/sglang-tokenids@sha256:abc" }],
      verify: { outcome: "passed", mode: "gpu", report: { checks: [
        { name: "non_streaming", status: "passed", seconds: 1.5, problems: [] },
        { name: "openai_client", status: "skipped", seconds: 0, skip_reason: "openai | not installed" },
      ] } },
    }] });
    expect(md).toContain("## v0.5.9-cu129-amd64: pushed");
    expect(md).toContain("- pushed `ghcr.io/o/sglang-tokenids@sha256:abc`");
    expect(md).toContain("| non_streaming | passed | 1.5 |  |");
    expect(md).toContain("| openai_client | skipped | 0 | openai \\| not installed |");
  });

  it("names the attestation and whether it says GPU-verified", () => {
    const md = summaryMarkdown({ targets: [{ target: "t", status: "pushed", verify: {}, attestation: {
      signature: "unsigned: give --sign-key to sign it", statement: { predicateType: "https://example/v1", predicate: { verify: { gpuVerified: false } } },
    } }] });
    expect(md).toContain("- attestation: `https://example/v1`, GPU-verified: no, unsigned: give --sign-key to sign it");
  });

  it("says so when there is no result", () => {
    expect(summaryMarkdown(undefined)).toMatch(/No result/);
  });
});

describe("gha-attestation", () => {
  const statement = (verify: Record<string, unknown>) => ({
    subject: [{ name: "ghcr.io/o/sglang-tokenids", digest: { sha256: "a".repeat(64) } }],
    predicateType: "https://example/v1",
    predicate: { verify },
  });

  it("gives the subject, predicate type and predicate of a GPU-verified push", () => {
    const inputs = attestationInputs({ targets: [{ target: "t", status: "pushed", attestation: { statement: statement({ mode: "gpu", outcome: "passed", gpuVerified: true }) } }] });
    expect(inputs).toEqual({
      "gpu-verified": "true", "subject-name": "ghcr.io/o/sglang-tokenids", "subject-digest": `sha256:${"a".repeat(64)}`,
      "predicate-type": "https://example/v1", predicate: { verify: { mode: "gpu", outcome: "passed", gpuVerified: true } },
    });
  });

  it("attests nothing for an engine-less or cpu run, a failed run or one without a result", () => {
    expect(attestationInputs({ targets: [{ target: "t", status: "pushed", attestation: { statement: statement({ mode: "engineless", outcome: "engineless-verified", gpuVerified: false }) } }] }))
      .toEqual({ "gpu-verified": "false", reason: "verify mode engineless, outcome engineless-verified: not a GPU verification" });
    expect(attestationInputs({ targets: [{ target: "t", status: "failed" }] })["gpu-verified"]).toBe("false");
    expect(attestationInputs(undefined)["gpu-verified"]).toBe("false");
  });
});

describe("gha-index.mjs", () => {
  it("gives the index's repository, digest and predicate when an index was made; nothing otherwise", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "sip-gha-index-"));
    const statementFile = path.join(dir, "lane.index.intoto.json");
    writeFileSync(statementFile, JSON.stringify({ predicateType: "https://x/image-index/v1", predicate: { index: { ref: "ghcr.io/o/x:lane" } } }));
    const digest = `sha256:${"4".repeat(64)}`;
    expect(indexAttestationInputs({ indexes: [{ tag: "lane", status: "pushed", digest: `ghcr.io/o/x@${digest}`, attestation: { statementFile } }] })).toEqual({
      "subject-name": "ghcr.io/o/x",
      "subject-digest": digest,
      "predicate-type": "https://x/image-index/v1",
      predicate: { index: { ref: "ghcr.io/o/x:lane" } },
    });
    expect(indexAttestationInputs({ indexes: [{ tag: "lane", status: "failed", reason: "r" }] })).toEqual({ reason: "no index was made" });
  });
});
