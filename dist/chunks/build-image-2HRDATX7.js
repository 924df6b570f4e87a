import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  findAttestations
} from "./chunk-LXUZCJ36.js";
import {
  NO_GPU_HELP,
  checkCliOptions,
  checkGpuAvailable,
  installCancellation,
  planTarget,
  preflightVerify,
  resolveImage,
  runVerifyStep,
  selectTargets
} from "./chunk-MF5SX4MJ.js";
import {
  BASE_DIGEST_LABEL,
  LABEL_PREFIX,
  newRunId
} from "./chunk-UT77QPIQ.js";
import {
  readProvenance
} from "./chunk-H2LRGXZ3.js";
import {
  readSigningKeyFile
} from "./chunk-AGASZDDO.js";
import {
  REPO_ROOT
} from "./chunk-HFOA7Y4D.js";
import {
  createLogger,
  loadConfig
} from "./chunk-KKWMKSYZ.js";
import {
  exitCodeFor,
  printResult,
  reportError
} from "./chunk-JCS6RWPE.js";
import {
  BUILD_IMAGE_HELP,
  parseBuildImageArgs
} from "./chunk-Q64DR4EN.js";
import "./chunk-NHCFDP4K.js";
import "./chunk-BZ5EBXJ5.js";
import {
  ProgressStreamError
} from "./chunk-LRJ6VPQL.js";
import {
  IN_TOTO_MEDIA_TYPE,
  PREDICATE_TYPE,
  attachAttestation,
  buildStatement,
  signStatement
} from "./chunk-2NBR4ABL.js";
import {
  readRegistryTag
} from "./chunk-LHFICXII.js";
import {
  ENV_PASSWORD,
  ENV_USERNAME,
  resolveRegistryAuth
} from "./chunk-YKZH4FPT.js";
import {
  canonicalRepository,
  registryHost,
  repositoryAndTag
} from "./chunk-F7NKY5RN.js";
import {
  CancelledError,
  ConfigError,
  StepError,
  UserError,
  errorMessage
} from "./chunk-XZ5HVHTB.js";
import "./chunk-U4OZQXGD.js";

// src/cli/build-image.ts
import { readFileSync as readFileSync2 } from "node:fs";
import path3 from "node:path";

// src/attest/attest-step.ts
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
async function attestPushed(input) {
  const { result, settings, logger } = input;
  const statement = buildStatement({ result, upstream: input.upstream, builder: input.builder });
  const statementBytes = Buffer.from(JSON.stringify(statement));
  const name = result.target.replace(/[^A-Za-z0-9._-]/g, "-");
  await mkdir(settings.dir, { recursive: true });
  const statementFile = path.join(settings.dir, `${name}.intoto.json`);
  await writeFile(statementFile, `${JSON.stringify(statement, null, 2)}
`);
  const bundle = settings.signingKey ? signStatement(statementBytes, IN_TOTO_MEDIA_TYPE, settings.signingKey) : void 0;
  let bundleFile;
  if (bundle) {
    bundleFile = path.join(settings.dir, `${name}.sigstore.json`);
    await writeFile(bundleFile, `${JSON.stringify(bundle)}
`);
  }
  const attestation = {
    predicateType: PREDICATE_TYPE,
    signed: Boolean(bundle),
    signature: bundle ? `DSSE envelope in a Sigstore bundle, signed with the key ${settings.signingKey.hint} (no transparency log)` : "unsigned: give --sign-key to sign it (the GitHub workflow signs keyless)",
    statementFile,
    ...bundleFile ? { bundleFile } : {},
    statement,
    pushed: []
  };
  logger.info(`attestation for ${result.target}: ${statementFile} (${attestation.signed ? "signed" : "unsigned"}, verify ${result.verify.outcome} in mode ${result.verify.mode})`);
  if (!settings.push) return attestation;
  const content = bundle ? Buffer.from(JSON.stringify(bundle)) : statementBytes;
  for (const subject of statement.subject) {
    const digest = `sha256:${subject.digest.sha256}`;
    try {
      const credentials = await resolveRegistryAuth(subject.name, input.env);
      const attached = await attachAttestation({ repository: subject.name, imageDigest: digest, content, signed: Boolean(bundle), predicateType: PREDICATE_TYPE, auth: credentials?.auth });
      const found = await findAttestations({ repository: subject.name, auth: credentials?.auth }, digest, PREDICATE_TYPE);
      if (!found.attestations.some((a) => a.digest === attached.digest)) {
        throw new Error(`the registry does not list the attestation ${attached.digest} among the referrers of ${digest} (found by ${found.foundBy})`);
      }
      attestation.pushed.push({ repository: subject.name, subject: digest, artifactDigest: attached.digest, mediaType: attached.mediaType, foundBy: found.foundBy });
      logger.info(`attached the attestation to ${subject.name}@${digest} as ${attached.digest} (readers find it through the ${found.foundBy})`);
    } catch (e) {
      throw Object.assign(new StepError("attest", `attaching the attestation to ${subject.name}@${digest} failed: ${errorMessage(e)}`), { attestation });
    }
  }
  return attestation;
}

// src/pipeline/local-tags.ts
async function applyTags(engine, imageId, refs, applied) {
  for (const ref of refs) {
    const previous = await engine.inspectImage(ref);
    const { repository, tag } = repositoryAndTag(ref);
    await engine.tagImage(imageId, repository, tag);
    applied.push({ ref, ...previous && previous.id !== imageId ? { previousId: previous.id } : previous ? { previousId: imageId } : {} });
  }
}
async function revertTags(engine, imageId, applied, logger) {
  const done = [];
  for (const { ref, previousId } of [...applied].reverse()) {
    const { repository, tag } = repositoryAndTag(ref);
    try {
      if (previousId === imageId) continue;
      if (previousId) {
        await engine.tagImage(previousId, repository, tag);
        done.push(`${ref}: moved back to ${previousId}`);
      } else {
        await engine.removeImage(ref);
        done.push(`${ref}: removed (it did not exist before this run)`);
      }
    } catch (e) {
      const line = `${ref}: could not be put back (${errorMessage(e)}); it still names ${imageId}`;
      logger.warn(line);
      done.push(line);
    }
  }
  return done;
}

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

// src/pipeline/push.ts
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
      record: {
        ref,
        digest: `${repo}@${value.digest}`,
        bytesUploaded: null,
        layersPushed: value.layersPushed.length,
        layersAlreadyPresent: value.layersAlreadyPresent.length,
        attempts,
        reportedBy: "daemon"
      },
      pushedLayerIds: value.layersPushed
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
async function readRegistryTagsBeforePush(refs, deps) {
  const out = /* @__PURE__ */ new Map();
  for (const ref of refs) {
    try {
      const { value } = await withRetry(
        async () => {
          const answer = (await readRegistryTags([ref], deps.env)).get(ref);
          if (answer instanceof Error && isTransient(describeError(answer))) throw new Error(describeError(answer));
          return answer ?? new Error("not asked");
        },
        deps.pushRetry ?? DEFAULT_PUSH_RETRY,
        (attempt, e, delay) => deps.logger.warn(`reading the registry's tag ${ref} failed (attempt ${attempt}: ${errorMessage(e).trim()}); retrying in ${Math.round(delay / 1e3)} s`),
        deps.signal
      );
      out.set(ref, value);
    } catch (e) {
      if (deps.signal?.aborted) throw e;
      throw new StepError("push", `pushing ${ref} failed: its tag on the registry could not be read before the push: ${errorMessage(e).trim()}`);
    }
  }
  return out;
}
function describeError(e) {
  const parts = [e.message];
  for (let c = e.cause, depth = 0; c instanceof Error && depth < 3; c = c.cause, depth++) parts.push(c.message);
  return parts.join(": ");
}
async function readRegistryTags(refs, env) {
  const out = /* @__PURE__ */ new Map();
  for (const ref of refs) {
    try {
      const credentials = await resolveRegistryAuth(repositoryAndTag(ref).repository, env);
      out.set(ref, await readRegistryTag(ref, { auth: credentials?.auth }));
    } catch (e) {
      out.set(ref, e instanceof Error ? e : new Error(String(e)));
    }
  }
  return out;
}
function tagState(ref, answer, imageId) {
  if (answer instanceof Error) return { ref, state: "unknown", error: answer.message };
  if (!answer.present) return { ref, state: "absent" };
  return { ref, state: answer.configDigest === imageId ? "this-image" : "another-image", ...answer.manifestDigest ? { manifestDigest: answer.manifestDigest } : {} };
}
function compressedBytesPushed(pushedLayerIds, image, manifestLayers) {
  if (manifestLayers.length !== image.layers.length) return null;
  let total = 0;
  for (const id of pushedLayerIds) {
    const index = image.layers.findIndex((diffId) => diffId.replace(/^sha256:/, "").startsWith(id));
    if (index < 0) return null;
    total += manifestLayers[index].size;
  }
  return total;
}
var READ_REFUSED_CREDENTIALS = /HTTP 40[13]\b|wants a login|token service answered HTTP 40[13]/;
function tagMoves(refs, answers, imageId) {
  const moves = [];
  for (const ref of refs) {
    const state = tagState(ref, answers.get(ref) ?? new Error("not asked"), imageId);
    if (state.state === "another-image") moves.push(`${ref} names ${state.manifestDigest ?? "another image"}`);
    else if (state.state === "unknown" && !READ_REFUSED_CREDENTIALS.test(state.error ?? "")) moves.push(`${ref} could not be read (${state.error})`);
  }
  return moves;
}

// src/pipeline/tag-lock.ts
import { createHash } from "node:crypto";
import { closeSync, constants, linkSync, lstatSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path2 from "node:path";
var uid = () => process.getuid?.() ?? -1;
function defaultLockDir(tmp = os.tmpdir()) {
  return path2.join(tmp, `sglang-image-patcher-locks-${uid()}`);
}
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}
function lockFile(dir, ref) {
  const { repository, tag } = repositoryAndTag(ref);
  const key = `${canonicalRepository(repository)}:${tag}`;
  return path2.join(dir, `${createHash("sha256").update(key).digest("hex").slice(0, 32)}.lock`);
}
function readOwner(file) {
  let fd;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return void 0;
  }
  try {
    return JSON.parse(readFileSync(fd, "utf8"));
  } catch {
    return void 0;
  } finally {
    closeSync(fd);
  }
}
function ensureLockDir(dir) {
  const fix = `remove it (or point TMPDIR elsewhere) and run again`;
  try {
    mkdirSync(dir, { recursive: true, mode: 448 });
  } catch (e) {
    const code = e.code;
    if (code !== "EEXIST") throw new UserError(`cannot create the tag-lock folder ${dir} (${code ?? String(e)}); point TMPDIR at a folder you can write to`);
  }
  const st = lstatSync(dir);
  if (st.isSymbolicLink() || !st.isDirectory()) throw new UserError(`the tag-lock folder ${dir} is ${st.isSymbolicLink() ? "a symlink" : "not a folder"}; ${fix}`);
  if (uid() >= 0 && st.uid !== uid())
    throw new UserError(`the tag-lock folder ${dir} belongs to uid ${st.uid}, not to you (uid ${uid()}); another user made it, so its locks cannot be trusted: ${fix}`);
  if ((st.mode & 63) !== 0)
    throw new UserError(`the tag-lock folder ${dir} has mode ${(st.mode & 511).toString(8).padStart(4, "0")}, open to other users; it must be 0700: chmod 700 it, or ${fix}`);
}
function writeDraft(draft, content) {
  try {
    writeFileSync(draft, content, { flag: "wx", mode: 384 });
  } catch (e) {
    if (e.code !== "EEXIST") throw e;
    unlinkSync(draft);
    writeFileSync(draft, content, { flag: "wx", mode: 384 });
  }
}
function lockTags(refs, dir = defaultLockDir()) {
  ensureLockDir(dir);
  const held = [];
  const release = () => {
    for (const file of held.splice(0)) {
      if (readOwner(file)?.pid === process.pid) {
        try {
          unlinkSync(file);
        } catch {
        }
      }
    }
  };
  try {
    for (const ref of refs) {
      const file = lockFile(dir, ref);
      for (let tries = 0; ; tries++) {
        const draft = `${file}.${process.pid}.tmp`;
        writeDraft(draft, JSON.stringify({ pid: process.pid, ref, since: (/* @__PURE__ */ new Date()).toISOString() }));
        try {
          linkSync(draft, file);
          held.push(file);
          break;
        } catch (e) {
          if (e.code !== "EEXIST" || tries > 2) throw e;
        } finally {
          unlinkSync(draft);
        }
        const owner = readOwner(file);
        if (owner && owner.pid !== process.pid && alive(owner.pid)) {
          throw new UserError(
            `another build-image run (pid ${owner.pid}, since ${owner.since}) is building ${ref}; two runs with one tag would race for it (the tag ends at whichever pushes last). Wait for that run, or use another tag. (lock: ${file})`
          );
        }
        try {
          unlinkSync(file);
        } catch {
        }
      }
    }
  } catch (e) {
    release();
    throw e;
  }
  return release;
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
  const [os2, arch] = plan.base.platform.split("/");
  if (info.os === os2 && info.architecture === arch) return;
  throw new StepError(
    "resolve-base",
    `base image ${plan.base.ref} is ${info.os}/${info.architecture}, but target ${plan.target} is for ${plan.base.platform} (its platform); use a ${plan.base.platform} base (e.g. the target of that architecture) or --base with one`,
    2
  );
}
async function runTarget(planned, deps) {
  const { plan, context } = planned;
  const { engine, logger, signal } = deps;
  const runId = newRunId(deps.env);
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
  const applied = [];
  let releaseTags = () => {
  };
  let pushing = false;
  let unlock = () => {
  };
  let imageLayers = [];
  const pushedLayers = /* @__PURE__ */ new Map();
  const warn = (w) => {
    logger.warn(w);
    (result.warnings ??= []).push(w);
  };
  const reportRegistry = async (finished) => {
    const image = result.image;
    if (!image) return;
    const answers = await (deps.readRegistryTags ?? readRegistryTags)(plan.refs, deps.env);
    result.registry = plan.refs.map((ref) => tagState(ref, answers.get(ref), image.id));
    for (const state of result.registry) {
      const answer = answers.get(state.ref);
      const record = result.push.find((r) => r.ref === state.ref);
      if (record && state.state === "this-image" && answer && !(answer instanceof Error) && answer.layers) {
        record.bytesUploaded = compressedBytesPushed(pushedLayers.get(state.ref) ?? [], { layers: imageLayers }, answer.layers);
      }
      if (!record && state.state === "this-image" && state.manifestDigest) {
        const { repository } = repositoryAndTag(state.ref);
        result.push.push({ ref: state.ref, digest: `${repository}@${state.manifestDigest}`, bytesUploaded: null, layersPushed: null, layersAlreadyPresent: null, attempts: null, reportedBy: "registry" });
        warn(`${state.ref}: this run's push ${finished ? "" : "did not finish here, but "}the registry's tag names this image (${state.manifestDigest})`);
      } else if (record && state.state !== "this-image") {
        warn(
          `${state.ref} was pushed by this run, but the registry's tag ${state.state === "another-image" ? `now names another image (${state.manifestDigest}): another push moved it` : state.state === "absent" ? "is gone" : `could not be read (${state.error})`}`
        );
      } else if (!finished && state.state === "unknown") {
        warn(`${state.ref}: could not ask the registry what its tag names after the failed push (${state.error}); check it before relying on it`);
      }
    }
  };
  const buildLeft = track(`the per-run image tag ${buildTag} (docker rmi ${buildTag}); a build step's container is removed by the daemon`);
  try {
    step = "tag-lock";
    unlock = lockTags(plan.refs);
    step = "verify";
    const settings = planned.verifySettings;
    const probeGpu = async (image2) => timed(timings, "gpuProbe", () => checkGpuAvailable(engine, image2, settings.gpus, runId, NO_GPU_HELP));
    const needsGpu = !plan.verify.skipped && settings.mode === "gpu";
    if (!plan.verify.skipped) await timed(timings, "preflight", () => preflightVerify(engine, settings, deps.repoRoot, deps.configDir));
    const baseHere = needsGpu && await engine.inspectImage(plan.base.ref) !== void 0;
    if (baseHere) await probeGpu(plan.base.ref);
    step = "resolve-base";
    const base = await timed(timings, "resolveBase", () => resolveBase(plan, deps));
    if (needsGpu && !baseHere) {
      step = "verify";
      await probeGpu(base.info.id);
    }
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
    imageLayers = image.layers;
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
            settings: planned.verifySettings,
            baseDir: deps.configDir,
            repoRoot: deps.repoRoot,
            runId,
            sglangVersion: plan.sglangVersion,
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
          reason: errorMessage(e),
          ...e.gpu ? { gpu: e.gpu } : {}
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
        ...outcome.gpu ? { gpu: outcome.gpu } : {},
        suite: outcome.suite,
        skippedChecks: outcome.skippedChecks
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
      const { builderVersion: builderVersion2, ...settings2 } = deps.attest;
      result.attestation = await timed(
        timings,
        "attest",
        () => attestPushed({
          result,
          upstream: planned.patchSet.upstream,
          builder: { version: builderVersion2, revision: plan.labels["org.opencontainers.image.revision"] ?? "unknown", source: plan.labels["org.opencontainers.image.source"] ?? "unknown" },
          settings: { ...settings2, push: plan.attest.push },
          logger,
          env: deps.env
        })
      );
    }
    return result;
  } catch (e) {
    if (step === "attest") {
      const err2 = signal?.aborted ? stepError(step, e, signal) : e instanceof StepError ? e : new StepError("attest", errorMessage(e));
      result.error = { step, message: err2.message };
      const partial = e.attestation;
      if (partial) result.attestation = partial;
      throw Object.assign(err2, { result });
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
      await engine.removeImage(buildTag).catch((e) => logger.warn(`could not remove ${buildTag}: ${errorMessage(e)}`));
    }
    buildLeft();
    timings.totalMs = Math.round(performance.now() - started);
  }
}

// src/cli/build-image.ts
async function buildImage(argv) {
  const logger = createLogger();
  const startedAt = (/* @__PURE__ */ new Date()).toISOString();
  const results = [];
  let configFile;
  let dryRun = false;
  const printFailure = (error) => printResult({ ok: false, dryRun, config: configFile, startedAt, targets: results, error });
  const cancel = installCancellation((m) => logger.warn(m), {
    // Even an impatient exit leaves one JSON result on stdout, naming what it left behind.
    onForcedExit: (leftBehind) => printFailure({ message: "cancelled; exited at a second Ctrl-C before the cleanup finished", exitCode: 130, leftBehind })
  });
  try {
    const args = parseBuildImageArgs(argv);
    if (args.help) {
      process.stdout.write(BUILD_IMAGE_HELP);
      return 0;
    }
    checkCliOptions(args);
    configFile = args.config;
    dryRun = args.dryRun;
    const signingKey = args.signKey !== void 0 ? await readSigningKeyFile(args.signKey) : void 0;
    const config = await loadConfig(args.config);
    const targets = selectTargets(config, args.targets, { releases: args.releases, all: args.all });
    if (targets.length > 1 && (args.tags.length > 0 || args.base !== void 0)) {
      throw new UserError(`--tag and --base apply to one target at a time; ${targets.length} targets are selected (${targets.map((t) => t.name).join(", ")})`);
    }
    const provenance = readProvenance(REPO_ROOT, config.source);
    const planned = [];
    for (const t of targets) planned.push(await planTarget(config, t, args, REPO_ROOT, provenance));
    for (const w of planned.flatMap((p) => p.plan.warnings)) logger.warn(w);
    if (args.dryRun) {
      const plannedNames = new Set(planned.map((p) => p.plan.target));
      const indexes2 = [...config.indexes.values()].filter((i) => i.targets.every((t) => plannedNames.has(t)));
      printResult({ ok: true, dryRun: true, config: args.config, provenance, releases: releaseSummary(config, planned), targets: planned.map((p) => p.plan), indexes: indexes2 });
      return 0;
    }
    const { DockerodeEngine } = await import("./engine-R4ZXEFBU.js");
    const engine = new DockerodeEngine();
    await engine.ping();
    for (const p of planned) {
      const attest = { dir: path3.resolve(args.attestationDir), builderVersion: builderVersion(), ...signingKey ? { signingKey } : {} };
      results.push(await runTarget(p, { engine, logger, repoRoot: REPO_ROOT, configDir: config.dir, signal: cancel.signal, leftovers: cancel.leftovers, attest }));
    }
    const { indexesOfRun } = await import("./make-index-B7LZNW5R.js");
    const indexes = await indexesOfRun(config, results, {
      force: Boolean(args.force),
      attest: { dir: path3.resolve(args.attestationDir), ...signingKey ? { signingKey } : {}, builder: { version: builderVersion(), revision: provenance.revision, source: provenance.source } },
      logger
    });
    const failedIndex = indexes.find((i) => i.status === "failed");
    if (failedIndex) {
      logger.warn(`index ${failedIndex.tag}: ${failedIndex.reason}`);
      printResult({ ok: false, dryRun: false, config: args.config, startedAt, provenance, targets: results, indexes, error: { message: `index ${failedIndex.tag}: ${failedIndex.reason}`, exitCode: 1 } });
      return 1;
    }
    printResult({ ok: true, dryRun: false, config: args.config, startedAt, provenance, targets: results, ...indexes.length ? { indexes } : {} });
    return 0;
  } catch (e) {
    const failed = e.result;
    if (failed) results.push(failed);
    reportError(e);
    printFailure({
      message: errorMessage(e),
      exitCode: exitCodeFor(e),
      ...e instanceof ConfigError ? { problems: e.problems } : {}
    });
    return exitCodeFor(e);
  } finally {
    cancel.dispose();
  }
}
function releaseSummary(config, planned) {
  const plannedNames = new Set(planned.map((p) => p.plan.target));
  return [...config.releases.values()].map((r) => ({
    version: r.version,
    patchSet: path3.resolve(config.dir, r.patchSet),
    targets: r.targets,
    defaultTargets: r.targets.filter((t) => config.defaultTargets.includes(t)),
    planned: r.targets.filter((t) => plannedNames.has(t))
  }));
}
function builderVersion() {
  return JSON.parse(readFileSync2(path3.join(REPO_ROOT, "package.json"), "utf8")).version;
}
export {
  buildImage
};
