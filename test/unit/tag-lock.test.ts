/** One run per tag: a live owner's lock refuses, a dead owner's is taken over, release frees it. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { lockTags } from "../../src/pipeline/tag-lock.js";

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
