/**
 * The pipeline's verify step: runs the verify suite (verify/tokenids_verify) INSIDE
 * the freshly built image, in a one-shot container (GPUs through DeviceRequests, the model
 * mounted, a timeout, logs streamed to stderr), copies the JSON report out with getArchive and
 * returns it for build-image's result. The container is removed whatever happens.
 *
 * Modes: gpu (the real engine; required before an image is pushed as verified), engineless
 * (the harness server from python/harness/ instead of the engine, for machines without a GPU; never
 * counts as verified), cpu (the REAL engine on the CPU with a tiny scripted checkpoint from
 * python/models/scripted_models mounted in: it proves the patched serving code end to end, but not
 * the target model on a GPU, so it is marked cpu-verified and never counts as verified).
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import tarStream from "tar-stream";
import type { VerifySettings } from "../config/schema.js";
import { passFromHost } from "./host-env.js";
import type { DockerEngine, OneShotSpec } from "../docker/engine.js";
import { StepError, UserError, errorMessage } from "../errors.js";
import { LABEL_PREFIX, containerLabels } from "../labels.js";
import type { Mount } from "../mount.js";
import { suiteDir, suiteIdentity, type SuiteIdentity } from "./suite.js";
import { GPU_EVIDENCE_FILE, checkGpuAvailable, gpuEvidenceScript, notGpuVerified, parseGpuEvidence, type GpuEvidence } from "./gpu-evidence.js";

export const IMAGE_TOOL_DIR = "/opt/sglang-image-patcher";
export const REPORT_DIR = "/tmp/sglang-image-patcher-verify";
export const VERIFY_PACKAGE = "tokenids_verify";
export const HARNESS_PACKAGE = "sglang_engineless";

export type VerifyOutcomeName = "passed" | "engineless-verified" | "cpu-verified";

/** The suite ran and judged against the image: its report (and, in gpu mode, what the container was given) go in the result. */
export class VerifyFailedError extends StepError<"VERIFY_FAILED"> {
  constructor(
    message: string,
    exitCode: number,
    readonly report: unknown,
    readonly gpu?: GpuEvidence,
  ) {
    super("verify", message, exitCode, { code: "VERIFY_FAILED" });
  }
}

export interface VerifyOutcome {
  mode: VerifySettings["mode"];
  outcome: VerifyOutcomeName;
  /** True only for gpu mode: the real engine served the target model on a GPU. */
  countsAsVerified: boolean;
  exitCode: number;
  durationMs: number;
  command: string[];
  report: unknown;
  /** gpu mode: what the container was given (a pass here means a GPU answered). */
  gpu?: GpuEvidence;
  /** The suite that judged: this checkout's, mounted over the image's copy. */
  suite: SuiteIdentity;
  /** Checks the suite skipped, with its reasons (in gpu mode only those the release allows). */
  skippedChecks: { name: string; reason: string }[];
}

export interface VerifyStepInput {
  engine: DockerEngine;
  image: string;
  settings: VerifySettings;
  /** Host folder relative mount sources and the harness path resolve against. */
  baseDir: string;
  /** Repository root, to check the suite is present before spending a container on it. */
  repoRoot: string;
  runId: string;
  /** The SGLang release in the image (the patch set's version): the suite picks that release's
   *  server flags and stock response keys by it (--sglang-version). */
  sglangVersion?: string;
  onOutput: (text: string) => void;
  signal?: AbortSignal;
  /** Where verify.envFrom's values are read (default process.env). */
  hostEnv?: NodeJS.ProcessEnv;
}

export const NO_GPU_HELP =
  "GPU verify needs the NVIDIA Container Toolkit on the Docker host: install nvidia-container-toolkit, run " +
  "`sudo nvidia-ctk runtime configure --runtime=docker` and restart dockerd. On a machine without a GPU, set " +
  "verify.mode: engineless (or --verify-mode engineless; the image is then not pushed as verified) or pass --skip-verify.";

/**
 * The CPU engine's switch (v0.5.9 reads it when choosing the device's code paths), and
 * TorchDynamo off: on CPU, v0.5.9's torch.compile'd helpers go through Inductor, which needs a
 * C++ compiler (slim images have none: "InvalidCxxCompiler: No working C++ compiler found")
 * and minutes of warm-up on a small CPU; eager mode gives the same tokens. verify.env overrides both.
 */
export const CPU_ENGINE_ENV = { SGLANG_USE_CPU_ENGINE: "1", TORCHDYNAMO_DISABLE: "1" } as const;

/**
 * Server flags of a CPU launch (python/models/README.md): without Intel AMX v0.5.9 needs the
 * torch_native attention backend, and the KV cache is sized explicitly because the
 * default sizing reads GPU memory. Passed in `--server-arg=X` form since the values
 * themselves start with "--". User extraArgs come after them, so a repeated flag wins.
 */
export const CPU_SERVER_ARGS = ["--device", "cpu", "--attention-backend", "torch_native", "--max-total-tokens", "4096"];

export const CPU_NEEDS_MODEL_MOUNT =
  "verify.mode cpu needs verify.modelMount: a tiny scripted checkpoint made by `PYTHONPATH=python/models python3 -m scripted_models DIR --thinking-by-default` " +
  "mounted where verify.model points (a hub model would be downloaded and served on the CPU)";

/**
 * The SGLang release an existing image holds, for the suite's --sglang-version: the label every
 * patched image carries (the patch set's version), else what the build-file target expects,
 * else nothing (the suite then reads the installed sglang's version inside the image).
 */
export function imageSglangVersion(labels: Record<string, string> | undefined, targetVersion?: string): string | undefined {
  return labels?.[`${LABEL_PREFIX}.sglang-version`] ?? targetVersion;
}

/** The suite must exist in this checkout (it is copied into the image from verify/). */
export function verifySuiteAvailable(repoRoot: string): boolean {
  return existsSync(path.join(repoRoot, "verify", VERIFY_PACKAGE, "__main__.py"));
}

function hostPath(baseDir: string, p: string): string {
  const expanded = p.startsWith("~/") ? path.join(process.env.HOME ?? "/root", p.slice(2)) : p;
  return path.resolve(baseDir, expanded);
}

/** Builds the container spec from the settings (pure; unit-tested). */
export function verifyContainerSpec(input: Omit<VerifyStepInput, "engine" | "onOutput" | "signal">): OneShotSpec {
  const s = input.settings;
  // This checkout's suite over the image's copy, read-only: the image never judges itself.
  const mounts: Mount[] = [{ source: suiteDir(input.repoRoot), target: `${IMAGE_TOOL_DIR}/verify/${VERIFY_PACKAGE}`, readOnly: true }];
  const pythonPath = [`${IMAGE_TOOL_DIR}/verify`];
  if (s.mode === "engineless") {
    const harness = hostPath(input.baseDir, s.harness);
    if (!existsSync(path.join(harness, HARNESS_PACKAGE))) {
      throw new StepError("verify", `engineless mode needs the harness package ${HARNESS_PACKAGE} in ${harness} (verify.harness)`, 2);
    }
    mounts.push({ source: harness, target: `${IMAGE_TOOL_DIR}/harness`, readOnly: true });
    pythonPath.push(`${IMAGE_TOOL_DIR}/harness`);
  }
  for (const m of [...(s.modelMount ? [s.modelMount] : []), ...s.mounts]) {
    const source = hostPath(input.baseDir, m.source);
    // A writable model mount is a cache (e.g. ~/.cache/huggingface): start it empty on a fresh
    // machine. Anything else must exist, or the suite would see an empty folder.
    if (m === s.modelMount && !m.readOnly && !existsSync(source)) mkdirSync(source, { recursive: true });
    if (!existsSync(source)) throw new StepError("verify", `mount source ${source} (for ${m.target}) does not exist`, 2);
    mounts.push({ source, target: m.target, readOnly: m.readOnly });
  }
  pythonPath.push(...s.pythonPath);
  if (s.mode === "cpu" && !s.modelMount) throw new StepError("verify", CPU_NEEDS_MODEL_MOUNT, 2);
  const cmd = [
    "python3", "-m", VERIFY_PACKAGE,
    "--model-path", s.model,
    "--launcher", s.mode === "engineless" ? "engineless" : "sglang",
    ...(s.toolCallParser ? ["--tool-call-parser", s.toolCallParser] : []),
    ...(s.reasoningParser ? ["--reasoning-parser", s.reasoningParser] : []),
    "--startup-timeout", String(s.startupTimeoutSeconds),
    ...(input.sglangVersion ? ["--sglang-version", input.sglangVersion] : []),
    "--report", `${REPORT_DIR}/report.json`,
    // gpu mode: the release's required checks may not skip (verify/tokenids_verify/gate.py).
    ...(s.mode === "gpu" ? ["--gpu-gate"] : []),
    ...(s.mode === "cpu" ? CPU_SERVER_ARGS.map((a) => `--server-arg=${a}`) : []),
    ...s.extraArgs,
  ];
  return {
    image: input.image,
    name: `sglang-image-patcher-verify-${input.runId}`,
    // The report folder is created by the shell so getArchive finds it even when the suite
    // dies before writing the report (then the folder is empty and we say so).
    cmd: ["sh", "-c", `mkdir -p ${REPORT_DIR} && ${s.mode === "gpu" ? `${gpuEvidenceScript(REPORT_DIR)}; ` : ""}exec "$@"`, "sh", ...cmd],
    env: {
      PYTHONPATH: pythonPath.join(":"),
      PYTHONDONTWRITEBYTECODE: "1",
      PYTHONUNBUFFERED: "1",
      ...(s.mode === "cpu" ? CPU_ENGINE_ENV : {}),
      ...s.env,
      ...passFromHost(s.envFrom, input.hostEnv ?? process.env),
    },
    mounts,
    labels: containerLabels("verify", input.runId),
    gpus: s.mode === "gpu" ? s.gpus : undefined,
    copyOut: REPORT_DIR,
    timeoutMs: s.timeoutSeconds * 1000,
  };
}

/** Reads report.json out of the getArchive tar (its entries are `<dir>/report.json`). */
export async function reportFromArchive(tar: Buffer): Promise<unknown> {
  const found = await fileFromArchive(tar, "report.json");
  if (!found) return undefined;
  try {
    return JSON.parse(found.toString("utf8"));
  } catch (e) {
    throw new StepError("verify", `the verify report is not valid JSON: ${errorMessage(e)}`, 2);
  }
}

/** One file of the report folder's getArchive tar, by its name in that folder. */
export async function fileFromArchive(tar: Buffer, name: string): Promise<Buffer | undefined> {
  const extract = tarStream.extract();
  let found: Buffer | undefined;
  const done = new Promise<void>((resolve, reject) => {
    extract.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c) => chunks.push(c as Buffer));
      stream.on("end", () => {
        if (header.name.endsWith(`/${name}`) || header.name === name) found = Buffer.concat(chunks);
        next();
      });
      stream.resume();
    });
    extract.on("finish", resolve);
    extract.on("error", reject);
  });
  extract.end(tar);
  await done;
  return found;
}

/** Names of failed checks, read loosely from the report (the suite owns its format). */
export function failedChecks(report: unknown): string[] {
  const listed = (report as { failed_checks?: unknown })?.failed_checks;
  if (Array.isArray(listed)) return listed.map(String);
  const checks = (report as { checks?: unknown })?.checks;
  if (!Array.isArray(checks)) return [];
  return checks
    .filter((c) => {
      const status = (c as { status?: string; passed?: boolean }).status ?? ((c as { passed?: boolean }).passed === false ? "failed" : undefined);
      return status === "failed" || status === "fail" || status === "error";
    })
    .map((c) => String((c as { name?: string }).name ?? "?"));
}

export function exitMeaning(code: number): string {
  if (code === 1) return "a check failed";
  if (code === 2) return "the server or the setup failed";
  if (code === 137) return "killed (SIGKILL: out of memory, or the container was killed)";
  if (code === 143) return "terminated (SIGTERM)";
  if (code === 126 || code === 127) return "could not run python3 -m tokenids_verify in the image";
  return "unexpected exit code";
}

/**
 * Everything that can be checked before building: fails early instead of after a build. With
 * `probe` (an image present on the daemon) and gpu mode, a container is started with GPUs
 * requested, which is what the verify container will need.
 */
export async function preflightVerify(
  engine: DockerEngine,
  settings: VerifySettings,
  repoRoot: string,
  baseDir: string,
  probe?: { image: string; runId: string },
): Promise<void> {
  if (!verifySuiteAvailable(repoRoot)) {
    throw new StepError(
      "verify",
      `the verify suite is not in this checkout (${path.join(repoRoot, "verify", VERIFY_PACKAGE)} has no __main__.py), so the image cannot be verified and this build cannot succeed. ` +
        "Re-run with --skip-verify to build without verifying (the image is then not pushed unless --push-unverified is given).",
      2,
    );
  }
  // Mounts and the harness folder: named now rather than after a build.
  verifyContainerSpec({ image: "preflight", settings, baseDir, repoRoot, runId: "preflight" });
  if (settings.mode === "gpu" && probe) await checkGpuAvailable(engine, probe.image, settings.gpus, probe.runId, NO_GPU_HELP);
}

/** The skipped checks of a report, with their reasons (read loosely: the suite owns its format). */
export function skippedChecks(report: unknown): { name: string; reason: string }[] {
  const checks = (report as { checks?: unknown })?.checks;
  if (!Array.isArray(checks)) return [];
  return checks
    .filter((c) => (c as { status?: unknown }).status === "skipped")
    .map((c) => ({ name: String((c as { name?: unknown }).name ?? "?"), reason: String((c as { skip_reason?: unknown }).skip_reason ?? "no reason given") }));
}

export async function runVerifyStep(input: VerifyStepInput): Promise<VerifyOutcome> {
  const s = input.settings;
  await preflightVerify(input.engine, s, input.repoRoot, input.baseDir, { image: input.image, runId: input.runId });
  // Hashed before the run: the tree mounted is the tree named.
  const suite = suiteIdentity(input.repoRoot);
  const spec = verifyContainerSpec(input);
  const started = Date.now();
  let result;
  try {
    result = await input.engine.runOneShot(spec, input.onOutput, input.signal);
  } catch (e) {
    if (input.signal?.aborted) throw e;
    const message = errorMessage(e);
    if (/could not select device driver|nvidia-container-cli|unknown or invalid runtime name: nvidia/i.test(message)) {
      throw new StepError("verify", `the container could not get a GPU (${message.trim()}). ${NO_GPU_HELP}`, 2);
    }
    if (e instanceof UserError || e instanceof StepError) throw e;
    throw new StepError("verify", `the verify container failed: ${message}`, 2);
  }
  const durationMs = Date.now() - started;
  if (result.timedOut) {
    throw new StepError("verify", `the verify suite did not finish within verify.timeoutSeconds=${s.timeoutSeconds} s; its container was killed and removed`, 2);
  }
  const report = result.copied ? await reportFromArchive(result.copied) : undefined;
  if (result.exitCode !== 0 && report === undefined) {
    // No report means the suite never got to run its checks (e.g. python3 could not import it),
    // whatever the exit code says: do not call that "a check failed".
    throw new StepError(
      "verify",
      `the verify suite exited ${result.exitCode}` +
        (result.exitCode === 137 || result.exitCode === 143 ? ` (${exitMeaning(result.exitCode)})` : "") +
        "; it wrote no report (see its output above)",
      2,
    );
  }
  // gpu mode: what the container was given, read whatever the suite's exit, so a failed run on a
  // machine without a GPU says both.
  const gpu = s.mode === "gpu" ? parseGpuEvidence(result.copied ? (await fileFromArchive(result.copied, GPU_EVIDENCE_FILE))?.toString("utf8") : undefined, cmd(spec)) : undefined;
  const notGpu = gpu ? notGpuVerified(gpu) : undefined;
  if (result.exitCode !== 0) {
    const failed = failedChecks(report);
    const gate = (report as { gate?: { violations?: { check: string; was: string }[] } })?.gate?.violations ?? [];
    throw new VerifyFailedError(
      `the verify suite exited ${result.exitCode} (${exitMeaning(result.exitCode)})` +
        (failed.length ? `; failed checks: ${failed.join(", ")}` : "") +
        (gate.length ? `; the gpu gate refused: ${gate.map((v) => `${v.check} ${v.was}`).join(", ")}` : "") +
        (typeof (report as { error?: unknown })?.error === "string" ? `; ${(report as { error: string }).error}` : "") +
        (notGpu ? `; nor is it a GPU verification: ${notGpu}` : ""),
      result.exitCode === 1 ? 1 : 2,
      report,
      gpu,
    );
  }
  if (report === undefined) throw new StepError("verify", `the verify suite exited 0 but wrote no report at ${REPORT_DIR}/report.json`, 2);
  if (s.mode === "gpu" && (report as { gate?: unknown })?.gate === undefined) {
    // The mounted suite always gates; a report without it came from another suite.
    throw new VerifyFailedError("the verify report has no gpu gate record: it was not written by this checkout's suite", 2, report);
  }
  // The suite passed, but not on a GPU: that must not read as a GPU verification.
  if (notGpu) throw new VerifyFailedError(`the verify suite passed, but this is not a GPU verification: ${notGpu}`, 2, report, gpu);
  return {
    mode: s.mode,
    outcome: s.mode === "gpu" ? "passed" : s.mode === "cpu" ? "cpu-verified" : "engineless-verified",
    countsAsVerified: s.mode === "gpu",
    exitCode: 0,
    durationMs,
    command: cmd(spec),
    report,
    ...(gpu ? { gpu } : {}),
    suite,
    skippedChecks: skippedChecks(report),
  };
}

/** The suite's command line inside the container's `sh -c` wrapper. */
function cmd(spec: OneShotSpec): string[] {
  return spec.cmd.slice(4);
}
