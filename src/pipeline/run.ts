/**
 * Runs a planned target: resolve base -> build -> verify -> tag -> push. Each step is timed and
 * fails on the first error. A failed or cancelled target leaves no tag of ours: the per-run build
 * tag is dropped and the user's tags are put back as they were (local-tags.ts). Only a verified
 * image reaches the push unless the user said --push-unverified; after a push, finished or not,
 * the registry is asked what each ref points at and the result says so (push.ts).
 */
import { attestPushed, type AttestationResult, type AttestSettings } from "../attest/attest-step.js";
import type { Leftovers } from "../cancel.js";
import type { DockerEngine } from "../docker/engine.js";
import { ProgressStreamError } from "../docker/progress.js";
import { CancelledError, StepError, UserError, errorMessage } from "../errors.js";
import { repositoryAndTag } from "../image-ref.js";
import { BASE_DIGEST_LABEL, LABEL_PREFIX, newRunId } from "../labels.js";
import type { Logger } from "../log.js";
import type { RetryPolicy } from "../retry.js";
import { checkGpuAvailable, type GpuEvidence } from "../verify/gpu-evidence.js";
import type { SuiteIdentity } from "../verify/suite.js";
import { NO_GPU_HELP, preflightVerify, runVerifyStep, type VerifyOutcome } from "../verify/verify-step.js";
import { applyTags, revertTags, type AppliedTag } from "./local-tags.js";
import type { PlannedTarget, TargetPlan } from "./plan.js";
import { compressedBytesPushed, pushRef, readRegistryTags, readRegistryTagsBeforePush, tagMoves, tagState, type PushRecord, type RegistryTagState } from "./push.js";
import { resolveImage, type ResolvedImage } from "./resolve-image.js";
import { lockTags } from "./tag-lock.js";

export type { PushRecord, RegistryTagState };

export interface TargetResult {
  target: string;
  status: "pushed" | "built" | "failed" | "cancelled";
  plan: TargetPlan;
  /** digest: the base's registry digest; absent for a base that came from no registry. */
  base?: { ref: string; imageId: string; digest?: string; pulled: boolean };
  image?: { id: string; refs: string[]; layers: number; addedLayers: number; labels: Record<string, string> };
  verify: {
    outcome: "passed" | "engineless-verified" | "cpu-verified" | "skipped" | "failed" | "not-run";
    mode: string;
    countsAsVerified: boolean;
    report?: unknown;
    durationMs?: number;
    reason?: string;
    /** gpu mode: what the verify container was given (see verify/gpu-evidence.ts). */
    gpu?: GpuEvidence;
    /** The suite that judged (this checkout's, by version and tree hash; verify/suite.ts). */
    suite?: SuiteIdentity;
    /** Checks that skipped, with the suite's reasons. */
    skippedChecks?: { name: string; reason: string }[];
  };
  push: PushRecord[];
  /** After a push (finished, failed or cancelled): what the registry's tag names, per ref. */
  registry?: RegistryTagState[];
  /** The user's local tags put back after a failed or cancelled run, one line each. */
  tagsReverted?: string[];
  warnings?: string[];
  pushSkippedReason?: string;
  timings: Record<string, number>;
  error?: { step: string; message: string };
  /** After a push: the in-toto statement, its files, and where it was attached (attest/). */
  attestation?: AttestationResult;
}

export interface RunDeps {
  engine: DockerEngine;
  logger: Logger;
  repoRoot: string;
  /** Folder relative verify mount paths resolve against (the config file's). */
  configDir: string;
  signal?: AbortSignal;
  /** What a cancelled run still has to undo, named if the user exits before it is undone. */
  leftovers?: Leftovers;
  pushRetry?: RetryPolicy;
  env?: NodeJS.ProcessEnv;
  /** How the registry is asked what a tag names (the Registry HTTP API; replaced in unit tests). */
  readRegistryTags?: typeof readRegistryTags;
  /** The statement made after a push (and with plan.attest.push, attached); absent: none. */
  attest?: Omit<AttestSettings, "push"> & { builderVersion: string };
}

async function timed<T>(timings: Record<string, number>, step: string, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await fn();
  } finally {
    timings[`${step}Ms`] = Math.round(performance.now() - start);
  }
}

const IN_IMAGE_ERROR = "apply-patchset: ERROR: ";

function stepError(step: string, e: unknown, signal?: AbortSignal): Error {
  if (signal?.aborted) return signal.reason instanceof Error ? signal.reason : new CancelledError();
  if (e instanceof StepError || e instanceof UserError || e instanceof CancelledError) return e;
  if (e instanceof ProgressStreamError) {
    // The in-image script explains itself (which patch, which hunk, which version); that
    // beats the builder's "The command ... returned a non-zero code: 1".
    const output = e.tail.join("\n");
    const at = output.indexOf(IN_IMAGE_ERROR);
    if (at >= 0) {
      const explanation = output
        .slice(at + IN_IMAGE_ERROR.length)
        .split("\n")
        .filter((l) => l.trim() !== "" && !/^apply-patchset: (sglang at|all \d+ patches)/.test(l) && !/^Removing intermediate container/.test(l))
        .join("\n  ");
      // The script only speaks through that marker about the base or the patch set (wrong
      // SGLang, a hunk that does not match, an unsupported diff): bad input, exit code 2.
      // A crash of the script itself has no marker and stays a failed step (1).
      return new StepError(step, explanation, 2);
    }
    if (e.tail.length) return new StepError(step, `${errorMessage(e)}\n  last output:\n    ${e.tail.slice(-8).join("\n    ")}`);
  }
  return new StepError(step, errorMessage(e));
}

/** The base, present and checked against the pinned digest and the target's platform. */
export async function resolveBase(plan: TargetPlan, deps: RunDeps): Promise<ResolvedImage> {
  const base = await resolveImage({
    ref: plan.base.ref,
    platform: plan.base.platform,
    pinnedDigest: plan.base.pinnedDigest,
    step: "resolve-base",
    what: "base image",
    engine: deps.engine,
    logger: deps.logger,
    env: deps.env,
    signal: deps.signal,
  });
  checkPlatform(plan, base.info);
  return base;
}

/**
 * A base of another architecture would only fail at the build's `COPY --from=patched` with the
 * Engine's internal message (or run under emulation); the inspected image already says what it is.
 */
export function checkPlatform(plan: TargetPlan, info: { os: string; architecture: string }): void {
  if (!plan.base.platform) return;
  const [os, arch] = plan.base.platform.split("/");
  if (info.os === os && info.architecture === arch) return;
  throw new StepError(
    "resolve-base",
    `base image ${plan.base.ref} is ${info.os}/${info.architecture}, but target ${plan.target} is for ${plan.base.platform} (its platform); ` +
      `use a ${plan.base.platform} base (e.g. the target of that architecture) or --base with one`,
    2,
  );
}

export async function runTarget(planned: PlannedTarget, deps: RunDeps): Promise<TargetResult> {
  const { plan, context } = planned;
  const { engine, logger, signal } = deps;
  // Prefixed by the CI job's name when the workflow sets one, so its cleanup step finds the build tag.
  const runId = newRunId(deps.env);
  // Built under a per-run name; the user's tags are only applied after verify passed, so a
  // failure never leaves a half-built tag behind.
  const buildTag = `sglang-image-patcher-build/${plan.target.toLowerCase().replace(/[^a-z0-9._-]/g, "-")}:${runId}`;
  const timings: Record<string, number> = {};
  const result: TargetResult = {
    target: plan.target,
    status: "failed",
    plan,
    verify: { outcome: "not-run", mode: plan.verify.settings.mode, countsAsVerified: false },
    push: [],
    timings,
  };
  const started = performance.now();
  let step = "verify";
  let built = false;
  const track = (what: string) => deps.leftovers?.add(what) ?? (() => {});
  const applied: AppliedTag[] = [];
  let releaseTags = () => {};
  let pushing = false;
  let unlock = () => {};
  let imageLayers: string[] = [];
  const pushedLayers = new Map<string, string[]>();
  const warn = (w: string) => {
    logger.warn(w);
    (result.warnings ??= []).push(w);
  };
  // The registry's answer per ref; after a finished push it also gives the compressed sizes.
  const reportRegistry = async (finished: boolean) => {
    const image = result.image;
    if (!image) return;
    const answers = await (deps.readRegistryTags ?? readRegistryTags)(plan.refs, deps.env);
    result.registry = plan.refs.map((ref) => tagState(ref, answers.get(ref)!, image.id));
    for (const state of result.registry) {
      const answer = answers.get(state.ref);
      const record = result.push.find((r) => r.ref === state.ref);
      if (record && state.state === "this-image" && answer && !(answer instanceof Error) && answer.layers) {
        record.bytesUploaded = compressedBytesPushed(pushedLayers.get(state.ref) ?? [], { layers: imageLayers }, answer.layers);
      }
      if (!record && state.state === "this-image" && state.manifestDigest) {
        // Cancelled or failed here, yet on the registry: never report less than it has.
        const { repository } = repositoryAndTag(state.ref);
        result.push.push({ ref: state.ref, digest: `${repository}@${state.manifestDigest}`, bytesUploaded: null, layersPushed: null, layersAlreadyPresent: null, attempts: null, reportedBy: "registry" });
        warn(`${state.ref}: this run's push ${finished ? "" : "did not finish here, but "}the registry's tag names this image (${state.manifestDigest})`);
      } else if (record && state.state !== "this-image") {
        warn(
          `${state.ref} was pushed by this run, but the registry's tag ${state.state === "another-image" ? `now names another image (${state.manifestDigest}): another push moved it` : state.state === "absent" ? "is gone" : `could not be read (${state.error})`}`,
        );
      } else if (!finished && state.state === "unknown") {
        warn(`${state.ref}: could not ask the registry what its tag names after the failed push (${state.error}); check it before relying on it`);
      }
    }
  };
  // Until the finally below has run: the per-run tag (or the build that would create it).
  const buildLeft = track(`the per-run image tag ${buildTag} (docker rmi ${buildTag}); a build step's container is removed by the daemon`);
  try {
    // Before any work: another run on this machine with one of these tags would race for it.
    step = "tag-lock";
    unlock = lockTags(plan.refs);
    step = "verify";
    // The real settings (env values included); plan.verify.settings is the printed copy.
    const settings = planned.verifySettings;
    const probeGpu = async (image: string) => timed(timings, "gpuProbe", () => checkGpuAvailable(engine, image, settings.gpus, runId, NO_GPU_HELP));
    const needsGpu = !plan.verify.skipped && settings.mode === "gpu";
    if (!plan.verify.skipped) await timed(timings, "preflight", () => preflightVerify(engine, settings, deps.repoRoot, deps.configDir));
    // Can the daemon give a container a GPU? A base already here answers before anything is
    // pulled or built; otherwise the freshly pulled base does.
    const baseHere = needsGpu && (await engine.inspectImage(plan.base.ref)) !== undefined;
    if (baseHere) await probeGpu(plan.base.ref);
    step = "resolve-base";
    const base = await timed(timings, "resolveBase", () => resolveBase(plan, deps));
    if (needsGpu && !baseHere) {
      step = "verify";
      await probeGpu(base.info.id);
    }
    result.base = { ref: plan.base.ref, imageId: base.info.id, ...(base.digest ? { digest: base.digest } : {}), pulled: base.pulled };
    logger.info(`base ${plan.base.ref}: ${base.digest ?? `image ${base.info.id}, no registry digest`}${base.pulled ? " (pulled)" : ""}`);

    step = "build";
    // The OCI base.digest label names a manifest a registry serves; a local-only base has none.
    const labels = { ...plan.labels, ...(base.digest ? { [BASE_DIGEST_LABEL]: base.digest } : {}) };
    logger.info(`building ${plan.target} (context sha256 ${plan.context.sha256.slice(0, 12)}, ${plan.patchSet.patches.length} patches)`);
    const build = await timed(timings, "build", () =>
      engine.buildImage(
        context.tar,
        { dockerfile: plan.dockerfile, tag: buildTag, buildargs: { BASE_IMAGE: plan.base.ref }, labels, platform: plan.base.platform, noCache: plan.noCache },
        (ev) => logger.progress("build", ev),
        signal,
      ),
    );
    built = true;
    const image = await engine.inspectImage(buildTag);
    if (!image) throw new StepError("build", `the build reported success but ${buildTag} does not exist`);
    imageLayers = image.layers;
    if (build.imageId && !image.id.endsWith(build.imageId.replace(/^sha256:/, ""))) {
      throw new StepError("build", `the build stream reported image ${build.imageId} but ${buildTag} is ${image.id}`);
    }
    result.image = {
      id: image.id,
      refs: [],
      layers: image.layers.length,
      addedLayers: image.layers.length - base.info.layers.length,
      labels: image.labels,
    };

    step = "verify";
    if (plan.verify.skipped) {
      result.verify = { outcome: "skipped", mode: plan.verify.settings.mode, countsAsVerified: false, reason: "--skip-verify" };
    } else {
      let outcome: VerifyOutcome;
      const label = `${LABEL_PREFIX}.run=${runId}`;
      const verifyLeft = track(`the verify container labelled ${label} (docker rm -f $(docker ps -aq --filter label=${label}))`);
      try {
        outcome = await timed(timings, "verify", () =>
          runVerifyStep({
            engine,
            image: image.id,
            settings: planned.verifySettings,
            baseDir: deps.configDir,
            repoRoot: deps.repoRoot,
            runId,
            sglangVersion: plan.sglangVersion,
            onOutput: (text) => logger.stream("verify", text),
            signal,
          }),
        );
      } catch (e) {
        result.verify = {
          outcome: "failed",
          mode: plan.verify.settings.mode,
          countsAsVerified: false,
          report: (e as { report?: unknown }).report,
          reason: errorMessage(e),
          ...((e as { gpu?: GpuEvidence }).gpu ? { gpu: (e as { gpu: GpuEvidence }).gpu } : {}),
        };
        throw e;
      } finally {
        verifyLeft();
      }
      result.verify = {
        outcome: outcome.outcome,
        mode: outcome.mode,
        countsAsVerified: outcome.countsAsVerified,
        report: outcome.report,
        durationMs: outcome.durationMs,
        ...(outcome.gpu ? { gpu: outcome.gpu } : {}),
        suite: outcome.suite,
        skippedChecks: outcome.skippedChecks,
      };
    }

    step = "tag";
    await timed(timings, "tag", () => applyTags(engine, image.id, plan.refs, applied));
    const tagsLeft = track(`the local tags ${plan.refs.join(", ")} now name ${image.id} (they were not put back)`);
    releaseTags = tagsLeft;
    result.image.refs = [...plan.refs];
    await engine.removeImage(buildTag);
    built = false;

    step = "push";
    if (!plan.push.enabled) {
      result.pushSkippedReason = plan.push.reason;
      result.status = "built";
      logger.info(`not pushing ${plan.target}: ${plan.push.reason}`);
    } else {
      const moves = tagMoves(plan.refs, deps.readRegistryTags ? await deps.readRegistryTags(plan.refs, deps.env) : await readRegistryTagsBeforePush(plan.refs, deps), image.id);
      if (moves.length > 0 && !plan.push.force) {
        throw new StepError("push", `refusing to move existing tags to other content: ${moves.join("; ")}. Push under a new tag, or pass --force to move them`, 2);
      }
      for (const m of moves) warn(`--force: moving ${m}`);
      pushing = true;
      await timed(timings, "push", async () => {
        for (const ref of plan.refs) {
          const pushed = await pushRef(ref, deps);
          result.push.push(pushed.record);
          pushedLayers.set(ref, pushed.pushedLayerIds);
        }
      });
      await reportRegistry(true);
      result.status = "pushed";
    }
    tagsLeft();
    if (result.status === "pushed" && deps.attest) {
      step = "attest";
      const { builderVersion, ...settings } = deps.attest;
      result.attestation = await timed(timings, "attest", () =>
        attestPushed({
          result,
          upstream: planned.patchSet.upstream,
          builder: { version: builderVersion, revision: plan.labels["org.opencontainers.image.revision"] ?? "unknown", source: plan.labels["org.opencontainers.image.source"] ?? "unknown" },
          settings: { ...settings, push: plan.attest.push },
          logger,
          env: deps.env,
        }),
      );
    }
    return result;
  } catch (e) {
    if (step === "attest") {
      // The images are pushed and stay so (their local tags too): only the attestation failed.
      const err = signal?.aborted ? stepError(step, e, signal) : e instanceof StepError ? e : new StepError("attest", errorMessage(e));
      result.error = { step, message: err.message };
      const partial = (e as { attestation?: AttestationResult }).attestation;
      if (partial) result.attestation = partial;
      throw Object.assign(err, { result });
    }
    const err = stepError(step, e, signal);
    result.status = err instanceof CancelledError ? "cancelled" : "failed";
    result.error = { step, message: err.message };
    if (pushing) await reportRegistry(false);
    if (applied.length > 0) {
      result.tagsReverted = await revertTags(engine, result.image?.id ?? "", applied, logger);
      if (result.image) result.image.refs = [];
      for (const line of result.tagsReverted) logger.info(`local tag ${line}`);
    }
    releaseTags();
    throw Object.assign(err, { result });
  } finally {
    unlock();
    if (built) {
      // The per-run tag of a build that did not finish the pipeline; dropping it leaves the
      // image dangling (build cache), never tagged.
      await engine.removeImage(buildTag).catch((e) => logger.warn(`could not remove ${buildTag}: ${errorMessage(e)}`));
    }
    buildLeft();
    timings.totalMs = Math.round(performance.now() - started);
  }
}
