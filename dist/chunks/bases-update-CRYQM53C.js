import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  createLogger,
  loadConfig
} from "./chunk-UOAZVG7U.js";
import {
  printResult,
  reportError,
  require_dist
} from "./chunk-G4VJ447Q.js";
import "./chunk-4HRXCVB4.js";
import "./chunk-LRJ6VPQL.js";
import {
  MANIFEST_TYPES,
  registryBaseUrl,
  registryGet,
  registryPath
} from "./chunk-LHFICXII.js";
import {
  resolveRegistryAuth
} from "./chunk-CAIBC3BL.js";
import {
  registryHost,
  repositoryAndTag
} from "./chunk-F7NKY5RN.js";
import {
  UserError,
  errorMessage,
  exitCodeFor
} from "./chunk-2IM7SQKB.js";
import {
  __toESM
} from "./chunk-U4OZQXGD.js";

// src/cli/bases-update.ts
var import_yaml = __toESM(require_dist(), 1);
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
var BASES_HELP = `Usage: npm run bases:update -- [options]
       sglang-image-patcher bases [options]

Reads each target's base image from its registry and sets the target's baseDigest in the build
file to the digest of the target's platform's image (for a multi-arch tag: that platform's entry
of the index). Prints the diff on stderr and one JSON result on stdout.

Options:
  --config FILE    build file (default: build.yaml)
  --target NAME    only this target; repeatable (default: every target)
  --check          write nothing; exit 1 when a digest is missing, unknown or has moved
  -h, --help       show this help

Exit codes: 0 done (or, with --check, nothing to change), 1 a registry could not be read or
(--check) something would change, 2 bad input.
`;
async function platformDigest(base, platform, env = process.env) {
  const { repository, tag } = repositoryAndTag(base);
  const auth = (await resolveRegistryAuth(repository, env))?.auth;
  const url = `${registryBaseUrl(registryHost(repository))}/v2/${registryPath(repository)}/manifests/${tag}`;
  const res = await registryGet(url, MANIFEST_TYPES.join(", "), { auth });
  if (!res.ok) throw new Error(`the registry answered HTTP ${res.status} for ${base}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  const { createHash } = await import("node:crypto");
  const own = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  const doc = JSON.parse(bytes.toString("utf8"));
  if (!doc.manifests) {
    if (!platform) return own;
    const config = doc.config;
    if (!config) throw new Error(`${base} is neither an image nor an index`);
    const blob = await registryGet(`${registryBaseUrl(registryHost(repository))}/v2/${registryPath(repository)}/blobs/${config.digest}`, "*/*", { auth });
    const c = await blob.json();
    if (`${c.os}/${c.architecture}` !== platform) throw new Error(`${base} is one ${c.os}/${c.architecture} image, not ${platform}`);
    return own;
  }
  if (!platform) throw new Error(`${base} is a multi-arch index: the target must set its platform`);
  const [os, architecture] = platform.split("/");
  const matches = doc.manifests.filter((m) => m.platform?.os === os && m.platform?.architecture === architecture);
  if (matches.length !== 1) throw new Error(`${base}'s index has ${matches.length} entries for ${platform} (${doc.manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}`).join(", ")})`);
  return matches[0].digest;
}
function rewriteBaseDigests(text, digests) {
  const doc = (0, import_yaml.parseDocument)(text);
  const targets = doc.get("targets", true);
  if (!(0, import_yaml.isMap)(targets)) throw new UserError("the build file has no targets mapping");
  const edits = [];
  for (const [name, digest] of Object.entries(digests)) {
    const target = targets.get(name, true);
    if (!(0, import_yaml.isMap)(target)) continue;
    const existing = target.get("baseDigest", true);
    if ((0, import_yaml.isScalar)(existing) && existing.range) {
      edits.push({ at: existing.range[0], end: existing.range[1], text: digest });
      continue;
    }
    const base = target.items.find((p) => (0, import_yaml.isScalar)(p.key) && p.key.value === "base");
    const value = base?.value;
    if (!base || !(0, import_yaml.isScalar)(value) || !value.range || !(0, import_yaml.isScalar)(base.key) || !base.key.range) throw new UserError(`target ${name} has no base: line to add baseDigest after`);
    const lineStart = text.lastIndexOf("\n", base.key.range[0]) + 1;
    const indent = text.slice(lineStart, base.key.range[0]);
    const lineEnd = text.indexOf("\n", value.range[1]);
    const at = lineEnd < 0 ? text.length : lineEnd;
    edits.push({ at, end: at, text: `
${indent}baseDigest: ${digest}` });
  }
  let out = text;
  for (const e of edits.sort((a, b) => b.at - a.at)) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  return out;
}
function lineDiff(before, after, file) {
  const a = before.split("\n");
  const b = after.split("\n");
  const out = [`--- ${file}`, `+++ ${file}`];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (a[i] === b[j]) {
      i++;
      j++;
    } else if (b[j + 1] !== void 0 && a[i] === b[j + 1]) {
      out.push(`@@ ${j + 1} @@`, `+${b[j]}`);
      j++;
    } else {
      out.push(`@@ ${i + 1} @@`, `-${a[i] ?? ""}`, `+${b[j] ?? ""}`);
      i++;
      j++;
    }
  }
  return out.length > 2 ? `${out.join("\n")}
` : "";
}
async function basesUpdate(argv, env = process.env) {
  const logger = createLogger();
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, strict: true, options: { config: { type: "string" }, target: { type: "string", multiple: true }, check: { type: "boolean" }, help: { type: "boolean", short: "h" } } });
    } catch (e) {
      throw new UserError(`${errorMessage(e)}
Run with --help to see the options.`, 2, { cause: e });
    }
    if (parsed.values.help) {
      process.stdout.write(BASES_HELP);
      return 0;
    }
    const file = parsed.values.config ?? "build.yaml";
    const config = await loadConfig(file);
    const wanted = parsed.values.target ?? [...config.targets.keys()];
    const unknown = wanted.filter((t) => !config.targets.has(t));
    if (unknown.length) throw new UserError(`unknown target ${unknown.join(", ")} in ${file}`);
    const answers = [];
    const cache = /* @__PURE__ */ new Map();
    for (const name of wanted) {
      const t = config.targets.get(name);
      const key = `${t.base} ${t.platform ?? ""}`;
      if (!cache.has(key)) cache.set(key, platformDigest(t.base, t.platform, env));
      const old = t.baseDigest ?? (t.baseDigestUnknown ? "unknown" : void 0);
      try {
        answers.push({ target: name, base: t.base, ...t.platform ? { platform: t.platform } : {}, ...old ? { old } : {}, digest: await cache.get(key) });
      } catch (e) {
        answers.push({ target: name, base: t.base, ...old ? { old } : {}, error: errorMessage(e) });
      }
    }
    for (const a of answers) logger.info(a.error ? `${a.target}: ${a.base} could not be read (${a.error}); left as ${a.old ?? "absent"}` : `${a.target}: ${a.base} ${a.platform ?? ""} = ${a.digest}${a.old === a.digest ? " (unchanged)" : ` (was ${a.old ?? "absent"})`}`);
    const changed = Object.fromEntries(answers.filter((a) => a.digest && a.digest !== a.old).map((a) => [a.target, a.digest]));
    const before = readFileSync(config.file, "utf8");
    const after = rewriteBaseDigests(before, changed);
    const diff = lineDiff(before, after, file);
    const failed = answers.filter((a) => a.error);
    process.stderr.write(diff || (failed.length ? `${file}: nothing changed; ${failed.length} base(s) could not be read (see above)
` : `${file}: every base digest is current
`));
    const check = Boolean(parsed.values.check);
    if (!check && after !== before) writeFileSync(config.file, after);
    const ok = failed.length === 0 && !(check && diff !== "");
    printResult({ ok, file, written: !check && after !== before, changed, targets: answers, ...diff ? { diff } : {} });
    return ok ? 0 : 1;
  } catch (e) {
    reportError(e);
    printResult({ ok: false, error: { message: errorMessage(e), exitCode: exitCodeFor(e) } });
    return exitCodeFor(e);
  }
}
export {
  BASES_HELP,
  basesUpdate,
  lineDiff,
  platformDigest,
  rewriteBaseDigests
};
