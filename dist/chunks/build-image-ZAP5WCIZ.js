import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  findAttestations
} from "./chunk-NOKYUPVQ.js";
import {
  NO_GPU_HELP,
  VerifyFailedError,
  checkCliOptions,
  checkGpuAvailable,
  installCancellation,
  planTarget,
  preflightVerify,
  resolveImage,
  runVerifyStep,
  selectTargets
} from "./chunk-FC5YW65F.js";
import {
  BASE_DIGEST_LABEL,
  LABEL_PREFIX,
  newRunId
} from "./chunk-6IKKWDSF.js";
import {
  readProvenance
} from "./chunk-H2LRGXZ3.js";
import {
  readSigningKeyFile
} from "./chunk-GQLXCPT5.js";
import {
  REPO_ROOT
} from "./chunk-HFOA7Y4D.js";
import {
  createLogger,
  loadConfig
} from "./chunk-UOAZVG7U.js";
import {
  printResult,
  reportError
} from "./chunk-G4VJ447Q.js";
import {
  BUILD_IMAGE_HELP,
  parseBuildImageArgs
} from "./chunk-U6J3L5DJ.js";
import "./chunk-4HRXCVB4.js";
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
} from "./chunk-2O236P5S.js";
import {
  readRegistryTag
} from "./chunk-LHFICXII.js";
import {
  ENV_PASSWORD,
  ENV_USERNAME,
  resolveRegistryAuth
} from "./chunk-CAIBC3BL.js";
import {
  canonicalRepository,
  registryHost,
  repositoryAndTag
} from "./chunk-F7NKY5RN.js";
import {
  BaseError,
  CancelledError,
  ConfigError,
  StepError,
  UserError,
  errnoCode,
  errorMessage,
  exitCodeFor,
  isReported
} from "./chunk-2IM7SQKB.js";
import "./chunk-U4OZQXGD.js";

// src/cli/build-image.ts
import { readFileSync as readFileSync2 } from "node:fs";
import path3 from "node:path";

// src/attest/attest-step.ts
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
var AttestFailedError = class extends StepError {
  constructor(message, attestation, options = {}) {
    super("attest", message, 1, { ...options, code: "ATTEST_FAILED" });
    this.attestation = attestation;
  }
  attestation;
};
async function attestPushed(input) {
  const { target, settings, logger } = input;
  const statement = buildStatement({ target, upstream: input.upstream, builder: input.builder });
  const statementBytes = Buffer.from(JSON.stringify(statement));
  const name = target.target.replace(/[^A-Za-z0-9._-]/g, "-");
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
  logger.info(`attestation for ${target.target}: ${statementFile} (${attestation.signed ? "signed" : "unsigned"}, verify ${target.verify.outcome} in mode ${target.verify.mode})`);
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
      throw new AttestFailedError(`attaching the attestation to ${subject.name}@${digest} failed: ${errorMessage(e)}`, attestation, { cause: e });
    }
  }
  return attestation;
}

// src/pipeline/attest-input.ts
function attestedTarget(result) {
  if (result.status !== "pushed" || result.push.length === 0) throw new Error(`target ${result.target} was not pushed: nothing to attest`);
  if (!result.image || !result.base) throw new Error(`target ${result.target} has no image or base in its result`);
  const { verify, plan } = result;
  const settings = plan.verify.settings;
  return {
    target: result.target,
    push: result.push.map((p) => ({ digest: p.digest })),
    image: { id: result.image.id, refs: [...result.image.refs] },
    base: { ref: result.base.ref, ...result.base.digest ? { digest: result.base.digest } : {} },
    verify: {
      mode: verify.mode,
      outcome: verify.outcome,
      countsAsVerified: verify.countsAsVerified,
      ...verify.report !== void 0 ? { report: verify.report } : {},
      ...verify.durationMs !== void 0 ? { durationMs: verify.durationMs } : {},
      ...verify.gpu ? { gpus: verify.gpu.gpus } : {},
      ...verify.suite ? { suite: { name: verify.suite.name, version: verify.suite.version, sha256: verify.suite.sha256 } } : {},
      ...verify.skippedChecks ? { skippedChecks: verify.skippedChecks } : {}
    },
    verifySettings: {
      model: settings.model,
      ...settings.toolCallParser ? { toolCallParser: settings.toolCallParser } : {},
      ...settings.reasoningParser ? { reasoningParser: settings.reasoningParser } : {},
      extraArgs: settings.extraArgs
    },
    sglangVersion: plan.sglangVersion,
    patchSet: { name: plan.patchSet.name, patches: plan.patchSet.patches.map((p) => ({ name: p.name, sha256: p.sha256 })) },
    timings: { ...result.timings }
  };
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

// src/pipeline/result.ts
var TargetFailedError = class extends BaseError {
  constructor(cause, result) {
    super("TARGET_FAILED", cause.message, isReported(cause) ? cause.exitCode : void 0, { cause });
    this.cause = cause;
    this.result = result;
    this.name = "TargetFailedError";
  }
  cause;
  result;
};

// src/pipeline/steps.ts
var UndoStack = class {
  entries = [];
  wasCommitted = false;
  push(compensation) {
    const entry = { ...compensation, settled: false };
    this.entries.push(entry);
    return {
      describe: (leftover) => void (entry.leftover = leftover),
      settle: () => this.remove(entry)
    };
  }
  /** The cancellation ledger: what the entries still on the stack would leave behind, oldest first. */
  ledger() {
    return this.entries.flatMap((e) => e.leftover ? [e.leftover] : []);
  }
  /**
   * The pivot: what the steps so far did stands (the images are pushed), so a later failure no
   * longer undoes it; `always` entries still run at the end.
   */
  commit() {
    for (const e of [...this.entries]) {
      if (e.always) {
        delete e.undo;
        delete e.leftover;
      } else this.remove(e);
    }
    this.wasCommitted = true;
  }
  /** True once commit() ran: a failure after it leaves the committed work as it is. */
  get committed() {
    return this.wasCommitted;
  }
  /** After a failure or cancellation: each entry's undo, newest first (an entry stays listed until its undo is done). */
  async undoAll() {
    for (const e of [...this.entries].reverse()) {
      if (!e.undo || e.settled) continue;
      await e.undo();
      if (!e.always) this.remove(e);
    }
  }
  /** At the end of the run: each `always`, newest first; the stack is empty afterwards. */
  async finish() {
    for (const e of [...this.entries].reverse()) {
      if (e.settled) continue;
      try {
        await e.always?.();
      } finally {
        this.remove(e);
      }
    }
  }
  remove(entry) {
    entry.settled = true;
    const at = this.entries.indexOf(entry);
    if (at >= 0) this.entries.splice(at, 1);
  }
};
async function runSteps(steps, ctx, undo, opts) {
  let current;
  try {
    for (const step of steps) {
      if (step.when && !step.when(ctx)) continue;
      current = step;
      await step.run(ctx, undo);
      if (step.pivot) undo.commit();
    }
  } catch (e) {
    const step = current;
    const err = step.asError ? step.asError(e, ctx) : opts.asError(step, e);
    opts.onFailure?.(step, err, undo);
    step.onFailure?.(err, ctx);
    await undo.undoAll();
    throw opts.raise ? opts.raise(err) : err;
  } finally {
    await undo.finish();
    opts.onEnd?.();
  }
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
    return errnoCode(e) === "EPERM";
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
    const code = errnoCode(e);
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
    if (errnoCode(e) !== "EEXIST") throw e;
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
          if (errnoCode(e) !== "EEXIST" || tries > 2) throw e;
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
      return new StepError(step, explanation, 2, { cause: e });
    }
    if (e.tail.length) return new StepError(step, `${errorMessage(e)}
  last output:
    ${e.tail.slice(-8).join("\n    ")}`, 1, { cause: e });
  }
  return new StepError(step, errorMessage(e), 1, { cause: e });
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
var probeGpu = (run, image) => timed(run.timings, "gpuProbe", () => checkGpuAvailable(run.deps.engine, image, run.planned.verifySettings.gpus, run.runId, NO_GPU_HELP));
async function reportRegistry(run, finished) {
  const { result, plan, deps } = run;
  const image = result.image;
  if (!image) return;
  const answers = await (deps.readRegistryTags ?? readRegistryTags)(plan.refs, deps.env);
  result.registry = plan.refs.map((ref) => tagState(ref, answers.get(ref), image.id));
  for (const state of result.registry) {
    const answer = answers.get(state.ref);
    const record = result.push.find((r) => r.ref === state.ref);
    if (record && state.state === "this-image" && answer && !(answer instanceof Error) && answer.layers) {
      record.bytesUploaded = compressedBytesPushed(run.pushedLayers.get(state.ref) ?? [], { layers: run.image?.layers ?? [] }, answer.layers);
    }
    if (!record && state.state === "this-image" && state.manifestDigest) {
      const { repository } = repositoryAndTag(state.ref);
      result.push.push({ ref: state.ref, digest: `${repository}@${state.manifestDigest}`, bytesUploaded: null, layersPushed: null, layersAlreadyPresent: null, attempts: null, reportedBy: "registry" });
      run.warn(`${state.ref}: this run's push ${finished ? "" : "did not finish here, but "}the registry's tag names this image (${state.manifestDigest})`);
    } else if (record && state.state !== "this-image") {
      run.warn(
        `${state.ref} was pushed by this run, but the registry's tag ${state.state === "another-image" ? `now names another image (${state.manifestDigest}): another push moved it` : state.state === "absent" ? "is gone" : `could not be read (${state.error})`}`
      );
    } else if (!finished && state.state === "unknown") {
      run.warn(`${state.ref}: could not ask the registry what its tag names after the failed push (${state.error}); check it before relying on it`);
    }
  }
}
var TARGET_STEPS = [
  {
    // Before any work: another run on this machine with one of these tags would race for it.
    name: "tag-lock",
    async run(run, undo) {
      const unlock = lockTags(run.plan.refs);
      undo.push({ always: unlock });
    }
  },
  {
    // Can the daemon give a container a GPU? A base already here answers before anything is
    // pulled or built; otherwise the freshly pulled base does (the step after resolve-base).
    name: "verify",
    when: (run) => !run.plan.verify.skipped,
    async run(run) {
      const { engine } = run.deps;
      await timed(run.timings, "preflight", () => preflightVerify(engine, run.planned.verifySettings, run.deps.repoRoot, run.deps.configDir));
      run.baseHere = run.needsGpu && await engine.inspectImage(run.plan.base.ref) !== void 0;
      if (run.baseHere) await probeGpu(run, run.plan.base.ref);
    }
  },
  {
    name: "resolve-base",
    async run(run) {
      const { plan } = run;
      const base = await timed(run.timings, "resolveBase", () => resolveBase(plan, run.deps));
      run.base = base;
      run.result.base = { ref: plan.base.ref, imageId: base.info.id, ...base.digest ? { digest: base.digest } : {}, pulled: base.pulled };
      run.deps.logger.info(`base ${plan.base.ref}: ${base.digest ?? `image ${base.info.id}, no registry digest`}${base.pulled ? " (pulled)" : ""}`);
    }
  },
  {
    name: "verify",
    when: (run) => run.needsGpu && !run.baseHere,
    run: async (run) => void await probeGpu(run, run.base.info.id)
  },
  {
    name: "build",
    async run(run, undo) {
      const { plan, deps, buildTag } = run;
      const { engine, logger } = deps;
      const base = run.base;
      let built = false;
      const perRunTag = undo.push({
        leftover: `the per-run image tag ${buildTag} (docker rmi ${buildTag}); a build step's container is removed by the daemon`,
        always: async () => {
          if (built) await engine.removeImage(buildTag).catch((e) => logger.warn(`could not remove ${buildTag}: ${errorMessage(e)}`));
        }
      });
      run.dropBuildTag = async () => {
        await engine.removeImage(buildTag);
        perRunTag.settle();
      };
      const labels = { ...plan.labels, ...base.digest ? { [BASE_DIGEST_LABEL]: base.digest } : {} };
      logger.info(`building ${plan.target} (context sha256 ${plan.context.sha256.slice(0, 12)}, ${plan.patchSet.patches.length} patches)`);
      const build = await timed(
        run.timings,
        "build",
        () => engine.buildImage(
          run.planned.context.tar,
          { dockerfile: plan.dockerfile, tag: buildTag, buildargs: { BASE_IMAGE: plan.base.ref }, labels, platform: plan.base.platform, noCache: plan.noCache },
          (ev) => logger.progress("build", ev),
          deps.signal
        )
      );
      built = true;
      const image = await engine.inspectImage(buildTag);
      if (!image) throw new StepError("build", `the build reported success but ${buildTag} does not exist`);
      run.image = image;
      if (build.imageId && !image.id.endsWith(build.imageId.replace(/^sha256:/, ""))) {
        throw new StepError("build", `the build stream reported image ${build.imageId} but ${buildTag} is ${image.id}`);
      }
      run.result.image = { id: image.id, refs: [], layers: image.layers.length, addedLayers: image.layers.length - base.info.layers.length, labels: image.labels };
    }
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
      const container = undo.push({ leftover: `the verify container labelled ${label} (docker rm -f $(docker ps -aq --filter label=${label}))` });
      try {
        const outcome = await timed(
          run.timings,
          "verify",
          () => runVerifyStep({
            engine: deps.engine,
            image: run.image.id,
            settings: run.planned.verifySettings,
            baseDir: deps.configDir,
            repoRoot: deps.repoRoot,
            runId: run.runId,
            sglangVersion: plan.sglangVersion,
            onOutput: (text) => deps.logger.stream("verify", text),
            signal: deps.signal
          })
        );
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
      } catch (e) {
        result.verify = {
          outcome: "failed",
          mode: plan.verify.settings.mode,
          countsAsVerified: false,
          report: e instanceof VerifyFailedError ? e.report : void 0,
          reason: errorMessage(e),
          ...e instanceof VerifyFailedError && e.gpu ? { gpu: e.gpu } : {}
        };
        throw e;
      } finally {
        container.settle();
      }
    }
  },
  {
    name: "tag",
    async run(run, undo) {
      const { plan, result, deps } = run;
      const image = run.image;
      const applied = [];
      const tags = undo.push({
        undo: async () => {
          if (applied.length === 0) return;
          result.tagsReverted = await revertTags(deps.engine, result.image?.id ?? "", applied, deps.logger);
          if (result.image) result.image.refs = [];
          for (const line of result.tagsReverted) deps.logger.info(`local tag ${line}`);
        }
      });
      await timed(run.timings, "tag", () => applyTags(deps.engine, image.id, plan.refs, applied));
      tags.describe(`the local tags ${plan.refs.join(", ")} now name ${image.id} (they were not put back)`);
      result.image.refs = [...plan.refs];
      await run.dropBuildTag();
    }
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
      const image = run.image;
      const moves = tagMoves(plan.refs, deps.readRegistryTags ? await deps.readRegistryTags(plan.refs, deps.env) : await readRegistryTagsBeforePush(plan.refs, deps), image.id);
      if (moves.length > 0 && !plan.push.force) {
        throw new StepError("push", `refusing to move existing tags to other content: ${moves.join("; ")}. Push under a new tag, or pass --force to move them`, 2);
      }
      for (const m of moves) run.warn(`--force: moving ${m}`);
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
    }
  },
  {
    name: "attest",
    when: (run) => run.result.status === "pushed" && run.deps.attest !== void 0,
    async run(run) {
      const { plan, result, deps } = run;
      const { builderVersion: builderVersion2, ...settings } = deps.attest;
      result.attestation = await timed(
        run.timings,
        "attest",
        () => attestPushed({
          target: attestedTarget(result),
          upstream: run.planned.patchSet.upstream,
          builder: { version: builderVersion2, revision: plan.labels["org.opencontainers.image.revision"] ?? "unknown", source: plan.labels["org.opencontainers.image.source"] ?? "unknown" },
          settings: { ...settings, push: plan.attest.push },
          logger: deps.logger,
          env: deps.env
        })
      );
    },
    // The images are pushed and stay so (their local tags too): only the attestation failed.
    asError: (e, run) => run.deps.signal?.aborted ? stepError("attest", e, run.deps.signal) : e instanceof StepError ? e : new StepError("attest", errorMessage(e), 1, { cause: e }),
    // What was written (and attached) before the attach failed.
    onFailure: (err, run) => {
      if (err instanceof AttestFailedError) run.result.attestation = err.attestation;
    }
  }
];
async function runTarget(planned, deps, steps = TARGET_STEPS) {
  const { plan } = planned;
  const runId = newRunId(deps.env);
  const timings = {};
  const result = {
    target: plan.target,
    status: "failed",
    plan,
    verify: { outcome: "not-run", mode: plan.verify.settings.mode, countsAsVerified: false },
    push: [],
    timings
  };
  const run = {
    planned,
    plan,
    deps,
    runId,
    buildTag: `sglang-image-patcher-build/${plan.target.toLowerCase().replace(/[^a-z0-9._-]/g, "-")}:${runId}`,
    result,
    timings,
    needsGpu: !plan.verify.skipped && planned.verifySettings.mode === "gpu",
    pushedLayers: /* @__PURE__ */ new Map(),
    warn: (w) => {
      deps.logger.warn(w);
      (result.warnings ??= []).push(w);
    }
  };
  const started = performance.now();
  const undo = new UndoStack();
  const unfollow = deps.leftovers?.follow(undo) ?? (() => {
  });
  try {
    await runSteps(steps, run, undo, {
      asError: (step, e) => stepError(step.name, e, deps.signal),
      onFailure: (step, err, stack) => {
        if (!stack.committed) result.status = err instanceof CancelledError ? "cancelled" : "failed";
        result.error = { step: step.name, message: err.message };
      },
      raise: (err) => new TargetFailedError(err, result),
      onEnd: () => void (timings.totalMs = Math.round(performance.now() - started))
    });
  } finally {
    unfollow();
  }
  return result;
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
    const { DockerodeEngine } = await import("./engine-6MEIAAPF.js");
    const engine = new DockerodeEngine();
    await engine.ping();
    for (const p of planned) {
      const attest = { dir: path3.resolve(args.attestationDir), builderVersion: builderVersion(), ...signingKey ? { signingKey } : {} };
      results.push(await runTarget(p, { engine, logger, repoRoot: REPO_ROOT, configDir: config.dir, signal: cancel.signal, leftovers: cancel.leftovers, attest }));
    }
    const { indexesOfRun } = await import("./make-index-3Z4O4QMX.js");
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
    if (e instanceof TargetFailedError) results.push(e.result);
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
