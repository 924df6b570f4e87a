#!/usr/bin/env node
// `npm run release:replay`: replays history through release:propose. Pretend the newest supported
// release is the first of RELEASES and propose each later one in turn, each from the nearest
// series available at that step (the series of the release before it, as the project would have
// had it then), and record per step: clean or conflicted, the hunks that need a person, the wall
// time. Also ports each release straight from the first series (no history), to show what taking
// the nearest series saves. Writes bench/release-replay.{json,md}; the proposal folders go to
// .cache/release-replay/ (git-ignored: a .conflict file carries SGLang's lines around each hunk).
//
//   node scripts/release-replay.mjs [--series V=DIR ...] [--steps port,check,...] [--releases 0.5.9,0.5.10.post1,...]
//
// --series V=DIR names where a release's series is (default patches/sglang-vV); --steps which
// proposal steps run (default port,check,targets: the heavy ones are minutes per release each;
// add matrix,overlap,cpu-engine where the machine allows).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const STEPS = ["check", "matrix", "overlap", "cpu-engine", "targets"];
// 0.5.12.post1 (NeMo-RL's pin) is covered by the 0.5.12 series (its patchset.yaml releases:): the
// replay's clean step, and the series the next step starts from.
// 0.5.13.post1 (NeMo-RL's bump) has its own series, which covers 0.5.13 too.
export const DEFAULT_RELEASES = ["0.5.9", "0.5.10.post1", "0.5.12", "0.5.12.post1", "0.5.13.post1", "0.5.15.post1", "0.5.19",
  "0.5.20", "0.5.23"];

/** patchset.yaml's releases: list (default [sglangVersion]), read without a YAML parser. */
function coveredBy(dir) {
  const text = readFileSync(path.join(dir, "patchset.yaml"), "utf8");
  const own = text.match(/^sglangVersion:\s*"?([^"\s]+)"?/m)?.[1];
  const list = text.match(/^releases:\s*\[([^\]]*)\]/m)?.[1];
  return list ? list.split(",").map((v) => v.trim().replace(/^"|"$/g, "")) : [own];
}

function propose(version, from, out, steps) {
  const skip = STEPS.filter((s) => !steps.includes(s)).flatMap((s) => ["--skip", s]);
  const began = Date.now();
  const r = spawnSync(process.execPath, [path.join(ROOT, "dist/sglang-image-patcher.js"), "release-propose", version, "--from-series", from, "--out", out, ...skip], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20 });
  const wall = Math.round((Date.now() - began) / 100) / 10;
  const result = r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
  if (!result || !result.steps) throw new Error(`release:propose ${version} from ${from} gave no proposal (exit ${r.status}):\n${r.stderr.slice(-2000)}`);
  return { result, wall, code: r.status };
}

/** A series' diffs by subject (NNNN- and .patch stripped): what a diff is, whatever its number. */
function subjects(dir) {
  return existsSync(dir) ? readdirSync(dir).filter((f) => /^\d{4}-.*\.patch$/.test(f)).map((f) => f.slice(5, -6)) : [];
}

/** What the person who finished the next release's series changed against the series ported to it. */
export function byHand(fromDir, toDir) {
  const [before, after] = [subjects(fromDir), subjects(toDir)];
  if (!after.length || fromDir === toDir) return undefined;
  return { dropped: before.filter((x) => !after.includes(x)), added: after.filter((x) => !before.includes(x)) };
}

/** One replay row from a proposal result. */
export function row(version, fromVersion, p, wall) {
  const diffs = p.diffs ?? [];
  const hunks = diffs.flatMap((d) => d.hunks ?? []);
  const own = hunks.filter((h) => !h.why.startsWith("builds on lines an earlier diff adds")).length;
  const step = (n) => p.steps.find((s) => s.name === n);
  return {
    release: version,
    from: fromVersion,
    clean: p.clean,
    verdict: p.ok ? "READY" : diffs.some((d) => d.status === "conflict") ? "CONFLICTED" : p.steps.some((s) => s.status === "failed") ? "FAILING" : "INCOMPLETE",
    diffs: diffs.length,
    merged: diffs.filter((d) => d.status === "merged").length,
    mergedAsIs: diffs.filter((d) => d.status === "merged" && d.exact).length,
    upstream: diffs.filter((d) => d.status === "upstream").map((d) => d.source),
    conflicted: diffs.filter((d) => d.status === "conflict").map((d) => ({ diff: d.source, hunks: (d.hunks ?? []).length, own: (d.hunks ?? []).filter((h) => !h.why.startsWith("builds on lines an earlier diff adds")).length })),
    hunks: hunks.length,
    ownHunks: own,
    portSeconds: step("port")?.seconds ?? null,
    steps: Object.fromEntries(p.steps.map((s) => [s.name, { status: s.status, seconds: s.seconds ?? null, detail: s.detail }])),
    wallSeconds: wall,
  };
}

export function markdown(report) {
  const conflicts = (r) => (r.conflicted.length ? r.conflicted.map((c) => `${c.diff.replace(/\.patch$/, "")} (${c.hunks}${c.own !== c.hunks ? `, ${c.own} own` : ""})`).join("; ") : "-");
  const lines = [
    "# Replay: each release proposed from the series before it",
    "",
    `Recorded ${report.when} by \`npm run release:replay${report.args?.length ? ` -- ${report.args.join(" ")}` : ""}\` (scripts/release-replay.mjs) on ${report.machine}. Pretend the newest`,
    `supported release is ${report.releases[0]}, then propose each later one in turn from the nearest series that existed at`,
    `that step (the previous release's, as finished by hand). Steps run: port, ${report.steps.join(", ")}; the others were left`,
    "out (`--skip`), so no row can be READY: \"clean\" means every diff merged and the series passes patches:check.",
    "Hunks: those that need a person; in brackets, those of their own (the rest build on an earlier conflicted diff).",
    "",
    "| release | from series | clean or conflicted | diffs: merged (as is) / upstream / conflicted | hunks (own) | port time | proposal wall time |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...report.replay.map((r) => `| ${r.release} | ${r.from} | ${r.clean ? "clean" : "conflicted"} | ${r.diffs}: ${r.merged} (${r.mergedAsIs}) / ${r.upstream.length} / ${r.conflicted.length} | ${r.hunks} (${r.ownHunks}) | ${r.portSeconds} s | ${r.wallSeconds} s |`),
    "",
    "Conflicted diffs per step (hunks, own):",
    "",
    ...report.replay.map((r) => `- ${r.release}: ${conflicts(r)}${r.upstream.length ? `; dropped as already upstream: ${r.upstream.join(", ")}` : ""}`),
    "",
    "What the finished series of each release changed by hand against the series ported to it (diffs by subject;",
    "why: each series' README):",
    "",
    ...report.replay.filter((r) => r.byHand).map((r) => `- ${r.release}: ${r.byHand.dropped.length ? `no longer needs ${r.byHand.dropped.join(", ")}` : "drops none"}${r.byHand.added.length ? `; new or renamed: ${r.byHand.added.join(", ")}` : ""}`),
  ];
  if (report.straight?.length) {
    lines.push(
      "",
      `## Without history: each release ported straight from the ${report.releases[0]} series`,
      "",
      `(${report.replay[0]?.release}: the replay's first step.) Port only; what taking the nearest series saves is the difference in hunks.`,
      "",
      "| release | clean or conflicted | diffs: merged / upstream / conflicted | hunks (own) | port time |",
      "| --- | --- | --- | --- | --- |",
      ...report.straight.map((r) => `| ${r.release} | ${r.clean ? "clean" : "conflicted"} | ${r.diffs}: ${r.merged} / ${r.upstream.length} / ${r.conflicted.length} | ${r.hunks} (${r.ownHunks}) | ${r.portSeconds} s |`),
    );
  }
  return `${lines.join("\n")}\n`;
}

async function main() {
  const { values } = parseArgs({ options: { series: { type: "string", multiple: true }, steps: { type: "string" }, releases: { type: "string" }, straight: { type: "boolean" }, out: { type: "string" } } });
  const releases = values.releases ? values.releases.split(",") : DEFAULT_RELEASES;
  const steps = (values.steps ?? "check,targets").split(",").filter((s) => s && s !== "port");
  const bad = steps.filter((s) => !STEPS.includes(s));
  if (bad.length) throw new Error(`--steps: unknown ${bad.join(", ")} (${STEPS.join(", ")})`);
  const where = Object.fromEntries(releases.map((v) => [v, path.join(ROOT, `patches/sglang-v${v}`)]));
  for (const s of values.series ?? []) {
    const [v, dir] = s.split("=");
    where[v] = path.resolve(dir);
  }
  // a release without a folder of its own: the series that lists it in releases:
  for (const v of releases)
    if (!existsSync(path.join(where[v], "patchset.yaml"))) {
      const covering = Object.values(where).find((d) => existsSync(path.join(d, "patchset.yaml")) && coveredBy(d).includes(v));
      if (covering) where[v] = covering;
    }
  for (const v of releases.slice(0, -1)) if (!existsSync(path.join(where[v], "patchset.yaml"))) throw new Error(`no series for ${v} at ${where[v]} (--series ${v}=DIR)`);
  const cache = path.join(ROOT, ".cache/release-replay");
  mkdirSync(cache, { recursive: true });
  const replay = [];
  const straight = [];
  for (let i = 1; i < releases.length; i++) {
    const [from, to] = [releases[i - 1], releases[i]];
    process.stderr.write(`replay: ${to} from the ${from} series (${path.relative(ROOT, where[from]) || where[from]})\n`);
    const { result, wall } = propose(to, where[from], path.join(cache, `sglang-v${to}`), steps);
    replay.push({ ...row(to, result.from.version === from ? from : `${from} (the ${result.from.version} series)`, result, wall), byHand: byHand(where[from], where[to]) });
    process.stderr.write(`replay: ${to}: ${replay.at(-1).verdict}, ${replay.at(-1).hunks} hunks, ${wall} s\n`);
    if (values.straight && i > 1) {
      const s = propose(to, where[releases[0]], path.join(cache, `straight-sglang-v${to}`), []);
      straight.push(row(to, releases[0], s.result, s.wall));
    }
  }
  const cpu = (() => {
    try {
      return `${execFileSync("nproc", { encoding: "utf8" }).trim()} cores (${readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/)?.[1] ?? "cpu"})`;
    } catch {
      return "unknown machine";
    }
  })();
  const report = { when: new Date().toISOString().replace(/\.\d+Z$/, "Z"), args: process.argv.slice(2), machine: `the shared ${cpu}`, releases, steps, series: Object.fromEntries(Object.entries(where).map(([v, d]) => [v, path.relative(ROOT, d).startsWith("..") ? d : path.relative(ROOT, d)])), replay, straight };
  const out = values.out ?? path.join(ROOT, "bench/release-replay");
  writeFileSync(`${out}.json`, `${JSON.stringify(report, null, 1)}\n`);
  // the last step's SUMMARY.md, as the pull request's body shows it to a reviewer
  const shown = releases.at(-1);
  const summary = readFileSync(path.join(cache, `sglang-v${shown}`, "SUMMARY.md"), "utf8");
  writeFileSync(`${out}.md`, `${markdown(report)}\n## The ${shown} proposal as a reviewer sees it (its SUMMARY.md, the pull request's body)\n\n${summary.replace(/^# /, "### ")}`);
  process.stderr.write(markdown(report));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    process.stderr.write(`release-replay: ${e.message}\n`);
    process.exit(1);
  });
}
