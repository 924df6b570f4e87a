/**
 * The gpu verify mode end to end on a machine without a GPU. A second, throw-away Docker daemon
 * (support/rig-daemon.ts) has a NO-OP `nvidia-container-runtime-hook` on its PATH: a TEST RIG,
 * never installed by the product, that makes Docker 20.10 accept GPU requests (DeviceRequests)
 * without handing out a GPU. build-image then runs `--verify-mode gpu` against it exactly as on a
 * GPU host: the GPU probe, DeviceRequests, the Hugging Face cache mounted writable with the
 * model inside it, the offline environment, the timeouts; the engine is the REAL v0.5.9 server,
 * put on the CPU by server flags passed through verify.extraArgs (the CPU stand-in base and
 * dependency set of cpu-verify.itest.ts), serving a scripted checkpoint from that cache.
 * The checks pass but for stream_output_mode, left out, which the gpu gate requires (exit 1), and the result says too that no GPU answered:
 * verify failed with the reason, nothing pushed. The shared daemon (no hook) is refused
 * by the probe before anything is built (cli-errors.itest.ts). Last, the same throw-away daemon
 * is killed in the middle of a build: what the user is told.
 */
import { execFileSync, execSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DockerodeEngine } from "../../src/docker/engine.js";
import { ensureCpuEngineSitePackages, ensureCpuStandInBase, makeScriptedModel } from "./support/cpu-stand-in.js";
import { startRigDaemon, type RigDaemon } from "./support/rig-daemon.js";
import { REPO_ROOT, TEST_REGISTRY, mustSkip, registryTags, runBuildImage, startCli, stopRunningClis, waitFor, writeConfig } from "./support/services.js";

const skip = await mustSkip();
const RUN = Date.now().toString(36);
const REPO = `sglang-image-patcher-itest/gpu-mode-${RUN}`;
const IMAGE = `${TEST_REGISTRY}/${REPO}`;
let rig: RigDaemon | undefined;
let base = "";
let hfCache = "";
let sitePackages = "";

describe.skipIf(skip)("gpu verify mode end to end, on a daemon whose GPU hook is a no-op", () => {
  afterEach(stopRunningClis);

  beforeAll(async () => {
    const log = (m: string) => process.stderr.write(`[itest] ${m}\n`);
    sitePackages = await ensureCpuEngineSitePackages();
    base = await ensureCpuStandInBase(new DockerodeEngine(), log);
    // The model sits inside the (writable) Hugging Face cache the gpu mode mounts by default.
    hfCache = mkdtempSync(path.join(os.tmpdir(), "sip-hf-cache-"));
    await makeScriptedModel(path.join(hfCache, "scripted"));
    const started = Date.now();
    rig = await startRigDaemon({ gpuHook: true });
    execSync(`docker save ${base} | docker -H ${rig.host} load`, { stdio: ["ignore", "ignore", "pipe"] });
    log(`rig daemon with the no-op GPU hook up and the base loaded in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }, 900_000);

  afterAll(async () => {
    await rig?.stop();
  });

  it("runs the whole gpu path; the checks pass on the CPU engine but the gpu gate refuses the left-out stream_output_mode, and the result says it is NOT a GPU verification either", async () => {
    const started = Date.now();
    const file = writeConfig(
      [
        "targets:",
        `  gpu-mode-${RUN}:`,
        `    base: ${base}`,
        `    patchSet: ${path.join(REPO_ROOT, "patches/sglang-v0.5.9")}`,
        `    image: ${IMAGE}`,
        "    tags: [gpu]",
        "    push: true",
        `    verify: ${JSON.stringify({
          mode: "gpu",
          model: "/root/.cache/huggingface/scripted",
          modelMount: { source: hfCache, target: "/root/.cache/huggingface", readOnly: false },
          toolCallParser: "qwen25",
          reasoningParser: "qwen3",
          startupTimeoutSeconds: 420,
          timeoutSeconds: 900,
          gpus: "all",
          mounts: [{ source: sitePackages, target: "/opt/cpu-deps", readOnly: true }],
          pythonPath: ["/opt/cpu-deps"],
          env: { HF_HUB_OFFLINE: "1", TRANSFORMERS_OFFLINE: "1", SGLANG_USE_CPU_ENGINE: "1", TORCHDYNAMO_DISABLE: "1" },
          // The CPU engine's server flags, as a user would pass any server flag; one server start.
          extraArgs: [
            "--server-arg=--device", "--server-arg=cpu", "--server-arg=--attention-backend", "--server-arg=torch_native",
            "--server-arg=--max-total-tokens", "--server-arg=4096", "--skip-check", "stream_output_mode",
          ],
        })}`,
        "",
      ].join("\n"),
    );
    const run = await runBuildImage(["--config", file], { DOCKER_HOST: rig!.host });
    process.stderr.write(`[itest] gpu-mode build-image + verify took ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    // stream_output_mode is left out (one server start): in gpu mode the release requires it, so
    // the gate fails the run (exit 1, issue 19); the GPU evidence is read all the same.
    expect(run.code, run.stderr.slice(-6000)).toBe(1);
    const t = run.json.targets[0];
    // The probe and the verify container both got their GPU request through the daemon's hook.
    expect(t.timings.gpuProbeMs).toBeGreaterThan(0);
    expect(run.stderr).toMatch(/starting main server: \S+ -m sglang\.launch_server .*--device cpu --attention-backend torch_native/);
    // The real engine served the checks, and they passed but for the gate's ...
    expect(t.verify.report.status).toBe("failed");
    expect(t.verify.report.failed_checks).toEqual(["stream_output_mode"]);
    expect(t.verify.report.gate.violations).toEqual([{ check: "stream_output_mode", was: "not run", reason: "left out by --check/--skip-check" }]);
    // ... but no GPU answered, so it is not a GPU verification and nothing is pushed.
    expect(t.verify).toMatchObject({ mode: "gpu", outcome: "failed", countsAsVerified: false });
    expect(t.verify.gpu).toMatchObject({ visibleDevices: "all", gpus: [], serverOnCpu: true });
    expect(t.verify.reason).toMatch(/verify: the verify suite exited 1 \(a check failed\); failed checks: stream_output_mode; the gpu gate refused: stream_output_mode not run; nor is it a GPU verification: no GPU answered in the verify container \(nvidia-smi -L: .*not found.*NVIDIA_VISIBLE_DEVICES=all\), and the server was started with --device cpu/);
    expect(t).toMatchObject({ status: "failed", error: { step: "verify" }, push: [] });
    expect(await registryTags(TEST_REGISTRY, REPO)).toEqual([]);
    // The rig daemon is this test's alone: nothing at all may be left on it.
    expect(execFileSync("docker", ["-H", rig!.host, "ps", "-aq"], { encoding: "utf8" }).trim()).toBe("");
    expect(execFileSync("docker", ["-H", rig!.host, "images", "-q", IMAGE], { encoding: "utf8" }).trim()).toBe("");
  }, 1_200_000);

  it("the daemon killed mid-build: exit 1 with the build's own error, naming the step container it could not remove", async () => {
    const file = writeConfig(
      `targets:\n  killed-${RUN}:\n    base: ${base}\n    patchSet: ${path.join(REPO_ROOT, "patches/sglang-v0.5.9")}\n    image: ${IMAGE}\n    tags: [killed]\n    push: false\n`,
    );
    const cli = startCli("src/cli/build-image.ts", ["--config", file, "--skip-verify", "--no-cache"], { DOCKER_HOST: rig!.host });
    await waitFor(async () => /---> Running in [0-9a-f]{12}/.test(cli.stderrSoFar()), 180_000, "the build's RUN step container");
    rig!.kill();
    const run = await cli.done;
    expect(run.code, run.stderr.slice(-3000)).toBe(1);
    const t = run.json.targets[0];
    expect(t).toMatchObject({ status: "failed", error: { step: "build" } });
    const step = /---> Running in ([0-9a-f]{12})/.exec(run.stderr)![1]!;
    expect(t.error.message).toMatch(/^build: (the Docker daemon closed the progress stream before the operation finished|connection to the Docker daemon failed)/);
    expect(t.error.message).toContain(`the build step container ${step} could not be removed (the daemon did not answer): once it does, docker rm -f ${step}`);
  }, 600_000);
});
