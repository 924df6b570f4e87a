/** Which indexes a build-image run makes: only where it pushed every architecture GPU-verified. */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/config/load.js";
import { membersFromRun } from "../../src/pipeline/make-index.js";
import type { TargetResult } from "../../src/pipeline/run.js";

const config = parseConfigText(
  `defaults:
  image: reg.example.com/o/img
  patchSet: patches/sglang-v0.5.23
targets:
  a:
    base: x/y:1
    platform: linux/amd64
    tags: [a]
  b:
    base: x/y:1
    platform: linux/arm64
    tags: [b]
indexes:
  lane: [a, b]
`,
  "build.yaml",
  path.resolve(import.meta.dirname, "../.."),
);

const result = (target: string, over: Partial<TargetResult> = {}, verify: Partial<TargetResult["verify"]> = {}): TargetResult =>
  ({
    target,
    status: "pushed",
    plan: { attest: { push: true } },
    verify: { mode: "gpu", outcome: "passed", countsAsVerified: true, ...verify },
    push: [{ ref: `reg.example.com/o/img:${target}`, digest: `reg.example.com/o/img@sha256:${"1".repeat(64)}` }],
    timings: {},
    ...over,
  }) as unknown as TargetResult;

describe("the indexes of a run", () => {
  it("every architecture pushed after a passed GPU verify: both members, one repository", () => {
    expect(membersFromRun(config, "lane", [result("a"), result("b")])).toEqual({
      repository: "reg.example.com/o/img",
      members: [
        { target: "a", platform: "linux/amd64", ref: "reg.example.com/o/img:a" },
        { target: "b", platform: "linux/arm64", ref: "reg.example.com/o/img:b" },
      ],
    });
  });

  it.each([
    ["one architecture not in the run", [result("a")], "target b was not built in this run"],
    ["one failed", [result("a"), result("b", { status: "failed", push: [] })], "target b was not pushed (failed)"],
    ["one engineless (pushed unverified)", [result("a"), result("b", {}, { mode: "engineless", outcome: "engineless-verified", countsAsVerified: false })], "target b did not pass a GPU verify (mode engineless, outcome engineless-verified)"],
    ["two repositories (--tag)", [result("a"), result("b", { push: [{ ref: "reg.example.com/o/other:b" }] as never })], "its targets were pushed to reg.example.com/o/img, reg.example.com/o/other: an index names manifests of one repository"],
  ])("%s: no index", (_, results, reason) => {
    expect(membersFromRun(config, "lane", results)).toEqual({ reason });
  });
});
