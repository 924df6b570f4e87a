import { mkdtempSync, mkdirSync, writeFileSync, utimesSync, chmodSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import tarStream from "tar-stream";
import { describe, expect, it } from "vitest";
import { buildPatchedImageContext, packContext, patchSetPlan } from "../../src/build-context.js";
import { loadPatchSet } from "../../src/patch-set.js";

const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
const FIXTURE_SET = path.join(REPO_ROOT, "test/fixtures/patchsets/fixture-v0.5.9");

async function headers(tar: Buffer): Promise<tarStream.Header[]> {
  const out: tarStream.Header[] = [];
  const ex = tarStream.extract();
  const done = new Promise<void>((r) => ex.on("finish", () => r()));
  ex.on("entry", (h, s, next) => { out.push(h); s.on("end", next); s.resume(); });
  ex.end(tar);
  await done;
  return out;
}

function scratchTree(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sip-ctx-"));
  mkdirSync(path.join(dir, "pkg/sub"), { recursive: true });
  mkdirSync(path.join(dir, "pkg/__pycache__"));
  writeFileSync(path.join(dir, "pkg/__init__.py"), "x = 1\n");
  writeFileSync(path.join(dir, "pkg/sub/b.py"), "y = 2\n");
  writeFileSync(path.join(dir, "pkg/__pycache__/junk.pyc"), "junk");
  writeFileSync(path.join(dir, "pkg/run.sh"), "#!/bin/sh\n");
  chmodSync(path.join(dir, "pkg/run.sh"), 0o700);
  return dir;
}

describe("deterministic build context", () => {
  it("same inputs give a byte-identical tar and the same sha256, whatever the mtimes", async () => {
    const dir = scratchTree();
    const a = await packContext([{ name: "gen.json", content: Buffer.from("{}") }], [{ from: path.join(dir, "pkg"), to: "pkg" }]);
    utimesSync(path.join(dir, "pkg/__init__.py"), new Date(2001, 1, 1), new Date(2001, 1, 1));
    const b = await packContext([{ name: "gen.json", content: Buffer.from("{}") }], [{ from: path.join(dir, "pkg"), to: "pkg" }]);
    expect(b.tar.equals(a.tar)).toBe(true);
    expect(b.sha256).toBe(a.sha256);
  });

  it("normalises headers and leaves caches out", async () => {
    const dir = scratchTree();
    const ctx = await packContext([], [{ from: path.join(dir, "pkg"), to: "pkg" }]);
    const hs = await headers(ctx.tar);
    expect(hs.map((h) => h.name)).toEqual(["pkg/", "pkg/__init__.py", "pkg/run.sh", "pkg/sub/", "pkg/sub/b.py"]);
    for (const h of hs) {
      expect(h.mtime?.getTime()).toBe(0);
      expect([h.uid, h.gid, h.uname, h.gname]).toEqual([0, 0, "", ""]);
    }
    expect(hs.find((h) => h.name === "pkg/run.sh")?.mode).toBe(0o755);
    expect(hs.find((h) => h.name === "pkg/__init__.py")?.mode).toBe(0o644);
  });

  it("any content change changes the sha256", async () => {
    const dir = scratchTree();
    const a = await packContext([], [{ from: path.join(dir, "pkg"), to: "pkg" }]);
    writeFileSync(path.join(dir, "pkg/sub/b.py"), "y = 3\n");
    const b = await packContext([], [{ from: path.join(dir, "pkg"), to: "pkg" }]);
    expect(b.sha256).not.toBe(a.sha256);
  });

  it("refuses symlinks (they could point outside the context)", async () => {
    const dir = scratchTree();
    symlinkSync("/etc/passwd", path.join(dir, "pkg/link"));
    await expect(packContext([], [{ from: path.join(dir, "pkg"), to: "pkg" }])).rejects.toThrow(/symlinks are not allowed/);
  });

  it("the patched-image context holds the Dockerfile, the script, the plan, the patches and verify/", async () => {
    const patchSet = await loadPatchSet(FIXTURE_SET);
    const verifyDir = path.join(scratchTree(), "pkg");
    const a = await buildPatchedImageContext({ repoRoot: REPO_ROOT, patchSet, verifyDir });
    const b = await buildPatchedImageContext({ repoRoot: REPO_ROOT, patchSet, verifyDir });
    expect(a.sha256).toBe(b.sha256);
    expect(a.entries).toEqual(expect.arrayContaining([
      "patched.Dockerfile", "apply_patchset.py", "patchset/patchset.json",
      "patchset/0001-add-return-token-ids-field.patch", "patchset/0002-add-marker-constant.patch", "verify/", "verify/sub/b.py",
    ]));
    const withoutVerify = await buildPatchedImageContext({ repoRoot: REPO_ROOT, patchSet, verifyDir: "/nonexistent" });
    expect(withoutVerify.entries).toContain("verify/.keep");
  });

  it("the in-image plan names the release the base must have, the series' own release and every release it covers", async () => {
    const patchSet = { ...(await loadPatchSet(FIXTURE_SET)), releases: ["0.5.9", "0.5.9.post1"] };
    const own = JSON.parse(patchSetPlan(patchSet).toString());
    expect(own).toMatchObject({ sglangVersion: "0.5.9", writtenOn: "0.5.9", releases: ["0.5.9", "0.5.9.post1"] });
    const post = JSON.parse(patchSetPlan(patchSet, "0.5.9.post1").toString());
    // apply_patchset.py accepts the pinned commit only for writtenOn, the installed version for sglangVersion
    expect(post).toMatchObject({ sglangVersion: "0.5.9.post1", writtenOn: "0.5.9", upstreamCommit: patchSet.upstream.commit });
  });
});
