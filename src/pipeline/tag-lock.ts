/**
 * One run per tag at a time on this machine. Two runs with the same tag race: each tags and
 * pushes, both report success, and the tag ends at whichever pushed last (the local tag and the
 * registry's may even end at different images). A lock file per tag (hard-linked into place,
 * holding the owner's pid) makes the second run stop before it builds, naming the first. A lock
 * whose owner is gone (killed) is taken over. Runs on other machines are not covered: the
 * registry check after the push reports what the tag points at in the end.
 *
 * The locks live in a folder of the user's own (`<tmp>/sglang-image-patcher-locks-<uid>`, mode
 * 0700, its owner checked): a folder shared by every user of a GPU host let a second user fail
 * with EACCES, and let anyone plant a symlink where the next run writes its draft. The folder
 * is refused, with a sentence saying what to do, when it is not a real folder of this user's
 * with no access for others; drafts are created with O_EXCL (`wx`, which never follows a
 * symlink) and locks are read with O_NOFOLLOW. Two users building one tag on one host are not
 * serialised by this; the registry check is what they have, as for two machines.
 */
import { createHash } from "node:crypto";
import { closeSync, constants, linkSync, lstatSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { UserError, errnoCode } from "../errors.js";
import { canonicalRepository, repositoryAndTag } from "../image-ref.js";

const uid = () => process.getuid?.() ?? -1;

/** This user's lock folder. */
export function defaultLockDir(tmp = os.tmpdir()): string {
  return path.join(tmp, `sglang-image-patcher-locks-${uid()}`);
}

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
    return errnoCode(e) === "EPERM";
  }
}

function lockFile(dir: string, ref: string): string {
  const { repository, tag } = repositoryAndTag(ref);
  const key = `${canonicalRepository(repository)}:${tag}`;
  return path.join(dir, `${createHash("sha256").update(key).digest("hex").slice(0, 32)}.lock`);
}

function readOwner(file: string): Owner | undefined {
  let fd: number;
  try {
    // O_NOFOLLOW: a symlink in place of a lock is not read through (ELOOP: treated as stale).
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(readFileSync(fd, "utf8")) as Owner;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates the lock folder (0700) if it is missing and checks the one that is there: a real
 * folder (not a symlink), owned by this user, with no access for group or others. Anything
 * else is a UserError naming the folder and the fix, never an errno stack trace.
 */
export function ensureLockDir(dir: string): void {
  const fix = `remove it (or point TMPDIR elsewhere) and run again`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    const code = errnoCode(e);
    if (code !== "EEXIST") throw new UserError(`cannot create the tag-lock folder ${dir} (${code ?? String(e)}); point TMPDIR at a folder you can write to`);
  }
  const st = lstatSync(dir);
  if (st.isSymbolicLink() || !st.isDirectory()) throw new UserError(`the tag-lock folder ${dir} is ${st.isSymbolicLink() ? "a symlink" : "not a folder"}; ${fix}`);
  if (uid() >= 0 && st.uid !== uid())
    throw new UserError(`the tag-lock folder ${dir} belongs to uid ${st.uid}, not to you (uid ${uid()}); another user made it, so its locks cannot be trusted: ${fix}`);
  if ((st.mode & 0o077) !== 0)
    throw new UserError(`the tag-lock folder ${dir} has mode ${(st.mode & 0o777).toString(8).padStart(4, "0")}, open to other users; it must be 0700: chmod 700 it, or ${fix}`);
}

/** Writes the draft with O_CREAT|O_EXCL; a leftover at that name (ours: the folder is 0700) is removed, not written through. */
function writeDraft(draft: string, content: string): void {
  try {
    writeFileSync(draft, content, { flag: "wx", mode: 0o600 });
  } catch (e) {
    if (errnoCode(e) !== "EEXIST") throw e;
    unlinkSync(draft);
    writeFileSync(draft, content, { flag: "wx", mode: 0o600 });
  }
}

/** Locks every ref; returns the release. Throws a UserError naming the run that holds one. */
export function lockTags(refs: readonly string[], dir = defaultLockDir()): () => void {
  ensureLockDir(dir);
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
        writeDraft(draft, JSON.stringify({ pid: process.pid, ref, since: new Date().toISOString() } satisfies Owner));
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
