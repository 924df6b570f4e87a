/**
 * One run per tag at a time on this machine. Two runs with the same tag race: each tags and
 * pushes, both report success, and the tag ends at whichever pushed last (the local tag and the
 * registry's may even end at different images). A lock file per tag (created with O_EXCL, holding
 * the owner's pid) makes the second run stop before it builds, naming the first. A lock whose
 * owner is gone (killed) is taken over. Runs on other machines are not covered: the registry
 * check after the push reports what the tag points at in the end.
 */
import { createHash } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { UserError } from "../errors.js";
import { canonicalRepository, repositoryAndTag } from "../image-ref.js";

export const LOCK_DIR = path.join(os.tmpdir(), "sglang-image-patcher-locks");

interface Owner {
  pid: number;
  ref: string;
  since: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function lockFile(dir: string, ref: string): string {
  const { repository, tag } = repositoryAndTag(ref);
  const key = `${canonicalRepository(repository)}:${tag}`;
  return path.join(dir, `${createHash("sha256").update(key).digest("hex").slice(0, 32)}.lock`);
}

function readOwner(file: string): Owner | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Owner;
  } catch {
    return undefined;
  }
}

/** Locks every ref; returns the release. Throws a UserError naming the run that holds one. */
export function lockTags(refs: readonly string[], dir = LOCK_DIR): () => void {
  mkdirSync(dir, { recursive: true });
  const held: string[] = [];
  const release = () => {
    for (const file of held.splice(0)) {
      if (readOwner(file)?.pid === process.pid) {
        try {
          unlinkSync(file);
        } catch {
          // Already gone: nothing to release.
        }
      }
    }
  };
  try {
    for (const ref of refs) {
      const file = lockFile(dir, ref);
      for (let tries = 0; ; tries++) {
        // Written aside and hard-linked into place: the lock appears atomically, with its owner in it.
        const draft = `${file}.${process.pid}.tmp`;
        writeFileSync(draft, JSON.stringify({ pid: process.pid, ref, since: new Date().toISOString() } satisfies Owner));
        try {
          linkSync(draft, file);
          held.push(file);
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "EEXIST" || tries > 2) throw e;
        } finally {
          unlinkSync(draft);
        }
        const owner = readOwner(file);
        if (owner && owner.pid !== process.pid && alive(owner.pid)) {
          throw new UserError(
            `another build-image run (pid ${owner.pid}, since ${owner.since}) is building ${ref}; two runs with one tag would race for it ` +
              `(the tag ends at whichever pushes last). Wait for that run, or use another tag. (lock: ${file})`,
          );
        }
        // Its owner is gone: take it over.
        try {
          unlinkSync(file);
        } catch {
          // Someone else took it over first; the next open tells.
        }
      }
    }
  } catch (e) {
    release();
    throw e;
  }
  return release;
}
