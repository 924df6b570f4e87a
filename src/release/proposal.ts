/**
 * `release:propose VERSION`: ports the nearest series to a new SGLang release and runs what a port
 * needs to be trusted, each through the project's own tool (by argument vector, run-tool.ts):
 *
 *   port        scripts/patches-port.sh --no-verify --json   (git 3-way merge, per-hunk conflicts)
 *   check       scripts/patches-check.sh VERSION             (no fuzz, compiles)
 *   matrix      scripts/patches-matrix.sh --json             (core harness matrix, patched and stock:
 *                                                              the stock run is the unpatched control)
 *   overlap     scripts/patches-overlap.sh --json            (per contract clause: stock / which diff)
 *   cpu-engine  pytest test_real_server_later.py             (one real CPU-engine start, ad-hoc
 *                                                              release: SGLANG_TEST_RELEASE_ENGINE)
 *   targets     the release's image tags read on the registry (image-targets.ts)
 *
 * and writes the proposal folder: series/ (the merged diffs, or NNNN-*.patch.conflict files),
 * PORT.md, targets.yaml, SUMMARY.md (what a reviewer reads first) and proposal.json. A step after
 * a conflicted port or a failed check is skipped (it would judge an incomplete series). The folder
 * is written whatever happened; `ok` only when every step ran and passed.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { UserError } from "../errors.js";
import type { Series } from "./coverage.js";
import { readTargets, targetsYaml, type TagReader } from "./image-targets.js";
import { STEPS, type ClauseRow, type MatrixCounts, type PortedDiff, type Proposal, type StepName, type StepResult } from "./proposal-types.js";
import { lastLine, type RunTool } from "./run-tool.js";
import { isFollowOn, renderPortMd, renderSummary } from "./proposal-report.js";

export { STEPS, type ClauseRow, type MatrixCounts, type PortedDiff, type Proposal, type StepName, type StepResult } from "./proposal-types.js";

export interface ProposeOptions {
  version: string;
  from: Series;
  root: string;
  out: string;
  skip?: Iterable<StepName>;
  runTool: RunTool;
  readTag?: TagReader;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

/** Which release's Python layer (scripts/release-env.sh) imports VERSION's code: its own
 * python/requirements/sglang-VERSION.txt, else the series' release's (borrowed), else neither (.venv). */
export function envRelease(root: string, version: string, fromVersion: string): { release: string; requirements: string | null; borrowed: boolean } {
  const req = (v: string) => `python/requirements/sglang-${v}.txt`;
  if (existsSync(join(root, req(version)))) return { release: version, requirements: req(version), borrowed: false };
  if (existsSync(join(root, req(fromVersion)))) return { release: fromVersion, requirements: req(fromVersion), borrowed: true };
  return { release: version, requirements: null, borrowed: false };
}

/** Why a CPU-engine start failed, from pytest's `E   ...` lines: the last exception named there
 * (a server's own traceback ends in its cause: ModuleNotFoundError), else the first E line (not
 * -q's progress line, "E   [100%]"), else a SKIPPED line. */
export function engineFailure(stdout: string): string {
  const lines = stdout.split("\n");
  const e = lines.filter((l) => /^E\s+\S/.test(l) && !/^E\s+\[\s*\d+%\]\s*$/.test(l)).map((l) => l.replace(/^E\s+/, "").trim());
  const raised = e.filter((l) => /^[\w.]*(Error|Exception|Failed)\b:/.test(l));
  return (raised.at(-1) ?? e[0] ?? lines.find((l) => /^SKIPPED/.test(l)) ?? "").slice(0, 200);
}

function parseJson<T>(text: string): T | undefined {
  const start = text.indexOf("{");
  if (start < 0) return undefined;
  try {
    return JSON.parse(text.slice(start)) as T;
  } catch {
    return undefined;
  }
}

export async function propose(o: ProposeOptions): Promise<Proposal> {
  const began = Date.now();
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const env = o.env ?? process.env;
  const skip = new Set(o.skip ?? []);
  const out = resolve(o.out);
  const seriesOut = join(out, "series");
  if (resolve(o.from.dir) === seriesOut) throw new UserError(`the proposal folder ${out} holds the series being ported; write it elsewhere (--out)`);
  rmSync(seriesOut, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const steps: StepResult[] = [];
  const p: Proposal = { version: o.version, from: { version: o.from.sglangVersion, dir: o.from.dir }, out, clean: false, ok: false, steps, diffs: [], seconds: 0 };
  const tool = (argv: string[], name: StepName, extraEnv: NodeJS.ProcessEnv = {}, timeoutMs = 3_600_000) => {
    log(`release:propose: ${name}: ${argv.map((a) => (a.startsWith(o.root) ? relative(o.root, a) || "." : a)).join(" ")}`);
    return o.runTool(argv, { cwd: o.root, env: { ...env, ...extraEnv }, timeoutMs, label: name });
  };
  let blocked: string | undefined;
  const skipped = (name: StepName) => {
    const why = skip.has(name) ? "skipped (--skip)" : blocked;
    if (!why) return false;
    steps.push({ name, status: "skipped", detail: why });
    return true;
  };

  // 1. port: always (the proposal is the port)
  const port = await tool(["bash", join(o.root, "scripts/patches-port.sh"), "--from", o.from.sglangVersion, "--to", o.version, "--series", o.from.dir, "--out", seriesOut, "--force", "--no-verify", "--json"], "port");
  const ported = parseJson<{ diffs: PortedDiff[]; seconds_port: number }>(port.stdout);
  if (port.code === 2 || !ported) {
    // bad usage or a release pip cannot fetch: nothing was ported
    steps.push({ name: "port", status: "failed", seconds: port.seconds, detail: lastLine(port.stderr) || `exit ${port.code}` });
    blocked = "not run: the port did not run";
  } else {
    p.diffs = ported.diffs;
    const conflicts = ported.diffs.filter((d) => d.status === "conflict");
    const all = conflicts.flatMap((d) => d.hunks ?? []);
    const own = all.filter((h) => !isFollowOn(h.why)).length;
    const counts = (["merged", "upstream", "conflict"] as const).map((s) => `${ported.diffs.filter((d) => d.status === s).length} ${s}`).join(", ");
    steps.push({ name: "port", status: conflicts.length ? "failed" : "passed", seconds: ported.seconds_port ?? port.seconds, detail: conflicts.length ? `${counts}; ${all.length} hunk(s) need a person, ${own} of them conflicts of their own` : counts });
    if (conflicts.length) blocked = "not run: the port conflicted (a partial series proves nothing)";
  }

  // 2. check: the merged diffs apply with no fuzz to the release's files and compile
  if (!skipped("check")) {
    const check = await tool(["bash", join(o.root, "scripts/patches-check.sh"), o.version], "check", { SGLANG_PATCH_DIR: seriesOut });
    steps.push({ name: "check", status: check.code === 0 ? "passed" : "failed", seconds: check.seconds, detail: lastLine(check.stdout + check.stderr) });
    if (check.code !== 0) blocked = "not run: the ported series does not apply cleanly";
  }
  p.clean = steps.find((s) => s.name === "port")?.status === "passed" && steps.find((s) => s.name === "check")?.status === "passed";

  // The interpreter that imports the release: its own layer (python/requirements/sglang-V.txt), else the
  // layer of the release the series comes from (a new release has no file yet, and the nearest
  // release's pins are the best guess: 0.5.12's soundfile, say), else .venv.
  let python: string | undefined;
  const needsPython = ["matrix", "overlap"].some((s) => !skip.has(s as StepName)) && !blocked;
  if (needsPython) {
    p.env = envRelease(o.root, o.version, o.from.sglangVersion);
    const venv = await tool(["bash", join(o.root, "scripts/release-env.sh"), p.env.release], "check");
    if (venv.code === 0 && lastLine(venv.stdout)) python = join(lastLine(venv.stdout), "bin/python");
  }
  const pythonArgs = python ? ["--python", python] : [];

  // 3. core matrix, patched and stock (the unpatched control must fail somewhere)
  if (!skipped("matrix")) {
    const m = await tool(["bash", join(o.root, "scripts/patches-matrix.sh"), o.version, "--series", seriesOut, "--json", ...pythonArgs], "matrix");
    const r = parseJson<{ patched: MatrixCounts; stock: MatrixCounts; patched_passes: boolean; control_fails: boolean }>(m.stdout);
    if (r) p.matrix = { patched: r.patched, stock: r.stock };
    const count = (c?: MatrixCounts) => (!c ? "?" : c.error ? `could not run (${c.error})` : `${c.passed}/${c.total}`);
    const detail = r ? `patched ${count(r.patched)} scenarios keep the contract; unpatched control ${count(r.stock)}${r.control_fails ? "" : " (the control must fail some)"}` : lastLine(m.stderr) || `exit ${m.code}`;
    steps.push({ name: "matrix", status: m.code === 0 && r?.patched_passes && r.control_fails ? "passed" : "failed", seconds: m.seconds, detail });
  }

  // 4. overlap: per contract clause, stock already / which diff / missing
  if (!skipped("overlap")) {
    const ov = await tool(["bash", join(o.root, "scripts/patches-overlap.sh"), o.version, "--series", seriesOut, "--json", ...pythonArgs], "overlap");
    const r = parseJson<{ clauses: ClauseRow[] }>(ov.stdout);
    if (r) p.clauses = r.clauses.map(({ id, text, stock, with_series, added_by }) => ({ id, text, stock, with_series, added_by }));
    const missing = r?.clauses.filter((c) => !c.with_series).map((c) => c.id) ?? [];
    const detail = r ? `${r.clauses.filter((c) => c.stock).length} of ${r.clauses.length} clauses stock already satisfies; ${missing.length ? `MISSING: ${missing.join(", ")}` : "the series satisfies every other"}` : lastLine(ov.stderr) || `exit ${ov.code}`;
    steps.push({ name: "overlap", status: ov.code === 0 && r && !missing.length ? "passed" : "failed", seconds: ov.seconds, detail });
  }

  // 5. one real CPU-engine start of the patched release, with the verify suite
  if (!skipped("cpu-engine")) {
    const py = existsSync(join(o.root, ".venv/bin/python")) ? join(o.root, ".venv/bin/python") : "python3";
    const e = await tool([py, "-m", "pytest", "test/python/cpu_engine/test_real_server_later.py", "-k", "test_verify_suite_passes_on_the_patched_server", "-q", "-p", "no:cacheprovider", "-rs"], "cpu-engine", { SGLANG_TEST_RELEASE_ENGINE: `${o.version}=${seriesOut}`, CI: "true" }, 1_800_000);
    const summary = lastLine(e.stdout.split("\n").filter((l) => /passed|failed|error|skipped|no tests ran/.test(l)).join("\n")) || lastLine(e.stderr);
    const passed = e.code === 0 && /\bpassed\b/.test(summary) && !/failed|error|skipped/.test(summary);
    const why = passed ? "" : engineFailure(e.stdout);
    steps.push({ name: "cpu-engine", status: passed ? "passed" : "failed", seconds: e.seconds, detail: `${summary || `exit ${e.code}`}${why ? `: ${why}` : ""}` });
  }

  // 6. targets: read from the registry, never assumed (runs even after a conflict: it is cheap)
  if (skip.has("targets")) steps.push({ name: "targets", status: "skipped", detail: "skipped (--skip)" });
  else {
    const t0 = Date.now();
    p.targets = await readTargets(o.version, o.readTag);
    const n = (s: string) => p.targets!.filter((t) => t.state === s).length;
    const ok = n("confirmed") > 0 && n("unconfirmed") === 0;
    steps.push({ name: "targets", status: ok ? "passed" : "failed", seconds: Math.round((Date.now() - t0) / 100) / 10, detail: `${n("confirmed")} confirmed, ${n("unconfirmed")} unconfirmed, ${n("absent")} absent of ${p.targets.length} candidate tags` });
    writeFileSync(join(out, "targets.yaml"), targetsYaml(o.version, p.targets));
  }

  p.ok = steps.length === STEPS.length && steps.every((s) => s.status === "passed");
  p.seconds = Math.round((Date.now() - began) / 100) / 10;
  const portMd = existsSync(join(seriesOut, "PORT.md")) ? readFileSync(join(seriesOut, "PORT.md"), "utf8") : "";
  writeFileSync(join(out, "PORT.md"), renderPortMd(p, portMd));
  writeFileSync(join(out, "SUMMARY.md"), renderSummary(p));
  // paths relative to the checkout: the folder is committed on the proposal's branch
  const rel = (d: string) => (relative(o.root, d).startsWith("..") ? d : relative(o.root, d) || ".");
  writeFileSync(join(out, "proposal.json"), `${JSON.stringify({ ...p, from: { ...p.from, dir: rel(p.from.dir) }, out: rel(out) }, null, 1)}\n`);
  return p;
}
