/**
 * `npm run release:watch` (`sglang-image-patcher release-watch`) and `npm run release:propose --
 * VERSION` (`sglang-image-patcher release-propose VERSION`): what PyPI has that this project does
 * not cover yet, and a proposal folder for one new release (src/release/). One JSON result on
 * stdout, tables and progress on stderr, exit codes in exit.ts's one place: 0 done (watch) /
 * every step passed (propose), 1 a step failed, a port conflicted, or PyPI could not be read
 * under CI=true, 2 bad input (an unknown or yanked version, bad options).
 */
import { readFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UserError, errorMessage } from "../errors.js";
import { REPO_ROOT } from "../repo-root.js";
import { readCoverage, nearestSeries, coverageUpTo, readSeries, type Coverage } from "../release/coverage.js";
import { fetchPypiReleases, parsePypiAnswer, PypiUnreachableError, PYPI_JSON_URL, type PypiReleases, type FetchJson } from "../release/pypi-releases.js";
import type { TagReader } from "../release/image-targets.js";
import { propose, STEPS, type Proposal, type StepName } from "../release/proposal.js";
import { renderSummary } from "../release/proposal-report.js";
import { runTool as realRunTool, type RunTool } from "../release/run-tool.js";
import { watch, watchTable } from "../release/watch.js";
import { parseVersion, isPrerelease } from "../release/versions.js";
import { exitCodeFor, printResult, reportError } from "./exit.js";

export const RELEASE_WATCH_HELP = `Usage: npm run release:watch -- [options]
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

export const RELEASE_PROPOSE_HELP = `Usage: npm run release:propose -- VERSION [options]
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

export interface ReleaseDeps {
  root?: string;
  runTool?: RunTool;
  fetch?: FetchJson;
  readTag?: TagReader;
  env?: NodeJS.ProcessEnv;
}

type Values = Record<string, string | boolean | string[] | undefined>;

function parse(argv: string[], options: NonNullable<ParseArgsConfig["options"]>, positionals = false): { values: Values; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, strict: true, allowPositionals: positionals, options: { ...options, help: { type: "boolean", short: "h" } } });
    return { values: r.values as Values, positionals: r.positionals };
  } catch (e) {
    throw new UserError(`${errorMessage(e)}\nRun with --help to see the options.`, 2, { cause: e });
  }
}

/** PyPI's releases, or undefined when it could not be read outside CI (under CI=true that throws). */
async function readPypi(values: { "pypi-json"?: string; "pypi-url"?: string }, deps: ReleaseDeps): Promise<{ pypi?: PypiReleases; error?: string }> {
  const env = deps.env ?? process.env;
  try {
    if (values["pypi-json"]) {
      let text: string;
      try {
        text = readFileSync(values["pypi-json"], "utf8");
      } catch (e) {
        throw new UserError(`--pypi-json: ${errorMessage(e)}`, 2, { cause: e });
      }
      return { pypi: parsePypiAnswer(JSON.parse(text)) };
    }
    return { pypi: await fetchPypiReleases(values["pypi-url"] ?? PYPI_JSON_URL, deps.fetch) };
  } catch (e) {
    if (!(e instanceof PypiUnreachableError) || env.CI === "true") throw e;
    process.stderr.write(`warning: ${e.message} (not CI: going on without PyPI's list; under CI=true this fails)\n`);
    return { error: e.message };
  }
}

export async function runReleaseWatch(argv: string[], deps: ReleaseDeps = {}): Promise<{ code: number; result: Record<string, unknown> }> {
  const { values } = parse(argv, { "pypi-json": { type: "string" }, "pypi-url": { type: "string" }, newest: { type: "string" }, "no-probe": { type: "boolean" } });
  if (values.help) return { code: 0, result: { help: RELEASE_WATCH_HELP } };
  const root = deps.root ?? REPO_ROOT;
  if (values.newest !== undefined && !parseVersion(values.newest as string)) throw new UserError(`--newest ${values.newest} is not a release version`);
  const { pypi, error } = await readPypi(values as Record<string, string>, deps);
  if (!pypi) return { code: 0, result: { ok: false, pypi: { read: false, error } } };
  const r = await watch({ root, coverage: readCoverage(root), pypi, ...(values.newest ? { newest: values.newest as string } : {}), probe: !values["no-probe"], runTool: deps.runTool ?? realRunTool, log: (l) => process.stderr.write(`${l}\n`) });
  process.stderr.write(watchTable(r));
  return { code: 0, result: { ok: true, pypi: { read: true }, ...r } };
}

export async function runReleasePropose(argv: string[], deps: ReleaseDeps = {}): Promise<{ code: number; result: Record<string, unknown>; proposal?: Proposal }> {
  const { values, positionals } = parse(argv, { out: { type: "string" }, "from-series": { type: "string" }, newest: { type: "string" }, skip: { type: "string", multiple: true }, "pypi-json": { type: "string" }, "pypi-url": { type: "string" } }, true);
  if (values.help) return { code: 0, result: { help: RELEASE_PROPOSE_HELP } };
  if (positionals.length !== 1) throw new UserError(`expected one VERSION, got ${positionals.length ? positionals.join(" ") : "none"}`);
  const version = positionals[0]!.replace(/^v/, "");
  const parsed = parseVersion(version);
  if (!parsed) throw new UserError(`${positionals[0]} is not a release version (like 0.5.23)`);
  if (isPrerelease(parsed)) throw new UserError(`${version} is a pre-release; only final releases are proposed`);
  const skip = (values.skip as string[] | undefined) ?? [];
  const badSkip = skip.filter((s) => !STEPS.includes(s as StepName) || s === "port");
  if (badSkip.length) throw new UserError(`--skip ${badSkip.join(", ")}: steps are ${STEPS.filter((s) => s !== "port").join(", ")}`);
  const root = deps.root ?? REPO_ROOT;
  const { pypi } = await readPypi(values as Record<string, string>, deps);
  if (pypi && !pypi.releases.includes(version)) {
    const why = pypi.yanked.some((y) => y.version === version) ? "is yanked on PyPI" : pypi.prereleases.includes(version) ? "is a pre-release on PyPI" : "is not a release of sglang on PyPI";
    throw new UserError(`sglang ${version} ${why}; nothing proposed`);
  }
  let coverage: Coverage = readCoverage(root);
  if (values.newest) coverage = coverageUpTo(coverage, values.newest as string);
  const from = values["from-series"] ? readSeries(values["from-series"] as string) : nearestSeries(coverage, version);
  if (from.sglangVersion === version) throw new UserError(`the series ${from.dir} is already for ${version}; a proposal ports another release's series`);
  const out = (values.out as string | undefined) ?? `${root}/proposals/sglang-v${version}`;
  const p = await propose({ version, from, root, out, skip: skip as StepName[], runTool: deps.runTool ?? realRunTool, ...(deps.readTag ? { readTag: deps.readTag } : {}), ...(deps.env ? { env: deps.env } : {}) });
  process.stderr.write(`\n${renderSummary(p)}`);
  return { code: p.ok ? 0 : 1, result: { ...p }, proposal: p };
}

async function asCommand(run: () => Promise<{ code: number; result: Record<string, unknown> }>): Promise<number> {
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

export const releaseWatch = (argv: string[]) => asCommand(() => runReleaseWatch(argv));
export const releasePropose = (argv: string[]) => asCommand(() => runReleasePropose(argv));
