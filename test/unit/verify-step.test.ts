/** The verify step's container spec and its reading of outcomes (fake engine; no Docker). */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import tarStream from "tar-stream";
import { describe, expect, it } from "vitest";
import { DEFAULT_VERIFY, type VerifySettings } from "../../src/config/schema.js";
import { exitMeaning, failedChecks, imageSglangVersion, runVerifyStep, verifyContainerSpec } from "../../src/verify/verify-step.js";
import type { OneShotSpec } from "../../src/docker/engine.js";
import { suiteIdentity } from "../../src/verify/suite.js";
import { FakeEngine } from "./fake-engine.js";

const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
const SUITE_MOUNT = { source: path.join(REPO_ROOT, "verify/tokenids_verify"), target: "/opt/sglang-image-patcher/verify/tokenids_verify", readOnly: true };
const HOST = mkdtempSync(path.join(os.tmpdir(), "sip-verify-"));
mkdirSync(path.join(HOST, "harness/sglang_engineless"), { recursive: true });
// verify.harness's default (DEFAULT_VERIFY.harness), relative to the build file's folder.
mkdirSync(path.join(HOST, DEFAULT_VERIFY.harness, "sglang_engineless"), { recursive: true });
mkdirSync(path.join(HOST, "models/tok"), { recursive: true });
mkdirSync(path.join(HOST, "deps"), { recursive: true });

const settings = (over: Partial<VerifySettings> = {}): VerifySettings => ({ ...DEFAULT_VERIFY, ...over });
const input = (s: VerifySettings) => ({ image: "sha256:img", settings: s, baseDir: HOST, repoRoot: REPO_ROOT, runId: "r1" });

describe("verify container spec", () => {
  it("gpu mode: all GPUs through DeviceRequests, the model mount, the suite on PYTHONPATH, the report path", () => {
    const spec = verifyContainerSpec(input(settings({
      model: "/models/tok", toolCallParser: "qwen25", reasoningParser: "qwen3",
      modelMount: { source: "models/tok", target: "/models/tok", readOnly: true }, env: { HF_HUB_OFFLINE: "1" },
    })));
    expect(spec.gpus).toBe("all");
    expect(spec.mounts).toEqual([SUITE_MOUNT, { source: path.join(HOST, "models/tok"), target: "/models/tok", readOnly: true }]);
    expect(spec.env).toMatchObject({ PYTHONPATH: "/opt/sglang-image-patcher/verify", HF_HUB_OFFLINE: "1" });
    expect(spec.cmd.slice(4)).toEqual([
      "python3", "-m", "tokenids_verify", "--model-path", "/models/tok", "--launcher", "sglang",
      "--tool-call-parser", "qwen25", "--reasoning-parser", "qwen3", "--startup-timeout", "900",
      "--report", "/tmp/sglang-image-patcher-verify/report.json", "--gpu-gate",
    ]);
    expect(spec.copyOut).toBe("/tmp/sglang-image-patcher-verify");
    expect(spec.timeoutMs).toBe(1_800_000);
    expect(spec.labels["io.github.sglang-image-patcher.run"]).toBe("r1");
  });

  it("this checkout's suite is mounted read-only over the image's copy in every mode; only gpu mode gates skips", () => {
    for (const mode of ["gpu", "engineless", "cpu"] as const) {
      const spec = verifyContainerSpec(input(settings({ mode, model: "/models/tok", modelMount: { source: "models/tok", target: "/models/tok", readOnly: true } })));
      expect(spec.mounts[0]).toEqual(SUITE_MOUNT);
      expect(spec.cmd.includes("--gpu-gate")).toBe(mode === "gpu");
    }
  });

  it("names the suite by a tree hash that sha256sum recomputes from the checkout", () => {
    const shell = execFileSync("bash", ["-c", "cd verify && find tokenids_verify -name __pycache__ -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum"], { cwd: REPO_ROOT }).toString().split(" ")[0];
    const id = suiteIdentity(REPO_ROOT);
    expect(id).toMatchObject({ name: "tokenids_verify", version: "0.1.0", sha256: `sha256:${shell}`, source: "checkout" });
    // A changed file changes it.
    const copy = mkdtempSync(path.join(os.tmpdir(), "sip-suite-"));
    cpSync(path.join(REPO_ROOT, "verify"), path.join(copy, "verify"), { recursive: true });
    writeFileSync(path.join(copy, "verify/tokenids_verify/gate.py"), "# changed\n", { flag: "a" });
    expect(suiteIdentity(copy).sha256).not.toBe(id.sha256);
  });

  it("passes the release under test to the suite, which picks that release's server flags and stock keys by it", () => {
    const cmd = verifyContainerSpec({ ...input(settings()), sglangVersion: "0.5.23" }).cmd.slice(4);
    const at = cmd.indexOf("--sglang-version");
    expect(at).toBeGreaterThan(0);
    expect(cmd[at + 1]).toBe("0.5.23");
    expect(verifyContainerSpec(input(settings())).cmd).not.toContain("--sglang-version");
  });

  it("verify-image takes the release from the image's label, else the target's version, else leaves it to the suite", () => {
    expect(imageSglangVersion({ "io.github.sglang-image-patcher.sglang-version": "0.5.23" }, "0.5.9")).toBe("0.5.23");
    expect(imageSglangVersion({}, "0.5.9")).toBe("0.5.9");
    expect(imageSglangVersion(undefined, undefined)).toBeUndefined();
  });

  it("engineless mode: no GPU, the harness mounted read-only and on PYTHONPATH, extra deps after it", () => {
    const spec = verifyContainerSpec(input(settings({
      mode: "engineless", harness: "harness", model: "/models/tok", pythonPath: ["/opt/deps"],
      mounts: [{ source: "deps", target: "/opt/deps", readOnly: true }], gpus: 2,
    })));
    expect(spec.gpus).toBeUndefined();
    expect(spec.mounts).toEqual([
      SUITE_MOUNT,
      { source: path.join(HOST, "harness"), target: "/opt/sglang-image-patcher/harness", readOnly: true },
      { source: path.join(HOST, "deps"), target: "/opt/deps", readOnly: true },
    ]);
    expect(spec.env.PYTHONPATH).toBe("/opt/sglang-image-patcher/verify:/opt/sglang-image-patcher/harness:/opt/deps");
    expect(spec.cmd).toContain("engineless");
  });

  it("cpu mode: no GPU, the CPU engine switch, the CPU server flags before the user's, the scripted model mounted", () => {
    const spec = verifyContainerSpec(input(settings({
      mode: "cpu", model: "/models/tok", toolCallParser: "qwen25", reasoningParser: "qwen3", gpus: 2,
      modelMount: { source: "models/tok", target: "/models/tok", readOnly: true },
      mounts: [{ source: "deps", target: "/opt/deps", readOnly: true }], pythonPath: ["/opt/deps"],
      env: { HF_HUB_OFFLINE: "1" }, extraArgs: ["--server-arg=--max-total-tokens", "--server-arg=8192"],
    })));
    expect(spec.gpus).toBeUndefined();
    expect(spec.mounts).toEqual([
      SUITE_MOUNT,
      { source: path.join(HOST, "models/tok"), target: "/models/tok", readOnly: true },
      { source: path.join(HOST, "deps"), target: "/opt/deps", readOnly: true },
    ]);
    expect(spec.env).toMatchObject({ SGLANG_USE_CPU_ENGINE: "1", TORCHDYNAMO_DISABLE: "1", HF_HUB_OFFLINE: "1", PYTHONPATH: "/opt/sglang-image-patcher/verify:/opt/deps" });
    expect(spec.cmd.slice(4)).toEqual([
      "python3", "-m", "tokenids_verify", "--model-path", "/models/tok", "--launcher", "sglang",
      "--tool-call-parser", "qwen25", "--reasoning-parser", "qwen3", "--startup-timeout", "900",
      "--report", "/tmp/sglang-image-patcher-verify/report.json",
      "--server-arg=--device", "--server-arg=cpu", "--server-arg=--attention-backend", "--server-arg=torch_native",
      "--server-arg=--max-total-tokens", "--server-arg=4096",
      "--server-arg=--max-total-tokens", "--server-arg=8192",
    ]);
  });

  it("cpu mode: the user's env can turn the CPU switch off; other modes never set it", () => {
    const base = { model: "/models/tok", modelMount: { source: "models/tok", target: "/models/tok", readOnly: true } };
    expect(verifyContainerSpec(input(settings({ ...base, mode: "cpu", env: { SGLANG_USE_CPU_ENGINE: "0" } }))).env.SGLANG_USE_CPU_ENGINE).toBe("0");
    expect(verifyContainerSpec(input(settings(base))).env.SGLANG_USE_CPU_ENGINE).toBeUndefined();
    expect(verifyContainerSpec(input(settings(base))).env.TORCHDYNAMO_DISABLE).toBeUndefined();
    expect(verifyContainerSpec(input(settings(base))).cmd.join(" ")).not.toContain("--device");
  });

  it("cpu mode without a model mount is refused, naming the setting and how to make a checkpoint", () => {
    expect(() => verifyContainerSpec(input(settings({ mode: "cpu", model: "/models/tok" })))).toThrow(
      /verify: verify.mode cpu needs verify.modelMount: a tiny scripted checkpoint made by `PYTHONPATH=python\/models python3 -m scripted_models/,
    );
  });

  it("creates a missing writable model cache folder, but not a read-only model folder", () => {
    const spec = verifyContainerSpec(input(settings({ modelMount: { source: "cache/hf", target: "/root/.cache/huggingface", readOnly: false } })));
    expect(spec.mounts[1]).toEqual({ source: path.join(HOST, "cache/hf"), target: "/root/.cache/huggingface", readOnly: false });
    expect(() => verifyContainerSpec(input(settings({ modelMount: { source: "no/model", target: "/m", readOnly: true } })))).toThrow(/mount source .*no\/model \(for \/m\) does not exist/);
  });

  it("names a mount source or harness that does not exist", () => {
    expect(() => verifyContainerSpec(input(settings({ mounts: [{ source: "nope", target: "/x", readOnly: true }] })))).toThrow(
      `mount source ${path.join(HOST, "nope")} (for /x) does not exist`,
    );
    expect(() => verifyContainerSpec(input(settings({ mode: "engineless", harness: "nope" })))).toThrow(/needs the harness package sglang_engineless in/);
  });
});

describe("verify outcomes", () => {
  const run = (engine: FakeEngine, s: VerifySettings) => runVerifyStep({ ...input(s), engine, onOutput: () => {} });

  it("a timeout is reported with the setting to change", async () => {
    const engine = new FakeEngine("b");
    engine.oneShot = async () => ({ exitCode: 137, timedOut: true });
    await expect(run(engine, settings({ mode: "engineless", harness: "harness", timeoutSeconds: 5 }))).rejects.toThrow(
      "verify: the verify suite did not finish within verify.timeoutSeconds=5 s; its container was killed and removed",
    );
  });

  it("a killed container is named as such, with no report", async () => {
    const engine = new FakeEngine("b");
    engine.oneShot = async () => ({ exitCode: 137, timedOut: false });
    await expect(run(engine, settings({ mode: "engineless", harness: "harness" }))).rejects.toThrow(
      "verify: the verify suite exited 137 (killed (SIGKILL: out of memory, or the container was killed)); it wrote no report (see its output above)",
    );
  });

  it("a daemon that cannot hand out a GPU is found by a probe container, with the help to fix it (its runtime list does not matter)", async () => {
    const engine = new FakeEngine("b");
    engine.runtimes = ["runc", "nvidia"];
    await expect(run(engine, settings())).rejects.toThrow(/cannot give a container a GPU \(.*could not select device driver.*NVIDIA Container Toolkit/);
    expect(engine.calls).toEqual(["run sglang-image-patcher-gpu-probe-r1"]);
  });

  const gpuRun = (evidence: string) => async (spec: OneShotSpec) =>
    spec.cmd[0] === "true" ? { exitCode: 0, timedOut: false } : { exitCode: 0, timedOut: false, copied: await reportTar({ status: "passed", checks: [], gate: { mode: "gpu", violations: [] } }, evidence) };

  it("gpu mode: a pass counts as verified only when nvidia-smi in the container listed a GPU", async () => {
    const engine = new FakeEngine("b");
    engine.canGiveGpus = true;
    engine.oneShot = gpuRun("NVIDIA_VISIBLE_DEVICES=all\nGPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1)\n");
    const out = await run(engine, settings());
    expect(out).toMatchObject({ outcome: "passed", countsAsVerified: true, gpu: { visibleDevices: "all", gpus: ["GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1)"], serverOnCpu: false } });
    expect(engine.lastSpec?.cmd[2]).toContain("nvidia-smi -L");
  });

  it("gpu mode: a pass with no GPU in the container, or with the server on --device cpu, is not a GPU verification", async () => {
    const engine = new FakeEngine("b");
    engine.canGiveGpus = true;
    engine.oneShot = gpuRun("NVIDIA_VISIBLE_DEVICES=all\nsh: 1: nvidia-smi: not found\nnvidia-smi exited 127\n");
    const err = await run(engine, settings()).catch((e) => e);
    expect(err.message).toBe(
      "verify: the verify suite passed, but this is not a GPU verification: no GPU answered in the verify container (nvidia-smi -L: sh: 1: nvidia-smi: not found; nvidia-smi exited 127; NVIDIA_VISIBLE_DEVICES=all)",
    );
    expect(err.exitCode).toBe(2);
    expect(err.report).toMatchObject({ status: "passed" });
    engine.oneShot = gpuRun("NVIDIA_VISIBLE_DEVICES=all\nGPU 0: NVIDIA H100 (UUID: GPU-1)\n");
    await expect(run(engine, settings({ extraArgs: ["--server-arg=--device", "--server-arg=cpu"] }))).rejects.toThrow(
      /not a GPU verification: the server was started with --device cpu/,
    );
  });

  it("gpu mode: a report without the gate's record (not this checkout's suite) is refused; the outcome names the suite and the skips", async () => {
    const engine = new FakeEngine("b");
    engine.canGiveGpus = true;
    const evidence = "NVIDIA_VISIBLE_DEVICES=all\nGPU 0: NVIDIA H100 (UUID: GPU-1)\n";
    engine.oneShot = async (spec: OneShotSpec) => (spec.cmd[0] === "true" ? { exitCode: 0, timedOut: false } : { exitCode: 0, timedOut: false, copied: await reportTar({ status: "passed", checks: [] }, evidence) });
    await expect(run(engine, settings())).rejects.toThrow(/no gpu gate record: it was not written by this checkout's suite/);
    const checks = [{ name: "nonstream_ids", status: "passed" }, { name: "reasoning_ids", status: "skipped", skip_reason: "no reasoning parser" }];
    engine.oneShot = async (spec: OneShotSpec) => (spec.cmd[0] === "true" ? { exitCode: 0, timedOut: false } : { exitCode: 0, timedOut: false, copied: await reportTar({ status: "passed", checks, gate: { violations: [] } }, evidence) });
    const out = await run(engine, settings());
    expect(out.suite).toEqual(suiteIdentity(REPO_ROOT));
    expect(out.skippedChecks).toEqual([{ name: "reasoning_ids", reason: "no reasoning parser" }]);
  });

  it("cpu mode: a pass is cpu-verified and does not count as verified; no GPU is asked of the daemon", async () => {
    const engine = new FakeEngine("b");
    engine.runtimes = ["runc"];
    let spec: { gpus?: unknown } | undefined;
    engine.oneShot = async (s) => {
      spec = s;
      return { exitCode: 0, timedOut: false, copied: await reportTar({ status: "passed", checks: [] }) };
    };
    const out = await run(engine, settings({ mode: "cpu", model: "/models/tok", modelMount: { source: "models/tok", target: "/models/tok", readOnly: true } }));
    expect(spec?.gpus).toBeUndefined();
    expect(out).toMatchObject({ mode: "cpu", outcome: "cpu-verified", countsAsVerified: false, exitCode: 0, report: { status: "passed" } });
  });

  it("cpu mode: a failed check is a failure with the checks named, not cpu-verified", async () => {
    const engine = new FakeEngine("b");
    engine.oneShot = async () => ({ exitCode: 1, timedOut: false, copied: await reportTar({ status: "failed", failed_checks: ["prompt_token_ids"] }) });
    await expect(run(engine, settings({ mode: "cpu", model: "/models/tok", modelMount: { source: "models/tok", target: "/models/tok", readOnly: true } }))).rejects.toThrow(
      "verify: the verify suite exited 1 (a check failed); failed checks: prompt_token_ids",
    );
  });

  it("reads failed checks from the suite's report", () => {
    expect(failedChecks({ failed_checks: ["a", "b"] })).toEqual(["a", "b"]);
    expect(failedChecks({ checks: [{ name: "x", status: "failed" }, { name: "y", status: "passed" }] })).toEqual(["x"]);
    expect(failedChecks(undefined)).toEqual([]);
    expect(exitMeaning(2)).toBe("the server or the setup failed");
  });
});

/** The getArchive tar of the report folder, as the daemon returns it. */
async function reportTar(report: unknown, gpuEvidence?: string): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on("data", (c) => chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on("end", () => r()));
  pack.entry({ name: "sglang-image-patcher-verify/", type: "directory" });
  pack.entry({ name: "sglang-image-patcher-verify/report.json" }, JSON.stringify(report));
  if (gpuEvidence !== undefined) pack.entry({ name: "sglang-image-patcher-verify/gpu.txt" }, gpuEvidence);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}
