/**
 * Errors users will hit, through the real CLI: each a clear message, a non-zero exit code, one
 * JSON result on stdout with ok: false, and nothing built or pushed.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { DockerodeEngine } from "../../src/docker/engine.js";
import { REPO_ROOT, TEST_REGISTRY, mustSkip, runBuildImage, writeConfig } from "./support/services.js";
import { ensureStandInBase } from "./support/stand-in-bases.js";

const skip = await mustSkip();
const REAL_SET = path.join(REPO_ROOT, "patches/sglang-v0.5.9");
const IMAGE = `${TEST_REGISTRY}/sglang-image-patcher-itest/errors`;
let base = "";

const target = (over: Record<string, string> = {}) => {
  const t = { base, patchSet: REAL_SET, image: IMAGE, tags: "[e]", ...over };
  return `targets:\n  t:\n${Object.entries(t).map(([k, v]) => `    ${k}: ${v}`).join("\n")}\n`;
};

describe("the CLI without a daemon", () => {
  it("--help documents every option", async () => {
    const run = await runBuildImage(["--help"]);
    expect(run.code).toBe(0);
    for (const opt of ["--config", "--target", "--base", "--tag", "--push", "--no-push", "--skip-verify", "--push-unverified", "--verify-mode", "--no-cache", "--dry-run", "--help"]) {
      expect(run.stdout).toContain(opt);
    }
  });

  it("--dry-run prints the plan without contacting the daemon", async () => {
    const run = await runBuildImage(["--dry-run", "--target", "v0.5.9-cu130-amd64-runtime"], { DOCKER_HOST: "unix:///nonexistent/docker.sock" });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({ ok: true, dryRun: true });
    expect(run.json.targets[0]).toMatchObject({
      target: "v0.5.9-cu130-amd64-runtime",
      base: { ref: "lmsysorg/sglang:v0.5.9-cu130-amd64-runtime", platform: "linux/amd64" },
      refs: ["ghcr.io/sglang-image-patcher/sglang-tokenids:v0.5.9-cu130-amd64-runtime"],
      push: { enabled: true },
    });
  });

  it("an unreachable daemon is named, exit code 3", async () => {
    const run = await runBuildImage(["--skip-verify"], { DOCKER_HOST: "unix:///nonexistent/docker.sock" });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("the Docker daemon is unreachable at unix:///nonexistent/docker.sock");
    expect(run.json).toMatchObject({ ok: false, error: { exitCode: 3 } });
  });

  it("an unknown target lists the known ones", async () => {
    const run = await runBuildImage(["--target", "v0.5.8-cu129-amd64", "--dry-run"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown target "v0\.5\.8-cu129-amd64" in build\.yaml; known targets: v0\.5\.9-cu129-amd64, /);
  });

  it("--tag with several targets is refused before any work", async () => {
    const run = await runBuildImage(["--target", "v0.5.9-cu129-amd64", "--target", "v0.5.9-cu130-amd64", "--tag", "x", "--dry-run"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--tag and --base apply to one target at a time; 2 targets are selected");
  });

  it("invalid YAML and bad values are reported all at once", async () => {
    const file = writeConfig("targets:\n  t:\n    base: x\n    tags: [a/b]\n    push: sometimes\n    colour: red\n");
    const run = await runBuildImage(["--config", file, "--dry-run"]);
    expect(run.code).toBe(2);
    const expected = [
      'targets.t.tags[0]: "a/b" is not a tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})',
      'targets.t.push: expected true or false, got string "sometimes"',
      "targets.t.colour: unknown key (allowed: base, baseDigest, platform, patchSet, sglangVersion, image, tags, push, attest, verify)",
      "targets.t.image: required (here or in defaults)",
      "targets.t.patchSet: required (here or in defaults)",
    ];
    expect([...run.json.error.problems].sort()).toEqual([...expected].sort());
    for (const p of expected) expect(run.stderr).toContain(p);
    const broken = await runBuildImage(["--config", writeConfig("targets: [unclosed\n"), "--dry-run"]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/YAML: .* at line \d+, column \d+/);
  });
});

describe.skipIf(skip)("the CLI against the real daemon", () => {
  beforeAll(async () => {
    base = await ensureStandInBase(new DockerodeEngine(), "editable");
  });

  it("a missing patch file is named before anything is built", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "sip-set-"));
    cpSync(REAL_SET, dir, { recursive: true });
    const listed = execFileSync("ls", [dir], { encoding: "utf8" }).split("\n").filter((f) => f.endsWith(".patch"));
    execFileSync("sh", ["-c", `echo 'patches: [${listed.join(", ")}]' >> ${dir}/patchset.yaml`]);
    rmSync(path.join(dir, listed[1]!));
    const run = await runBuildImage(["--config", writeConfig(target({ patchSet: dir })), "--skip-verify"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`missing patch file(s) listed in patchset.yaml: ${listed[1]}`);
    expect(run.json.targets).toEqual([]);
  });

  it("a base image that does not exist is named, exit code 2", async () => {
    const missing = `${TEST_REGISTRY}/sglang-image-patcher-itest/no-such-base:v0`;
    const run = await runBuildImage(["--config", writeConfig(target({ base: missing })), "--skip-verify"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`resolve-base: base image ${missing} not found`);
    expect(run.json.targets[0].error.step).toBe("resolve-base");
  });

  it("gpu verify on this daemon (no nvidia runtime) fails before building and says what to do", async () => {
    const run = await runBuildImage(["--config", writeConfig(target())]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot give a container a GPU .* install nvidia-container-toolkit/);
    expect(run.json.targets[0]).toMatchObject({ status: "failed", error: { step: "verify" } });
    expect(run.json.targets[0].timings.buildMs).toBeUndefined();
  });
});
