/**
 * The build file (default build.yaml): releases (an SGLang version, its patch set and settings
 * that every target of the release shares) and targets, each a base image + release (or patch
 * set) + image name and tags + push + verify settings. A target's keys win over its release's,
 * which win over `defaults` (verify settings merge key by key).
 */
import { DIGEST, IMAGE_REF, REPOSITORY, TAG } from "../image-ref.js";
import type { Mount } from "../mount.js";
import { bool, int, isMapping, join, list, mapping, oneOf, str, type Problems } from "./validate.js";

export const VERIFY_MODES = ["gpu", "engineless", "cpu"] as const;
export type VerifyMode = (typeof VERIFY_MODES)[number];

export interface VerifySettings {
  /** gpu: the real engine on the daemon's GPUs (required before a verified push).
   *  engineless: the harness server instead of the engine (machines without a GPU); an
   *  image verified this way is never pushed as verified. cpu: the real engine on the CPU
   *  (SGLANG_USE_CPU_ENGINE=1, --device cpu) serving a tiny scripted checkpoint that
   *  modelMount provides; marked cpu-verified, never pushed as verified. */
  mode: VerifyMode;
  /** Model id (Hugging Face) or a path inside the container. */
  model: string;
  modelMount?: Mount;
  mounts: Mount[];
  /** Set in the verify container. Values are shown nowhere (the plan says "(hidden)"); a secret
   *  belongs in envFrom, not in a file. */
  env: Record<string, string>;
  /** Names of host environment variables (e.g. HF_TOKEN) whose values are passed into the verify
   *  container at run time: never written in the build file, printed, logged or labelled. */
  envFrom: string[];
  /** Extra folders (inside the container) put on PYTHONPATH after ours. */
  pythonPath: string[];
  /** Passed as --tool-call-parser; unset lets the suite pick the model's parser. */
  toolCallParser?: string;
  reasoningParser?: string;
  timeoutSeconds: number;
  startupTimeoutSeconds: number;
  gpus: "all" | number;
  /** Host folder holding sglang_engineless (engineless mode mounts it read-only). */
  harness: string;
  extraArgs: string[];
}

export interface TargetConfig {
  name: string;
  /** The release (an SGLang version, a key of `releases`) the target builds. */
  release?: string;
  base: string;
  baseDigest?: string;
  /** `baseDigest: unknown` in the file: not yet read from the registry (npm run bases:update fills it). */
  baseDigestUnknown?: boolean;
  platform?: string;
  /** Folder holding the patch set (patchset.yaml + NNNN-*.patch). */
  patchSet: string;
  /** Expected SGLang version of the base; must match the patch set's. */
  sglangVersion?: string;
  image: string;
  tags: string[];
  push: boolean;
  /** Attach the signed (or unsigned) verify attestation to the pushed digests. */
  attest: boolean;
  verify: VerifySettings;
}

/** One SGLang release: its version (the key) and what its targets share. */
export interface ReleaseConfig {
  version: string;
  patchSet: string;
  /** Target names of this release, in file order. */
  targets: string[];
}

export interface BuildConfig {
  file: string;
  /** Folder relative paths are resolved against. */
  dir: string;
  source?: string;
  defaultTargets: string[];
  targets: Map<string, TargetConfig>;
  /** By version, in file order. */
  releases: Map<string, ReleaseConfig>;
  /** Multi-arch image indexes by tag, e.g. v0.5.23-cu130: the targets (one per platform) it joins. */
  indexes: Map<string, IndexConfig>;
}

/** One OCI image index: a tag under the targets' image naming one image per platform. */
export interface IndexConfig {
  tag: string;
  targets: string[];
}

export const DEFAULT_VERIFY: VerifySettings = {
  mode: "gpu",
  model: "Qwen/Qwen2.5-0.5B-Instruct",
  mounts: [],
  env: {},
  envFrom: [],
  pythonPath: [],
  timeoutSeconds: 1800,
  startupTimeoutSeconds: 900,
  gpus: "all",
  harness: "python/harness",
  extraArgs: [],
};

// The key lists and patterns below are also what scripts/build-schema.ts turns into the JSON
// Schema editors use (docs/build.schema.json): change them, then run `npm run schema`.
export const TOP_KEYS = ["version", "source", "defaults", "defaultTargets", "releases", "targets", "indexes"] as const;
export const TARGET_KEYS = ["release", "base", "baseDigest", "platform", "patchSet", "sglangVersion", "image", "tags", "push", "attest", "verify"] as const;
/** What a release may set for its targets (a target's own base and tags are its own). */
export const RELEASE_KEYS = ["patchSet", "image", "push", "attest", "verify"] as const;
export const DEFAULTS_KEYS = TARGET_KEYS.filter((k) => k !== "release");
export const VERIFY_KEYS = [
  "mode", "model", "modelMount", "mounts", "env", "envFrom", "pythonPath", "toolCallParser", "reasoningParser",
  "timeoutSeconds", "startupTimeoutSeconds", "gpus", "harness", "extraArgs",
] as const;
export const MOUNT_KEYS = ["source", "target", "readOnly"] as const;
export const PLATFORM = /^linux\/(amd64|arm64)$/;
export const VERSION = /^\d+\.\d+\.\d+([.-]?[0-9A-Za-z.]+)?$/;
export const ABS_PATH = /^\//;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function mount(v: unknown, path: string, problems: Problems): Mount | undefined {
  const m = mapping(v, path, MOUNT_KEYS, problems);
  if (!m) return undefined;
  const source = str(m.source, join(path, "source"), problems);
  const target = str(m.target, join(path, "target"), problems, { pattern: ABS_PATH, what: "an absolute path inside the container" });
  const readOnly = m.readOnly === undefined ? true : bool(m.readOnly, join(path, "readOnly"), problems);
  if (source === undefined || target === undefined || readOnly === undefined) return undefined;
  return { source, target, readOnly };
}

function partialVerify(v: unknown, path: string, problems: Problems): Partial<VerifySettings> {
  const m = mapping(v, path, VERIFY_KEYS, problems);
  if (!m) return {};
  const out: Partial<VerifySettings> = {};
  const p = (k: string) => join(path, k);
  const set = <K extends keyof VerifySettings>(k: K, val: VerifySettings[K] | undefined) => {
    if (val !== undefined) out[k] = val;
  };
  if (m.mode !== undefined) set("mode", oneOf(m.mode, p("mode"), VERIFY_MODES, problems));
  if (m.model !== undefined) set("model", str(m.model, p("model"), problems));
  if (m.modelMount !== undefined) set("modelMount", mount(m.modelMount, p("modelMount"), problems));
  if (m.mounts !== undefined) set("mounts", list(m.mounts, p("mounts"), problems, (x, q) => mount(x, q, problems)));
  if (m.env !== undefined) {
    const env = mapping(m.env, p("env"), Object.keys(isMapping(m.env) ? m.env : {}), problems);
    if (env) {
      const ok: Record<string, string> = {};
      for (const [k, val] of Object.entries(env)) {
        if (!ENV_NAME.test(k)) problems.push(`${join(p("env"), k)}: not a valid environment variable name`);
        else if (typeof val !== "string") problems.push(`${join(p("env"), k)}: expected a string (quote numbers), got ${Array.isArray(val) ? "a list" : val === null ? "null" : `a ${typeof val}`}`); // never the value: it may be a secret
        else ok[k] = val;
      }
      set("env", ok);
    }
  }
  if (m.envFrom !== undefined) {
    const names = list(m.envFrom, p("envFrom"), problems, (x, q) => str(x, q, problems, { pattern: ENV_NAME, what: "an environment variable name" }));
    if (names) {
      const clash = names.filter((n) => out.env && n in out.env);
      if (clash.length) problems.push(`${p("envFrom")}: ${clash.join(", ")} also set in ${p("env")}; pass each variable one way`);
      set("envFrom", names);
    }
  }
  if (m.pythonPath !== undefined)
    set("pythonPath", list(m.pythonPath, p("pythonPath"), problems, (x, q) => str(x, q, problems, { pattern: ABS_PATH, what: "an absolute path inside the container" })));
  if (m.toolCallParser !== undefined) set("toolCallParser", str(m.toolCallParser, p("toolCallParser"), problems));
  if (m.reasoningParser !== undefined) set("reasoningParser", str(m.reasoningParser, p("reasoningParser"), problems));
  if (m.timeoutSeconds !== undefined) set("timeoutSeconds", int(m.timeoutSeconds, p("timeoutSeconds"), problems, 1, 86_400));
  if (m.startupTimeoutSeconds !== undefined)
    set("startupTimeoutSeconds", int(m.startupTimeoutSeconds, p("startupTimeoutSeconds"), problems, 1, 86_400));
  if (m.gpus !== undefined) {
    if (m.gpus === "all") out.gpus = "all";
    else {
      const n = int(m.gpus, p("gpus"), problems, 1, 64);
      if (n !== undefined) out.gpus = n;
    }
  }
  if (m.harness !== undefined) set("harness", str(m.harness, p("harness"), problems));
  if (m.extraArgs !== undefined) set("extraArgs", list(m.extraArgs, p("extraArgs"), problems, (x, q) => str(x, q, problems)));
  return out;
}

type PartialTarget = Partial<Omit<TargetConfig, "verify" | "name">> & { verify?: Partial<VerifySettings> };

function partialTarget(v: unknown, path: string, problems: Problems, allowed: readonly string[] = TARGET_KEYS): PartialTarget {
  const m = mapping(v, path, allowed, problems);
  if (!m) return {};
  const out: PartialTarget = {};
  const p = (k: string) => join(path, k);
  if (m.release !== undefined) out.release = str(m.release, p("release"), problems, { pattern: VERSION, what: "a release version like 0.5.9 (a key of releases)" });
  if (m.base !== undefined) out.base = str(m.base, p("base"), problems, { pattern: IMAGE_REF, what: "an image reference like repo/name:tag" });
  // "unknown" marks a digest not read yet (no registry access where the file was written): said
  // as a warning on every plan, filled by `npm run bases:update`, never silently absent.
  if (m.baseDigest === "unknown") out.baseDigestUnknown = true;
  else if (m.baseDigest !== undefined) out.baseDigest = str(m.baseDigest, p("baseDigest"), problems, { pattern: DIGEST, what: "a digest sha256:<64 hex> (or unknown)" });
  if (m.platform !== undefined) out.platform = str(m.platform, p("platform"), problems, { pattern: PLATFORM, what: "linux/amd64 or linux/arm64" });
  if (m.patchSet !== undefined) out.patchSet = str(m.patchSet, p("patchSet"), problems);
  if (m.sglangVersion !== undefined)
    out.sglangVersion = str(m.sglangVersion, p("sglangVersion"), problems, { pattern: VERSION, what: "a version like 0.5.9" });
  if (m.image !== undefined) out.image = str(m.image, p("image"), problems, { pattern: REPOSITORY, what: "a repository name (lowercase, no tag), e.g. registry.example.com/team/sglang" });
  if (m.tags !== undefined)
    out.tags = list(m.tags, p("tags"), problems, (x, q) => str(x, q, problems, { pattern: TAG, what: "a tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})" }), { nonEmpty: true });
  if (m.push !== undefined) out.push = bool(m.push, p("push"), problems);
  if (m.attest !== undefined) out.attest = bool(m.attest, p("attest"), problems);
  if (m.verify !== undefined) out.verify = partialVerify(m.verify, p("verify"), problems);
  for (const k of Object.keys(out) as (keyof PartialTarget)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/** Validates the parsed YAML document; all problems at once, never the first only. */
export function validateConfig(raw: unknown, file: string, dir: string): { config?: BuildConfig; problems: Problems } {
  const problems: Problems = [];
  const top = mapping(raw, "", TOP_KEYS, problems);
  if (!top) return { problems };
  if (top.version !== undefined && top.version !== 1) problems.push(`version: only version 1 is supported, got ${JSON.stringify(top.version)}`);
  const source = top.source === undefined ? undefined : str(top.source, "source", problems);
  const defaults = top.defaults === undefined ? {} : partialTarget(top.defaults, "defaults", problems, DEFAULTS_KEYS);
  const releases = new Map<string, ReleaseConfig>();
  const releaseDefaults = new Map<string, PartialTarget>();
  if (top.releases !== undefined) {
    const raw = mapping(top.releases, "releases", Object.keys(isMapping(top.releases) ? top.releases : {}), problems);
    for (const [version, value] of Object.entries(raw ?? {})) {
      const path = join("releases", version);
      // YAML reads 0.5 as a number; versions with two dots are strings, so only the pattern matters.
      if (!VERSION.test(version)) problems.push(`${path}: release keys are SGLang versions like 0.5.9 (quote them)`);
      const r = partialTarget(value, path, problems, RELEASE_KEYS);
      if (r.patchSet === undefined && isMapping(value) && value.patchSet === undefined) problems.push(`${join(path, "patchSet")}: required (the release's patch folder, e.g. patches/sglang-v${version})`);
      releaseDefaults.set(version, r);
      if (r.patchSet !== undefined) releases.set(version, { version, patchSet: r.patchSet, targets: [] });
    }
  }
  const targets = new Map<string, TargetConfig>();
  const rawTargets = mapping(top.targets, "targets", Object.keys(isMapping(top.targets) ? top.targets : {}), problems);
  if (rawTargets && Object.keys(rawTargets).length === 0) problems.push("targets: declare at least one target");
  for (const [name, value] of Object.entries(rawTargets ?? {})) {
    const path = join("targets", name);
    if (!TAG.test(name)) problems.push(`${path}: target names must be tag-like ([A-Za-z0-9_][A-Za-z0-9_.-]*)`);
    const t = partialTarget(value, path, problems);
    const rel = t.release === undefined ? {} : (releaseDefaults.get(t.release) ?? {});
    if (t.release !== undefined && !releaseDefaults.has(t.release)) {
      const known = [...releaseDefaults.keys()];
      problems.push(`${join(path, "release")}: no release ${JSON.stringify(t.release)} in releases (${known.length ? `known: ${known.join(", ")}` : "none declared"})`);
    }
    // A release fixes its targets' SGLang version; a target that says another is a contradiction.
    if (t.release !== undefined && t.sglangVersion !== undefined && t.sglangVersion !== t.release) {
      problems.push(`${join(path, "sglangVersion")}: ${t.sglangVersion} contradicts release ${t.release} (leave it out; the release sets it)`);
    }
    const merged = {
      ...defaults, ...rel, ...t,
      ...(t.release !== undefined ? { sglangVersion: t.release } : {}),
      verify: { ...DEFAULT_VERIFY, ...defaults.verify, ...rel.verify, ...t.verify },
    };
    for (const required of ["base", "image", "tags", "patchSet"] as const) {
      // Only report missing when the value was not given at all (a bad value was reported already).
      // A target naming a release gets the patch set from it; a bad or incomplete release was reported already.
      const given =
        (isMapping(value) && value[required] !== undefined) ||
        (required === "patchSet" && isMapping(value) && value.release !== undefined) ||
        (isMapping(top.defaults) && top.defaults[required] !== undefined) ||
        (t.release !== undefined && isMapping(top.releases) && isMapping(top.releases[t.release]) && (top.releases[t.release] as Record<string, unknown>)[required] !== undefined);
      if (merged[required] === undefined && !given) problems.push(`${join(path, required)}: required (here, in its release or in defaults)`);
    }
    if (merged.base && merged.image && merged.tags && merged.patchSet) {
      if (t.release !== undefined) releases.get(t.release)?.targets.push(name);
      targets.set(name, {
        name,
        ...(t.release !== undefined ? { release: t.release } : {}),
        base: merged.base,
        baseDigest: merged.baseDigest,
        ...(merged.baseDigestUnknown ? { baseDigestUnknown: true } : {}),
        platform: merged.platform,
        patchSet: merged.patchSet,
        sglangVersion: merged.sglangVersion,
        image: merged.image,
        tags: merged.tags,
        push: merged.push ?? true,
        attest: merged.attest ?? false,
        verify: merged.verify,
      });
    }
  }
  let defaultTargets: string[] = [];
  if (top.defaultTargets !== undefined) {
    defaultTargets = list(top.defaultTargets, "defaultTargets", problems, (x, q) => str(x, q, problems), { nonEmpty: true }) ?? [];
    defaultTargets.forEach((t, i) => {
      if (rawTargets && !(t in rawTargets)) problems.push(`${join("defaultTargets", i)}: no target named ${JSON.stringify(t)}`);
    });
  } else if (rawTargets) {
    const first = Object.keys(rawTargets)[0];
    if (first) defaultTargets = [first];
  }
  const indexes = validateIndexes(top.indexes, targets, problems);
  if (problems.length > 0) return { problems };
  return { config: { file, dir, source, defaultTargets, targets, releases, indexes }, problems };
}

/** `indexes: { TAG: [target, ...] }`: the targets exist, share one image, and differ in platform. */
function validateIndexes(raw: unknown, targets: Map<string, TargetConfig>, problems: Problems): Map<string, IndexConfig> {
  const indexes = new Map<string, IndexConfig>();
  if (raw === undefined) return indexes;
  const m = mapping(raw, "indexes", Object.keys(isMapping(raw) ? raw : {}), problems);
  for (const [tag, value] of Object.entries(m ?? {})) {
    const path = join("indexes", tag);
    if (!TAG.test(tag)) problems.push(`${path}: an index is named by its tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})`);
    const names = list(value, path, problems, (x, q) => str(x, q, problems), { nonEmpty: true }) ?? [];
    const members = names.map((n) => targets.get(n));
    names.forEach((n, i) => {
      if (!targets.has(n)) problems.push(`${join(path, i)}: no target named ${JSON.stringify(n)}`);
      else if (!members[i]!.platform) problems.push(`${join(path, i)}: target ${n} sets no platform (an index entry names one)`);
    });
    const known = members.filter((t): t is TargetConfig => t !== undefined);
    if (new Set(known.map((t) => t.image)).size > 1) problems.push(`${path}: its targets push to different images (${[...new Set(known.map((t) => t.image))].join(", ")}); an index names manifests of one repository`);
    const platforms = known.map((t) => t.platform).filter(Boolean);
    if (new Set(platforms).size !== platforms.length) problems.push(`${path}: two targets of one platform (${platforms.join(", ")})`);
    if (known.some((t) => t.tags.includes(tag))) problems.push(`${path}: the index tag is also a target's own tag`);
    indexes.set(tag, { tag, targets: names });
  }
  return indexes;
}
