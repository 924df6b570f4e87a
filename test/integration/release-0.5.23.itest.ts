/**
 * The second release through the real daemon: the v0.5.23 series applied by build-image to a
 * stand-in base laid out like the official image (editable checkout, installed distribution
 * 0.5.23) holding the REAL 0.5.23 files the series touches (the wheel is 131 MB; the build reads
 * and patches files and never imports sglang, so those files are what it needs). The patched
 * files must equal git apply's result and carry a checked .pyc; the labels name the release; a
 * base of another release is refused before anything is patched.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerodeEngine } from "../../src/docker/engine.js";
import { expectedPatchResult, touchedPaths } from "./support/expected-patch.js";
import { inspectFiles } from "./support/inspect-files.js";
import { REPO_ROOT, TEST_REGISTRY, leftoverStepContainers, mustSkip, runBuildImage, writeConfig } from "./support/services.js";
import { ensureStandInBase, fetchSglang } from "./support/stand-in-bases.js";

const skip = await mustSkip();
const engine = new DockerodeEngine();
const SET = path.join(REPO_ROOT, "patches/sglang-v0.5.23");
const IMAGE = `${TEST_REGISTRY}/sglang-image-patcher-itest/release-0523-${Date.now().toString(36)}`;
const SITE = "/sgl-workspace/sglang/python";
const created: string[] = [];

const patchFiles = () => readdirSync(SET).filter((f) => f.endsWith(".patch")).sort().map((f) => path.join(SET, f));
const touched = () => touchedPaths(patchFiles().map((f) => readFileSync(f, "utf8")));

const config = (base: string, tag: string) =>
  writeConfig(
    `source: https://example.invalid/sglang-image-patcher\n` +
      `releases:\n  "0.5.23": { patchSet: ${SET} }\n` +
      `targets:\n  t: { release: "0.5.23", base: "${base}", platform: linux/amd64, image: ${IMAGE}, tags: [${tag}], push: false }\n`,
  );

describe.skipIf(skip)("release 0.5.23 on a stand-in base", () => {
  let base = "";
  let wrongBase = "";
  beforeAll(async () => {
    // only: paths under sglang/, as the series names them (sglang/srt/...)
    const only = touched().map((rel) => rel.replace(/^sglang\//, ""));
    base = await ensureStandInBase(engine, "editable", { release: "0.5.23", only });
    wrongBase = await ensureStandInBase(engine, "editable", { release: "0.5.23", version: "0.5.22", only });
  }, 300_000);

  afterAll(async () => {
    for (const ref of created) await engine.removeImage(ref).catch(() => {});
  });

  it("applies the 0.5.23 series: every touched file is git apply's result with a checked .pyc; the labels name the release", async () => {
    const run = await runBuildImage(["--config", config(base, "patched"), "--skip-verify", "--no-push"]);
    expect(run.code, run.stderr).toBe(0);
    created.push(`${IMAGE}:patched`);
    const t = run.json.targets[0];
    expect(t).toMatchObject({ target: "t", status: "built" });
    const labels = (await engine.inspectImage(`${IMAGE}:patched`))!.labels;
    expect(labels["io.github.sglang-image-patcher.sglang-version"]).toBe("0.5.23");
    expect(labels["org.opencontainers.image.version"]).toBe(`0.5.23+${labels["io.github.sglang-image-patcher.patch-set"]}`);
    for (const file of patchFiles()) {
      const sha = createHash("sha256").update(readFileSync(file)).digest("hex");
      expect(labels[`io.github.sglang-image-patcher.patch.${path.basename(file)}.sha256`]).toBe(sha);
    }
    const expected = expectedPatchResult(await fetchSglang("0.5.23"), patchFiles());
    expect(expected.files.size).toBeGreaterThan(0);
    const facts = inspectFiles(`${IMAGE}:patched`, [...expected.files.keys()].map((rel) => `${SITE}/${rel}`));
    for (const [rel, content] of expected.files) {
      const f = facts.files[`${SITE}/${rel}`];
      expect(f?.sha256, `${rel} differs from git apply's result`).toBe(createHash("sha256").update(content).digest("hex"));
      expect(f?.pyc?.checkedHashOfSource, `${rel} has no checked .pyc`).toBe(true);
    }
    expect(leftoverStepContainers(run.stderr)).toEqual([]);
  });

  it("refuses a base whose installed SGLang is another release, naming both", async () => {
    const run = await runBuildImage(["--config", config(wrongBase, "wrong"), "--skip-verify", "--no-push"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/base image has SGLang 0\.5\.22 .* but the patch set is for SGLang 0\.5\.23/);
    expect(execFileSync("docker", ["images", "-q", `${IMAGE}:wrong`], { encoding: "utf8" }).trim()).toBe("");
    expect(leftoverStepContainers(run.stderr)).toEqual([]);
  });
});
