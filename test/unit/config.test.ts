import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, parseConfigText } from "../../src/config/load.js";
import { ConfigError } from "../../src/errors.js";

const REPO_ROOT = path.resolve(import.meta.dirname, "../..");

function problems(yaml: string): string[] {
  try {
    parseConfigText(yaml, "build.yaml", "/tmp");
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

const VALID = `
version: 1
defaults:
  patchSet: patches/sglang-v0.5.9
  image: registry.example.com/team/sglang
targets:
  v0.5.9-cu129-amd64:
    base: lmsysorg/sglang:v0.5.9-cu129-amd64
    tags: [v0.5.9-cu129-amd64]
`;

describe("build file validation", () => {
  it("accepts a minimal file and merges defaults under the target", () => {
    const c = parseConfigText(VALID, "build.yaml", "/tmp");
    const t = c.targets.get("v0.5.9-cu129-amd64")!;
    expect(t.image).toBe("registry.example.com/team/sglang");
    expect(t.push).toBe(true);
    expect(t.verify.mode).toBe("gpu");
    expect(t.verify.model).toBe("Qwen/Qwen2.5-0.5B-Instruct");
    expect(c.defaultTargets).toEqual(["v0.5.9-cu129-amd64"]);
  });

  it("merges verify settings key by key: target over defaults over built-in defaults", () => {
    const c = parseConfigText(
      `${VALID}    verify: { timeoutSeconds: 60 }\n`.replace("  image: registry.example.com/team/sglang", "  image: registry.example.com/team/sglang\n  verify: { mode: engineless, timeoutSeconds: 10 }"),
      "build.yaml",
      "/tmp",
    );
    const v = c.targets.get("v0.5.9-cu129-amd64")!.verify;
    expect(v).toMatchObject({ mode: "engineless", timeoutSeconds: 60, gpus: "all" });
  });

  it.each([
    ["unknown top-level key", `${VALID}colour: blue\n`, ["colour: unknown key (allowed: version, source, defaults, defaultTargets, releases, targets, indexes)"]],
    ["unknown target key", VALID.replace("    tags:", "    tgas: [x]\n    tags:"), [`targets."v0.5.9-cu129-amd64".tgas: unknown key (allowed: release, base, baseDigest, platform, patchSet, sglangVersion, image, tags, push, attest, verify)`]],
    ["tag with a slash", VALID.replace("tags: [v0.5.9-cu129-amd64]", "tags: [a/b]"), [`targets."v0.5.9-cu129-amd64".tags[0]: "a/b" is not a tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})`]],
    ["empty tags", VALID.replace("tags: [v0.5.9-cu129-amd64]", "tags: []"), [`targets."v0.5.9-cu129-amd64".tags: must not be empty`]],
    ["push not a boolean", VALID.replace("    tags:", "    push: yes please\n    tags:"), [`targets."v0.5.9-cu129-amd64".push: expected true or false, got string "yes please"`]],
    ["attest not a boolean", VALID.replace("    tags:", "    attest: sometimes\n    tags:"), [`targets."v0.5.9-cu129-amd64".attest: expected true or false, got string "sometimes"`]],
    ["bad digest", VALID.replace("    tags:", "    baseDigest: sha256:abc\n    tags:"), [`targets."v0.5.9-cu129-amd64".baseDigest: "sha256:abc" is not a digest sha256:<64 hex> (or unknown)`]],
    ["uppercase repository", VALID.replace("registry.example.com/team/sglang", "Registry/Team"), [`defaults.image: "Registry/Team" is not a repository name (lowercase, no tag), e.g. registry.example.com/team/sglang`]],
    ["bad verify mode", VALID.replace("    tags:", "    verify: { mode: tpu }\n    tags:"), [`targets."v0.5.9-cu129-amd64".verify.mode: expected one of gpu, engineless, cpu, got string "tpu"`]],
    ["negative timeout", VALID.replace("    tags:", "    verify: { timeoutSeconds: -5 }\n    tags:"), [`targets."v0.5.9-cu129-amd64".verify.timeoutSeconds: expected an integer from 1 to 86400, got number -5`]],
    ["relative mount target", VALID.replace("    tags:", "    verify: { mounts: [{ source: /a, target: rel }] }\n    tags:"), [`targets."v0.5.9-cu129-amd64".verify.mounts[0].target: "rel" is not an absolute path inside the container`]],
    ["numeric env value", VALID.replace("    tags:", "    verify: { env: { HF_HUB_OFFLINE: 1 } }\n    tags:"), [`targets."v0.5.9-cu129-amd64".verify.env.HF_HUB_OFFLINE: expected a string (quote numbers), got a number`]],
    ["envFrom name", VALID.replace("    tags:", "    verify: { envFrom: [HF_TOKEN, bad-name] }\n    tags:"), [`targets."v0.5.9-cu129-amd64".verify.envFrom[1]: "bad-name" is not an environment variable name`]],
    ["envFrom and env", VALID.replace("    tags:", "    verify: { env: { HF_TOKEN: x }, envFrom: [HF_TOKEN] }\n    tags:"), [`targets."v0.5.9-cu129-amd64".verify.envFrom: HF_TOKEN also set in targets."v0.5.9-cu129-amd64".verify.env; pass each variable one way`]],
    ["missing base", VALID.replace("    base: lmsysorg/sglang:v0.5.9-cu129-amd64\n", ""), [`targets."v0.5.9-cu129-amd64".base: required (here, in its release or in defaults)`]],
    ["unknown default target", `${VALID}defaultTargets: [nope]\n`, [`defaultTargets[0]: no target named "nope"`]],
    ["bad platform", VALID.replace("    tags:", "    platform: windows/amd64\n    tags:"), [`targets."v0.5.9-cu129-amd64".platform: "windows/amd64" is not linux/amd64 or linux/arm64`]],
    ["wrong version", VALID.replace("version: 1", "version: 2"), ["version: only version 1 is supported, got 2"]],
  ])("%s", (_name, yaml, expected) => {
    expect(problems(yaml)).toEqual(expected);
  });

  it("reports every problem at once", () => {
    const yaml = VALID.replace("    tags: [v0.5.9-cu129-amd64]", "    tags: [a/b]\n    push: maybe\n    verify: { mode: x, gpus: 0 }").concat("extra: 1\n");
    const p = problems(yaml);
    expect(p).toHaveLength(5);
    expect(p.join("\n")).toMatch(/extra: unknown key/);
    expect(p.join("\n")).toMatch(/verify\.gpus: expected an integer from 1 to 64/);
  });

  it("reports invalid YAML with its position", () => {
    const p = problems("targets:\n  a: [unclosed\n");
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^YAML: .*at line \d+, column \d+/);
  });

  it("rejects duplicate keys", () => {
    expect(problems(`${VALID}targets: {}\n`)[0]).toMatch(/YAML: Map keys must be unique/);
  });

  it("reports a missing file by name", async () => {
    await expect(loadConfig("/nonexistent/build.yaml")).rejects.toThrow("cannot read the build file /nonexistent/build.yaml: no such file");
  });

  it("the shipped build.yaml pins every target's base (a digest, or unknown until bases:update reads it) and joins each lane's architectures in one index", async () => {
    const c = await loadConfig(path.join(REPO_ROOT, "build.yaml"));
    for (const t of c.targets.values()) expect(t.baseDigest !== undefined || t.baseDigestUnknown === true, `${t.name} has no baseDigest`).toBe(true);
    expect([...c.indexes.keys()]).toContain("v0.5.23-cu130");
    expect(c.indexes.get("v0.5.23-cu130-runtime")!.targets).toEqual(["v0.5.23-cu130-amd64-runtime", "v0.5.23-cu130-arm64-runtime"]);
    // every target is in exactly one index
    expect([...c.indexes.values()].flatMap((i) => i.targets).sort()).toEqual([...c.targets.keys()].sort());
  });

  it("indexes: targets that exist, one image, one per platform, the index tag not a target's", () => {
    const file = `${VALID}  v0.5.9-cu129-arm64:
    base: lmsysorg/sglang:v0.5.9-cu129-arm64
    platform: linux/arm64
    baseDigest: unknown
    tags: [v0.5.9-cu129-arm64]
  other:
    base: lmsysorg/sglang:v0.5.9-cu129-arm64
    platform: linux/arm64
    image: registry.example.com/team/other
    tags: [x]
indexes:
  lane: [v0.5.9-cu129-amd64, v0.5.9-cu129-arm64, ghost]
  mixed: [v0.5.9-cu129-arm64, other]
  v0.5.9-cu129-arm64: [v0.5.9-cu129-arm64]
`;
    expect(problems(file)).toEqual([
      'indexes.lane[0]: target v0.5.9-cu129-amd64 sets no platform (an index entry names one)',
      'indexes.lane[2]: no target named "ghost"',
      "indexes.mixed: its targets push to different images (registry.example.com/team/sglang, registry.example.com/team/other); an index names manifests of one repository",
      "indexes.mixed: two targets of one platform (linux/arm64, linux/arm64)",
      'indexes."v0.5.9-cu129-arm64": the index tag is also a target\'s own tag',
    ]);
  });

  it("the shipped build.yaml declares the official variants per release, v0.5.9-cu129-amd64 by default", async () => {
    const c = await loadConfig(path.join(REPO_ROOT, "build.yaml"));
    expect(c.defaultTargets).toEqual(["v0.5.9-cu129-amd64"]);
    expect([...c.releases.keys()]).toEqual(["0.5.9", "0.5.10.post1", "0.5.12", "0.5.12.post1", "0.5.13.post1", "0.5.15.post1", "0.5.19", "0.5.20", "0.5.23"]);
    const variants = (v: string, cudas: string[]) =>
      cudas.flatMap((cu) => ["amd64", "arm64"].flatMap((arch) => [`v${v}-${cu}-${arch}`, `v${v}-${cu}-${arch}-runtime`])).sort();
    expect([...c.releases.get("0.5.9")!.targets].sort()).toEqual(variants("0.5.9", ["cu129", "cu130"]));
    // both CUDA lanes up to v0.5.19, the last release with CUDA 12
    for (const v of ["0.5.10.post1", "0.5.12", "0.5.12.post1", "0.5.13.post1", "0.5.15.post1", "0.5.19"]) {
      expect([...c.releases.get(v)!.targets].sort()).toEqual(variants(v, ["cu129", "cu130"]));
    }
    // CUDA 12 images stop after v0.5.19: 0.5.20 and 0.5.23 are cu130 only
    for (const v of ["0.5.20", "0.5.23"]) {
      expect([...c.releases.get(v)!.targets].sort()).toEqual(variants(v, ["cu130"]));
    }
    expect(c.targets.size).toBe(8 + 6 * 8 + 2 * 4);
    // a post release built with the series of the release it follows (which lists it under releases:)
    expect(c.releases.get("0.5.12.post1")!.patchSet).toBe("patches/sglang-v0.5.12");
    for (const t of c.targets.values()) {
      const release = c.releases.get(t.release!)!;
      expect(release.targets).toContain(t.name);
      expect(t.sglangVersion).toBe(release.version);
      expect(t.patchSet).toBe(release.version === "0.5.12.post1" ? "patches/sglang-v0.5.12" : `patches/sglang-v${release.version}`);
      expect(t.name.startsWith(`v${release.version}-`)).toBe(true);
      expect(t.platform).toBe(t.name.includes("arm64") ? "linux/arm64" : "linux/amd64");
      // v0.5.9 has per-arch tags; from the multi-arch publishing on (0.5.10.post1), one tag per lane for both arches
      expect(t.base).toBe(release.version === "0.5.9" ? `lmsysorg/sglang:${t.name}` : `lmsysorg/sglang:${t.name.replace(/-(amd64|arm64)/, "")}`);
      expect(t.baseDigestUnknown).toBe(true);
    }
    // one index per lane and variant of every release, joining its amd64 and arm64 targets
    expect(c.indexes.size).toBe(4 + 6 * 4 + 2 * 2);
    for (const [tag, index] of c.indexes) {
      expect(index.targets).toEqual([`${tag.replace(/(-runtime)?$/, "-amd64$1")}`, `${tag.replace(/(-runtime)?$/, "-arm64$1")}`]);
    }
  });

  it("a release gives its targets the patch set and SGLang version; target over release over defaults", () => {
    const c = parseConfigText(
      `
defaults:
  image: registry.example.com/team/sglang
  verify: { mode: engineless, timeoutSeconds: 10, model: m0 }
releases:
  "0.5.9": { patchSet: patches/sglang-v0.5.9 }
  "0.5.23": { patchSet: patches/sglang-v0.5.23, verify: { timeoutSeconds: 20, model: m1 }, push: false }
targets:
  old: { release: "0.5.9", base: "b:1", tags: [o] }
  new: { release: "0.5.23", base: "b:2", tags: [n], verify: { model: m2 } }
  legacy: { patchSet: somewhere, base: "b:3", tags: [l] }
`,
      "build.yaml",
      "/tmp",
    );
    expect(c.targets.get("old")).toMatchObject({ release: "0.5.9", patchSet: "patches/sglang-v0.5.9", sglangVersion: "0.5.9", push: true });
    expect(c.targets.get("new")).toMatchObject({ release: "0.5.23", patchSet: "patches/sglang-v0.5.23", sglangVersion: "0.5.23", push: false });
    expect(c.targets.get("new")!.verify).toMatchObject({ mode: "engineless", timeoutSeconds: 20, model: "m2" });
    expect(c.targets.get("old")!.verify).toMatchObject({ timeoutSeconds: 10, model: "m0" });
    expect(c.targets.get("legacy")).toMatchObject({ patchSet: "somewhere", sglangVersion: undefined });
    expect(c.targets.get("legacy")!.release).toBeUndefined();
    expect([...c.releases.values()]).toEqual([
      { version: "0.5.9", patchSet: "patches/sglang-v0.5.9", targets: ["old"] },
      { version: "0.5.23", patchSet: "patches/sglang-v0.5.23", targets: ["new"] },
    ]);
  });

  const RELEASES = `
defaults:
  image: registry.example.com/team/sglang
releases:
  "0.5.9": { patchSet: patches/sglang-v0.5.9 }
targets:
  t: { release: "0.5.9", base: "b:1", tags: [t] }
`;
  it.each([
    ["unknown release", RELEASES.replace('release: "0.5.9"', 'release: "0.5.77"'), [`targets.t.release: no release "0.5.77" in releases (known: 0.5.9)`]],
    ["release that is not a version", RELEASES.replace('release: "0.5.9"', "release: latest"), [`targets.t.release: "latest" is not a release version like 0.5.9 (a key of releases)`]],
    ["sglangVersion contradicting the release", RELEASES.replace('tags: [t] }', 'tags: [t], sglangVersion: 0.5.23 }'), [`targets.t.sglangVersion: 0.5.23 contradicts release 0.5.9 (leave it out; the release sets it)`]],
    ["release without a patch set", RELEASES.replace("{ patchSet: patches/sglang-v0.5.9 }", "{ push: false }"), [`releases."0.5.9".patchSet: required (the release's patch folder, e.g. patches/sglang-v0.5.9)`]],
    ["base in a release", RELEASES.replace("{ patchSet: patches/sglang-v0.5.9 }", "{ patchSet: p, base: x }"), [`releases."0.5.9".base: unknown key (allowed: patchSet, image, push, attest, verify)`]],
    ["release key not a version", RELEASES.replace('"0.5.9": {', 'latest: {'), [`releases.latest: release keys are SGLang versions like 0.5.9 (quote them)`, `targets.t.release: no release "0.5.9" in releases (known: latest)`]],
    ["release in defaults", RELEASES.replace("  image: registry", '  release: "0.5.9"\n  image: registry'), [`defaults.release: unknown key (allowed: base, baseDigest, platform, patchSet, sglangVersion, image, tags, push, attest, verify)`]],
  ])("%s", (_name, yaml, expected) => {
    expect(problems(yaml)).toEqual(expected);
  });
});
