/**
 * The push step: each ref pushed in turn (retried with backoff), then the registry asked what
 * every ref points at. That answer, not the Engine's stream, is what the result reports: a push
 * cancelled or failed here may still have been finished by the daemon, an earlier ref may be
 * pushed when a later one fails, and another run may have moved the tag since.
 */
import type { DockerEngine, ImageInfo } from "../docker/engine.js";
import { ENV_PASSWORD, ENV_USERNAME, resolveRegistryAuth } from "../docker/registry-auth.js";
import { StepError, errorMessage } from "../errors.js";
import { registryHost, repositoryAndTag } from "../image-ref.js";
import type { Logger } from "../log.js";
import { readRegistryTag, type RegistryTag } from "../registry-client.js";
import { DEFAULT_PUSH_RETRY, isAuthFailure, isTransient, withRetry, type RetryPolicy } from "../retry.js";

export interface PushRecord {
  ref: string;
  /** repo@sha256:... (the manifest digest) */
  digest: string;
  /** Compressed bytes of the layers this push uploaded (the registry's blob sizes); null when
   *  the registry could not be asked or the push was not seen to the end here. */
  bytesUploaded: number | null;
  layersPushed: number | null;
  layersAlreadyPresent: number | null;
  attempts: number | null;
  /** daemon: the Engine reported the push done. registry: the push was cancelled or failed
   *  here, but the registry's tag points at this image (the daemon finished it anyway). */
  reportedBy: "daemon" | "registry";
}

export interface RegistryTagState {
  ref: string;
  /** What the registry's tag names after the run. unknown: the registry could not be asked. */
  state: "this-image" | "another-image" | "absent" | "unknown";
  manifestDigest?: string;
  error?: string;
}

export interface PushDeps {
  engine: DockerEngine;
  logger: Logger;
  signal?: AbortSignal;
  pushRetry?: RetryPolicy;
  env?: NodeJS.ProcessEnv;
}

export interface PushedRef {
  record: PushRecord;
  /** Progress ids of the layers the daemon uploaded (short diff ids). */
  pushedLayerIds: string[];
}

export async function pushRef(ref: string, deps: PushDeps): Promise<PushedRef> {
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
      record: {
        ref,
        digest: `${repo}@${value.digest}`,
        bytesUploaded: null,
        layersPushed: value.layersPushed.length,
        layersAlreadyPresent: value.layersAlreadyPresent.length,
        attempts,
        reportedBy: "daemon",
      },
      pushedLayerIds: value.layersPushed,
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

/**
 * Before a push, what each ref names now, read as patiently as the push itself: a registry that
 * is down for a moment gets the push's retries, and one that stays unreachable fails the push
 * step as a push to it would (with the cause and the attempts), not as a refusal to move a tag
 * that nobody could read. Other read failures stay in the answers, for tagMoves to refuse.
 */
export async function readRegistryTagsBeforePush(refs: readonly string[], deps: PushDeps): Promise<Map<string, RegistryTag | Error>> {
  const out = new Map<string, RegistryTag | Error>();
  for (const ref of refs) {
    try {
      const { value } = await withRetry(
        async () => {
          const answer = (await readRegistryTags([ref], deps.env)).get(ref);
          if (answer instanceof Error && isTransient(describeError(answer))) throw new Error(describeError(answer));
          return answer ?? new Error("not asked");
        },
        deps.pushRetry ?? DEFAULT_PUSH_RETRY,
        (attempt, e, delay) => deps.logger.warn(`reading the registry's tag ${ref} failed (attempt ${attempt}: ${errorMessage(e).trim()}); retrying in ${Math.round(delay / 1000)} s`),
        deps.signal,
      );
      out.set(ref, value);
    } catch (e) {
      if (deps.signal?.aborted) throw e;
      throw new StepError("push", `pushing ${ref} failed: its tag on the registry could not be read before the push: ${errorMessage(e).trim()}`);
    }
  }
  return out;
}

/** An error's message with its causes (Node's fetch says only "fetch failed"; the cause says why). */
function describeError(e: Error): string {
  const parts = [e.message];
  for (let c: unknown = e.cause, depth = 0; c instanceof Error && depth < 3; c = c.cause, depth++) parts.push(c.message);
  return parts.join(": ");
}

/** Asks the registry, with the push's credentials, what each ref names now. */
export async function readRegistryTags(refs: readonly string[], env?: NodeJS.ProcessEnv): Promise<Map<string, RegistryTag | Error>> {
  const out = new Map<string, RegistryTag | Error>();
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

export function tagState(ref: string, answer: RegistryTag | Error, imageId: string): RegistryTagState {
  if (answer instanceof Error) return { ref, state: "unknown", error: answer.message };
  if (!answer.present) return { ref, state: "absent" };
  // A pushed image's config digest is its local image id.
  return { ref, state: answer.configDigest === imageId ? "this-image" : "another-image", ...(answer.manifestDigest ? { manifestDigest: answer.manifestDigest } : {}) };
}

/**
 * What a push really sent: the registry's (compressed) sizes of the layers the daemon reported
 * as pushed. The Engine's progress counts bytes before compression, about three times more for
 * Python trees. Progress ids are short diff ids, in the image's layer order, which is the
 * manifest's.
 */
export function compressedBytesPushed(pushedLayerIds: readonly string[], image: Pick<ImageInfo, "layers">, manifestLayers: readonly { size: number }[]): number | null {
  if (manifestLayers.length !== image.layers.length) return null;
  let total = 0;
  for (const id of pushedLayerIds) {
    const index = image.layers.findIndex((diffId) => diffId.replace(/^sha256:/, "").startsWith(id));
    if (index < 0) return null;
    total += manifestLayers[index]!.size;
  }
  return total;
}

/**
 * Before a push: a tag that already names other content on the registry is not moved without
 * --force (a re-push silently replacing a published, attested image is what this stops). Same
 * content (the same image config, so the same image) is fine: re-pushing it changes nothing. A
 * registry that cannot be asked refuses too (not knowing is not permission), except when it
 * refused our credentials: the push would be refused the same way and says so better. The check and the
 * push are two requests, so a push by someone else in between is not caught here; the registry's
 * answer after the push is (run.ts reports a tag another push moved).
 */
/** Answers of registry-client.ts when the registry wants other credentials than ours. */
const READ_REFUSED_CREDENTIALS = /HTTP 40[13]\b|wants a login|token service answered HTTP 40[13]/;

export function tagMoves(refs: readonly string[], answers: Map<string, RegistryTag | Error>, imageId: string): string[] {
  const moves: string[] = [];
  for (const ref of refs) {
    const state = tagState(ref, answers.get(ref) ?? new Error("not asked"), imageId);
    if (state.state === "another-image") moves.push(`${ref} names ${state.manifestDigest ?? "another image"}`);
    else if (state.state === "unknown" && !READ_REFUSED_CREDENTIALS.test(state.error ?? "")) moves.push(`${ref} could not be read (${state.error})`);
  }
  return moves;
}
