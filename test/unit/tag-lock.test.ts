/** One run per tag: a live owner's lock refuses, a dead owner's is taken over, release frees it. */
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { defaultLockDir, lockTags } from "../../src/pipeline/tag-lock.js";

describe("lockTags", () => {
  it("refuses a tag another live process holds, naming it; the same tag spelled differently is the same lock", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "sip-locks-"));
    const release = lockTags(["ubuntu:1"], dir);
    const [file] = readdirSync(dir);
    // Another live process (our parent) owns it now.
    writeFileSync(path.join(dir, file!), JSON.stringify({ pid: process.ppid, ref: "ubuntu:1", since: "2026-01-01T00:00:00Z" }));
    expect(() => lockTags(["docker.io/library/ubuntu:1"], dir)).toThrow(
      new RegExp(`another build-image run \\(pid ${process.ppid}, since 2026-01-01T00:00:00Z\\) is building docker\\.io/library/ubuntu:1`),
    );
    release();
  });

  it("takes over the lock of a process that is gone, and frees it on release", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "sip-locks-"));
    const gone = spawnSync("true").pid!;
    const release = lockTags(["reg.example.com/a:1", "reg.example.com/a:2"], dir);
    expect(readdirSync(dir)).toHaveLength(2);
    release();
    expect(readdirSync(dir)).toEqual([]);
    // The name the lock of a:1 has, held by a process that is gone.
    const name = (() => {
      const r = lockTags(["reg.example.com/a:1"], dir);
      const [n] = readdirSync(dir);
      r();
      return n!;
    })();
    writeFileSync(path.join(dir, name), JSON.stringify({ pid: gone, ref: "reg.example.com/a:1", since: "x" }));

    const again = lockTags(["reg.example.com/a:1"], dir);
    again();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("the lock folder is this user's own", () => {
  const NOBODY = 65534;
  const isRoot = process.getuid?.() === 0;
  const scratch = () => mkdtempSync(path.join(os.tmpdir(), "sip-lockroot-"));

  it("is per user, created 0700", () => {
    const tmp = scratch();
    const dir = defaultLockDir(tmp);
    expect(dir).toBe(path.join(tmp, `sglang-image-patcher-locks-${process.getuid!()}`));
    lockTags(["reg.example.com/a:1"], dir)();
    const st = lstatSync(dir);
    expect(st.isDirectory()).toBe(true);
    expect(st.mode & 0o777).toBe(0o700);
  });

  it("refuses a folder open to others, a symlinked folder, and says how to fix it", () => {
    const open = path.join(scratch(), "locks");
    mkdirSync(open, { mode: 0o700 });
    chmodSync(open, 0o777);
    expect(() => lockTags(["a:1"], open)).toThrow(/has mode 0777, open to other users; it must be 0700/);
    const link = path.join(scratch(), "locks");
    symlinkSync(scratch(), link);
    expect(() => lockTags(["a:1"], link)).toThrow(/is a symlink; remove it/);
  });

  it.skipIf(!isRoot)("refuses a folder another user made (planted in the shared tmp)", () => {
    const planted = path.join(scratch(), "locks");
    mkdirSync(planted, { mode: 0o700 });
    chownSync(planted, NOBODY, NOBODY);
    expect(() => lockTags(["a:1"], planted)).toThrow(new RegExp(`belongs to uid ${NOBODY}, not to you \\(uid 0\\)`));
  });

  it("never writes through a symlink planted at the draft's name", () => {
    const dir = path.join(scratch(), "locks");
    const victim = path.join(scratch(), "victim");
    writeFileSync(victim, "precious");
    // The draft's name for this tag and this process.
    const probe = lockTags(["reg.example.com/a:1"], dir);
    const [lock] = readdirSync(dir);
    probe();
    symlinkSync(victim, path.join(dir, `${lock}.${process.pid}.tmp`));
    const release = lockTags(["reg.example.com/a:1"], dir);
    expect(readFileSync(victim, "utf8")).toBe("precious");
    release();
    expect(readdirSync(dir)).toEqual([]);
  });

  // A real second user (nobody) on the same host, in the same tmp: before, the first user's
  // shared 0755 folder gave the second an EACCES stack trace.
  const asNobody = (tmp: string) =>
    spawnSync(
      "setpriv",
      [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", process.execPath, "--import", "tsx", "-e",
        `import("./test/unit/fixtures/run-lock.ts").then(async (f) => f.runCli(await import("./src/pipeline/tag-lock.ts")))`],
      { cwd: path.resolve(import.meta.dirname, "../.."), env: { ...process.env, TMPDIR: tmp, HOME: tmp }, encoding: "utf8" },
    );
  const sharedTmp = () => {
    const tmp = scratch();
    chmodSync(tmp, 0o1777);
    return tmp;
  };

  it.skipIf(!isRoot)("a second user locks the same tag in a folder of its own while the first holds it", () => {
    const tmp = sharedTmp();
    const release = lockTags(["reg.example.com/a:1"], defaultLockDir(tmp));
    const r = asNobody(tmp);
    release();
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe(`locked in ${path.join(tmp, `sglang-image-patcher-locks-${NOBODY}`)}`);
  });

  it.skipIf(!isRoot)("a folder squatted under the second user's name is one clear sentence, not a stack trace", () => {
    const tmp = sharedTmp();
    const squat = path.join(tmp, `sglang-image-patcher-locks-${NOBODY}`);
    mkdirSync(squat, { mode: 0o700 });
    const r = asNobody(tmp);
    expect(r.stdout.trim()).toBe(
      `refused: the tag-lock folder ${squat} belongs to uid 0, not to you (uid ${NOBODY}); another user made it, so its locks cannot be trusted: remove it (or point TMPDIR elsewhere) and run again`,
    );
    expect(r.stderr).not.toMatch(/EACCES|\bat .*\.ts:/);
  });
});
