/**
 * Runs a planned target: resolve base -> build -> verify -> tag -> push. Each step is timed and
 * fails on the first error; a failed or cancelled target leaves no tag of ours and pushes
 * nothing (the push is the last step, and only a verified image reaches it unless the user
 * said --push-unverified).
 */
import { randomBytes } from "node:crypto";
import type { Leftovers } from "../cancel.js";
import type { DockerEngine } from "../docker/engine.js";
import { ProgressStreamError } from "../docker/progress.js";
import { ENV_PASSWORD, ENV_USERNAME, resolveRegistryAuth } from "../docker/registry-auth.js";
import { CancelledError, StepError, UserError, errorMessage } from "../errors.js";
import { registryHost, repositoryAndTag } from "../image-ref.js";
import { BASE_DIGEST_LABEL, LABEL_PREFIX } from "../labels.js";
import type { Logger } from "../log.js";
import { DEFAULT_PUSH_RETRY, isAuthFailure, withRetry, type RetryPolicy } from "../retry.js";
import { preflightVerify, runVerifyStep, type VerifyOutcome } from "../verify/verify-step.js";
import type { PlannedTarget, TargetPlan } from "./plan.js";
import { resolveImage, type ResolvedImage } from "./resolve-image.js";

export interface PushRecord {
  ref: string;
  /** repo@sha256:... */
  digest: string;
  bytesUploaded: number;
  layersPushed: number;
  layersAlreadyPresent: number;
  attempts: number;
}

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
  };
  push: PushRecord[];
  pushSkippedReason?: string;
  timings: Record<string, number>;
  error?: { step: string; message: string };
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
  const runId = `${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
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
  // Until the finally below has run: the per-run tag (or the build that would create it).
  const buildLeft = track(`the per-run image tag ${buildTag} (docker rmi ${buildTag}); a build step's container is removed by the daemon`);
  try {
    if (!plan.verify.skipped) await timed(timings, "preflight", () => preflightVerify(engine, plan.verify.settings, deps.repoRoot, deps.configDir));
    step = "resolve-base";
    const base = await timed(timings, "resolveBase", () => resolveBase(plan, deps));
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
            settings: plan.verify.settings,
            baseDir: deps.configDir,
            repoRoot: deps.repoRoot,
            runId,
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
      };
    }

    step = "tag";
    await timed(timings, "tag", async () => {
      for (const ref of plan.refs) {
        const { repository, tag } = repositoryAndTag(ref);
        await engine.tagImage(image.id, repository, tag);
      }
    });
    result.image.refs = [...plan.refs];
    await engine.removeImage(buildTag);
    built = false;

    step = "push";
    if (!plan.push.enabled) {
      result.pushSkippedReason = plan.push.reason;
      result.status = "built";
      logger.info(`not pushing ${plan.target}: ${plan.push.reason}`);
    } else {
      await timed(timings, "push", async () => {
        for (const ref of plan.refs) result.push.push(await pushRef(ref, deps));
      });
      result.status = "pushed";
    }
    return result;
  } catch (e) {
    const err = stepError(step, e, signal);
    result.status = err instanceof CancelledError ? "cancelled" : "failed";
    result.error = { step, message: err.message };
    throw Object.assign(err, { result });
  } finally {
    if (built) {
      // The per-run tag of a build that did not finish the pipeline; dropping it leaves the
      // image dangling (build cache), never tagged.
      await engine.removeImage(buildTag).catch((e) => logger.warn(`could not remove ${buildTag}: ${errorMessage(e)}`));
    }
    buildLeft();
    timings.totalMs = Math.round(performance.now() - started);
  }
}

async function pushRef(ref: string, deps: RunDeps): Promise<PushRecord> {
  const { engine, logger, signal } = deps;
  const { repository: repo, tag } = repositoryAndTag(ref);
  const credentials = await resolveRegistryAuth(repo, deps.env);
  const auth = credentials?.auth;
  logger.info(`pushing ${ref}${credentials ? ` as ${auth?.username ?? "token"} (credentials from ${credentials.source})` : " (no credentials configured)"}`);
  try {
    const { value, attempts } = await withRetry(
      () => engine.pushImage(repo, tag, auth, (ev) => logger.progress("push", ev), signal),
      deps.pushRetry ?? DEFAULT_PUSH_RETRY,
      (attempt, e, delay) => logger.warn(`push of ${ref} failed (attempt ${attempt}: ${errorMessage(e).trim()}); retrying in ${Math.round(delay / 1000)} s`),
      signal,
    );
    if (!value.digest) throw new StepError("push", `the daemon finished pushing ${ref} without reporting a digest`);
    logger.info(`pushed ${repo}@${value.digest}`);
    return {
      ref,
      digest: `${repo}@${value.digest}`,
      bytesUploaded: value.bytesUploaded,
      layersPushed: value.layersPushed.length,
      layersAlreadyPresent: value.layersAlreadyPresent.length,
      attempts,
    };
  } catch (e) {
    if (signal?.aborted) throw e;
    const msg = errorMessage(e).trim();
    if (isAuthFailure(msg)) {
      throw new StepError(
        "push",
        `registry ${registryHost(repo)} refused authentication for ${ref} (${msg}). Log in with \`docker login ${registryHost(repo)}\` or set ${ENV_USERNAME} and ${ENV_PASSWORD}.`,
      );
    }
    throw new StepError("push", `pushing ${ref} failed: ${msg}`);
  }
}

