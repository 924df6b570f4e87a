import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/config/load.js";
import { UserError } from "../../src/errors.js";
import { checkCliOptions, decidePush, planTarget, resolveRefs, selectTargets, type CliOptions } from "../../src/pipeline/plan.js";
import { parseBuildImageArgs } from "../../src/cli/build-image-args.js";

const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
const CONFIG = parseConfigText(
  `
defaults:
  patchSet: test/fixtures/patchsets/fixture-v0.5.9
  image: 127.0.0.1:5000/team/sglang
targets:
  a: { base: "example/base:1", tags: [a1, a2] }
  b: { base: "example/base:2", tags: [b], push: false, baseDigest: "sha256:${"e".repeat(64)}" }
  old: { base: "example/base:3", tags: [o], sglangVersion: 0.5.8 }
`,
  path.join(REPO_ROOT, "build.yaml"),
  REPO_ROOT,
);
const PROVENANCE = { source: "https://example.invalid/src", revision: "abc", created: "2026-01-01T00:00:00.000Z" };
const opts = (over: Partial<CliOptions> = {}): CliOptions => ({ targets: [], tags: [], skipVerify: false, pushUnverified: false, dryRun: false, ...over });

describe("planning", () => {
  it("selects the default target, or the named ones, and names unknown ones with the known list", () => {
    expect(selectTargets(CONFIG, []).map((t) => t.name)).toEqual(["a"]);
    expect(selectTargets(CONFIG, ["b", "a", "b"]).map((t) => t.name)).toEqual(["b", "a"]);
    expect(() => selectTargets(CONFIG, ["nope"])).toThrow(`unknown target "nope" in ${path.join(REPO_ROOT, "build.yaml")}; known targets: a, b, old`);
  });

  it("resolves --tag: a bare tag goes under the target image, a full ref stands alone", () => {
    const a = CONFIG.targets.get("a")!;
    expect(resolveRefs(a, [])).toEqual(["127.0.0.1:5000/team/sglang:a1", "127.0.0.1:5000/team/sglang:a2"]);
    expect(resolveRefs(a, ["x", "reg.example.com:443/o/r:t"])).toEqual(["127.0.0.1:5000/team/sglang:x", "reg.example.com:443/o/r:t"]);
    expect(() => resolveRefs(a, ["Bad Tag"])).toThrow(UserError);
  });

  it.each([
    [{}, "a", true, "verified images are pushed"],
    [{ push: false }, "a", false, "--no-push"],
    [{}, "b", false, "push: false in target b"],
    [{ push: true }, "b", true, "verified images are pushed"],
    [{ skipVerify: true }, "a", false, "verify skipped (--skip-verify) and --push-unverified not given"],
    [{ skipVerify: true, pushUnverified: true }, "a", true, "--push-unverified"],
  ] as [Partial<CliOptions>, string, boolean, string][])("push decision %j for %s", (o, name, enabled, reason) => {
    expect(decidePush(CONFIG.targets.get(name)!, opts(o), "gpu")).toEqual({ enabled, reason });
  });

  it("an engine-less verify never leads to a push as verified", () => {
    expect(decidePush(CONFIG.targets.get("a")!, opts(), "engineless").enabled).toBe(false);
    expect(decidePush(CONFIG.targets.get("a")!, opts({ pushUnverified: true }), "engineless")).toEqual({ enabled: true, reason: "--push-unverified" });
  });

  it("refuses contradictory flags before any work", () => {
    expect(() => checkCliOptions(opts({ push: true, skipVerify: true }))).toThrow(/add --push-unverified/);
    expect(() => checkCliOptions(opts({ push: false, pushUnverified: true }))).toThrow(/contradicts --no-push/);
    expect(() => checkCliOptions(opts({ base: "NOT A REF" }))).toThrow(/--base "NOT A REF": not an image reference/);
    expect(() => parseBuildImageArgs(["--push", "--no-push"])).toThrow(/contradict/);
    expect(() => parseBuildImageArgs(["--bogus"])).toThrow(/Unknown option '--bogus'/);
    expect(() => parseBuildImageArgs(["--verify-mode", "tpu"])).toThrow(/expected one of gpu, engineless, cpu/);
  });

  it("plans labels, refs, the pinned base and the context hash", async () => {
    const { plan } = await planTarget(CONFIG, CONFIG.targets.get("b")!, opts(), REPO_ROOT, PROVENANCE);
    expect(plan.base).toEqual({ ref: `example/base:2@sha256:${"e".repeat(64)}`, pinnedDigest: `sha256:${"e".repeat(64)}`, platform: undefined });
    expect(plan.refs).toEqual(["127.0.0.1:5000/team/sglang:b"]);
    expect(plan.context.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(plan.labels).toMatchObject({
      "org.opencontainers.image.base.name": `example/base:2@sha256:${"e".repeat(64)}`,
      "org.opencontainers.image.version": "0.5.9+fixture-v0.5.9",
      "org.opencontainers.image.source": "https://example.invalid/src",
      "org.opencontainers.image.revision": "abc",
      "org.opencontainers.image.created": "2026-01-01T00:00:00.000Z",
      "io.github.sglang-image-patcher.patch-set": "fixture-v0.5.9",
      "io.github.sglang-image-patcher.upstream-commit": "bbe9c7eeb520b0a67e92d133dfc137a3688dc7f2",
    });
    expect(plan.labels["io.github.sglang-image-patcher.patch.0001-add-return-token-ids-field.patch.sha256"]).toMatch(/^[0-9a-f]{64}$/);
    const again = await planTarget(CONFIG, CONFIG.targets.get("b")!, opts(), REPO_ROOT, PROVENANCE);
    expect(again.plan).toEqual(plan);
  });

  it("refuses a target whose expected SGLang version is not the patch set's", async () => {
    await expect(planTarget(CONFIG, CONFIG.targets.get("old")!, opts(), REPO_ROOT, PROVENANCE)).rejects.toThrow(
      /target old expects SGLang 0\.5\.8 but patch set fixture-v0\.5\.9 .* covers 0\.5\.9: add 0\.5\.8 to its releases:/,
    );
  });

  it("attest: the target's setting, --attest / --no-attest over it, a warning when nothing is pushed", async () => {
    const args = parseBuildImageArgs(["--attest", "--sign-key", "k.key"]);
    expect(args).toMatchObject({ attest: true, signKey: "k.key", attestationDir: "out/attestations" });
    expect(parseBuildImageArgs(["--no-attest", "--attestation-dir", "/tmp/a"])).toMatchObject({ attest: false, attestationDir: "/tmp/a" });
    expect(parseBuildImageArgs([]).attest).toBeUndefined();
    expect(() => parseBuildImageArgs(["--attest", "--no-attest"])).toThrow(/--attest and --no-attest contradict/);
    expect(() => parseBuildImageArgs(["--sign-key", " "])).toThrow(/--sign-key: expected a key file/);
    const a = CONFIG.targets.get("a")!;
    expect(a.attest).toBe(false);
    const on = await planTarget(CONFIG, a, opts({ attest: true, signKey: "k.key", push: true, pushUnverified: true }), REPO_ROOT, PROVENANCE);
    expect(on.plan.attest).toEqual({ push: true, signed: true });
    expect(on.plan.warnings).toEqual([]);
    const local = await planTarget(CONFIG, { ...a, attest: true }, opts({ push: false }), REPO_ROOT, PROVENANCE);
    expect(local.plan.attest).toEqual({ push: true, signed: false });
    expect(local.plan.warnings).toEqual(["attest: nothing is pushed (--no-push), so no attestation is attached"]);
    const off = await planTarget(CONFIG, { ...a, attest: true }, opts({ attest: false }), REPO_ROOT, PROVENANCE);
    expect(off.plan.attest.push).toBe(false);
  });

  it("--base overrides the base and drops the pinned digest", async () => {
    const { plan } = await planTarget(CONFIG, CONFIG.targets.get("b")!, opts({ base: "other/base:9" }), REPO_ROOT, PROVENANCE);
    expect(plan.base.ref).toBe("other/base:9");
    expect(plan.base.pinnedDigest).toBeUndefined();
  });
});

describe("releases", () => {
  const FILE = path.join(REPO_ROOT, "build.yaml");
  const RELEASES = parseConfigText(
    `
defaults:
  image: 127.0.0.1:5000/team/sglang
defaultTargets: [old-amd64]
releases:
  "0.5.9": { patchSet: test/fixtures/patchsets/fixture-v0.5.9 }
  # a release whose folder holds another version's patch set, and one without a patchset.yaml
  "0.5.23": { patchSet: test/fixtures/patchsets/fixture-v0.5.9 }
  "0.5.30": { patchSet: test/fixtures/patchsets }
  "0.5.40": { patchSet: test/fixtures/patchsets/fixture-v0.5.9 }
targets:
  old-amd64: { release: "0.5.9", base: "example/base:1", tags: [o1] }
  old-arm64: { release: "0.5.9", base: "example/base:1", platform: linux/arm64, tags: [o2] }
  new-amd64: { release: "0.5.23", base: "example/base:2", tags: [n1] }
  missing: { release: "0.5.30", base: "example/base:3", tags: [m] }
`,
    FILE,
    REPO_ROOT,
  );
  const names = (ts: { name: string }[]) => ts.map((t) => t.name);

  it("selects the defaults, --release's targets in file order (after --target's), or --all", () => {
    expect(names(selectTargets(RELEASES, []))).toEqual(["old-amd64"]);
    expect(names(selectTargets(RELEASES, [], { releases: ["0.5.9"] }))).toEqual(["old-amd64", "old-arm64"]);
    expect(names(selectTargets(RELEASES, ["new-amd64"], { releases: ["0.5.9"] }))).toEqual(["new-amd64", "old-amd64", "old-arm64"]);
    expect(names(selectTargets(RELEASES, [], { all: true }))).toEqual(["old-amd64", "old-arm64", "new-amd64", "missing"]);
  });

  it("names an unknown release with the known ones, a release without targets, and --all with a selection", () => {
    expect(() => selectTargets(RELEASES, [], { releases: ["0.5.99"] })).toThrow(
      `unknown release "0.5.99" in ${FILE}; known releases: 0.5.9, 0.5.23, 0.5.30, 0.5.40`,
    );
    expect(() => selectTargets(RELEASES, [], { releases: ["0.5.40"] })).toThrow(`release 0.5.40 in ${FILE} has no targets`);
    expect(() => selectTargets(RELEASES, ["old-amd64"], { all: true })).toThrow("--all selects every target: leave out --target and --release");
  });

  it("a plan names its release; a release whose patch set is another version's, or has no patchset.yaml, is refused by name", async () => {
    const { plan } = await planTarget(RELEASES, RELEASES.targets.get("old-arm64")!, opts(), REPO_ROOT, PROVENANCE);
    expect(plan).toMatchObject({ target: "old-arm64", release: "0.5.9", patchSet: { sglangVersion: "0.5.9" }, base: { platform: "linux/arm64" } });
    const wrong = planTarget(RELEASES, RELEASES.targets.get("new-amd64")!, opts(), REPO_ROOT, PROVENANCE);
    await expect(wrong).rejects.toThrow(UserError);
    await expect(wrong).rejects.toThrow(/target new-amd64 \(release 0\.5\.23\) expects SGLang 0\.5\.23 but patch set fixture-v0\.5\.9 .* covers 0\.5\.9: add 0\.5\.23 to its releases:/);
    await expect(planTarget(RELEASES, RELEASES.targets.get("missing")!, opts(), REPO_ROOT, PROVENANCE)).rejects.toThrow(
      /patch set .*test\/fixtures\/patchsets: missing patchset\.yaml/,
    );
  });

  it("a release may point at a series that covers several: the plan, labels and in-image plan name the target's release", async () => {
    // A temporary series "written on" 0.5.12 that also covers 0.5.12.post1 (the real folders
    // for those releases come from the teammates' branches; this test builds its own).
    const dir = mkdtempSync(path.join(os.tmpdir(), "sip-multi-"));
    cpSync(path.join(REPO_ROOT, "test/fixtures/patchsets/fixture-v0.5.9"), dir, { recursive: true });
    writeFileSync(
      path.join(dir, "patchset.yaml"),
      'name: multi\nsglangVersion: 0.5.12\nreleases: ["0.5.12", "0.5.12.post1"]\nupstream:\n  repository: https://github.com/sgl-project/sglang\n  tag: v0.5.12\n  commit: "' + "1".repeat(40) + '"\n',
    );
    const config = parseConfigText(
      `
defaults: { image: 127.0.0.1:5000/team/sglang }
releases:
  "0.5.12": { patchSet: ${dir} }
  "0.5.12.post1": { patchSet: ${dir} }
  "0.5.13": { patchSet: ${dir} }
targets:
  post: { release: "0.5.12.post1", base: "example/base:1", tags: [p] }
  first: { release: "0.5.12", base: "example/base:1", tags: [f] }
  beyond: { release: "0.5.13", base: "example/base:1", tags: [b] }
`,
      FILE,
      REPO_ROOT,
    );
    const { plan, context } = await planTarget(config, config.targets.get("post")!, opts(), REPO_ROOT, PROVENANCE);
    expect(plan).toMatchObject({ release: "0.5.12.post1", sglangVersion: "0.5.12.post1", patchSet: { sglangVersion: "0.5.12", releases: ["0.5.12", "0.5.12.post1"] } });
    expect(plan.labels["io.github.sglang-image-patcher.sglang-version"]).toBe("0.5.12.post1");
    expect(plan.labels["org.opencontainers.image.version"]).toBe("0.5.12.post1+multi");
    expect(context.entries).toContain("patchset/patchset.json");
    const first = await planTarget(config, config.targets.get("first")!, opts(), REPO_ROOT, PROVENANCE);
    expect(first.plan.labels["io.github.sglang-image-patcher.sglang-version"]).toBe("0.5.12");
    // The two releases' contexts differ (the in-image check expects another version), so a cached build of one is never the other's.
    expect(first.plan.context.sha256).not.toBe(plan.context.sha256);
    await expect(planTarget(config, config.targets.get("beyond")!, opts(), REPO_ROOT, PROVENANCE)).rejects.toThrow(
      `target beyond (release 0.5.13) expects SGLang 0.5.13 but patch set multi (${dir}) covers 0.5.12, 0.5.12.post1: add 0.5.13 to its releases:`,
    );
  });

  it("parses --release (repeatable) and --all", () => {
    expect(parseBuildImageArgs(["--release", "0.5.9", "--release", "0.5.23"])).toMatchObject({ releases: ["0.5.9", "0.5.23"], all: false });
    expect(parseBuildImageArgs(["--all", "--dry-run"])).toMatchObject({ releases: [], all: true, dryRun: true });
  });
});
