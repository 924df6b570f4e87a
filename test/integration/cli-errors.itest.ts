/**
 * Errors users will hit, through the real CLI: each a clear message, a non-zero exit code, one
 * JSON result on stdout with ok: false, and nothing built or pushed.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
    for (const opt of ["--config", "--target", "--release", "--all", "--base", "--tag", "--push", "--no-push", "--skip-verify", "--push-unverified", "--verify-mode", "--no-cache", "--dry-run", "--help"]) {
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
      "targets.t.colour: unknown key (allowed: release, base, baseDigest, platform, patchSet, sglangVersion, image, tags, push, attest, verify)",
      "targets.t.image: required (here, in its release or in defaults)",
      "targets.t.patchSet: required (here, in its release or in defaults)",
    ];
    expect([...run.json.error.problems].sort()).toEqual([...expected].sort());
    for (const p of expected) expect(run.stderr).toContain(p);
    const broken = await runBuildImage(["--config", writeConfig("targets: [unclosed\n"), "--dry-run"]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/YAML: .* at line \d+, column \d+/);
  });
});

describe("the CLI with two releases, without a daemon", () => {
  // A second release's patch set: the real v0.5.9 diffs under a manifest that says 0.5.23 (a
  // dry run reads and hashes the patches but never applies them).
  const second = mkdtempSync(path.join(os.tmpdir(), "sip-set-0523-"));
  cpSync(REAL_SET, second, { recursive: true });
  writeFileSync(
    path.join(second, "patchset.yaml"),
    readFileSync(path.join(second, "patchset.yaml"), "utf8").replace("name: sglang-v0.5.9-tokenids", "name: second-release").replace("sglangVersion: 0.5.9", "sglangVersion: 0.5.23"),
  );
  const noManifest = mkdtempSync(path.join(os.tmpdir(), "sip-set-none-"));
  const config = (extra = "") =>
    writeConfig(
      `defaults: { image: ${IMAGE} }\ndefaultTargets: [old]\n` +
        `releases:\n  "0.5.9": { patchSet: ${REAL_SET} }\n  "0.5.23": { patchSet: ${second} }\n  "0.5.30": { patchSet: ${noManifest} }\n  "0.5.40": { patchSet: ${REAL_SET} }\n` +
        `targets:\n  old: { release: "0.5.9", base: "lmsysorg/sglang:v0.5.9-cu129-amd64", tags: [o] }\n` +
        `  new-amd64: { release: "0.5.23", base: "lmsysorg/sglang:v0.5.23-cu130", platform: linux/amd64, tags: [n1] }\n` +
        `  new-arm64: { release: "0.5.23", base: "lmsysorg/sglang:v0.5.23-cu130", platform: linux/arm64, tags: [n2] }\n${extra}`,
    );
  const NO_DAEMON = { DOCKER_HOST: "unix:///nonexistent/docker.sock" };

  it("--dry-run plans the defaults and lists every release; --release plans one release's targets, --all all of them", async () => {
    const file = config();
    const plain = await runBuildImage(["--config", file, "--dry-run"], NO_DAEMON);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.json.targets.map((t: { target: string }) => t.target)).toEqual(["old"]);
    expect(plain.json.releases).toEqual([
      { version: "0.5.9", patchSet: REAL_SET, targets: ["old"], defaultTargets: ["old"], planned: ["old"] },
      { version: "0.5.23", patchSet: second, targets: ["new-amd64", "new-arm64"], defaultTargets: [], planned: [] },
      { version: "0.5.30", patchSet: noManifest, targets: [], defaultTargets: [], planned: [] },
      { version: "0.5.40", patchSet: REAL_SET, targets: [], defaultTargets: [], planned: [] },
    ]);
    const one = await runBuildImage(["--config", file, "--dry-run", "--release", "0.5.23"], NO_DAEMON);
    expect(one.code, one.stderr).toBe(0);
    expect(one.json.targets).toHaveLength(2);
    expect(one.json.targets[1]).toMatchObject({
      target: "new-arm64",
      release: "0.5.23",
      base: { ref: "lmsysorg/sglang:v0.5.23-cu130", platform: "linux/arm64" },
      patchSet: { name: "second-release", dir: second, sglangVersion: "0.5.23" },
      refs: [`${IMAGE}:n2`],
      labels: { "io.github.sglang-image-patcher.sglang-version": "0.5.23", "org.opencontainers.image.version": "0.5.23+second-release" },
    });
    const all = await runBuildImage(["--config", file, "--dry-run", "--all"], NO_DAEMON);
    expect(all.code, all.stderr).toBe(0);
    expect(all.json.targets.map((t: { target: string; release: string }) => `${t.release}/${t.target}`)).toEqual(["0.5.9/old", "0.5.23/new-amd64", "0.5.23/new-arm64"]);
  });

  it("the shipped build.yaml: --release 0.5.23 plans its four cu130 targets from patches/sglang-v0.5.23", async () => {
    const run = await runBuildImage(["--dry-run", "--release", "0.5.23"], NO_DAEMON);
    expect(run.code, run.stderr).toBe(0);
    const plans = run.json.targets as { target: string; release: string; base: { ref: string; platform: string }; patchSet: { dir: string; sglangVersion: string; patches: unknown[] } }[];
    expect(plans.map((p) => p.target)).toEqual(["v0.5.23-cu130-amd64", "v0.5.23-cu130-amd64-runtime", "v0.5.23-cu130-arm64", "v0.5.23-cu130-arm64-runtime"]);
    for (const p of plans) {
      expect(p).toMatchObject({ release: "0.5.23", patchSet: { dir: path.join(REPO_ROOT, "patches/sglang-v0.5.23"), sglangVersion: "0.5.23" } });
      expect(p.patchSet.patches.length).toBeGreaterThan(0);
      expect(p.base.ref).toBe(p.target.includes("runtime") ? "lmsysorg/sglang:v0.5.23-cu130-runtime" : "lmsysorg/sglang:v0.5.23-cu130");
      expect(p.base.platform).toBe(p.target.includes("arm64") ? "linux/arm64" : "linux/amd64");
    }
  });

  it("an unknown release and a patch set of another version are named, exit 2, nothing built", async () => {
    const unknown = await runBuildImage(["--config", config(), "--dry-run", "--release", "0.5.99"], NO_DAEMON);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown release "0.5.99" in');
    expect(unknown.stderr).toContain("known releases: 0.5.9, 0.5.23, 0.5.30, 0.5.40");
    expect(unknown.json).toMatchObject({ ok: false, dryRun: true, targets: [], error: { exitCode: 2 } });

    const wrong = await runBuildImage(["--config", config(`  wrong: { release: "0.5.40", base: "b:1", tags: [w] }\n`), "--release", "0.5.40", "--skip-verify"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/target wrong \(release 0\.5\.40\) expects SGLang 0\.5\.40 but patch set sglang-v0\.5\.9-tokenids .* covers 0\.5\.9: add 0\.5\.40 to its releases: in patchset\.yaml/);
    expect(wrong.json).toMatchObject({ ok: false, targets: [], error: { exitCode: 2 } });
    // A release folder without patchset.yaml and a target naming an undeclared release: the
    // same exit 2 path, covered by the unit tests (plan.test.ts, config.test.ts).
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
