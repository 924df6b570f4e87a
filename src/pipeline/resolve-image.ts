/**
 * Making sure an image is present before it is used: inspected, pulled (with the registry's
 * credentials and per-layer progress) when absent, and checked against a pinned digest. Shared
 * by build-image (the base) and verify-image (the image to verify).
 */
import type { DockerEngine, ImageInfo } from "../docker/engine.js";
import { resolveRegistryAuth } from "../docker/registry-auth.js";
import { StepError, errorMessage } from "../errors.js";
import { parseImageRef, registryDigestOf } from "../image-ref.js";
import type { Logger } from "../log.js";

export interface ResolvedImage {
  info: ImageInfo;
  pulled: boolean;
  /** The registry (manifest) digest of the reference; undefined for an image that did not come
   *  from that repository's registry (built or imported locally). */
  digest?: string;
}

export interface ResolveImageInput {
  ref: string;
  platform?: string;
  pinnedDigest?: string;
  /** The step name errors carry, and how messages call the image ("base image", "image"). */
  step: string;
  what: string;
  engine: DockerEngine;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

const NOT_FOUND = /not found|manifest unknown|does not exist|repository .* not found|pull access denied/i;

export async function resolveImage(input: ResolveImageInput): Promise<ResolvedImage> {
  const { ref, engine, logger, signal, step, what } = input;
  // An image id (sha256:...) names a local image only: nothing to pull, no registry digest.
  const parsed = parseImageRef(ref);
  let info = await engine.inspectImage(ref);
  let pulled = false;
  // One multi-arch tag serves both architectures' targets, but a local tag names one platform's
  // image: the other target's would find it and stop at the platform check. A tag present for
  // another platform is pulled again for this one (a digest names one platform's image already).
  // Only an image that came from a registry (it has a registry digest) can be pulled again; a
  // local-only one (built or imported here) is kept, and the caller's platform check names both
  // platforms. A pull that fails keeps the local image too, for the same sentence.
  let otherPlatform: typeof info;
  if (info && parsed && !parsed.digest && input.platform && `${info.os}/${info.architecture}` !== input.platform && info.repoDigests.length > 0) {
    logger.info(`${ref} is here for ${info.os}/${info.architecture}, not ${input.platform}: pulling the ${input.platform} image`);
    otherPlatform = info;
    info = undefined;
  }
  if (!info && !parsed) throw new StepError(step, `${what} ${ref} is not present locally (an image id cannot be pulled)`, 2);
  if (!info && parsed) {
    // The progress line says "base X" (as the base's other log lines do), errors "base image X".
    logger.info(`${what.replace(/ image$/, "")} ${ref} is not present locally: pulling it`);
    const credentials = await resolveRegistryAuth(parsed.repository, input.env);
    if (credentials) logger.info(`pulling ${ref} with credentials from ${credentials.source}`);
    try {
      await engine.pullImage(ref, { platform: input.platform, auth: credentials?.auth }, (ev) => logger.progress("pull", ev), signal);
    } catch (e) {
      if (signal?.aborted) throw e;
      const msg = errorMessage(e).trim();
      if (otherPlatform) {
        logger.warn(`pulling the ${input.platform} image of ${ref} failed (${msg}); keeping the local ${otherPlatform.os}/${otherPlatform.architecture} one`);
        return finish(input, parsed, otherPlatform, false);
      }
      if (NOT_FOUND.test(msg)) throw new StepError(step, `${what} ${ref} not found (${msg})`, 2);
      throw new StepError(step, `pulling ${what} ${ref} failed: ${msg}`, 2);
    }
    pulled = true;
    info = await engine.inspectImage(ref);
  }
  if (!info) throw new StepError(step, `${what} ${ref} is still missing after the pull`, 2);
  return finish(input, parsed, info, pulled);
}

/** The registry digest of the image found, checked against a pinned one. */
function finish(input: ResolveImageInput, parsed: ReturnType<typeof parseImageRef>, info: ImageInfo, pulled: boolean): ResolvedImage {
  const { ref, step, what } = input;
  const digest = parsed ? registryDigestOf(parsed, info.repoDigests) : undefined;
  if (input.pinnedDigest && digest !== input.pinnedDigest) {
    throw new StepError(step, `${what} ${ref} does not have the pinned digest ${input.pinnedDigest} (has ${info.repoDigests.join(", ") || `no registry digest, image id ${info.id}`})`, 2);
  }
  return { info, pulled, ...(digest ? { digest } : {}) };
}
