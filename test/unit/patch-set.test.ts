import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { coversRelease, loadPatchSet } from "../../src/patch-set.js";

const FIXTURE = path.resolve(import.meta.dirname, "../fixtures/patchsets/fixture-v0.5.9");
function copy(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sip-ps-"));
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

describe("patch sets", () => {
  it("reads the manifest and hashes the patches in lexical order", async () => {
    const ps = await loadPatchSet(FIXTURE);
    expect(ps.sglangVersion).toBe("0.5.9");
    expect(ps.upstream.commit).toBe("bbe9c7eeb520b0a67e92d133dfc137a3688dc7f2");
    expect(ps.patches.map((p) => p.name)).toEqual(["0001-add-return-token-ids-field.patch", "0002-add-marker-constant.patch"]);
    expect(ps.patches[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("the real v0.5.9 patch set has a manifest for the pinned release", async () => {
    const ps = await loadPatchSet(path.resolve(import.meta.dirname, "../../patches/sglang-v0.5.9"));
    expect(ps.sglangVersion).toBe("0.5.9");
    expect(ps.upstream.commit).toBe("bbe9c7eeb520b0a67e92d133dfc137a3688dc7f2");
    expect(ps.patches.length).toBeGreaterThan(0);
  });

  it("names a missing manifest", async () => {
    const dir = copy();
    rmSync(path.join(dir, "patchset.yaml"));
    await expect(loadPatchSet(dir)).rejects.toThrow(`patch set ${dir}: missing patchset.yaml`);
  });

  it("names a patch file listed in the manifest but missing", async () => {
    const dir = copy();
    writeFileSync(path.join(dir, "patchset.yaml"), `${require_manifest(dir)}patches: [0001-add-return-token-ids-field.patch, 0002-add-marker-constant.patch, 0003-gone.patch]\n`);
    await expect(loadPatchSet(dir)).rejects.toThrow("missing patch file(s) listed in patchset.yaml: 0003-gone.patch");
  });

  it("refuses an empty folder, badly named and empty patches, and a short commit", async () => {
    let dir = copy();
    for (const f of ["0001-add-return-token-ids-field.patch", "0002-add-marker-constant.patch"]) rmSync(path.join(dir, f));
    await expect(loadPatchSet(dir)).rejects.toThrow(/no NNNN-\*\.patch files/);
    dir = copy();
    writeFileSync(path.join(dir, "fix.patch"), "x");
    await expect(loadPatchSet(dir)).rejects.toThrow("file names must look like NNNN-short-name.patch: fix.patch");
    dir = copy();
    writeFileSync(path.join(dir, "0003-empty.patch"), "");
    await expect(loadPatchSet(dir)).rejects.toThrow("0003-empty.patch is empty");
    dir = copy();
    writeFileSync(path.join(dir, "patchset.yaml"), require_manifest(dir).replace(/commit: \w+/, "commit: bbe9c7e"));
    await expect(loadPatchSet(dir)).rejects.toThrow(/upstream\.commit: "bbe9c7e" is not a full 40-hex commit id/);
    // an all-digit id unquoted is a YAML number: the message says to quote it
    dir = copy();
    writeFileSync(path.join(dir, "patchset.yaml"), require_manifest(dir).replace(/commit: \w+/, `commit: ${"0".repeat(40)}`));
    await expect(loadPatchSet(dir)).rejects.toThrow(/upstream\.commit: expected a full 40-hex commit id in quotes \(YAML read this one as a number; write commit: "\.\.\."\), got number 0/);
    writeFileSync(path.join(dir, "patchset.yaml"), require_manifest(dir).replace(/commit: \w+/, `commit: "${"0".repeat(40)}"`));
    expect((await loadPatchSet(dir)).upstream.commit).toBe("0".repeat(40));
  });
});

function require_manifest(dir: string): string {
  return readFileSync(path.join(dir, "patchset.yaml"), "utf8");
}

describe("a series covering several releases (releases:)", () => {
  const withReleases = (dir: string, line: string) => writeFileSync(path.join(dir, "patchset.yaml"), require_manifest(dir).replace("sglangVersion: 0.5.9\n", `sglangVersion: 0.5.9\n${line}\n`));

  it("defaults to the release the series was written on", async () => {
    expect((await loadPatchSet(FIXTURE)).releases).toEqual(["0.5.9"]);
  });

  it("reads the list and answers coversRelease with or without a leading v", async () => {
    const dir = copy();
    withReleases(dir, 'releases: ["0.5.9", "0.5.9.post1"]');
    const ps = await loadPatchSet(dir);
    expect(ps.releases).toEqual(["0.5.9", "0.5.9.post1"]);
    expect(ps.sglangVersion).toBe("0.5.9");
    expect(coversRelease(ps, "v0.5.9.post1")).toBe(true);
    expect(coversRelease(ps, "0.5.10")).toBe(false);
  });

  it.each([
    ['releases: ["0.5.9.post1"]', "releases: must list sglangVersion 0.5.9 (the release the series was written on), got 0.5.9.post1"],
    ['releases: ["0.5.9", "0.5.9"]', "releases[1]: 0.5.9 is listed twice"],
    ["releases: []", "releases: expected a non-empty list of SGLang versions"],
    ["releases: 0.5.9", "releases: expected a non-empty list of SGLang versions"],
    ['releases: ["0.5.9", "latest"]', 'releases[1]: "latest" is not a quoted SGLang version like "0.5.12.post1"'],
  ])("refuses %s", async (line, message) => {
    const dir = copy();
    withReleases(dir, line);
    await expect(loadPatchSet(dir)).rejects.toThrow(message);
  });
});
