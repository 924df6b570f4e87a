import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  BUILD_IMAGE_HELP,
  parseBuildImageArgs
} from "./chunk-DGXOVYEA.js";
import {
  BASE_DIGEST_LABEL,
  ENV_PASSWORD,
  ENV_USERNAME,
  LABEL_PREFIX,
  REPO_ROOT,
  checkCliOptions,
  createLogger,
  exitCodeFor,
  installCancellation,
  loadConfig,
  planTarget,
  preflightVerify,
  printResult,
  reportError,
  resolveImage,
  resolveRegistryAuth,
  runVerifyStep,
  selectTargets
} from "./chunk-YZS33HMO.js";
import {
  ProgressStreamError
} from "./chunk-HLQ2WBFM.js";
import {
  registryHost,
  repositoryAndTag
} from "./chunk-TGLA5772.js";
import {
  CancelledError,
  ConfigError,
  StepError,
  UserError,
  errorMessage
} from "./chunk-BKJ4SD3D.js";

// src/pipeline/run.ts
import { randomBytes } from "node:crypto";

// src/retry.ts
var DEFAULT_PUSH_RETRY = { attempts: 4, initialDelayMs: 2e3, maxDelayMs: 3e4 };
var TRANSIENT = [
  /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|socket hang up/i,
  /connection refused|connection reset|i\/o timeout|timeout exceeded|TLS handshake timeout|unexpected EOF|broken pipe/i,
  /\b(500|502|503|504)\b|Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout|too many requests|\b429\b/i,
  /blob upload unknown|blob upload invalid/i
];
var PERMANENT = /unauthorized|authentication required|denied|no basic auth credentials|forbidden|\b401\b|\b403\b/i;
function isTransient(message) {
  if (PERMANENT.test(message)) return false;
  return TRANSIENT.some((re) => re.test(message));
}
function isAuthFailure(message) {
  return PERMANENT.test(message);
}
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new CancelledError());
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason ?? new CancelledError());
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
async function withRetry(fn, policy, onRetry, signal) {
  let delay = policy.initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await fn(attempt), attempts: attempt };
    } catch (e) {
      if (signal?.aborted) throw signal.reason ?? e;
      const message = e instanceof Error ? e.message : String(e);
      if (!isTransient(message)) throw e;
      if (attempt >= policy.attempts) {
        if (e instanceof Error) e.message = `${e.message} (gave up after ${attempt} attempts)`;
        throw e;
      }
      onRetry(attempt, e, delay);
      await sleep(delay, signal);
      delay = Math.min(policy.maxDelayMs, delay * 2);
    }
  }
}

// src/pipeline/run.ts
async function timed(timings, step, fn) {
  const start = performance.now();
  try {
    return await fn();
  } finally {
    timings[`${step}Ms`] = Math.round(performance.now() - start);
  }
}
var IN_IMAGE_ERROR = "apply-patchset: ERROR: ";
function stepError(step, e, signal) {
  if (signal?.aborted) return signal.reason instanceof Error ? signal.reason : new CancelledError();
  if (e instanceof StepError || e instanceof UserError || e instanceof CancelledError) return e;
  if (e instanceof ProgressStreamError) {
    const output = e.tail.join("\n");
    const at = output.indexOf(IN_IMAGE_ERROR);
    if (at >= 0) {
      const explanation = output.slice(at + IN_IMAGE_ERROR.length).split("\n").filter((l) => l.trim() !== "" && !/^apply-patchset: (sglang at|all \d+ patches)/.test(l) && !/^Removing intermediate container/.test(l)).join("\n  ");
      return new StepError(step, explanation, 2);
    }
    if (e.tail.length) return new StepError(step, `${errorMessage(e)}
  last output:
    ${e.tail.slice(-8).join("\n    ")}`);
  }
  return new StepError(step, errorMessage(e));
}
async function resolveBase(plan, deps) {
  const base = await resolveImage({
    ref: plan.base.ref,
    platform: plan.base.platform,
    pinnedDigest: plan.base.pinnedDigest,
    step: "resolve-base",
    what: "base image",
    engine: deps.engine,
    logger: deps.logger,
    env: deps.env,
    signal: deps.signal
  });
  checkPlatform(plan, base.info);
  return base;
}
function checkPlatform(plan, info) {
  if (!plan.base.platform) return;
  const [os, arch] = plan.base.platform.split("/");
  if (info.os === os && info.architecture === arch) return;
  throw new StepError(
    "resolve-base",
    `base image ${plan.base.ref} is ${info.os}/${info.architecture}, but target ${plan.target} is for ${plan.base.platform} (its platform); use a ${plan.base.platform} base (e.g. the target of that architecture) or --base with one`,
    2
  );
}
async function runTarget(planned, deps) {
  const { plan, context } = planned;
  const { engine, logger, signal } = deps;
  const runId = `${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
  const buildTag = `sglang-image-patcher-build/${plan.target.toLowerCase().replace(/[^a-z0-9._-]/g, "-")}:${runId}`;
  const timings = {};
  const result = {
    target: plan.target,
    status: "failed",
    plan,
    verify: { outcome: "not-run", mode: plan.verify.settings.mode, countsAsVerified: false },
    push: [],
    timings
  };
  const started = performance.now();
  let step = "verify";
  let built = false;
  const track = (what) => deps.leftovers?.add(what) ?? (() => {
  });
  const buildLeft = track(`the per-run image tag ${buildTag} (docker rmi ${buildTag}); a build step's container is removed by the daemon`);
  try {
    if (!plan.verify.skipped) await timed(timings, "preflight", () => preflightVerify(engine, plan.verify.settings, deps.repoRoot, deps.configDir));
    step = "resolve-base";
    const base = await timed(timings, "resolveBase", () => resolveBase(plan, deps));
    result.base = { ref: plan.base.ref, imageId: base.info.id, ...base.digest ? { digest: base.digest } : {}, pulled: base.pulled };
    logger.info(`base ${plan.base.ref}: ${base.digest ?? `image ${base.info.id}, no registry digest`}${base.pulled ? " (pulled)" : ""}`);
    step = "build";
    const labels = { ...plan.labels, ...base.digest ? { [BASE_DIGEST_LABEL]: base.digest } : {} };
    logger.info(`building ${plan.target} (context sha256 ${plan.context.sha256.slice(0, 12)}, ${plan.patchSet.patches.length} patches)`);
    const build = await timed(
      timings,
      "build",
      () => engine.buildImage(
        context.tar,
        { dockerfile: plan.dockerfile, tag: buildTag, buildargs: { BASE_IMAGE: plan.base.ref }, labels, platform: plan.base.platform, noCache: plan.noCache },
        (ev) => logger.progress("build", ev),
        signal
      )
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
      labels: image.labels
    };
    step = "verify";
    if (plan.verify.skipped) {
      result.verify = { outcome: "skipped", mode: plan.verify.settings.mode, countsAsVerified: false, reason: "--skip-verify" };
    } else {
      let outcome;
      const label = `${LABEL_PREFIX}.run=${runId}`;
      const verifyLeft = track(`the verify container labelled ${label} (docker rm -f $(docker ps -aq --filter label=${label}))`);
      try {
        outcome = await timed(
          timings,
          "verify",
          () => runVerifyStep({
            engine,
            image: image.id,
            settings: plan.verify.settings,
            baseDir: deps.configDir,
            repoRoot: deps.repoRoot,
            runId,
            onOutput: (text) => logger.stream("verify", text),
            signal
          })
        );
      } catch (e) {
        result.verify = {
          outcome: "failed",
          mode: plan.verify.settings.mode,
          countsAsVerified: false,
          report: e.report,
          reason: errorMessage(e)
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
        durationMs: outcome.durationMs
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
      await engine.removeImage(buildTag).catch((e) => logger.warn(`could not remove ${buildTag}: ${errorMessage(e)}`));
    }
    buildLeft();
    timings.totalMs = Math.round(performance.now() - started);
  }
}
async function pushRef(ref, deps) {
  const { engine, logger, signal } = deps;
  const { repository: repo, tag } = repositoryAndTag(ref);
  const credentials = await resolveRegistryAuth(repo, deps.env);
  const auth = credentials?.auth;
  logger.info(`pushing ${ref}${credentials ? ` as ${auth?.username ?? "token"} (credentials from ${credentials.source})` : " (no credentials configured)"}`);
  try {
    const { value, attempts } = await withRetry(
      () => engine.pushImage(repo, tag, auth, (ev) => logger.progress("push", ev), signal),
      deps.pushRetry ?? DEFAULT_PUSH_RETRY,
      (attempt, e, delay) => logger.warn(`push of ${ref} failed (attempt ${attempt}: ${errorMessage(e).trim()}); retrying in ${Math.round(delay / 1e3)} s`),
      signal
    );
    if (!value.digest) throw new StepError("push", `the daemon finished pushing ${ref} without reporting a digest`);
    logger.info(`pushed ${repo}@${value.digest}`);
    return {
      ref,
      digest: `${repo}@${value.digest}`,
      bytesUploaded: value.bytesUploaded,
      layersPushed: value.layersPushed.length,
      layersAlreadyPresent: value.layersAlreadyPresent.length,
      attempts
    };
  } catch (e) {
    if (signal?.aborted) throw e;
    const msg = errorMessage(e).trim();
    if (isAuthFailure(msg)) {
      throw new StepError(
        "push",
        `registry ${registryHost(repo)} refused authentication for ${ref} (${msg}). Log in with \`docker login ${registryHost(repo)}\` or set ${ENV_USERNAME} and ${ENV_PASSWORD}.`
      );
    }
    throw new StepError("push", `pushing ${ref} failed: ${msg}`);
  }
}

// src/provenance.ts
import { execFileSync } from "node:child_process";
function git(repoRoot, args) {
  try {
    return execFileSync("git", ["-C", repoRoot, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() || void 0;
  } catch {
    return void 0;
  }
}
function readProvenance(repoRoot, source, env = process.env) {
  const revision = git(repoRoot, ["rev-parse", "HEAD"]) ?? "unknown";
  const epoch = env.SOURCE_DATE_EPOCH;
  let created;
  if (epoch !== void 0 && /^\d+$/.test(epoch)) created = new Date(Number(epoch) * 1e3).toISOString();
  else {
    const commitTime = git(repoRoot, ["log", "-1", "--format=%ct"]);
    created = new Date(commitTime ? Number(commitTime) * 1e3 : Date.now()).toISOString();
  }
  return {
    source: source ?? git(repoRoot, ["remote", "get-url", "origin"]) ?? "unknown",
    revision,
    created
  };
}

// src/cli/build-image.ts
async function buildImage(argv) {
  const logger = createLogger();
  const startedAt = (/* @__PURE__ */ new Date()).toISOString();
  const results = [];
  let configFile;
  const cancel = installCancellation((m) => logger.warn(m), {
    // Even an impatient exit leaves one JSON result on stdout, naming what it left behind.
    onForcedExit: (leftBehind) => printResult({
      ok: false,
      dryRun: false,
      config: configFile,
      startedAt,
      targets: results,
      error: { message: "cancelled; exited at a second Ctrl-C before the cleanup finished", exitCode: 130, leftBehind }
    })
  });
  try {
    const args = parseBuildImageArgs(argv);
    if (args.help) {
      process.stdout.write(BUILD_IMAGE_HELP);
      return 0;
    }
    checkCliOptions(args);
    configFile = args.config;
    const config = await loadConfig(args.config);
    const targets = selectTargets(config, args.targets);
    if (targets.length > 1 && (args.tags.length > 0 || args.base !== void 0)) {
      throw new UserError(`--tag and --base apply to one target at a time; ${targets.length} targets are selected (${targets.map((t) => t.name).join(", ")})`);
    }
    const provenance = readProvenance(REPO_ROOT, config.source);
    const planned = [];
    for (const t of targets) planned.push(await planTarget(config, t, args, REPO_ROOT, provenance));
    for (const w of planned.flatMap((p) => p.plan.warnings)) logger.warn(w);
    if (args.dryRun) {
      printResult({ ok: true, dryRun: true, config: args.config, provenance, targets: planned.map((p) => p.plan) });
      return 0;
    }
    const { DockerodeEngine } = await import("./engine-5KDDNG6R.js");
    const engine = new DockerodeEngine();
    await engine.ping();
    for (const p of planned) {
      results.push(await runTarget(p, { engine, logger, repoRoot: REPO_ROOT, configDir: config.dir, signal: cancel.signal, leftovers: cancel.leftovers }));
    }
    printResult({ ok: true, dryRun: false, config: args.config, startedAt, provenance, targets: results });
    return 0;
  } catch (e) {
    const failed = e.result;
    if (failed) results.push(failed);
    reportError(e);
    printResult({
      ok: false,
      dryRun: false,
      config: configFile,
      startedAt,
      targets: results,
      error: {
        message: errorMessage(e),
        exitCode: exitCodeFor(e),
        ...e instanceof ConfigError ? { problems: e.problems } : {}
      }
    });
    return exitCodeFor(e);
  } finally {
    cancel.dispose();
  }
}
export {
  buildImage
};
