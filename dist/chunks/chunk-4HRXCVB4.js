import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  DIGEST,
  IMAGE_REF,
  REPOSITORY,
  TAG
} from "./chunk-F7NKY5RN.js";

// src/config/validate.ts
function describe(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${JSON.stringify(value)}`;
}
function join(path, key) {
  if (typeof key === "number") return `${path}[${key}]`;
  const safe = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key);
  return path ? `${path}.${safe}` : safe;
}
function isMapping(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function mapping(value, path, allowed, problems) {
  if (!isMapping(value)) {
    problems.push(`${path || "(top level)"}: expected a mapping, got ${describe(value)}`);
    return void 0;
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      problems.push(`${join(path, key)}: unknown key (allowed: ${allowed.join(", ")})`);
    }
  }
  return value;
}
function str(value, path, problems, opts = {}) {
  if (typeof value !== "string" || value.trim() === "") {
    problems.push(`${path}: expected ${opts.what ?? "a non-empty string"}, got ${describe(value)}`);
    return void 0;
  }
  if (opts.pattern && !opts.pattern.test(value)) {
    problems.push(`${path}: ${JSON.stringify(value)} is not ${opts.what ?? `a string matching ${opts.pattern}`}`);
    return void 0;
  }
  return value;
}
function bool(value, path, problems) {
  if (typeof value !== "boolean") {
    problems.push(`${path}: expected true or false, got ${describe(value)}`);
    return void 0;
  }
  return value;
}
function int(value, path, problems, min, max = Number.MAX_SAFE_INTEGER) {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    problems.push(`${path}: expected an integer from ${min} to ${max}, got ${describe(value)}`);
    return void 0;
  }
  return value;
}
function oneOf(value, path, choices, problems) {
  if (typeof value !== "string" || !choices.includes(value)) {
    problems.push(`${path}: expected one of ${choices.join(", ")}, got ${describe(value)}`);
    return void 0;
  }
  return value;
}
function list(value, path, problems, item, opts = {}) {
  if (!Array.isArray(value)) {
    problems.push(`${path}: expected a list, got ${describe(value)}`);
    return void 0;
  }
  if (opts.nonEmpty && value.length === 0) {
    problems.push(`${path}: must not be empty`);
    return void 0;
  }
  const out = [];
  value.forEach((v, i) => {
    const r = item(v, join(path, i));
    if (r !== void 0) out.push(r);
  });
  return out.length === value.length ? out : void 0;
}

// src/config/schema.ts
var VERIFY_MODES = ["gpu", "engineless", "cpu"];
var DEFAULT_VERIFY = {
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
  extraArgs: []
};
var TOP_KEYS = ["version", "source", "defaults", "defaultTargets", "releases", "targets", "indexes"];
var TARGET_KEYS = ["release", "base", "baseDigest", "platform", "patchSet", "sglangVersion", "image", "tags", "push", "attest", "verify"];
var RELEASE_KEYS = ["patchSet", "image", "push", "attest", "verify"];
var DEFAULTS_KEYS = TARGET_KEYS.filter((k) => k !== "release");
var VERIFY_KEYS = [
  "mode",
  "model",
  "modelMount",
  "mounts",
  "env",
  "envFrom",
  "pythonPath",
  "toolCallParser",
  "reasoningParser",
  "timeoutSeconds",
  "startupTimeoutSeconds",
  "gpus",
  "harness",
  "extraArgs"
];
var MOUNT_KEYS = ["source", "target", "readOnly"];
var PLATFORM = /^linux\/(amd64|arm64)$/;
var VERSION = /^\d+\.\d+\.\d+([.-]?[0-9A-Za-z.]+)?$/;
var ABS_PATH = /^\//;
var ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
function mount(v, path, problems) {
  const m = mapping(v, path, MOUNT_KEYS, problems);
  if (!m) return void 0;
  const source = str(m.source, join(path, "source"), problems);
  const target = str(m.target, join(path, "target"), problems, { pattern: ABS_PATH, what: "an absolute path inside the container" });
  const readOnly = m.readOnly === void 0 ? true : bool(m.readOnly, join(path, "readOnly"), problems);
  if (source === void 0 || target === void 0 || readOnly === void 0) return void 0;
  return { source, target, readOnly };
}
function partialVerify(v, path, problems) {
  const m = mapping(v, path, VERIFY_KEYS, problems);
  if (!m) return {};
  const out = {};
  const p = (k) => join(path, k);
  const set = (k, val) => {
    if (val !== void 0) out[k] = val;
  };
  if (m.mode !== void 0) set("mode", oneOf(m.mode, p("mode"), VERIFY_MODES, problems));
  if (m.model !== void 0) set("model", str(m.model, p("model"), problems));
  if (m.modelMount !== void 0) set("modelMount", mount(m.modelMount, p("modelMount"), problems));
  if (m.mounts !== void 0) set("mounts", list(m.mounts, p("mounts"), problems, (x, q) => mount(x, q, problems)));
  if (m.env !== void 0) {
    const env = mapping(m.env, p("env"), Object.keys(isMapping(m.env) ? m.env : {}), problems);
    if (env) {
      const ok = {};
      for (const [k, val] of Object.entries(env)) {
        if (!ENV_NAME.test(k)) problems.push(`${join(p("env"), k)}: not a valid environment variable name`);
        else if (typeof val !== "string") problems.push(`${join(p("env"), k)}: expected a string (quote numbers), got ${Array.isArray(val) ? "a list" : val === null ? "null" : `a ${typeof val}`}`);
        else ok[k] = val;
      }
      set("env", ok);
    }
  }
  if (m.envFrom !== void 0) {
    const names = list(m.envFrom, p("envFrom"), problems, (x, q) => str(x, q, problems, { pattern: ENV_NAME, what: "an environment variable name" }));
    if (names) {
      const clash = names.filter((n) => out.env && n in out.env);
      if (clash.length) problems.push(`${p("envFrom")}: ${clash.join(", ")} also set in ${p("env")}; pass each variable one way`);
      set("envFrom", names);
    }
  }
  if (m.pythonPath !== void 0)
    set("pythonPath", list(m.pythonPath, p("pythonPath"), problems, (x, q) => str(x, q, problems, { pattern: ABS_PATH, what: "an absolute path inside the container" })));
  if (m.toolCallParser !== void 0) set("toolCallParser", str(m.toolCallParser, p("toolCallParser"), problems));
  if (m.reasoningParser !== void 0) set("reasoningParser", str(m.reasoningParser, p("reasoningParser"), problems));
  if (m.timeoutSeconds !== void 0) set("timeoutSeconds", int(m.timeoutSeconds, p("timeoutSeconds"), problems, 1, 86400));
  if (m.startupTimeoutSeconds !== void 0)
    set("startupTimeoutSeconds", int(m.startupTimeoutSeconds, p("startupTimeoutSeconds"), problems, 1, 86400));
  if (m.gpus !== void 0) {
    if (m.gpus === "all") out.gpus = "all";
    else {
      const n = int(m.gpus, p("gpus"), problems, 1, 64);
      if (n !== void 0) out.gpus = n;
    }
  }
  if (m.harness !== void 0) set("harness", str(m.harness, p("harness"), problems));
  if (m.extraArgs !== void 0) set("extraArgs", list(m.extraArgs, p("extraArgs"), problems, (x, q) => str(x, q, problems)));
  return out;
}
function partialTarget(v, path, problems, allowed = TARGET_KEYS) {
  const m = mapping(v, path, allowed, problems);
  if (!m) return {};
  const out = {};
  const p = (k) => join(path, k);
  if (m.release !== void 0) out.release = str(m.release, p("release"), problems, { pattern: VERSION, what: "a release version like 0.5.9 (a key of releases)" });
  if (m.base !== void 0) out.base = str(m.base, p("base"), problems, { pattern: IMAGE_REF, what: "an image reference like repo/name:tag" });
  if (m.baseDigest === "unknown") out.baseDigestUnknown = true;
  else if (m.baseDigest !== void 0) out.baseDigest = str(m.baseDigest, p("baseDigest"), problems, { pattern: DIGEST, what: "a digest sha256:<64 hex> (or unknown)" });
  if (m.platform !== void 0) out.platform = str(m.platform, p("platform"), problems, { pattern: PLATFORM, what: "linux/amd64 or linux/arm64" });
  if (m.patchSet !== void 0) out.patchSet = str(m.patchSet, p("patchSet"), problems);
  if (m.sglangVersion !== void 0)
    out.sglangVersion = str(m.sglangVersion, p("sglangVersion"), problems, { pattern: VERSION, what: "a version like 0.5.9" });
  if (m.image !== void 0) out.image = str(m.image, p("image"), problems, { pattern: REPOSITORY, what: "a repository name (lowercase, no tag), e.g. registry.example.com/team/sglang" });
  if (m.tags !== void 0)
    out.tags = list(m.tags, p("tags"), problems, (x, q) => str(x, q, problems, { pattern: TAG, what: "a tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})" }), { nonEmpty: true });
  if (m.push !== void 0) out.push = bool(m.push, p("push"), problems);
  if (m.attest !== void 0) out.attest = bool(m.attest, p("attest"), problems);
  if (m.verify !== void 0) out.verify = partialVerify(m.verify, p("verify"), problems);
  for (const k of Object.keys(out)) if (out[k] === void 0) delete out[k];
  return out;
}
function validateConfig(raw, file, dir) {
  const problems = [];
  const top = mapping(raw, "", TOP_KEYS, problems);
  if (!top) return { problems };
  if (top.version !== void 0 && top.version !== 1) problems.push(`version: only version 1 is supported, got ${JSON.stringify(top.version)}`);
  const source = top.source === void 0 ? void 0 : str(top.source, "source", problems);
  const defaults = top.defaults === void 0 ? {} : partialTarget(top.defaults, "defaults", problems, DEFAULTS_KEYS);
  const releases = /* @__PURE__ */ new Map();
  const releaseDefaults = /* @__PURE__ */ new Map();
  if (top.releases !== void 0) {
    const raw2 = mapping(top.releases, "releases", Object.keys(isMapping(top.releases) ? top.releases : {}), problems);
    for (const [version, value] of Object.entries(raw2 ?? {})) {
      const path = join("releases", version);
      if (!VERSION.test(version)) problems.push(`${path}: release keys are SGLang versions like 0.5.9 (quote them)`);
      const r = partialTarget(value, path, problems, RELEASE_KEYS);
      if (r.patchSet === void 0 && isMapping(value) && value.patchSet === void 0) problems.push(`${join(path, "patchSet")}: required (the release's patch folder, e.g. patches/sglang-v${version})`);
      releaseDefaults.set(version, r);
      if (r.patchSet !== void 0) releases.set(version, { version, patchSet: r.patchSet, targets: [] });
    }
  }
  const targets = /* @__PURE__ */ new Map();
  const rawTargets = mapping(top.targets, "targets", Object.keys(isMapping(top.targets) ? top.targets : {}), problems);
  if (rawTargets && Object.keys(rawTargets).length === 0) problems.push("targets: declare at least one target");
  for (const [name, value] of Object.entries(rawTargets ?? {})) {
    const path = join("targets", name);
    if (!TAG.test(name)) problems.push(`${path}: target names must be tag-like ([A-Za-z0-9_][A-Za-z0-9_.-]*)`);
    const t = partialTarget(value, path, problems);
    const rel = t.release === void 0 ? {} : releaseDefaults.get(t.release) ?? {};
    if (t.release !== void 0 && !releaseDefaults.has(t.release)) {
      const known = [...releaseDefaults.keys()];
      problems.push(`${join(path, "release")}: no release ${JSON.stringify(t.release)} in releases (${known.length ? `known: ${known.join(", ")}` : "none declared"})`);
    }
    if (t.release !== void 0 && t.sglangVersion !== void 0 && t.sglangVersion !== t.release) {
      problems.push(`${join(path, "sglangVersion")}: ${t.sglangVersion} contradicts release ${t.release} (leave it out; the release sets it)`);
    }
    const merged = {
      ...defaults,
      ...rel,
      ...t,
      ...t.release !== void 0 ? { sglangVersion: t.release } : {},
      verify: { ...DEFAULT_VERIFY, ...defaults.verify, ...rel.verify, ...t.verify }
    };
    for (const required of ["base", "image", "tags", "patchSet"]) {
      const given = isMapping(value) && value[required] !== void 0 || required === "patchSet" && isMapping(value) && value.release !== void 0 || isMapping(top.defaults) && top.defaults[required] !== void 0 || t.release !== void 0 && isMapping(top.releases) && isMapping(top.releases[t.release]) && top.releases[t.release][required] !== void 0;
      if (merged[required] === void 0 && !given) problems.push(`${join(path, required)}: required (here, in its release or in defaults)`);
    }
    if (merged.base && merged.image && merged.tags && merged.patchSet) {
      if (t.release !== void 0) releases.get(t.release)?.targets.push(name);
      targets.set(name, {
        name,
        ...t.release !== void 0 ? { release: t.release } : {},
        base: merged.base,
        baseDigest: merged.baseDigest,
        ...merged.baseDigestUnknown ? { baseDigestUnknown: true } : {},
        platform: merged.platform,
        patchSet: merged.patchSet,
        sglangVersion: merged.sglangVersion,
        image: merged.image,
        tags: merged.tags,
        push: merged.push ?? true,
        attest: merged.attest ?? false,
        verify: merged.verify
      });
    }
  }
  let defaultTargets = [];
  if (top.defaultTargets !== void 0) {
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
function validateIndexes(raw, targets, problems) {
  const indexes = /* @__PURE__ */ new Map();
  if (raw === void 0) return indexes;
  const m = mapping(raw, "indexes", Object.keys(isMapping(raw) ? raw : {}), problems);
  for (const [tag, value] of Object.entries(m ?? {})) {
    const path = join("indexes", tag);
    if (!TAG.test(tag)) problems.push(`${path}: an index is named by its tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})`);
    const names = list(value, path, problems, (x, q) => str(x, q, problems), { nonEmpty: true }) ?? [];
    const members = names.map((n) => targets.get(n));
    names.forEach((n, i) => {
      if (!targets.has(n)) problems.push(`${join(path, i)}: no target named ${JSON.stringify(n)}`);
      else if (!members[i].platform) problems.push(`${join(path, i)}: target ${n} sets no platform (an index entry names one)`);
    });
    const known = members.filter((t) => t !== void 0);
    if (new Set(known.map((t) => t.image)).size > 1) problems.push(`${path}: its targets push to different images (${[...new Set(known.map((t) => t.image))].join(", ")}); an index names manifests of one repository`);
    const platforms = known.map((t) => t.platform).filter(Boolean);
    if (new Set(platforms).size !== platforms.length) problems.push(`${path}: two targets of one platform (${platforms.join(", ")})`);
    if (known.some((t) => t.tags.includes(tag))) problems.push(`${path}: the index tag is also a target's own tag`);
    indexes.set(tag, { tag, targets: names });
  }
  return indexes;
}

export {
  join,
  mapping,
  str,
  VERIFY_MODES,
  VERSION,
  validateConfig
};
