/**
 * The user's tags on the local daemon. They are applied after verify, before the push (the
 * Engine pushes a tag, not an image); a run that then fails or is cancelled puts each tag back
 * where it was: moved back to the image it named before, or removed when it is new. So a
 * failed run leaves the local tags as it found them.
 */
import type { DockerEngine } from "../docker/engine.js";
import { errorMessage } from "../errors.js";
import { repositoryAndTag } from "../image-ref.js";
import type { Logger } from "../log.js";

export interface AppliedTag {
  ref: string;
  /** The image the tag named before this run; undefined when the tag is new. */
  previousId?: string;
}

export async function applyTags(engine: DockerEngine, imageId: string, refs: readonly string[], applied: AppliedTag[]): Promise<void> {
  for (const ref of refs) {
    const previous = await engine.inspectImage(ref);
    const { repository, tag } = repositoryAndTag(ref);
    await engine.tagImage(imageId, repository, tag);
    // Recorded only once applied, so a revert never touches a tag this run did not move.
    applied.push({ ref, ...(previous && previous.id !== imageId ? { previousId: previous.id } : previous ? { previousId: imageId } : {}) });
  }
}

/** Puts the tags back; returns one line per tag saying what was done (or could not be). */
export async function revertTags(engine: DockerEngine, imageId: string, applied: readonly AppliedTag[], logger: Logger): Promise<string[]> {
  const done: string[] = [];
  for (const { ref, previousId } of [...applied].reverse()) {
    const { repository, tag } = repositoryAndTag(ref);
    try {
      if (previousId === imageId) continue; // it named this image already before the run
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
