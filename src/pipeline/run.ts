/**
 * Runs a planned target: resolve base -> build -> verify -> tag -> push -> attest, as a list of
 * steps (TARGET_STEPS) on one undo stack (steps.ts). Each step is timed and fails on the first
 * error. A failed or cancelled target leaves no tag of ours: the per-run build tag is dropped and
 * the user's tags are put back as they were (local-tags.ts); each step pushes what undoes it, and
 * the ledger a second Ctrl-C names is read from the same stack. Only a verified image reaches the
 * push unless the user said --push-unverified; after a push, finished or not, the registry is
 * asked what each ref points at and the result says so (push.ts). The push is the pivot: after
 * it, a failed attestation leaves the pushed images and their local tags as they are.
 */
import { AttestFailedError, attestPushed, type AttestSettings } from "../attest/attest-step.js";
import type { Leftovers } from "../cancel.js";
import type { DockerEngine, ImageInfo } from "../docker/engine.js";
import { ProgressStreamError } from "../docker/progress.js";
import { CancelledError, StepError, UserError, errorMessage } from "../errors.js";
import { repositoryAndTag } from "../image-ref.js";
import { BASE_DIGEST_LABEL, LABEL_PREFIX, newRunId } from "../labels.js";
import type { Logger } from "../log.js";
import type { RetryPolicy } from "../retry.js";
import { checkGpuAvailable } from "../verify/gpu-evidence.js";
import { NO_GPU_HELP, VerifyFailedError, preflightVerify, runVerifyStep } from "../verify/verify-step.js";
import { attestedTarget } from "./attest-input.js";
import { applyTags, revertTags, type AppliedTag } from "./local-tags.js";
import type { PlannedTarget, TargetPlan } from "./plan.js";
import { compressedBytesPushed, pushRef, readRegistryTags, readRegistryTagsBeforePush, tagMoves, tagState } from "./push.js";
import { TargetFailedError, type TargetResult } from "./result.js";
import { resolveImage, type ResolvedImage } from "./resolve-image.js";
import { runSteps, UndoStack, type Step } from "./steps.js";
import { lockTags } from "./tag-lock.js";

export type { PushRecord, RegistryTagState } from "./push.js";
export { TargetFailedError, type TargetResult };

export interface RunDeps {
  engine: DockerEngine;
  logger: Logger;
  repoRoot: string;
  /** Folder relative verify mount paths resolve against (the config file's). */
  configDir: string;
  signal?: AbortSignal;
  /** The cancellation's ledger: it reads this run's undo stack while the run lasts. */
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
      return new StepError(step, explanation, 2, { cause: e });
    }
    if (e.tail.length) return new StepError(step, `${errorMessage(e)}\n  last output:\n    ${e.tail.slice(-8).join("\n    ")}`, 1, { cause: e });
  }
  return new StepError(step, errorMessage(e), 1, { cause: e });
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

/** What the steps of one target share: its plan, its result so far, and what the steps found. */
export interface TargetRun {
  planned: PlannedTarget;
  plan: TargetPlan;
  deps: RunDeps;
  runId: string;
  /** The per-run name the image is built under; the user's tags come only after verify passed. */
  buildTag: string;
  result: TargetResult;
  timings: Record<string, number>;
  /** gpu mode and not --skip-verify: the daemon must give a container a GPU. */
  needsGpu: boolean;
  /** The base was already here, so the GPU probe ran before anything was pulled or built. */
  baseHere?: boolean;
  base?: ResolvedImage;
  image?: ImageInfo;
  /** Per ref: the layers the daemon said it pushed (for the compressed bytes the registry reports). */
  pushedLayers: Map<string, string[]>;
  /** Set by the build step: removes the per-run tag once the user's tags name the image. */
  dropBuildTag?: () => Promise<void>;
  warn(w: string): void;
}

const probeGpu = (run: TargetRun, image: string) =>
  timed(run.timings, "gpuProbe", () => checkGpuAvailable(run.deps.engine, image, run.planned.verifySettings.gpus, run.runId, NO_GPU_HELP));

/** The registry's answer per ref; after a finished push it also gives the compressed sizes. */
async function reportRegistry(run: TargetRun, finished: boolean): Promise<void> {
  const { result, plan, deps } = run;
  const image = result.image;
  if (!image) return;
  const answers = await (deps.readRegistryTags ?? readRegistryTags)(plan.refs, deps.env);
  result.registry = plan.refs.map((ref) => tagState(ref, answers.get(ref)!, image.id));
  for (const state of result.registry) {
    const answer = answers.get(state.ref);
    const record = result.push.find((r) => r.ref === state.ref);
    if (record && state.state === "this-image" && answer && !(answer instanceof Error) && answer.layers) {
      record.bytesUploaded = compressedBytesPushed(run.pushedLayers.get(state.ref) ?? [], { layers: run.image?.layers ?? [] }, answer.layers);
    }
    if (!record && state.state === "this-image" && state.manifestDigest) {
      // Cancelled or failed here, yet on the registry: never report less than it has.
      const { repository } = repositoryAndTag(state.ref);
      result.push.push({ ref: state.ref, digest: `${repository}@${state.manifestDigest}`, bytesUploaded: null, layersPushed: null, layersAlreadyPresent: null, attempts: null, reportedBy: "registry" });
      run.warn(`${state.ref}: this run's push ${finished ? "" : "did not finish here, but "}the registry's tag names this image (${state.manifestDigest})`);
    } else if (record && state.state !== "this-image") {
      run.warn(
        `${state.ref} was pushed by this run, but the registry's tag ${state.state === "another-image" ? `now names another image (${state.manifestDigest}): another push moved it` : state.state === "absent" ? "is gone" : `could not be read (${state.error})`}`,
      );
    } else if (!finished && state.state === "unknown") {
      run.warn(`${state.ref}: could not ask the registry what its tag names after the failed push (${state.error}); check it before relying on it`);
    }
  }
}

/**
 * The target's steps, in order. Each pushes onto the undo stack what undoes it (and the ledger
 * line naming what it would leave behind) before doing what that undoes. A new step is one entry here.
 */
export const TARGET_STEPS: readonly Step<TargetRun>[] = [
  {
    // Before any work: another run on this machine with one of these tags would race for it.
    name: "tag-lock",
    async run(run, undo) {
      const unlock = lockTags(run.plan.refs);
      undo.push({ always: unlock });
    },
  },
  {
    // Can the daemon give a container a GPU? A base already here answers before anything is
    // pulled or built; otherwise the freshly pulled base does (the step after resolve-base).
    name: "verify",
    when: (run) => !run.plan.verify.skipped,
    async run(run) {
      const { engine } = run.deps;
      await timed(run.timings, "preflight", () => preflightVerify(engine, run.planned.verifySettings, run.deps.repoRoot, run.deps.configDir));
      run.baseHere = run.needsGpu && (await engine.inspectImage(run.plan.base.ref)) !== undefined;
      if (run.baseHere) await probeGpu(run, run.plan.base.ref);
    },
  },
  {
    name: "resolve-base",
    async run(run) {
      const { plan } = run;
      const base = await timed(run.timings, "resolveBase", () => resolveBase(plan, run.deps));
      run.base = base;
      run.result.base = { ref: plan.base.ref, imageId: base.info.id, ...(base.digest ? { digest: base.digest } : {}), pulled: base.pulled };
      run.deps.logger.info(`base ${plan.base.ref}: ${base.digest ?? `image ${base.info.id}, no registry digest`}${base.pulled ? " (pulled)" : ""}`);
    },
  },
  {
    name: "verify",
    when: (run) => run.needsGpu && !run.baseHere,
    run: async (run) => void (await probeGpu(run, run.base!.info.id)),
  },
  {
    name: "build",
    async run(run, undo) {
      const { plan, deps, buildTag } = run;
      const { engine, logger } = deps;
      const base = run.base!;
      // Until the tag step drops it: the per-run tag (a build that did not finish the pipeline
      // leaves the image dangling, build cache, never tagged).
      let built = false;
      const perRunTag = undo.push({
        leftover: `the per-run image tag ${buildTag} (docker rmi ${buildTag}); a build step's container is removed by the daemon`,
        always: async () => {
          if (built) await engine.removeImage(buildTag).catch((e) => logger.warn(`could not remove ${buildTag}: ${errorMessage(e)}`));
        },
      });
      run.dropBuildTag = async () => {
        await engine.removeImage(buildTag);
        perRunTag.settle();
      };
      // The OCI base.digest label names a manifest a registry serves; a local-only base has none.
      const labels = { ...plan.labels, ...(base.digest ? { [BASE_DIGEST_LABEL]: base.digest } : {}) };
      logger.info(`building ${plan.target} (context sha256 ${plan.context.sha256.slice(0, 12)}, ${plan.patchSet.patches.length} patches)`);
      const build = await timed(run.timings, "build", () =>
        engine.buildImage(
          run.planned.context.tar,
          { dockerfile: plan.dockerfile, tag: buildTag, buildargs: { BASE_IMAGE: plan.base.ref }, labels, platform: plan.base.platform, noCache: plan.noCache },
          (ev) => logger.progress("build", ev),
          deps.signal,
        ),
      );
      built = true;
      const image = await engine.inspectImage(buildTag);
      if (!image) throw new StepError("build", `the build reported success but ${buildTag} does not exist`);
      run.image = image;
      if (build.imageId && !image.id.endsWith(build.imageId.replace(/^sha256:/, ""))) {
        throw new StepError("build", `the build stream reported image ${build.imageId} but ${buildTag} is ${image.id}`);
      }
      run.result.image = { id: image.id, refs: [], layers: image.layers.length, addedLayers: image.layers.length - base.info.layers.length, labels: image.labels };
    },
  },
  {
    name: "verify",
    async run(run, undo) {
      const { plan, result, deps } = run;
      if (plan.verify.skipped) {
        result.verify = { outcome: "skipped", mode: plan.verify.settings.mode, countsAsVerified: false, reason: "--skip-verify" };
        return;
      }
      const label = `${LABEL_PREFIX}.run=${run.runId}`;
      // Removed by the verify step itself, whatever happens; named while it runs.
      const container = undo.push({ leftover: `the verify container labelled ${label} (docker rm -f $(docker ps -aq --filter label=${label}))` });
      try {
        const outcome = await timed(run.timings, "verify", () =>
          runVerifyStep({
            engine: deps.engine,
            image: run.image!.id,
            settings: run.planned.verifySettings,
            baseDir: deps.configDir,
            repoRoot: deps.repoRoot,
            runId: run.runId,
            sglangVersion: plan.sglangVersion,
            onOutput: (text) => deps.logger.stream("verify", text),
            signal: deps.signal,
          }),
        );
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
      } catch (e) {
        result.verify = {
          outcome: "failed",
          mode: plan.verify.settings.mode,
          countsAsVerified: false,
          report: e instanceof VerifyFailedError ? e.report : undefined,
          reason: errorMessage(e),
          ...(e instanceof VerifyFailedError && e.gpu ? { gpu: e.gpu } : {}),
        };
        throw e;
      } finally {
        container.settle();
      }
    },
  },
  {
    name: "tag",
    async run(run, undo) {
      const { plan, result, deps } = run;
      const image = run.image!;
      const applied: AppliedTag[] = [];
      // Pushed first: a tag step cancelled part-way still puts back the tags it moved.
      const tags = undo.push({
        undo: async () => {
          if (applied.length === 0) return;
          result.tagsReverted = await revertTags(deps.engine, result.image?.id ?? "", applied, deps.logger);
          if (result.image) result.image.refs = [];
          for (const line of result.tagsReverted) deps.logger.info(`local tag ${line}`);
        },
      });
      await timed(run.timings, "tag", () => applyTags(deps.engine, image.id, plan.refs, applied));
      tags.describe(`the local tags ${plan.refs.join(", ")} now name ${image.id} (they were not put back)`);
      result.image!.refs = [...plan.refs];
      await run.dropBuildTag!();
    },
  },
  {
    name: "push",
    // After it the pushed images (and their local tags) stand, whatever a later step does.
    pivot: true,
    async run(run, undo) {
      const { plan, result, deps } = run;
      if (!plan.push.enabled) {
        result.pushSkippedReason = plan.push.reason;
        result.status = "built";
        deps.logger.info(`not pushing ${plan.target}: ${plan.push.reason}`);
        return;
      }
      const image = run.image!;
      const moves = tagMoves(plan.refs, deps.readRegistryTags ? await deps.readRegistryTags(plan.refs, deps.env) : await readRegistryTagsBeforePush(plan.refs, deps), image.id);
      if (moves.length > 0 && !plan.push.force) {
        throw new StepError("push", `refusing to move existing tags to other content: ${moves.join("; ")}. Push under a new tag, or pass --force to move them`, 2);
      }
      for (const m of moves) run.warn(`--force: moving ${m}`);
      // A push cannot be taken back; a failed one is reported as the registry sees it.
      undo.push({ undo: () => reportRegistry(run, false) });
      await timed(run.timings, "push", async () => {
        for (const ref of plan.refs) {
          const pushed = await pushRef(ref, deps);
          result.push.push(pushed.record);
          run.pushedLayers.set(ref, pushed.pushedLayerIds);
        }
      });
      await reportRegistry(run, true);
      result.status = "pushed";
    },
  },
  {
    name: "attest",
    when: (run) => run.result.status === "pushed" && run.deps.attest !== undefined,
    async run(run) {
      const { plan, result, deps } = run;
      const { builderVersion, ...settings } = deps.attest!;
      result.attestation = await timed(run.timings, "attest", () =>
        attestPushed({
          target: attestedTarget(result),
          upstream: run.planned.patchSet.upstream,
          builder: { version: builderVersion, revision: plan.labels["org.opencontainers.image.revision"] ?? "unknown", source: plan.labels["org.opencontainers.image.source"] ?? "unknown" },
          settings: { ...settings, push: plan.attest.push },
          logger: deps.logger,
          env: deps.env,
        }),
      );
    },
    // The images are pushed and stay so (their local tags too): only the attestation failed.
    asError: (e, run) => (run.deps.signal?.aborted ? stepError("attest", e, run.deps.signal) : e instanceof StepError ? e : new StepError("attest", errorMessage(e), 1, { cause: e })),
    // What was written (and attached) before the attach failed.
    onFailure: (err, run) => {
      if (err instanceof AttestFailedError) run.result.attestation = err.attestation;
    },
  },
];

export async function runTarget(planned: PlannedTarget, deps: RunDeps, steps: readonly Step<TargetRun>[] = TARGET_STEPS): Promise<TargetResult> {
  const { plan } = planned;
  // Prefixed by the CI job's name when the workflow sets one, so its cleanup step finds the build tag.
  const runId = newRunId(deps.env);
  const timings: Record<string, number> = {};
  const result: TargetResult = {
    target: plan.target,
    status: "failed",
    plan,
    verify: { outcome: "not-run", mode: plan.verify.settings.mode, countsAsVerified: false },
    push: [],
    timings,
  };
  const run: TargetRun = {
    planned,
    plan,
    deps,
    runId,
    buildTag: `sglang-image-patcher-build/${plan.target.toLowerCase().replace(/[^a-z0-9._-]/g, "-")}:${runId}`,
    result,
    timings,
    needsGpu: !plan.verify.skipped && planned.verifySettings.mode === "gpu",
    pushedLayers: new Map(),
    warn: (w) => {
      deps.logger.warn(w);
      (result.warnings ??= []).push(w);
    },
  };
  const started = performance.now();
  const undo = new UndoStack();
  const unfollow = deps.leftovers?.follow(undo) ?? (() => {});
  try {
    await runSteps(steps, run, undo, {
      asError: (step, e) => stepError(step.name, e, deps.signal),
      onFailure: (step, err, stack) => {
        // After the push a failure leaves the target pushed; before it, it failed or was cancelled.
        if (!stack.committed) result.status = err instanceof CancelledError ? "cancelled" : "failed";
        result.error = { step: step.name, message: err.message };
      },
      raise: (err) => new TargetFailedError(err, result),
      onEnd: () => void (timings.totalMs = Math.round(performance.now() - started)),
    });
  } finally {
    unfollow();
  }
  return result;
}
