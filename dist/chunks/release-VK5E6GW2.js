import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  REPO_ROOT
} from "./chunk-HFOA7Y4D.js";
import {
  printResult,
  reportError,
  require_dist
} from "./chunk-G4VJ447Q.js";
import {
  readRegistryTag
} from "./chunk-LHFICXII.js";
import {
  resolveRegistryAuth
} from "./chunk-CAIBC3BL.js";
import {
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

// src/cli/release.ts
import { readFileSync as readFileSync3 } from "node:fs";
import { parseArgs } from "node:util";

// src/release/coverage.ts
var import_yaml = __toESM(require_dist(), 1);
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";

// src/release/versions.ts
var PATTERN = /^v?(\d+(?:\.\d+)*)(?:[.-]?(a|b|rc|alpha|beta|c)\.?(\d+)?)?(?:[.-]?post\.?(\d+))?(?:[.-]?dev\.?(\d+))?$/i;
function parseVersion(text) {
  const m = PATTERN.exec(text.trim());
  if (!m) return void 0;
  const kind = m[2]?.toLowerCase();
  const pre = kind ? { kind: kind === "alpha" ? "a" : kind === "beta" ? "b" : kind === "c" ? "rc" : kind, n: Number(m[3] ?? 0) } : void 0;
  return {
    text: text.trim().replace(/^v/, ""),
    release: m[1].split(".").map(Number),
    ...pre ? { pre } : {},
    ...m[4] !== void 0 ? { post: Number(m[4]) } : {},
    ...m[5] !== void 0 ? { dev: Number(m[5]) } : {}
  };
}
function isPrerelease(v) {
  return v.pre !== void 0 || v.dev !== void 0;
}
var PRE_RANK = { a: 0, b: 1, rc: 2 };
function compareVersions(a, b) {
  const n = Math.max(a.release.length, b.release.length);
  for (let i = 0; i < n; i++) {
    const d = (a.release[i] ?? 0) - (b.release[i] ?? 0);
    if (d) return Math.sign(d);
  }
  const stage = (v) => v.pre ? [1, PRE_RANK[v.pre.kind], v.pre.n] : v.post === void 0 && v.dev !== void 0 ? [0, 0, 0] : [2, 0, 0];
  const [sa, sb] = [stage(a), stage(b)];
  for (let i = 0; i < 3; i++) if (sa[i] !== sb[i]) return Math.sign(sa[i] - sb[i]);
  const post = (a.post ?? -1) - (b.post ?? -1);
  if (post) return Math.sign(post);
  return Math.sign((a.dev ?? Infinity) - (b.dev ?? Infinity)) || 0;
}
function sortVersions(texts) {
  return [...texts].map((t) => parseVersion(t)).filter((v) => v !== void 0).sort(compareVersions).map((v) => v.text);
}
function compareText(a, b) {
  const [va, vb] = [parseVersion(a), parseVersion(b)];
  if (!va || !vb) throw new Error(`not a release version: ${!va ? a : b}`);
  return compareVersions(va, vb);
}

// src/release/coverage.ts
function readSeries(dir) {
  const file = join(dir, "patchset.yaml");
  const doc = (0, import_yaml.parse)(readFileSync(file, "utf8"));
  const own = String(doc?.sglangVersion ?? "");
  if (!parseVersion(own)) throw new UserError(`${file}: sglangVersion ${JSON.stringify(doc?.sglangVersion)} is not a release version`);
  const listed = Array.isArray(doc.releases) ? doc.releases.map(String) : [own];
  return { dir: resolve(dir), sglangVersion: own, releases: listed.includes(own) ? listed : [own, ...listed] };
}
function readCoverage(root, extraSeries = []) {
  const patches = join(root, "patches");
  const dirs = existsSync(patches) ? readdirSync(patches, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name.startsWith("sglang-v") && existsSync(join(patches, d.name, "patchset.yaml"))).map((d) => join(patches, d.name)) : [];
  const series = [...dirs, ...extraSeries].map(readSeries);
  const buildFile = join(root, "build.yaml");
  const build = existsSync(buildFile) ? (0, import_yaml.parse)(readFileSync(buildFile, "utf8")) ?? {} : {};
  return { series: series.sort((a, b) => compareText(a.sglangVersion, b.sglangVersion)), built: Object.keys(build.releases ?? {}) };
}
function coverageUpTo(c, newest) {
  const keep = (v) => compareText(v, newest) <= 0;
  return { series: c.series.filter((s) => keep(s.sglangVersion)), built: c.built.filter(keep) };
}
function supportedReleases(c) {
  const all = /* @__PURE__ */ new Set([...c.built, ...c.series.flatMap((s) => s.releases)]);
  return [...all].sort(compareText);
}
function coveringSeries(c, version) {
  return c.series.find((s) => s.releases.includes(version));
}
function nearestSeries(c, version) {
  if (c.series.length === 0) throw new UserError("no patch series to start from (patches/sglang-v*/patchset.yaml)");
  const below = c.series.filter((s) => compareText(s.sglangVersion, version) <= 0);
  return below.length ? below[below.length - 1] : c.series[0];
}
function classify(c, releases) {
  const supported = supportedReleases(c);
  const newest = supported[supported.length - 1];
  return releases.map((version) => {
    const covering = coveringSeries(c, version);
    if (c.built.includes(version)) return { version, state: "built", ...covering ? { series: covering.dir } : {} };
    if (covering) return { version, state: "covered", series: covering.dir };
    if (!newest || compareText(version, newest) > 0) return { version, state: "new" };
    return { version, state: "not-supported" };
  });
}

// src/release/pypi-releases.ts
var PYPI_JSON_URL = "https://pypi.org/pypi/sglang/json";
var PypiUnreachableError = class extends UserError {
  constructor(message, options = {}) {
    super(message, 1, { ...options, code: "PYPI_UNREACHABLE" });
    this.name = "PypiUnreachableError";
  }
};
function parsePypiAnswer(answer) {
  if (!answer || typeof answer !== "object" || !answer.releases || typeof answer.releases !== "object") {
    throw new PypiUnreachableError("PyPI's answer has no `releases` object (not the JSON API's shape)");
  }
  const out = { releases: [], yanked: [], prereleases: [], empty: [], unparsed: [], uploaded: {} };
  for (const [key, files] of Object.entries(answer.releases)) {
    const v = parseVersion(key);
    if (!v) {
      out.unparsed.push(key);
      continue;
    }
    if (!Array.isArray(files) || files.length === 0) {
      out.empty.push(key);
      continue;
    }
    const times = files.map((f) => f.upload_time_iso_8601).filter((t) => typeof t === "string").sort();
    if (times[0]) out.uploaded[key] = times[0];
    if (files.every((f) => f.yanked === true)) {
      const reason = files.find((f) => f.yanked_reason)?.yanked_reason ?? void 0;
      out.yanked.push({ version: key, ...reason ? { reason } : {} });
    } else if (isPrerelease(v)) {
      out.prereleases.push(key);
    } else {
      out.releases.push(key);
    }
  }
  out.releases = sortVersions(out.releases);
  out.prereleases = sortVersions(out.prereleases);
  return out;
}
async function fetchPypiReleases(url = PYPI_JSON_URL, fetchImpl = fetch, timeoutMs = 3e4) {
  let res;
  try {
    res = await fetchImpl(url, { headers: { Accept: "application/json", "User-Agent": "sglang-image-patcher release-watch" }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    throw new PypiUnreachableError(`PyPI could not be reached at ${url}: ${errorMessage((e instanceof Error ? e.cause : void 0) ?? e)}`, { cause: e });
  }
  if (!res.ok) throw new PypiUnreachableError(`PyPI answered HTTP ${res.status} for ${url}`);
  let body;
  try {
    body = await res.json();
  } catch (e) {
    throw new PypiUnreachableError(`PyPI's answer for ${url} is not JSON: ${errorMessage(e)}`, { cause: e });
  }
  return parsePypiAnswer(body);
}

// src/release/proposal.ts
import { existsSync as existsSync2, mkdirSync, readFileSync as readFileSync2, rmSync, writeFileSync } from "node:fs";
import { join as join2, relative, resolve as resolve2 } from "node:path";

// src/release/image-targets.ts
var UPSTREAM_IMAGE = "lmsysorg/sglang";
function candidateTargets(version, image = UPSTREAM_IMAGE) {
  const out = [];
  const multiArch = compareText(version, "0.5.20") >= 0;
  const lanes = compareText(version, "0.5.19") > 0 ? ["cu130"] : ["cu129", "cu130"];
  for (const lane of lanes)
    for (const flavour of ["", "-runtime"])
      for (const arch of ["amd64", "arm64"]) {
        const target = `v${version}-${lane}-${arch}${flavour}`;
        const platform = `linux/${arch}`;
        if (multiArch) out.push({ target, base: `${image}:v${version}-${lane}${flavour}`, platform, index: `v${version}-${lane}${flavour}` });
        else out.push({ target, base: `${image}:${target}`, platform });
      }
  return out;
}
var registryTagReader = async (ref) => {
  const auth = (await resolveRegistryAuth(repositoryAndTag(ref).repository))?.auth;
  return readRegistryTag(ref, { auth, timeoutMs: 15e3 });
};
async function readTargets(version, read = registryTagReader, image = UPSTREAM_IMAGE) {
  const candidates = candidateTargets(version, image);
  const reads = /* @__PURE__ */ new Map();
  for (const c of candidates)
    if (!reads.has(c.base))
      reads.set(
        c.base,
        read(c.base).then(
          (t) => t.present ? { state: "confirmed", ...t.manifestDigest ? { digest: t.manifestDigest } : {} } : { state: "absent", why: "the registry has no such tag" },
          (e) => ({ state: "unconfirmed", why: `the registry could not be read: ${errorMessage(e)}` })
        )
      );
  const out = [];
  for (const c of candidates) out.push({ ...c, ...await reads.get(c.base) });
  return out;
}
function targetsYaml(version, answers) {
  const lines = [
    `# build.yaml entries for SGLang ${version}, from the tags read on the registry (release:propose).`,
    `# Confirmed: read from the registry. UNCONFIRMED: the registry could not be asked; left commented`,
    `# out until \`docker buildx imagetools inspect <base>\` shows the tag. Absent tags are not listed.`,
    "releases:",
    `  "${version}":`,
    `    patchSet: patches/sglang-v${version}`,
    "targets:"
  ];
  for (const a of answers.filter((x) => x.state !== "absent")) {
    const c = a.state === "confirmed" ? "" : "# ";
    if (a.state !== "confirmed") lines.push(`  # UNCONFIRMED ${a.base}: ${a.why ?? ""}`.trimEnd());
    lines.push(`  ${c}${a.target}:`, `  ${c}  release: "${version}"`, `  ${c}  base: ${a.base}`, `  ${c}  baseDigest: unknown`, `  ${c}  platform: ${a.platform}`, `  ${c}  tags: [${a.target}]`);
  }
  const indexes = /* @__PURE__ */ new Map();
  for (const a of answers) if (a.index && a.state !== "absent") indexes.set(a.index, [...indexes.get(a.index) ?? [], a]);
  if (indexes.size) {
    lines.push("indexes:");
    for (const [tag, members] of indexes) {
      const c = members.every((m) => m.state === "confirmed") ? "" : "# ";
      lines.push(`  ${c}${tag}: [${members.map((m) => m.target).join(", ")}]`);
    }
  }
  return `${lines.join("\n")}
`;
}

// src/release/proposal-types.ts
var STEPS = ["port", "check", "matrix", "overlap", "cpu-engine", "targets"];

// src/release/run-tool.ts
import { spawn } from "node:child_process";
var runTool = (argv, opts) => new Promise((done) => {
  const began = Date.now();
  const child = spawn(argv[0], argv.slice(1), { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  const out = [];
  const err = [];
  let timedOut = false;
  const timer = opts.timeoutMs ? setTimeout(() => (timedOut = true, child.kill("SIGTERM")), opts.timeoutMs) : void 0;
  child.stdout.on("data", (b) => out.push(b));
  child.stderr.on("data", (b) => {
    err.push(b);
    if (opts.label) process.stderr.write(b.toString("utf8").replace(/^(?=.)/gm, `[${opts.label}] `));
  });
  const finish = (code, extra = "") => {
    if (timer) clearTimeout(timer);
    done({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") + extra, seconds: Math.round((Date.now() - began) / 100) / 10 });
  };
  child.on("error", (e) => finish(127, `
${argv[0]}: ${e.message}`));
  child.on("close", (code, signal) => finish(timedOut ? 124 : code ?? (signal ? 128 : 1), timedOut ? `
${argv[0]} timed out` : ""));
});
function lastLine(text) {
  const lines = text.trim().split("\n").filter((l) => l.trim());
  return (lines[lines.length - 1] ?? "").trim().slice(0, 300);
}

// src/release/proposal-report.ts
function verdict(p) {
  if (p.ok) return "READY";
  if (p.diffs.some((d) => d.status === "conflict")) return "CONFLICTED";
  return p.steps.some((s) => s.status === "failed") ? "FAILING" : "INCOMPLETE";
}
var cell = (s) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
var time = (s) => s.seconds === void 0 ? "-" : `${s.seconds} s`;
var mark = { passed: "passed", failed: "FAILED", skipped: "skipped" };
function diffCounts(p) {
  const n = (f) => p.diffs.filter(f).length;
  const hunks = p.diffs.reduce((k, d) => k + (d.hunks?.length ?? 0), 0);
  return `${p.diffs.length} diffs: ${n((d) => d.status === "merged")} merged (${n((d) => d.status === "merged" && !!d.exact)} as is, ${n((d) => d.status === "merged" && !d.exact)} by 3-way merge), ${n((d) => d.status === "upstream")} already upstream (dropped), ${n((d) => d.status === "conflict")} conflicted` + (hunks ? ` (${hunks} hunks)` : "");
}
function isFollowOn(why) {
  return why.startsWith("builds on lines an earlier diff adds");
}
function renderSummary(p, maxDiffs = 12) {
  const v = verdict(p);
  const lines = [
    `# SGLang ${p.version}: ${v}`,
    "",
    `Ported from the ${p.from.version} series (\`${p.from.dir.split("/").slice(-2).join("/")}\`): ${diffCounts(p)}.`,
    "",
    "| step | result | time | detail |",
    "| --- | --- | --- | --- |",
    ...p.steps.map((s) => `| ${s.name} | ${mark[s.status]} | ${time(s)} | ${cell(s.detail)} |`)
  ];
  const conflicted = p.diffs.filter((d) => d.status === "conflict");
  if (conflicted.length) {
    lines.push("", "**Needs a person** (resolve each `series/*.patch.conflict`; every hunk and why: PORT.md):", "");
    for (const d of conflicted.slice(0, maxDiffs)) {
      const hunks = d.hunks ?? [];
      const own = hunks.filter((h) => !isFollowOn(h.why));
      const first = own[0] ?? hunks[0];
      const where = first ? `; first: \`${first.file.replace(/^python\//, "")}\` \`${first.hunk.replace(/ @@.*/, " @@")}\`: ${first.why.slice(0, 110)}` : "";
      lines.push(`- \`${d.file ?? d.source}\`: ${hunks.length} hunk(s), ${own.length} of its own, ${hunks.length - own.length} follow from an earlier conflict${where}`);
    }
    if (conflicted.length > maxDiffs) lines.push(`- ... and ${conflicted.length - maxDiffs} more conflicted diffs in PORT.md`);
  }
  if (p.env?.borrowed) lines.push("", `Python layer: the ${p.env.release} one (\`${p.env.requirements}\`; ${p.version} has no requirements file yet): if matrix or overlap failed on an import, add \`python/requirements/sglang-${p.version}.txt\`.`);
  const dropped = p.diffs.filter((d) => d.status === "upstream");
  if (dropped.length) lines.push("", `No longer needed (the release already contains them): ${dropped.map((d) => `\`${d.source}\``).join(", ")}.`);
  if (p.clauses) {
    const stock = p.clauses.filter((c) => c.stock).map((c) => c.id);
    const missing = p.clauses.filter((c) => !c.with_series).map((c) => c.id);
    lines.push("", `Contract: stock ${p.version} already satisfies ${stock.length} of ${p.clauses.length} clauses${stock.length ? ` (${stock.join(", ")})` : ""}; ` + (missing.length ? `MISSING with the series: ${missing.join(", ")}.` : "the series satisfies every other."));
  }
  if (p.targets) {
    const confirmed = p.targets.filter((t) => t.state === "confirmed").map((t) => t.target);
    const unconfirmed = p.targets.filter((t) => t.state === "unconfirmed").map((t) => t.base.split(":")[1]);
    lines.push("", `Targets (targets.yaml): ${confirmed.length ? `${confirmed.join(", ")} read on the registry` : "none confirmed"}` + (unconfirmed.length ? `; UNCONFIRMED (registry not readable): ${[...new Set(unconfirmed)].join(", ")}` : "") + ".");
  }
  lines.push(
    "",
    v === "READY" ? `To adopt: move \`series/\` to \`patches/sglang-v${p.version}/\` (fill in the tag's commit in patchset.yaml), add targets.yaml's entries to build.yaml; the build-image workflow builds and pushes after merge.` : v === "CONFLICTED" ? `To finish (docs/releases.md, How to add a release): put \`series/\` in \`patches/sglang-v${p.version}/\`, \`npm run patches:regen -- init ${p.version}\`, redo each \`.patch.conflict\` there as a commit with its subject, \`npm run patches:regen -- export .cache/patch-work-${p.version}\`, then \`npm run patches:overlap -- ${p.version}\`.` : v === "INCOMPLETE" ? `Not ready: ${p.steps.filter((s) => s.status === "skipped").map((s) => s.name).join(", ")} did not run; run \`npm run release:propose -- ${p.version}\` without --skip.` : "To finish: fix what the failed steps name (PORT.md has the record), then run the proposal again."
  );
  return `${lines.join("\n")}
`;
}
function renderPortMd(p, toolPortMd) {
  const lines = [`# SGLang ${p.version}: port of the ${p.from.version} series`, "", "## Per diff", "", "| source diff | result | file here | hunks that need a person |", "| --- | --- | --- | --- |"];
  for (const d of p.diffs) {
    const how = d.status === "merged" ? d.exact ? "merged (applies as is)" : "merged (3-way)" : d.status === "upstream" ? "dropped: already in the release" : "CONFLICTED";
    const hunks = (d.hunks ?? []).map((h) => `\`${h.file}\` \`${h.hunk}\`: ${h.why}`).join("<br>");
    lines.push(`| \`${d.source}\` | ${how} | ${d.file ? `\`${d.file}\`` : "-"} | ${cell(hunks) || "-"} |`);
  }
  if (!p.diffs.length) lines.push("| (the port did not run) | | | |");
  lines.push("", "## Per contract clause", "");
  if (p.clauses) {
    lines.push("| clause | stock already satisfies it | the series does (from diff) | missing |", "| --- | --- | --- | --- |");
    for (const c of p.clauses) lines.push(`| \`${c.id}\` | ${c.stock ? "yes" : "no"} | ${c.stock ? "-" : c.with_series ? `\`${c.added_by}\`` : "-"} | ${c.with_series ? "" : "MISSING"} |`);
  } else {
    const s = p.steps.find((x) => x.name === "overlap");
    lines.push(`Not measured: ${s ? `${s.status}: ${s.detail}` : "the overlap step did not run"}.`);
  }
  if (p.matrix) {
    const c = (m) => m.error ? `could not run: ${m.error}` : `${m.passed}/${m.total}`;
    lines.push("", "## Core matrix", "", `Patched: ${c(p.matrix.patched)} scenarios keep the contract; stock (the unpatched control): ${c(p.matrix.stock)}.`);
  }
  if (toolPortMd.trim()) lines.push("", "## patches:port's own record", "", toolPortMd.replace(/^# .*\n/, "").trim());
  return `${lines.join("\n")}
`;
}

// src/release/proposal.ts
function envRelease(root, version, fromVersion) {
  const req = (v) => `python/requirements/sglang-${v}.txt`;
  if (existsSync2(join2(root, req(version)))) return { release: version, requirements: req(version), borrowed: false };
  if (existsSync2(join2(root, req(fromVersion)))) return { release: fromVersion, requirements: req(fromVersion), borrowed: true };
  return { release: version, requirements: null, borrowed: false };
}
function engineFailure(stdout) {
  const lines = stdout.split("\n");
  const e = lines.filter((l) => /^E\s+\S/.test(l) && !/^E\s+\[\s*\d+%\]\s*$/.test(l)).map((l) => l.replace(/^E\s+/, "").trim());
  const raised = e.filter((l) => /^[\w.]*(Error|Exception|Failed)\b:/.test(l));
  return (raised.at(-1) ?? e[0] ?? lines.find((l) => /^SKIPPED/.test(l)) ?? "").slice(0, 200);
}
function parseJson(text) {
  const start = text.indexOf("{");
  if (start < 0) return void 0;
  try {
    return JSON.parse(text.slice(start));
  } catch {
    return void 0;
  }
}
async function propose(o) {
  const began = Date.now();
  const log = o.log ?? ((l) => process.stderr.write(`${l}
`));
  const env = o.env ?? process.env;
  const skip = new Set(o.skip ?? []);
  const out = resolve2(o.out);
  const seriesOut = join2(out, "series");
  if (resolve2(o.from.dir) === seriesOut) throw new UserError(`the proposal folder ${out} holds the series being ported; write it elsewhere (--out)`);
  rmSync(seriesOut, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const steps = [];
  const p = { version: o.version, from: { version: o.from.sglangVersion, dir: o.from.dir }, out, clean: false, ok: false, steps, diffs: [], seconds: 0 };
  const tool = (argv, name, extraEnv = {}, timeoutMs = 36e5) => {
    log(`release:propose: ${name}: ${argv.map((a) => a.startsWith(o.root) ? relative(o.root, a) || "." : a).join(" ")}`);
    return o.runTool(argv, { cwd: o.root, env: { ...env, ...extraEnv }, timeoutMs, label: name });
  };
  let blocked;
  const skipped = (name) => {
    const why = skip.has(name) ? "skipped (--skip)" : blocked;
    if (!why) return false;
    steps.push({ name, status: "skipped", detail: why });
    return true;
  };
  const port = await tool(["bash", join2(o.root, "scripts/patches-port.sh"), "--from", o.from.sglangVersion, "--to", o.version, "--series", o.from.dir, "--out", seriesOut, "--force", "--no-verify", "--json"], "port");
  const ported = parseJson(port.stdout);
  if (port.code === 2 || !ported) {
    steps.push({ name: "port", status: "failed", seconds: port.seconds, detail: lastLine(port.stderr) || `exit ${port.code}` });
    blocked = "not run: the port did not run";
  } else {
    p.diffs = ported.diffs;
    const conflicts = ported.diffs.filter((d) => d.status === "conflict");
    const all = conflicts.flatMap((d) => d.hunks ?? []);
    const own = all.filter((h) => !isFollowOn(h.why)).length;
    const counts = ["merged", "upstream", "conflict"].map((s) => `${ported.diffs.filter((d) => d.status === s).length} ${s}`).join(", ");
    steps.push({ name: "port", status: conflicts.length ? "failed" : "passed", seconds: ported.seconds_port ?? port.seconds, detail: conflicts.length ? `${counts}; ${all.length} hunk(s) need a person, ${own} of them conflicts of their own` : counts });
    if (conflicts.length) blocked = "not run: the port conflicted (a partial series proves nothing)";
  }
  if (!skipped("check")) {
    const check = await tool(["bash", join2(o.root, "scripts/patches-check.sh"), o.version], "check", { SGLANG_PATCH_DIR: seriesOut });
    steps.push({ name: "check", status: check.code === 0 ? "passed" : "failed", seconds: check.seconds, detail: lastLine(check.stdout + check.stderr) });
    if (check.code !== 0) blocked = "not run: the ported series does not apply cleanly";
  }
  p.clean = steps.find((s) => s.name === "port")?.status === "passed" && steps.find((s) => s.name === "check")?.status === "passed";
  let python;
  const needsPython = ["matrix", "overlap"].some((s) => !skip.has(s)) && !blocked;
  if (needsPython) {
    p.env = envRelease(o.root, o.version, o.from.sglangVersion);
    const venv = await tool(["bash", join2(o.root, "scripts/release-env.sh"), p.env.release], "check");
    if (venv.code === 0 && lastLine(venv.stdout)) python = join2(lastLine(venv.stdout), "bin/python");
  }
  const pythonArgs = python ? ["--python", python] : [];
  if (!skipped("matrix")) {
    const m = await tool(["bash", join2(o.root, "scripts/patches-matrix.sh"), o.version, "--series", seriesOut, "--json", ...pythonArgs], "matrix");
    const r = parseJson(m.stdout);
    if (r) p.matrix = { patched: r.patched, stock: r.stock };
    const count = (c) => !c ? "?" : c.error ? `could not run (${c.error})` : `${c.passed}/${c.total}`;
    const detail = r ? `patched ${count(r.patched)} scenarios keep the contract; unpatched control ${count(r.stock)}${r.control_fails ? "" : " (the control must fail some)"}` : lastLine(m.stderr) || `exit ${m.code}`;
    steps.push({ name: "matrix", status: m.code === 0 && r?.patched_passes && r.control_fails ? "passed" : "failed", seconds: m.seconds, detail });
  }
  if (!skipped("overlap")) {
    const ov = await tool(["bash", join2(o.root, "scripts/patches-overlap.sh"), o.version, "--series", seriesOut, "--json", ...pythonArgs], "overlap");
    const r = parseJson(ov.stdout);
    if (r) p.clauses = r.clauses.map(({ id, text, stock, with_series, added_by }) => ({ id, text, stock, with_series, added_by }));
    const missing = r?.clauses.filter((c) => !c.with_series).map((c) => c.id) ?? [];
    const detail = r ? `${r.clauses.filter((c) => c.stock).length} of ${r.clauses.length} clauses stock already satisfies; ${missing.length ? `MISSING: ${missing.join(", ")}` : "the series satisfies every other"}` : lastLine(ov.stderr) || `exit ${ov.code}`;
    steps.push({ name: "overlap", status: ov.code === 0 && r && !missing.length ? "passed" : "failed", seconds: ov.seconds, detail });
  }
  if (!skipped("cpu-engine")) {
    const py = existsSync2(join2(o.root, ".venv/bin/python")) ? join2(o.root, ".venv/bin/python") : "python3";
    const e = await tool([py, "-m", "pytest", "test/python/cpu_engine/test_real_server_later.py", "-k", "test_verify_suite_passes_on_the_patched_server", "-q", "-p", "no:cacheprovider", "-rs"], "cpu-engine", { SGLANG_TEST_RELEASE_ENGINE: `${o.version}=${seriesOut}`, CI: "true" }, 18e5);
    const summary = lastLine(e.stdout.split("\n").filter((l) => /passed|failed|error|skipped|no tests ran/.test(l)).join("\n")) || lastLine(e.stderr);
    const passed = e.code === 0 && /\bpassed\b/.test(summary) && !/failed|error|skipped/.test(summary);
    const why = passed ? "" : engineFailure(e.stdout);
    steps.push({ name: "cpu-engine", status: passed ? "passed" : "failed", seconds: e.seconds, detail: `${summary || `exit ${e.code}`}${why ? `: ${why}` : ""}` });
  }
  if (skip.has("targets")) steps.push({ name: "targets", status: "skipped", detail: "skipped (--skip)" });
  else {
    const t0 = Date.now();
    p.targets = await readTargets(o.version, o.readTag);
    const n = (s) => p.targets.filter((t) => t.state === s).length;
    const ok = n("confirmed") > 0 && n("unconfirmed") === 0;
    steps.push({ name: "targets", status: ok ? "passed" : "failed", seconds: Math.round((Date.now() - t0) / 100) / 10, detail: `${n("confirmed")} confirmed, ${n("unconfirmed")} unconfirmed, ${n("absent")} absent of ${p.targets.length} candidate tags` });
    writeFileSync(join2(out, "targets.yaml"), targetsYaml(o.version, p.targets));
  }
  p.ok = steps.length === STEPS.length && steps.every((s) => s.status === "passed");
  p.seconds = Math.round((Date.now() - began) / 100) / 10;
  const portMd = existsSync2(join2(seriesOut, "PORT.md")) ? readFileSync2(join2(seriesOut, "PORT.md"), "utf8") : "";
  writeFileSync(join2(out, "PORT.md"), renderPortMd(p, portMd));
  writeFileSync(join2(out, "SUMMARY.md"), renderSummary(p));
  const rel = (d) => relative(o.root, d).startsWith("..") ? d : relative(o.root, d) || ".";
  writeFileSync(join2(out, "proposal.json"), `${JSON.stringify({ ...p, from: { ...p.from, dir: rel(p.from.dir) }, out: rel(out) }, null, 1)}
`);
  return p;
}

// src/release/watch.ts
import { join as join3, relative as relative2 } from "node:path";
async function watch(o) {
  const coverage = o.newest ? coverageUpTo(o.coverage, o.newest) : o.coverage;
  const supported = supportedReleases(coverage);
  const rel = (dir) => relative2(o.root, dir) || ".";
  const oldest = supported[0];
  const listed = o.pypi.releases.filter((v) => !oldest || compareText(v, oldest) >= 0);
  const rows = classify(coverage, listed).map((r) => ({
    version: r.version,
    state: r.state,
    ...r.series ? { series: rel(r.series) } : {},
    ...o.pypi.uploaded[r.version] ? { uploaded: o.pypi.uploaded[r.version] } : {}
  }));
  for (const row of rows.filter((r) => r.state === "new")) {
    const series = nearestSeries(coverage, row.version);
    row.series = rel(series.dir);
    if (!o.probe) continue;
    o.log?.(`release:watch: does ${row.series} cover ${row.version} unchanged?`);
    const check = await o.runTool(["bash", join3(o.root, "scripts/patches-check.sh"), row.version], { cwd: o.root, env: { ...process.env, SGLANG_PATCH_DIR: series.dir }, label: `probe ${row.version}` });
    row.probe = { applies: check.code === 0, seconds: check.seconds };
    if (check.code !== 0) continue;
    const venv = await o.runTool(["bash", join3(o.root, "scripts/release-env.sh"), envRelease(o.root, row.version, series.sglangVersion).release], { cwd: o.root, label: `probe ${row.version}` });
    const python = venv.code === 0 && lastLine(venv.stdout) ? ["--python", join3(lastLine(venv.stdout), "bin/python")] : [];
    const m = await o.runTool(["bash", join3(o.root, "scripts/patches-matrix.sh"), row.version, "--series", series.dir, ...python], { cwd: o.root, label: `probe ${row.version}` });
    row.probe = { applies: true, matrix: lastLine(m.stdout.split("\n").filter((l) => l.startsWith("patched")).join("\n")) || lastLine(m.stderr), coreMatrixPasses: m.code === 0, seconds: Math.round((check.seconds + m.seconds) * 10) / 10 };
    if (m.code === 0) row.state = "covered-unchanged";
  }
  return {
    newest: supported[supported.length - 1],
    supported,
    releases: rows,
    older: o.pypi.releases.length - listed.length,
    propose: rows.filter((r) => r.state === "new").map((r) => r.version),
    yanked: o.pypi.yanked,
    prereleases: o.pypi.prereleases
  };
}
var STATE_TEXT = {
  built: "supported (build.yaml targets)",
  covered: "covered by a series (no targets yet)",
  new: "NEW: to propose",
  "covered-unchanged": "NEW, covered unchanged by an existing series",
  "not-supported": "older, not supported"
};
function watchTable(r) {
  const shown = r.releases.filter((x) => x.state !== "not-supported");
  const gaps = r.releases.length - shown.length;
  const lines = [
    `newest supported: ${r.newest ?? "(none)"}; to propose: ${r.propose.length ? r.propose.join(", ") : "nothing new"}`,
    "",
    "| release | state | series | probe |",
    "| --- | --- | --- | --- |",
    ...shown.map((x) => `| ${x.version} | ${STATE_TEXT[x.state]} | ${x.series ?? "-"} | ${x.probe ? x.probe.applies ? `applies; core matrix ${x.probe.coreMatrixPasses ? "passes" : "fails"} (${x.probe.matrix ?? ""})` : "does not apply unchanged" : "-"} |`)
  ];
  if (gaps) lines.push("", `${gaps} release(s) between supported ones have no series (not proposed; JSON releases[].state "not-supported"); ${r.older} older ones not listed.`);
  if (r.yanked.length) lines.push(`yanked (never proposed): ${r.yanked.map((y) => y.version).join(", ")}`);
  if (r.prereleases.length) lines.push(`pre-releases (never proposed): ${r.prereleases.join(", ")}`);
  return `${lines.join("\n")}
`;
}

// src/cli/release.ts
var RELEASE_WATCH_HELP = `Usage: npm run release:watch -- [options]
       sglang-image-patcher release-watch [options]

Reads sglang's releases from PyPI's JSON API and compares them with build.yaml's releases and the
releases each patches/*/patchset.yaml covers. Prints a table on stderr and one JSON result on
stdout: every release's state (built, covered, new, covered-unchanged, not-supported), what to
propose, yanked and pre-releases (never proposed). A new release is probed: the nearest series
is applied to it (no fuzz) and, if it applies, the core matrix runs on it.

Options:
  --pypi-json FILE   read a recorded PyPI answer instead of asking PyPI
  --pypi-url URL     the JSON API address (default ${PYPI_JSON_URL})
  --newest VERSION   ignore series and build.yaml releases after VERSION (replays history:
                     VERSION is then the newest supported release)
  --no-probe         do not apply the nearest series to new releases
  -h, --help         show this help

Exit codes: 0 done (also when something is new), 1 PyPI could not be read and CI=true (outside
CI the result says pypi.read: false), 2 bad input.
`;
var RELEASE_PROPOSE_HELP = `Usage: npm run release:propose -- VERSION [options]
       sglang-image-patcher release-propose VERSION [options]

Ports the nearest series to SGLang VERSION and runs the check, the core matrix with its unpatched
control, the overlap report, one real CPU-engine start and the image-tag read; writes the
proposal folder (series/, PORT.md, targets.yaml, SUMMARY.md, proposal.json) whatever happens.

Options:
  --out DIR          proposal folder (default proposals/sglang-vVERSION)
  --from-series DIR  port this series folder (default: the nearest release's under patches/)
  --newest VERSION   pick the nearest series among series up to VERSION only
  --skip STEP        leave a step out (repeatable: ${STEPS.filter((s) => s !== "port").join(", ")}); a proposal
                     with a skipped step is never ok
  --pypi-json FILE   a recorded PyPI answer to check VERSION against
  --pypi-url URL     the JSON API address (default ${PYPI_JSON_URL})
  -h, --help         show this help

Exit codes: 0 every step passed, 1 a step failed or the port conflicted (the folder is still
written), 2 bad input (unknown, yanked or pre-release VERSION).
`;
function parse(argv, options, positionals = false) {
  try {
    const r = parseArgs({ args: argv, strict: true, allowPositionals: positionals, options: { ...options, help: { type: "boolean", short: "h" } } });
    return { values: r.values, positionals: r.positionals };
  } catch (e) {
    throw new UserError(`${errorMessage(e)}
Run with --help to see the options.`, 2, { cause: e });
  }
}
async function readPypi(values, deps) {
  const env = deps.env ?? process.env;
  try {
    if (values["pypi-json"]) {
      let text;
      try {
        text = readFileSync3(values["pypi-json"], "utf8");
      } catch (e) {
        throw new UserError(`--pypi-json: ${errorMessage(e)}`, 2, { cause: e });
      }
      return { pypi: parsePypiAnswer(JSON.parse(text)) };
    }
    return { pypi: await fetchPypiReleases(values["pypi-url"] ?? PYPI_JSON_URL, deps.fetch) };
  } catch (e) {
    if (!(e instanceof PypiUnreachableError) || env.CI === "true") throw e;
    process.stderr.write(`warning: ${e.message} (not CI: going on without PyPI's list; under CI=true this fails)
`);
    return { error: e.message };
  }
}
async function runReleaseWatch(argv, deps = {}) {
  const { values } = parse(argv, { "pypi-json": { type: "string" }, "pypi-url": { type: "string" }, newest: { type: "string" }, "no-probe": { type: "boolean" } });
  if (values.help) return { code: 0, result: { help: RELEASE_WATCH_HELP } };
  const root = deps.root ?? REPO_ROOT;
  if (values.newest !== void 0 && !parseVersion(values.newest)) throw new UserError(`--newest ${values.newest} is not a release version`);
  const { pypi, error } = await readPypi(values, deps);
  if (!pypi) return { code: 0, result: { ok: false, pypi: { read: false, error } } };
  const r = await watch({ root, coverage: readCoverage(root), pypi, ...values.newest ? { newest: values.newest } : {}, probe: !values["no-probe"], runTool: deps.runTool ?? runTool, log: (l) => process.stderr.write(`${l}
`) });
  process.stderr.write(watchTable(r));
  return { code: 0, result: { ok: true, pypi: { read: true }, ...r } };
}
async function runReleasePropose(argv, deps = {}) {
  const { values, positionals } = parse(argv, { out: { type: "string" }, "from-series": { type: "string" }, newest: { type: "string" }, skip: { type: "string", multiple: true }, "pypi-json": { type: "string" }, "pypi-url": { type: "string" } }, true);
  if (values.help) return { code: 0, result: { help: RELEASE_PROPOSE_HELP } };
  if (positionals.length !== 1) throw new UserError(`expected one VERSION, got ${positionals.length ? positionals.join(" ") : "none"}`);
  const version = positionals[0].replace(/^v/, "");
  const parsed = parseVersion(version);
  if (!parsed) throw new UserError(`${positionals[0]} is not a release version (like 0.5.23)`);
  if (isPrerelease(parsed)) throw new UserError(`${version} is a pre-release; only final releases are proposed`);
  const skip = values.skip ?? [];
  const badSkip = skip.filter((s) => !STEPS.includes(s) || s === "port");
  if (badSkip.length) throw new UserError(`--skip ${badSkip.join(", ")}: steps are ${STEPS.filter((s) => s !== "port").join(", ")}`);
  const root = deps.root ?? REPO_ROOT;
  const { pypi } = await readPypi(values, deps);
  if (pypi && !pypi.releases.includes(version)) {
    const why = pypi.yanked.some((y) => y.version === version) ? "is yanked on PyPI" : pypi.prereleases.includes(version) ? "is a pre-release on PyPI" : "is not a release of sglang on PyPI";
    throw new UserError(`sglang ${version} ${why}; nothing proposed`);
  }
  let coverage = readCoverage(root);
  if (values.newest) coverage = coverageUpTo(coverage, values.newest);
  const from = values["from-series"] ? readSeries(values["from-series"]) : nearestSeries(coverage, version);
  if (from.sglangVersion === version) throw new UserError(`the series ${from.dir} is already for ${version}; a proposal ports another release's series`);
  const out = values.out ?? `${root}/proposals/sglang-v${version}`;
  const p = await propose({ version, from, root, out, skip, runTool: deps.runTool ?? runTool, ...deps.readTag ? { readTag: deps.readTag } : {}, ...deps.env ? { env: deps.env } : {} });
  process.stderr.write(`
${renderSummary(p)}`);
  return { code: p.ok ? 0 : 1, result: { ...p }, proposal: p };
}
async function asCommand(run) {
  try {
    const { code, result } = await run();
    if (typeof result.help === "string") {
      process.stdout.write(result.help);
      return 0;
    }
    printResult(result);
    return code;
  } catch (e) {
    reportError(e);
    printResult({ ok: false, error: { message: errorMessage(e), exitCode: exitCodeFor(e) } });
    return exitCodeFor(e);
  }
}
var releaseWatch = (argv) => asCommand(() => runReleaseWatch(argv));
var releasePropose = (argv) => asCommand(() => runReleasePropose(argv));
export {
  RELEASE_PROPOSE_HELP,
  RELEASE_WATCH_HELP,
  releasePropose,
  releaseWatch,
  runReleasePropose,
  runReleaseWatch
};
