/**
 * The cpu verify mode end to end: build-image builds the patched image on a stand-in base
 * (the REAL v0.5.9 files plus the test-only CPU enablement diff), then runs the REAL
 * `python3 -m sglang.launch_server` inside it on the CPU, serving a tiny scripted checkpoint
 * generated on the host and mounted in, with the CPU dependency set from the project's .venv
 * mounted read-only. A pass is marked cpu-verified, which is not a GPU verification: nothing is
 * pushed as verified. The negative control runs the same against the unpatched base.
 * Each test starts the real server at most twice (the suite's main and --stream-output runs);
 * each start takes 40-170 s on 2 cores.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DockerodeEngine } from "../../src/docker/engine.js";
import { ensureCpuEngineSitePackages, ensureCpuStandInBase, makeScriptedModel } from "./support/cpu-stand-in.js";
import { REPO_ROOT, TEST_REGISTRY, mustSkip, registryTags, runBuildImage, startCli, stopRunningClis, verifyContainers, writeConfig } from "./support/services.js";

const skip = await mustSkip();
const engine = new DockerodeEngine();
const RUN = Date.now().toString(36);
const REPO = `sglang-image-patcher-itest/cpu-verified-${RUN}`;
const IMAGE = `${TEST_REGISTRY}/${REPO}`;
let base = "";
let model = "";
let sitePackages = "";
const MARKER_ENV = "SIP_ITEST_CPU_VERIFY";

function config(marker: string, verify: Record<string, unknown> = {}): string {
  return writeConfig(
    [
      "targets:",
      "  t:",
      `    base: ${base}`,
      `    patchSet: ${path.join(REPO_ROOT, "patches/sglang-v0.5.9")}`,
      `    image: ${IMAGE}`,
      "    tags: [cpu]",
      "    push: true",
      `    verify: ${JSON.stringify({
        mode: "cpu",
        model: "/models/scripted",
        modelMount: { source: model, target: "/models/scripted", readOnly: true },
        toolCallParser: "qwen25",
        reasoningParser: "qwen3",
        startupTimeoutSeconds: 420,
        timeoutSeconds: 900,
        mounts: [{ source: sitePackages, target: "/opt/cpu-deps", readOnly: true }],
        pythonPath: ["/opt/cpu-deps"],
        // The checkpoint is local: nothing may come from a model hub.
        env: { HF_HUB_OFFLINE: "1", TRANSFORMERS_OFFLINE: "1", [MARKER_ENV]: marker },
        ...verify,
      })}`,
      "",
    ].join("\n"),
  );
}

/** Verify containers left by the test that used `marker`. */
const ownVerifyContainers = (marker: string): string[] => verifyContainers(`${MARKER_ENV}=${marker}`);

describe.skipIf(skip)("cpu verify mode: the real engine on CPU inside the built image", () => {
  afterEach(stopRunningClis);

  beforeAll(async () => {
    const log = (m: string) => process.stderr.write(`[itest] ${m}\n`);
    sitePackages = await ensureCpuEngineSitePackages();
    base = await ensureCpuStandInBase(engine, log);
    model = await makeScriptedModel(path.join(mkdtempSync(path.join(os.tmpdir(), "sip-cpu-model-")), "scripted"));
    // The mounted dependency set must import in the base's own python3 before a build is
    // spent on it (a wheel/ABI mismatch would otherwise surface as a server start failure).
    const probe = execFileSync(
      "docker",
      ["run", "--rm", "--name", `sglang-image-patcher-itest-cpu-probe-${RUN}`, "-v", `${sitePackages}:/opt/cpu-deps:ro`, "-e", "PYTHONPATH=/opt/cpu-deps",
        base, "python3", "-c", "import torch, sglang.srt.server_args as a; print(torch.__version__, a.__file__)"],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
    expect(probe).toMatch(/^2\.9\.0\S* \/sgl-workspace\/sglang\/python\/sglang\/srt\/server_args\.py/m);
  }, 3_600_000);

  afterAll(() => {
    try {
      execFileSync("docker", ["rmi", `${IMAGE}:cpu`], { stdio: "ignore" });
    } catch {
      // Not built (the test failed before tagging): nothing to remove.
    }
  });

  it("build-image: the patched image passes on the real CPU engine; marked cpu-verified, not pushed", async () => {
    const started = Date.now();
    const marker = `${RUN}-build`;
    const run = await runBuildImage(["--config", config(marker)]);
    process.stderr.write(`[itest] cpu build-image + verify took ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    expect(run.code, run.stderr.slice(-6000)).toBe(0);
    const t = run.json.targets[0];
    expect(t.status).toBe("built");
    expect(t.verify).toMatchObject({ mode: "cpu", outcome: "cpu-verified", countsAsVerified: false });
    expect(t.verify.report.status).toBe("passed");
    expect(t.verify.report.summary.failed).toBe(0);
    expect(t.verify.report.summary.passed).toBeGreaterThan(0);
    process.stderr.write(`[itest] cpu verify report summary: ${JSON.stringify(t.verify.report.summary)}\n`);
    // The suite's second server (--stream-output) ran on the CPU engine too, and passed.
    expect(run.stderr).toMatch(/starting stream-output server: \S+ -m sglang\.launch_server .*--device cpu/);
    expect(t.verify.report.checks.find((c: { name: string }) => c.name === "stream_output_mode")?.status).toBe("passed");
    // It really was the engine (not the harness) on the CPU.
    expect(run.stderr).toMatch(/starting main server: \S+ -m sglang\.launch_server .*--device cpu --attention-backend torch_native/);
    expect(t.pushSkippedReason).toMatch(/verify mode cpu runs the real engine on CPU with a scripted checkpoint, not the model on a GPU/);
    expect(await registryTags(TEST_REGISTRY, REPO)).toEqual([]);
    expect(ownVerifyContainers(marker)).toEqual([]);
  }, 1_200_000);

  it("negative control: verify-image in cpu mode on the UNPATCHED base fails, naming the checks", async () => {
    // The base has no suite of its own: mount this checkout's verify/ where the image would have it.
    const marker = `${RUN}-unpatched`;
    const file = config(marker, {
      // One server start: the --stream-output run adds nothing to what unpatched code gets wrong.
      extraArgs: ["--skip-check", "stream_output_mode"],
      mounts: [
        { source: sitePackages, target: "/opt/cpu-deps", readOnly: true },
        { source: path.join(REPO_ROOT, "verify"), target: "/opt/sglang-image-patcher/verify", readOnly: true },
      ],
    });
    const run = await startCli("src/cli/verify-image.ts", [base, "--config", file]).done;
    expect(run.code, run.stderr.slice(-4000)).toBe(1);
    expect(run.json.ok).toBe(false);
    expect(run.json.verify.report.status).toBe("failed");
    expect(run.json.verify.report.failed_checks.length).toBeGreaterThan(0);
    process.stderr.write(`[itest] unpatched base on the CPU engine, failed checks: ${run.json.verify.report.failed_checks.join(", ")}\n`);
    expect(run.stderr).toMatch(/verify: the verify suite exited 1 \(a check failed\); failed checks: \w+/);
    expect(ownVerifyContainers(marker)).toEqual([]);
  }, 900_000);
});
