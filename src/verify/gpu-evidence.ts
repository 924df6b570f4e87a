/**
 * Whether a GPU really answered in gpu verify mode. A daemon that accepts a GPU request does not
 * prove a GPU was there (Docker 20.10 hands GPUs out through the NVIDIA Container Toolkit's
 * prestart hook, and anything with that name on its PATH satisfies it), and server flags passed
 * through verify.extraArgs can put the engine on the CPU. So the verify container records what
 * it was given (NVIDIA_VISIBLE_DEVICES, `nvidia-smi -L`) next to the report, and a pass counts
 * as a GPU verification only when nvidia-smi listed a GPU and the server was not told
 * `--device cpu`.
 */
import type { DockerEngine } from "../docker/engine.js";
import { StepError, errorMessage } from "../errors.js";
import { containerLabels } from "../labels.js";

export const GPU_EVIDENCE_FILE = "gpu.txt";

/** Shell run in the verify container before the suite; it never fails the container. */
export function gpuEvidenceScript(reportDir: string): string {
  const out = `${reportDir}/${GPU_EVIDENCE_FILE}`;
  return `{ echo "NVIDIA_VISIBLE_DEVICES=\${NVIDIA_VISIBLE_DEVICES:-}"; nvidia-smi -L 2>&1 || echo "nvidia-smi exited $?"; } > ${out} 2>&1`;
}

export interface GpuEvidence {
  /** What the daemon's GPU request set in the container ("" when nothing did). */
  visibleDevices: string;
  /** `nvidia-smi -L` lines naming a GPU ("GPU 0: NVIDIA H100 ... (UUID: ...)"). */
  gpus: string[];
  /** Everything nvidia-smi printed (for the message when no GPU is listed). */
  nvidiaSmi: string[];
  /** The server was told --device cpu through verify.extraArgs. */
  serverOnCpu: boolean;
}

export function parseGpuEvidence(text: string | undefined, serverArgs: readonly string[]): GpuEvidence {
  const lines = (text ?? "").split("\n").map((l) => l.trim()).filter(Boolean);
  const visible = lines.find((l) => l.startsWith("NVIDIA_VISIBLE_DEVICES="));
  const nvidiaSmi = lines.filter((l) => l !== visible);
  return {
    visibleDevices: visible ? visible.slice("NVIDIA_VISIBLE_DEVICES=".length) : "",
    gpus: nvidiaSmi.filter((l) => /^GPU \d+: /.test(l)),
    nvidiaSmi,
    serverOnCpu: serverDevice(serverArgs) === "cpu",
  };
}

/** The --device the suite passes to the server (`--server-arg=--device --server-arg=cpu` or `--server-arg=--device=cpu`). */
export function serverDevice(suiteArgs: readonly string[]): string | undefined {
  const serverArgs = suiteArgs.filter((a) => a.startsWith("--server-arg=")).map((a) => a.slice("--server-arg=".length));
  let device: string | undefined;
  serverArgs.forEach((a, i) => {
    if (a === "--device" && serverArgs[i + 1] !== undefined) device = serverArgs[i + 1];
    else if (a.startsWith("--device=")) device = a.slice("--device=".length);
  });
  return device;
}

/** Why a passing gpu-mode run is not a GPU verification, or undefined when it is one. */
export function notGpuVerified(e: GpuEvidence): string | undefined {
  const reasons: string[] = [];
  if (e.gpus.length === 0) reasons.push(`no GPU answered in the verify container (nvidia-smi -L: ${e.nvidiaSmi.join("; ") || "no output"}; NVIDIA_VISIBLE_DEVICES=${e.visibleDevices || "unset"})`);
  if (e.serverOnCpu) reasons.push("the server was started with --device cpu (verify.extraArgs)");
  return reasons.length ? reasons.join(", and ") : undefined;
}

const CANNOT_GIVE_GPU = /could not select device driver|nvidia-container-cli|unknown or invalid runtime name: nvidia|nvidia-container-runtime-hook/i;

/**
 * Asks the daemon for what gpu verify needs: a container started with GPUs requested (a `true`
 * in `image`, removed at once). This is the real condition, where the daemon's runtime list is
 * only a hint (Docker 20.10 serves `--gpus` through the toolkit's hook, with or without an
 * "nvidia" runtime registered).
 */
export async function checkGpuAvailable(engine: DockerEngine, image: string, gpus: "all" | number, runId: string, help: string): Promise<void> {
  try {
    await engine.runOneShot(
      { image, name: `sglang-image-patcher-gpu-probe-${runId}`, cmd: ["true"], env: {}, mounts: [], labels: containerLabels("gpu-probe", runId), gpus, timeoutMs: 120_000 },
      () => {},
    );
  } catch (e) {
    const msg = errorMessage(e).trim();
    if (CANNOT_GIVE_GPU.test(msg)) {
      throw new StepError("verify", `the Docker daemon at ${engine.endpoint} cannot give a container a GPU (${msg}), so the image cannot be verified on a GPU. ${help}`, 2);
    }
    throw new StepError("verify", `checking that the Docker daemon at ${engine.endpoint} can give a container a GPU failed: ${msg}`, 2);
  }
}
