/**
 * `npx tsx bench/build-image.bench.ts` (part of `npm run bench`, not of the tests): the build
 * figures, written to bench/build-image.json and bench/build-image.md.
 *
 *  0. start-up of the shipped CLI (dist/, as `npm run build-image` and the bin run it): --help
 *     and --dry-run, median of N, beside `node -e 0`; goals 0.35 s and 0.5 s. Also through
 *     `npm run` and `npx`, which add npm's own start-up.
 *  1. build-image against a plain `docker build` of the SAME context tar (same Dockerfile, build
 *     args and labels, classic builder), alternating, median of N: end to end (the CLI,
 *     including Node start-up) and in process (the pipeline's build step alone); goal: end to
 *     end within 0.4 s of docker build. Once with a warm cache (every step cached) and once with
 *     --no-cache on both (a real build: the patches are checked, applied and byte-compiled).
 *  2. the no-change rebuild: `build-image --skip-verify --no-push` again (goal <= 3 s).
 *  3. the compressed size of the added layer, from the registry's manifest (goal < 64 KiB).
 *  4. the bytes pushed for a second tag of an image already pushed.
 * Runs on a stand-in base with the real v0.5.9 files and the real patch set (see
 * test/integration/support/stand-in-bases.ts); needs Docker and the registry at $TEST_REGISTRY.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../src/config/load.js";
import { DockerodeEngine } from "../src/docker/engine.js";
import { imageRef, registryDigestOf } from "../src/image-ref.js";
import { BASE_DIGEST_LABEL } from "../src/labels.js";
import { memoryLogger } from "../src/log.js";
import { planTarget, selectTargets, type CliOptions } from "../src/pipeline/plan.js";
import { runTarget } from "../src/pipeline/run.js";
import { readProvenance } from "../src/provenance.js";
import { REPO_ROOT, TEST_REGISTRY, registryManifest, servicesProblem } from "../test/integration/support/services.js";
import { ensureStandInBase } from "../test/integration/support/stand-in-bases.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const STARTUP_ROUNDS = Number(process.env.BENCH_STARTUP_ROUNDS ?? 11);
const ENTRY = "dist/sglang-image-patcher.js";
const REPO = `sglang-image-patcher-bench/patched-${Date.now().toString(36)}`;
const IMAGE = `${TEST_REGISTRY}/${REPO}`;
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** User + system CPU time of the waited-for children so far (Linux /proc, clock ticks of 10 ms). */
function childrenCpuMs(): number {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
  // After the command name: field 16 (cutime) and 17 (cstime) of proc(5), here 13 and 14.
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/**
 * Wall time of a command run `rounds` times (it must succeed): median and minimum, and the
 * median CPU time it used. On a shared, loaded machine the minimum and the CPU time say more
 * about the command than the median wall time, which is mostly waiting for a core.
 */
function startup(cmd: string, args: string[], rounds = STARTUP_ROUNDS): { medianMs: number; minMs: number; cpuMedianMs: number; runs: number[] } {
  const runs: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const before = childrenCpuMs();
    runs.push(Math.round(timeCommand(cmd, args).ms));
    cpu.push(childrenCpuMs() - before);
  }
  return { medianMs: Math.round(median(runs)), minMs: Math.min(...runs), cpuMedianMs: Math.round(median(cpu)), runs };
}

function timeCommand(cmd: string, args: string[], opts: { input?: Buffer; env?: NodeJS.ProcessEnv } = {}): { ms: number; stdout: string } {
  const start = performance.now();
  const r = spawnSync(cmd, args, { cwd: REPO_ROOT, input: opts.input, env: { ...process.env, ...opts.env }, maxBuffer: 64 << 20 });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stderr.toString().slice(-3000)}`);
  return { ms, stdout: r.stdout.toString() };
}

async function main(): Promise<void> {
  const problem = await servicesProblem();
  if (problem) throw new Error(`the build-image bench needs Docker and a registry: ${problem}`);
  const engine = new DockerodeEngine();
  const base = await ensureStandInBase(engine, "editable", { log });
  const dir = mkdtempSync(path.join(os.tmpdir(), "sip-bench-"));
  const configFile = path.join(dir, "build.yaml");
  writeFileSync(
    configFile,
    `source: https://example.invalid/bench\ntargets:\n  bench:\n    base: ${base}\n    patchSet: ${path.join(REPO_ROOT, "patches/sglang-v0.5.9")}\n    image: ${IMAGE}\n    tags: [first, second]\n    push: true\n`,
  );
  const config = await loadConfig(configFile);
  const [target] = selectTargets(config, []);
  const opts: CliOptions = { targets: [], tags: [], skipVerify: true, pushUnverified: false, push: false, dryRun: false };
  const planned = await planTarget(config, target!, opts, REPO_ROOT, readProvenance(REPO_ROOT, config.source));
  const contextFile = path.join(dir, "context.tar");
  writeFileSync(contextFile, planned.context.tar);
  // The labels build-image gives: base.digest only for a base that came from a registry.
  const baseDigest = registryDigestOf(imageRef(base), (await engine.inspectImage(base))!.repoDigests);
  const labels = { ...planned.plan.labels, ...(baseDigest ? { [BASE_DIGEST_LABEL]: baseDigest } : {}) };
  const dockerBuildArgs = [
    "build", "-q", "-f", planned.plan.dockerfile, "--build-arg", `BASE_IMAGE=${base}`, "-t", `${IMAGE}:plain`,
    ...Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]), "-",
  ];
  const cli = [ENTRY, "build", "--config", configFile, "--skip-verify", "--no-push"];

  log(`start-up, ${STARTUP_ROUNDS} runs each`);
  const node = process.execPath;
  const startupFigures = {
    nodeNoop: startup(node, ["-e", "0"]),
    help: startup(node, [ENTRY, "build", "--help"]),
    dryRun: startup(node, [ENTRY, "build", "--dry-run"]),
    npmRunHelp: startup("npm", ["run", "build-image", "--", "--help"]),
    npmRunDryRun: startup("npm", ["run", "build-image", "--", "--dry-run"]),
    npxHelp: startup("npx", ["sglang-image-patcher", "build", "--help"], 5),
    goals: { helpMs: 350, dryRunMs: 500 },
  };

  log("warming the build cache (one build-image run and one docker build)");
  timeCommand(process.execPath, cli);
  timeCommand("docker", dockerBuildArgs, { input: planned.context.tar, env: { DOCKER_BUILDKIT: "0" } });

  const cliMs: number[] = [];
  const dockerMs: number[] = [];
  const stepMs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    log(`round ${i + 1}/${ROUNDS}`);
    cliMs.push(timeCommand(process.execPath, cli).ms);
    dockerMs.push(timeCommand("docker", dockerBuildArgs, { input: planned.context.tar, env: { DOCKER_BUILDKIT: "0" } }).ms);
    const r = await runTarget(planned, { engine, logger: memoryLogger(), repoRoot: REPO_ROOT, configDir: config.dir });
    stepMs.push(r.timings.buildMs as number);
  }
  const sameImage = execFileSync("docker", ["inspect", "-f", "{{.Id}}", `${IMAGE}:plain`, `${IMAGE}:first`], { encoding: "utf8" }).trim().split("\n");
  // A real build on both sides: the patching step runs every time.
  const NOCACHE_ROUNDS = Number(process.env.BENCH_NOCACHE_ROUNDS ?? 3);
  const cliCold: number[] = [];
  const dockerCold: number[] = [];
  for (let i = 0; i < NOCACHE_ROUNDS; i++) {
    log(`no-cache round ${i + 1}/${NOCACHE_ROUNDS}`);
    cliCold.push(timeCommand(process.execPath, [...cli, "--no-cache"]).ms);
    dockerCold.push(timeCommand("docker", [dockerBuildArgs[0]!, "--no-cache", ...dockerBuildArgs.slice(1)], { input: planned.context.tar, env: { DOCKER_BUILDKIT: "0" } }).ms);
  }

  log("pushing two tags of the same image");
  const pushOpts: CliOptions = { ...opts, push: true, pushUnverified: true };
  const pushPlanned = await planTarget(config, target!, pushOpts, REPO_ROOT, readProvenance(REPO_ROOT, config.source));
  const pushed = await runTarget(pushPlanned, { engine, logger: memoryLogger(), repoRoot: REPO_ROOT, configDir: config.dir });
  const [first, second] = pushed.push;
  const manifest = await registryManifest(TEST_REGISTRY, REPO, first!.digest.split("@")[1]!);
  const added = manifest!.layers[manifest!.layers.length - 1]!;

  const result = {
    measuredAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, loadAverageAtEnd: os.loadavg().map((l) => +l.toFixed(2)), dockerServer: (await engine.info()).serverVersion, builder: "classic (API 1.41)" },
    base,
    patchSet: pushPlanned.plan.patchSet.name,
    contextSha256: planned.plan.context.sha256,
    rounds: ROUNDS,
    startup: startupFigures,
    warmBuild: {
      buildImageCliMs: { median: Math.round(median(cliMs)), min: Math.round(Math.min(...cliMs)), runs: cliMs.map(Math.round) },
      dockerBuildCliMs: { median: Math.round(median(dockerMs)), min: Math.round(Math.min(...dockerMs)), runs: dockerMs.map(Math.round) },
      pipelineBuildStepMs: { median: Math.round(median(stepMs)), runs: stepMs },
      ratioEndToEnd: +(median(cliMs) / median(dockerMs)).toFixed(3),
      ratioBuildStep: +(median(stepMs) / median(dockerMs)).toFixed(3),
      overheadEndToEndMs: Math.round(median(cliMs) - median(dockerMs)),
      overheadEndToEndMinMs: Math.round(Math.min(...cliMs) - Math.min(...dockerMs)),
      goalOverheadMs: 400,
      sameImageIdAsDockerBuild: sameImage[0] === sameImage[1],
    },
    noCacheBuild: {
      buildImageCliMs: { median: Math.round(median(cliCold)), runs: cliCold.map(Math.round) },
      dockerBuildCliMs: { median: Math.round(median(dockerCold)), runs: dockerCold.map(Math.round) },
      ratioEndToEnd: +(median(cliCold) / median(dockerCold)).toFixed(3),
      goalRatio: 1.05,
    },
    noChangeRebuild: { ms: Math.round(median(cliMs)), goalMs: 3000, note: "build-image --skip-verify --no-push with nothing changed (median of the warm runs above)" },
    addedLayer: { compressedBytes: added.size, goalBytes: 64 * 1024, digest: added.digest, baseLayers: manifest!.layers.length - 1 },
    secondTagPush: {
      firstTag: { bytesUploaded: first!.bytesUploaded, layersPushed: first!.layersPushed, layersAlreadyPresent: first!.layersAlreadyPresent },
      secondTag: { bytesUploaded: second!.bytesUploaded, layersPushed: second!.layersPushed, layersAlreadyPresent: second!.layersAlreadyPresent },
      sameDigest: first!.digest.split("@")[1] === second!.digest.split("@")[1],
    },
  };
  for (const ref of [`${IMAGE}:plain`, `${IMAGE}:first`, `${IMAGE}:second`]) await engine.removeImage(ref).catch(() => {});

  const out = path.join(REPO_ROOT, "bench");
  writeFileSync(path.join(out, "build-image.json"), `${JSON.stringify(result, null, 2)}\n`);
  const w = result.warmBuild;
  const st = result.startup;
  const fig = (f: { medianMs: number; minMs: number; cpuMedianMs: number }) => `${f.medianMs} ms [${f.minMs} ms], CPU ${f.cpuMedianMs} ms`;
  const md = `# build-image benchmark

Measured ${result.measuredAt} on ${result.machine.cpus} CPUs (load average at the end: ${result.machine.loadAverageAtEnd.join(", ")}), Docker ${result.machine.dockerServer}, ${result.rounds} rounds.
Wall times are medians, with the fastest run in brackets; on a busy shared machine the fastest
run and the CPU time are the better estimate of the command itself.
Base: stand-in with the real v0.5.9 files; patch set ${result.patchSet}; context sha256 ${result.contextSha256.slice(0, 12)}.

| figure | value | goal |
| --- | --- | --- |
| \`node -e 0\` | ${fig(st.nodeNoop)} | |
| \`node ${ENTRY} build --help\` | ${fig(st.help)} | <= ${st.goals.helpMs} ms |
| \`node ${ENTRY} build --dry-run\` (build.yaml, default target) | ${fig(st.dryRun)} | <= ${st.goals.dryRunMs} ms |
| \`npm run build-image -- --help\` (adds npm's start-up) | ${fig(st.npmRunHelp)} | |
| \`npm run build-image -- --dry-run\` | ${fig(st.npmRunDryRun)} | |
| \`npx sglang-image-patcher build --help\` | ${fig(st.npxHelp)} | |
| build-image CLI, warm cache (end to end, incl. Node start-up) | ${w.buildImageCliMs.median} ms [${w.buildImageCliMs.min} ms] | |
| plain \`docker build\` of the same context, warm cache | ${w.dockerBuildCliMs.median} ms [${w.dockerBuildCliMs.min} ms] | |
| build-image minus docker build, end to end | ${w.overheadEndToEndMs} ms [fastest runs: ${w.overheadEndToEndMinMs} ms] | <= ${w.goalOverheadMs} ms |
| ratio end to end | ${w.ratioEndToEnd} | |
| pipeline build step alone (in process) | ${w.pipelineBuildStepMs.median} ms | |
| ratio build step / docker build | ${w.ratioBuildStep} | |
| same image id as the plain docker build | ${w.sameImageIdAsDockerBuild} | |
| build-image --no-cache (real build, end to end) | ${result.noCacheBuild.buildImageCliMs.median} ms | |
| docker build --no-cache of the same context | ${result.noCacheBuild.dockerBuildCliMs.median} ms | |
| ratio end to end, real build | ${result.noCacheBuild.ratioEndToEnd} | <= ${result.noCacheBuild.goalRatio} |
| no-change rebuild (no verify) | ${result.noChangeRebuild.ms} ms | <= ${result.noChangeRebuild.goalMs} ms |
| added layer, compressed | ${result.addedLayer.compressedBytes} bytes (${(result.addedLayer.compressedBytes / 1024).toFixed(1)} KiB) | < 64 KiB |
| bytes pushed for the second tag | ${result.secondTagPush.secondTag.bytesUploaded} (layers pushed: ${result.secondTagPush.secondTag.layersPushed}) | |
`;
  writeFileSync(path.join(out, "build-image.md"), md);
  process.stderr.write(md);
}

await main();
