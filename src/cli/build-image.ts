/** The `build` command (`npm run build-image`): see BUILD_IMAGE_HELP. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { readSigningKeyFile } from "../attest/key-file.js";
import { installCancellation } from "../cancel.js";
import { loadConfig } from "../config/load.js";
import type { BuildConfig } from "../config/schema.js";
import { ConfigError, UserError, errorMessage } from "../errors.js";
import { createLogger } from "../log.js";
import { checkCliOptions, planTarget, selectTargets, type PlannedTarget } from "../pipeline/plan.js";
import { TargetFailedError, runTarget, type TargetResult } from "../pipeline/run.js";
import { readProvenance } from "../provenance.js";
import { BUILD_IMAGE_HELP, parseBuildImageArgs } from "./build-image-args.js";
import { REPO_ROOT } from "../repo-root.js";
import { exitCodeFor, printResult, reportError } from "./exit.js";

export async function buildImage(argv: string[]): Promise<number> {
  const logger = createLogger();
  const startedAt = new Date().toISOString();
  const results: TargetResult[] = [];
  let configFile: string | undefined;
  let dryRun = false;
  // The one failed result, whichever way the run ends early: the targets finished so far and why.
  const printFailure = (error: Record<string, unknown>) =>
    printResult({ ok: false, dryRun, config: configFile, startedAt, targets: results, error });
  const cancel = installCancellation((m) => logger.warn(m), {
    // Even an impatient exit leaves one JSON result on stdout, naming what it left behind.
    onForcedExit: (leftBehind) =>
      printFailure({ message: "cancelled; exited at a second Ctrl-C before the cleanup finished", exitCode: 130, leftBehind }),
  });
  try {
    const args = parseBuildImageArgs(argv);
    if (args.help) {
      process.stdout.write(BUILD_IMAGE_HELP);
      return 0;
    }
    checkCliOptions(args);
    configFile = args.config;
    dryRun = args.dryRun;
    // Read (and the password tried) before anything is built: a wrong password fails in a second, not after the verify.
    const signingKey = args.signKey !== undefined ? await readSigningKeyFile(args.signKey) : undefined;
    const config = await loadConfig(args.config);
    const targets = selectTargets(config, args.targets, { releases: args.releases, all: args.all });
    // The same tags or base for several targets would make them overwrite each other.
    if (targets.length > 1 && (args.tags.length > 0 || args.base !== undefined)) {
      throw new UserError(`--tag and --base apply to one target at a time; ${targets.length} targets are selected (${targets.map((t) => t.name).join(", ")})`);
    }
    const provenance = readProvenance(REPO_ROOT, config.source);
    const planned: PlannedTarget[] = [];
    for (const t of targets) planned.push(await planTarget(config, t, args, REPO_ROOT, provenance));
    for (const w of planned.flatMap((p) => p.plan.warnings)) logger.warn(w);
    if (args.dryRun) {
      // The indexes every one of whose targets this plan builds (the workflow's index matrix).
      const plannedNames = new Set(planned.map((p) => p.plan.target));
      const indexes = [...config.indexes.values()].filter((i) => i.targets.every((t) => plannedNames.has(t)));
      printResult({ ok: true, dryRun: true, config: args.config, provenance, releases: releaseSummary(config, planned), targets: planned.map((p) => p.plan), indexes });
      return 0;
    }
    // Imported here so --help and --dry-run do not pay for loading dockerode.
    const { DockerodeEngine } = await import("../docker/engine.js");
    const engine = new DockerodeEngine();
    await engine.ping();
    for (const p of planned) {
      const attest = { dir: path.resolve(args.attestationDir), builderVersion: builderVersion(), ...(signingKey ? { signingKey } : {}) };
      results.push(await runTarget(p, { engine, logger, repoRoot: REPO_ROOT, configDir: config.dir, signal: cancel.signal, leftovers: cancel.leftovers, attest }));
    }
    // Last: each lane's multi-arch index, where this run pushed all of its architectures GPU-verified.
    const { indexesOfRun } = await import("../pipeline/make-index.js");
    const indexes = await indexesOfRun(config, results, {
      force: Boolean(args.force),
      attest: { dir: path.resolve(args.attestationDir), ...(signingKey ? { signingKey } : {}), builder: { version: builderVersion(), revision: provenance.revision, source: provenance.source } },
      logger,
    });
    const failedIndex = indexes.find((i) => i.status === "failed");
    if (failedIndex) {
      logger.warn(`index ${failedIndex.tag}: ${failedIndex.reason}`);
      printResult({ ok: false, dryRun: false, config: args.config, startedAt, provenance, targets: results, indexes, error: { message: `index ${failedIndex.tag}: ${failedIndex.reason}`, exitCode: 1 } });
      return 1;
    }
    printResult({ ok: true, dryRun: false, config: args.config, startedAt, provenance, targets: results, ...(indexes.length ? { indexes } : {}) });
    return 0;
  } catch (e) {
    if (e instanceof TargetFailedError) results.push(e.result);
    reportError(e);
    printFailure({
      message: errorMessage(e),
      exitCode: exitCodeFor(e),
      ...(e instanceof ConfigError ? { problems: e.problems } : {}),
    });
    return exitCodeFor(e);
  } finally {
    cancel.dispose();
  }
}


/** Every release of the build file, for --dry-run: what it builds and which of it this run plans. */
function releaseSummary(config: BuildConfig, planned: PlannedTarget[]) {
  const plannedNames = new Set(planned.map((p) => p.plan.target));
  return [...config.releases.values()].map((r) => ({
    version: r.version,
    patchSet: path.resolve(config.dir, r.patchSet),
    targets: r.targets,
    defaultTargets: r.targets.filter((t) => config.defaultTargets.includes(t)),
    planned: r.targets.filter((t) => plannedNames.has(t)),
  }));
}

/** This tool's version, for the attestation's builder (package.json, read where the CLI runs from). */
function builderVersion(): string {
  return (JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;
}
