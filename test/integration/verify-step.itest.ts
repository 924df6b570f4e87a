/**
 * The pipeline's verify step end to end in a real container on the real daemon (engine-less
 * mode: no GPU here). The suite (verify/tokenids_verify) runs inside the freshly built image;
 * its Python dependencies come from the project's .venv mounted read-only (the stand-in base
 * has only python3 and git). A verify that times out, one whose container is killed, and one
 * interrupted by Ctrl-C each end with a clear error, no container left, no tag, nothing pushed.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { DockerodeEngine } from "../../src/docker/engine.js";
import { REPO_ROOT, TEST_REGISTRY, mustSkip, perRunBuildTags, stopRunningClis, registryTags, runBuildImage, startCli, verifyContainers, waitFor, writeConfig } from "./support/services.js";
import { ensureStandInBase } from "./support/stand-in-bases.js";

const skip = await mustSkip();
const engine = new DockerodeEngine();
const REPO = `sglang-image-patcher-itest/verified-${Date.now().toString(36)}`;
const IMAGE = `${TEST_REGISTRY}/${REPO}`;
// This file's own target name, so its per-run build tags are told apart from other runs'.
const TARGET = `verify-step-${Date.now().toString(36)}`;
const SITE_PACKAGES = path.join(REPO_ROOT, ".venv/lib/python3.11/site-packages");
const NEVER_READY = path.join(REPO_ROOT, "test/fixtures/harness-never-ready");
const REAL_HARNESS = path.join(REPO_ROOT, "python", "harness");
let base = "";
let model = "";

function config(tag: string, verify: Record<string, unknown>): string {
  return writeConfig(
    [
      "targets:",
      `  ${TARGET}:`,
      `    base: ${base}`,
      `    patchSet: ${path.join(REPO_ROOT, "patches/sglang-v0.5.9")}`,
      `    image: ${IMAGE}`,
      `    tags: [${tag}]`,
      "    push: true",
      `    verify: ${JSON.stringify({
        mode: "engineless",
        model: "/models/tok",
        modelMount: { source: model, target: "/models/tok", readOnly: true },
        reasoningParser: "qwen3",
        startupTimeoutSeconds: 240,
        mounts: [{ source: SITE_PACKAGES, target: "/opt/deps", readOnly: true }],
        pythonPath: ["/opt/deps"],
        env: { HF_HUB_OFFLINE: "1", TRANSFORMERS_OFFLINE: "1", [MARKER_NAME]: MARKER_VALUE },
        ...verify,
      })}`,
      "",
    ].join("\n"),
  );
}

// Every container this file starts carries this marker, so the leftover checks see only ours.
const MARKER = `SIP_ITEST_VERIFY_STEP=${Date.now().toString(36)}`;
const [MARKER_NAME, MARKER_VALUE] = MARKER.split("=") as [string, string];
const ourVerifyContainers = (): string[] => verifyContainers(MARKER);

function localTags(): string[] {
  return execFileSync("docker", ["images", IMAGE, "--format", "{{.Tag}}"], { encoding: "utf8" }).split("\n").filter(Boolean);
}

describe.skipIf(skip)("the verify step in a real container (engine-less mode)", () => {
  afterEach(stopRunningClis);

  beforeAll(async () => {
    if (!existsSync(SITE_PACKAGES)) throw new Error(`${SITE_PACKAGES} is missing: run bash scripts/python-env.sh`);
    base = await ensureStandInBase(engine, "editable", { log: (m) => process.stderr.write(`[itest] ${m}\n`) });
    // The harness's own small tokenizer (Qwen-style chat template, tool-call and thinking
    // tokens) is the --model-path of an engine-less server.
    model = path.join(mkdtempSync(path.join(os.tmpdir(), "sip-model-")), "tok");
    execFileSync(path.join(REPO_ROOT, ".venv/bin/python"), ["-m", "sglang_engineless.make_tokenizer", model, "--reasoning"], {
      env: { ...process.env, PYTHONPATH: REAL_HARNESS },
    });
  });

  it("passes against the real harness serving the patched files; marked engineless-verified and not pushed", async () => {
    expect(existsSync(path.join(REAL_HARNESS, "sglang_engineless")), "python/harness/sglang_engineless (the engine-less harness) is missing").toBe(true);
    const file = config("engineless", { harness: REAL_HARNESS, timeoutSeconds: 600 });
    const run = await runBuildImage(["--config", file]);
    expect(run.code, run.stderr.slice(-4000)).toBe(0);
    const t = run.json.targets[0];
    expect(t.status).toBe("built");
    expect(t.verify.outcome).toBe("engineless-verified");
    expect(t.verify.countsAsVerified).toBe(false);
    expect(t.verify.report.status).toBe("passed");
    expect(t.verify.report.summary.failed).toBe(0);
    expect(t.pushSkippedReason).toMatch(/engineless does not verify the real engine/);
    expect(await registryTags(TEST_REGISTRY, REPO)).toEqual([]);
    expect(ourVerifyContainers()).toEqual([]);

    // verify-image on the image just built gives the same verdict.
    const again = await startCli("src/cli/verify-image.ts", [`${IMAGE}:engineless`, "--config", file, "--target", TARGET]).done;
    expect(again.code, again.stderr.slice(-3000)).toBe(0);
    expect(again.json).toMatchObject({ ok: true, verify: { outcome: "engineless-verified", countsAsVerified: false, report: { status: "passed" } } });
    execFileSync("docker", ["rmi", `${IMAGE}:engineless`]);
  });

  it("negative control: verify-image on the UNPATCHED base fails, naming the checks", async () => {
    expect(existsSync(path.join(REAL_HARNESS, "sglang_engineless")), "python/harness/sglang_engineless (the engine-less harness) is missing").toBe(true);
    // The base has no suite of its own: mount this checkout's verify/ where the image would have it.
    const file = config("unused", {
      harness: REAL_HARNESS,
      timeoutSeconds: 600,
      // As in the suite's own negative controls: the second (--stream-output) server start
      // costs half a minute and adds nothing to what unpatched code gets wrong.
      extraArgs: ["--skip-check", "stream_output_mode"],
      mounts: [
        { source: SITE_PACKAGES, target: "/opt/deps", readOnly: true },
        { source: path.join(REPO_ROOT, "verify"), target: "/opt/sglang-image-patcher/verify", readOnly: true },
      ],
    });
    const run = await startCli("src/cli/verify-image.ts", [base, "--config", file]).done;
    expect(run.code, run.stderr.slice(-3000)).toBe(1);
    expect(run.json.ok).toBe(false);
    expect(run.json.verify.report.status).toBe("failed");
    expect(run.json.verify.report.failed_checks.length).toBeGreaterThan(0);
    expect(run.stderr).toMatch(/verify: the verify suite exited 1 \(a check failed\); failed checks: \w+/);
    expect(ourVerifyContainers()).toEqual([]);
  });

  it("a container that asks for GPUs on this daemon fails to start with the daemon's reason, and is removed", async () => {
    const spec = {
      image: base, name: `sglang-image-patcher-verify-gpu-${Date.now().toString(36)}`, cmd: ["true"], env: { [MARKER_NAME]: MARKER_VALUE }, mounts: [],
      labels: { "io.github.sglang-image-patcher.role": "verify" }, gpus: "all" as const, timeoutMs: 60_000,
    };
    await expect(engine.runOneShot(spec, () => {})).rejects.toThrow(/could not select device driver "nvidia"/);
    expect(ourVerifyContainers()).toEqual([]);
  });

  it("bind mounts are structured: a source path holding ':' and ',' is mounted as it is, read-only when asked", async () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), "sip-mount-")), "a:b,ro");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "file"), "mounted as it is\n");
    let out = "";
    const spec = {
      image: base, name: `sglang-image-patcher-verify-mount-${Date.now().toString(36)}`,
      cmd: ["sh", "-c", "cat /mnt/in/file; touch /mnt/in/new 2>/dev/null && echo writable || echo read-only"],
      env: { [MARKER_NAME]: MARKER_VALUE }, mounts: [{ source: dir, target: "/mnt/in", readOnly: true }],
      labels: { "io.github.sglang-image-patcher.role": "verify" }, timeoutMs: 60_000,
    };
    const r = await engine.runOneShot(spec, (t) => (out += t));
    expect(r.exitCode).toBe(0);
    expect(out).toBe("mounted as it is\nread-only\n");
    expect(ourVerifyContainers()).toEqual([]);
  });

  it("a verify that runs past its timeout is killed and removed; nothing tagged or pushed", async () => {
    const run = await runBuildImage(["--config", config("timeout", { harness: NEVER_READY, timeoutSeconds: 15 })]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("verify: the verify suite did not finish within verify.timeoutSeconds=15 s; its container was killed and removed");
    // (Streaming of the container's output is asserted by the two tests below, which wait for it.)
    expect(run.json.targets[0].verify.outcome).toBe("failed");
    expect(ourVerifyContainers()).toEqual([]);
    expect(localTags()).not.toContain("timeout");
    expect(await registryTags(TEST_REGISTRY, REPO)).toEqual([]);
  });

  it("a verify whose container is killed says so; nothing tagged or pushed", async () => {
    const cli = startCli("src/cli/build-image.ts", ["--config", config("killed", { harness: NEVER_READY, timeoutSeconds: 300 })]);
    await waitFor(async () => cli.stderrSoFar().includes("[tokenids_verify] starting main server"), 120_000, "the verify container to start");
    const [id] = ourVerifyContainers();
    execFileSync("docker", ["kill", id!]);
    const run = await cli.done;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("verify: the verify suite exited 137 (killed (SIGKILL: out of memory, or the container was killed)); it wrote no report");
    expect(ourVerifyContainers()).toEqual([]);
    expect(localTags()).not.toContain("killed");
  });

  it("Ctrl-C during verify stops it, removes the container, exits 130 and reports cancelled", async () => {
    const cli = startCli("src/cli/build-image.ts", ["--config", config("interrupted", { harness: NEVER_READY, timeoutSeconds: 300 })]);
    await waitFor(async () => cli.stderrSoFar().includes("[tokenids_verify] starting main server"), 120_000, "the verify container to start");
    cli.child.kill("SIGINT");
    const run = await cli.done;
    expect(run.code).toBe(130);
    expect(run.stderr).toContain("SIGINT received: stopping the current step and cleaning up");
    expect(run.json.ok).toBe(false);
    expect(run.json.targets[0].status).toBe("cancelled");
    expect(ourVerifyContainers()).toEqual([]);
    expect(localTags()).not.toContain("interrupted");
    expect(perRunBuildTags(TARGET)).toEqual([]);
  });
});
