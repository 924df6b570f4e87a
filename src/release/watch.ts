/**
 * `release:watch`: PyPI's releases of sglang against what build.yaml and the series cover. A new
 * release (newer than every supported one) is probed unless told not to: the nearest series is
 * applied to its files (patches-check: no fuzz, compiles) and, if it applies, the core matrix
 * runs on it with the unpatched control (patches-matrix); both passing means that series already
 * covers the release unchanged (add it to the series' `releases:` and its targets).
 */
import { join, relative } from "node:path";
import { classify, coverageUpTo, nearestSeries, supportedReleases, type Coverage, type ReleaseState } from "./coverage.js";
import type { PypiReleases } from "./pypi-releases.js";
import { envRelease } from "./proposal.js";
import { lastLine, type RunTool } from "./run-tool.js";
import { compareText } from "./versions.js";

export interface WatchRow {
  version: string;
  state: ReleaseState | "covered-unchanged";
  /** The series folder (relative to the checkout) that covers it or would be ported. */
  series?: string;
  probe?: { applies: boolean; matrix?: string; coreMatrixPasses?: boolean; seconds: number };
  uploaded?: string;
}

export interface WatchResult {
  newest: string | undefined;
  supported: string[];
  releases: WatchRow[];
  /** Releases older than the oldest supported one (not listed). */
  older: number;
  /** New releases to propose (not covered unchanged by a series). */
  propose: string[];
  yanked: { version: string; reason?: string }[];
  prereleases: string[];
}

export interface WatchOptions {
  root: string;
  coverage: Coverage;
  pypi: PypiReleases;
  /** Pretend this is the newest supported release (series of later releases ignored). */
  newest?: string;
  probe: boolean;
  runTool: RunTool;
  log?: (l: string) => void;
}

export async function watch(o: WatchOptions): Promise<WatchResult> {
  const coverage = o.newest ? coverageUpTo(o.coverage, o.newest) : o.coverage;
  const supported = supportedReleases(coverage);
  const rel = (dir: string) => relative(o.root, dir) || ".";
  // Releases older than the oldest supported one are counted, not listed: nobody asks for them.
  const oldest = supported[0];
  const listed = o.pypi.releases.filter((v) => !oldest || compareText(v, oldest) >= 0);
  const rows: WatchRow[] = classify(coverage, listed).map((r) => ({
    version: r.version,
    state: r.state,
    ...(r.series ? { series: rel(r.series) } : {}),
    ...(o.pypi.uploaded[r.version] ? { uploaded: o.pypi.uploaded[r.version] } : {}),
  }));
  for (const row of rows.filter((r) => r.state === "new")) {
    const series = nearestSeries(coverage, row.version);
    row.series = rel(series.dir);
    if (!o.probe) continue;
    o.log?.(`release:watch: does ${row.series} cover ${row.version} unchanged?`);
    const check = await o.runTool(["bash", join(o.root, "scripts/patches-check.sh"), row.version], { cwd: o.root, env: { ...process.env, SGLANG_PATCH_DIR: series.dir }, label: `probe ${row.version}` });
    row.probe = { applies: check.code === 0, seconds: check.seconds };
    if (check.code !== 0) continue;
    // the interpreter that imports this release: its own layer, else the series' release's (envRelease)
    const venv = await o.runTool(["bash", join(o.root, "scripts/release-env.sh"), envRelease(o.root, row.version, series.sglangVersion).release], { cwd: o.root, label: `probe ${row.version}` });
    const python = venv.code === 0 && lastLine(venv.stdout) ? ["--python", join(lastLine(venv.stdout), "bin/python")] : [];
    const m = await o.runTool(["bash", join(o.root, "scripts/patches-matrix.sh"), row.version, "--series", series.dir, ...python], { cwd: o.root, label: `probe ${row.version}` });
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
    prereleases: o.pypi.prereleases,
  };
}

const STATE_TEXT: Record<WatchRow["state"], string> = {
  built: "supported (build.yaml targets)",
  covered: "covered by a series (no targets yet)",
  new: "NEW: to propose",
  "covered-unchanged": "NEW, covered unchanged by an existing series",
  "not-supported": "older, not supported",
};

/** The table for a person (stderr): new and supported releases; older gaps are counted. */
export function watchTable(r: WatchResult): string {
  const shown = r.releases.filter((x) => x.state !== "not-supported");
  const gaps = r.releases.length - shown.length;
  const lines = [
    `newest supported: ${r.newest ?? "(none)"}; to propose: ${r.propose.length ? r.propose.join(", ") : "nothing new"}`,
    "",
    "| release | state | series | probe |",
    "| --- | --- | --- | --- |",
    ...shown.map((x) => `| ${x.version} | ${STATE_TEXT[x.state]} | ${x.series ?? "-"} | ${x.probe ? (x.probe.applies ? `applies; core matrix ${x.probe.coreMatrixPasses ? "passes" : "fails"} (${x.probe.matrix ?? ""})` : "does not apply unchanged") : "-"} |`),
  ];
  if (gaps) lines.push("", `${gaps} release(s) between supported ones have no series (not proposed; JSON releases[].state "not-supported"); ${r.older} older ones not listed.`);
  if (r.yanked.length) lines.push(`yanked (never proposed): ${r.yanked.map((y) => y.version).join(", ")}`);
  if (r.prereleases.length) lines.push(`pre-releases (never proposed): ${r.prereleases.join(", ")}`);
  return `${lines.join("\n")}\n`;
}
