/**
 * scripts/release-replay.mjs (`npm run release:replay`, bench/release-replay.md): the replay row
 * it makes of a proposal result (verdict, hunks that need a person and those of their own, upstream
 * drops), what the finished series changed by hand against the one ported to it, and the table.
 * The replay itself runs real ports (minutes): its output is bench/release-replay.{json,md}.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain Node script, no declarations
import { byHand, markdown, row } from "../../scripts/release-replay.mjs";

const FOLLOW = "builds on lines an earlier diff adds that did not merge here, e.g. 'x'";
const conflicted = {
  clean: false,
  ok: false,
  diffs: [
    { source: "0001-a.patch", status: "merged", exact: true },
    { source: "0002-b.patch", status: "merged", exact: false },
    { source: "0003-c.patch", status: "upstream" },
    { source: "0004-d.patch", status: "conflict", hunks: [{ file: "f.py", hunk: "@@ -1 +1 @@", why: "upstream changed or removed 1 line(s)" }, { file: "f.py", hunk: "@@ -9 +9 @@", why: FOLLOW }] },
    { source: "0005-e.patch", status: "conflict", hunks: [{ file: "g.py", hunk: "@@ -3 +3 @@", why: FOLLOW }] },
  ],
  steps: [
    { name: "port", status: "failed", seconds: 4.2, detail: "2 merged, 1 upstream, 2 conflict" },
    { name: "check", status: "skipped", detail: "not run: the port conflicted" },
    { name: "targets", status: "failed", seconds: 0.1, detail: "0 confirmed" },
  ],
};
const clean = { clean: true, ok: false, diffs: [{ source: "0001-a.patch", status: "merged", exact: true }], steps: [{ name: "port", status: "passed", seconds: 2.1, detail: "1 merged" }, { name: "check", status: "passed", seconds: 3, detail: "ok" }, { name: "targets", status: "failed", seconds: 0, detail: "0 confirmed" }] };

function seriesDir(names: string[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "replay-series-"));
  mkdirSync(dir, { recursive: true });
  for (const n of names) writeFileSync(path.join(dir, n), "");
  writeFileSync(path.join(dir, "README.md"), "");
  return dir;
}

describe("release:replay", () => {
  it("a conflicted step: CONFLICTED, every hunk counted, own hunks apart from those that follow an earlier conflict", () => {
    const r = row("0.5.12", "0.5.10.post1", conflicted, 6.4);
    expect(r).toMatchObject({ release: "0.5.12", from: "0.5.10.post1", clean: false, verdict: "CONFLICTED", diffs: 5, merged: 2, mergedAsIs: 1, upstream: ["0003-c.patch"], hunks: 3, ownHunks: 1, portSeconds: 4.2, wallSeconds: 6.4 });
    expect(r.conflicted).toEqual([{ diff: "0004-d.patch", hunks: 2, own: 1 }, { diff: "0005-e.patch", hunks: 1, own: 0 }]);
  });

  it("a clean step that only lacks the registry read is clean, not READY (INCOMPLETE or FAILING, never claimed)", () => {
    const r = row("0.5.12.post1", "0.5.12", clean, 8.4);
    expect(r.clean).toBe(true);
    expect(r.verdict).toBe("FAILING");
    expect(r.hunks).toBe(0);
  });

  it("byHand: the diffs (by subject, whatever their number) the finished series dropped and added", () => {
    const ported = seriesDir(["0001-a.patch", "0002-b.patch", "0003-c.patch"]);
    const finished = seriesDir(["0001-a.patch", "0002-c.patch", "0003-new-fix.patch"]);
    expect(byHand(ported, finished)).toEqual({ dropped: ["b"], added: ["new-fix"] });
    expect(byHand(ported, ported)).toBeUndefined();
  });

  it("the table: one row per step, clean or conflicted, hunks (own), port and wall time", () => {
    const md = markdown({ when: "2026-12-07T12:00:00Z", args: ["--straight"], machine: "a test", releases: ["0.5.10.post1", "0.5.12", "0.5.12.post1"], steps: ["check", "targets"], replay: [row("0.5.12", "0.5.10.post1", conflicted, 6.4), row("0.5.12.post1", "0.5.12", clean, 8.4)], straight: [] });
    expect(md).toContain("`npm run release:replay -- --straight`");
    expect(md).toContain("| 0.5.12 | 0.5.10.post1 | conflicted | 5: 2 (1) / 1 / 2 | 3 (1) | 4.2 s | 6.4 s |");
    expect(md).toContain("| 0.5.12.post1 | 0.5.12 | clean | 1: 1 (1) / 0 / 0 | 0 (0) | 2.1 s | 8.4 s |");
    expect(md).toContain("- 0.5.12: 0004-d (2, 1 own); 0005-e (1, 0 own); dropped as already upstream: 0003-c.patch");
  });
});
