/**
 * build-image on bases made the way other people make them (support/odd-bases.ts): no git in
 * the image, files owned by the image's non-root USER (one read-only), a pip RECORD that lists
 * the patched files, a checkout at the pinned commit with a development version string, and a
 * /root/.gitconfig that asks git to rewrite whitespace. The patched image must hold the bytes a
 * clean `git apply` gives, keep every file's owner and mode, give new __pycache__ folders
 * their parent's owner, and leave RECORD agreeing with the files.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DockerodeEngine } from "../../src/docker/engine.js";
import { expectedPatchResult } from "./support/expected-patch.js";
import { inspectFiles, runAsImageUser } from "./support/inspect-files.js";
import { BASE_USER, COMPILED_DIR, DEV_VERSION, PINNED_COMMIT, READ_ONLY_FILE, ensureOddBase } from "./support/odd-bases.js";
import { REPO_ROOT, TEST_REGISTRY, mustSkip, runBuildImage, stopRunningClis, writeConfig } from "./support/services.js";
import { fetchSglang } from "./support/stand-in-bases.js";

const skip = await mustSkip();
const engine = new DockerodeEngine();
const IMAGE = `${TEST_REGISTRY}/sglang-image-patcher-itest/odd-${Date.now().toString(36)}`;
const REAL_SET = path.join(REPO_ROOT, "patches/sglang-v0.5.9");
const WHITESPACE_SET = path.join(REPO_ROOT, "test/fixtures/patchsets/fixture-trailing-whitespace");
const bases: Record<string, string> = {};
const createdRefs: string[] = [];

function patchFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(".patch")).sort().map((f) => path.join(dir, f));
}

async function buildLocally(base: string, patchSet: string, tag: string) {
  const file = writeConfig(
    `version: 1\nsource: https://example.invalid/sglang-image-patcher\ntargets:\n  odd:\n    base: ${base}\n    patchSet: ${patchSet}\n    image: ${IMAGE}\n    tags: [${tag}]\n    push: false\n`,
  );
  const run = await runBuildImage(["--config", file, "--skip-verify"]);
  createdRefs.push(`${IMAGE}:${tag}`);
  expect(run.code, run.stderr).toBe(0);
  expect(run.json.targets[0]).toMatchObject({ status: "built", image: { addedLayers: 1 } });
  return `${IMAGE}:${tag}`;
}

function applied(image: string): Record<string, any> {
  return JSON.parse(runAsImageUser(image, "cat /opt/sglang-image-patcher/applied.json"));
}

describe.skipIf(skip)("bases that are not quite like the official ones", () => {
  afterEach(stopRunningClis);

  beforeAll(async () => {
    const log = (m: string) => process.stderr.write(`[itest] ${m}\n`);
    bases.noGit = await ensureOddBase(engine, "site-packages-no-git", log);
    bases.userOwned = await ensureOddBase(engine, "editable-user-owned", log);
  });

  afterAll(async () => {
    for (const ref of createdRefs) await engine.removeImage(ref).catch(() => {});
  });

  it("a site-packages base without git, owned by its non-root USER: git apply's bytes, owners and modes kept, RECORD consistent", async () => {
    const site = "/usr/local/lib/python3.11/dist-packages";
    expect(runAsImageUser(bases.noGit!, "command -v git || echo no-git").trim()).toBe("no-git");
    const expected = expectedPatchResult(await fetchSglang(), patchFiles(REAL_SET));
    const paths = [...expected.files.keys()].map((rel) => `${site}/${rel}`);
    const before = inspectFiles(bases.noGit!, paths);
    expect(before.record!.mismatches).toEqual([]);

    const image = await buildLocally(bases.noGit!, REAL_SET, "site-packages-no-git");
    const after = inspectFiles(image, paths);

    for (const [rel, content] of expected.files) {
      const p = `${site}/${rel}`;
      const [b, a] = [before.files[p]!, after.files[p]!];
      expect(a.sha256, `${rel} differs from git apply's result`).toBe(sha256Of(content));
      // A module the series adds (0014's tokens_as_token_ids.py) gets its folder's owner and the
      // patch's mode, as the applier documents; an edited one keeps the base file's.
      const want = b ? { uid: b.uid, gid: b.gid, mode: b.mode } : { uid: BASE_USER.uid, gid: BASE_USER.gid, mode: "0644" };
      expect({ uid: a.uid, gid: a.gid, mode: a.mode }, `${rel} owner/mode`).toEqual(want);
      expect(a.uid).toBe(BASE_USER.uid);
      expect(a.pyc?.checkedHashOfSource, `${rel} .pyc`).toBe(true);
      if (b?.pyc) {
        // pip compiled this folder: the .pyc keeps the base's owner and mode.
        expect({ uid: a.pyc!.uid, gid: a.pyc!.gid, mode: a.pyc!.mode }).toEqual({ uid: b.pyc.uid, gid: b.pyc.gid, mode: b.pyc.mode });
      } else {
        // A new __pycache__ inside the user's folder belongs to the user, like one Python made.
        expect(a.pyc).toMatchObject({ uid: BASE_USER.uid, gid: BASE_USER.gid, dirUid: BASE_USER.uid, dirGid: BASE_USER.gid, dirMode: "0755" });
      }
    }
    expect(after.files[`${site}/${READ_ONLY_FILE}`]).toMatchObject({ uid: BASE_USER.uid, gid: BASE_USER.gid, mode: "0444" });
    expect(paths.some((p) => p.includes(COMPILED_DIR) && before.files[p]?.pyc)).toBe(true);
    expect(paths.some((p) => before.files[p] && !before.files[p]!.pyc)).toBe(true);

    // RECORD: every row still matches its file, and the patched files' rows moved with them.
    expect(after.record!.mismatches).toEqual([]);
    // ...and a module the series adds gets a row of its own.
    const created = paths.filter((p) => !before.files[p]).length;
    expect(created).toBeGreaterThan(0);
    expect(after.record!.rowsWithHash).toBe(before.record!.rowsWithHash + created);
    for (const rel of expected.files.keys()) expect(after.record!.rows[rel]).not.toBe(before.record!.rows[rel]);
    const compiledPyc = Object.keys(before.record!.rows).filter((r) => r.startsWith(`${COMPILED_DIR}/__pycache__/`));
    expect(compiledPyc.length).toBeGreaterThan(0);
    expect(applied(image).recordUpdated.length).toBeGreaterThanOrEqual(expected.files.size);

    // The image still runs as the base's user, who can still write the files it owns.
    expect(execFileSync("docker", ["image", "inspect", "--format", "{{.Config.User}}", image], { encoding: "utf8" }).trim()).toBe(BASE_USER.name);
    const writable = paths.find((p) => !p.endsWith(READ_ONLY_FILE))!;
    expect(runAsImageUser(image, `id -un; test -w ${writable} && echo writable`).trim().split("\n")).toEqual([BASE_USER.name, "writable"]);
  });

  it("a user-owned checkout at the pinned commit with a dev version, and a gitconfig that fixes whitespace: accepted by its HEAD, bytes of a clean git apply", async () => {
    const root = "/sgl-workspace/sglang/python";
    const expected = expectedPatchResult(await fetchSglang(), patchFiles(WHITESPACE_SET));
    expect(expected.files.size).toBe(1);
    const [rel, content] = [...expected.files][0]!;
    expect(content.toString()).toMatch(/"kept"\t \n/); // the added line keeps its trailing whitespace
    const before = inspectFiles(bases.userOwned!, [`${root}/${rel}`]);

    const image = await buildLocally(bases.userOwned!, WHITESPACE_SET, "editable-user-owned");
    const after = inspectFiles(image, [`${root}/${rel}`]);
    const file = after.files[`${root}/${rel}`]!;
    expect(file.sha256, "the image's gitconfig changed the applied bytes").toBe(sha256Of(content));
    expect({ uid: file.uid, gid: file.gid, mode: file.mode }).toEqual({ uid: BASE_USER.uid, gid: BASE_USER.gid, mode: "0444" });
    expect(before.files[`${root}/${rel}`]!.pyc).toBeNull();
    expect(file.pyc).toMatchObject({ uid: BASE_USER.uid, gid: BASE_USER.gid, dirUid: BASE_USER.uid, checkedHashOfSource: true });
    expect(applied(image).versionCheck).toEqual({ method: "git-head", gitHead: PINNED_COMMIT, installedVersion: DEV_VERSION, sglangRelease: "0.5.9" });
  });
});

function sha256Of(content: Buffer): string {
  return createHash("sha256").update(content).digest("hex");
}
