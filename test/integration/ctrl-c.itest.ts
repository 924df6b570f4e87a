/**
 * Ctrl-C the way a user gives it: typed into a real terminal running `npm run build-image`, so
 * SIGINT reaches npm and the CLI at once (and npm forwards its own copy). Repeated rounds, each
 * interrupted a little later than the one before, during the verify step and during the build;
 * every round must end with exit 130, one JSON result saying cancelled, and nothing of that
 * round left: no verify container (found by this file's marker), no per-run build tag (this
 * file's own target name), no build step container (the ids the round's output named), no tag
 * of the user's. The machine is kept busy meanwhile (one spinning shell per CPU): the fault
 * showed up on a loaded machine, where the forwarded copies of one Ctrl-C arrive while the CLI
 * is still starting its cleanup. SIP_CTRL_C_ROUNDS sets the rounds per step (default 3; 10 for
 * a soak).
 */
import { existsSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { DockerodeEngine } from "../../src/docker/engine.js";
import {
  REPO_ROOT, TEST_REGISTRY, leftoverStepContainers, mustSkip, perRunBuildTags, registryTags, verifyContainers, waitFor, writeConfig,
} from "./support/services.js";
import { ensureStandInBase } from "./support/stand-in-bases.js";
import { runInTerminal } from "./support/terminal.js";

const skip = await mustSkip();
const engine = new DockerodeEngine();
const RUN = Date.now().toString(36);
const ROUNDS = Number(process.env.SIP_CTRL_C_ROUNDS ?? 3);
const REPO = `sglang-image-patcher-itest/ctrl-c-${RUN}`;
const IMAGE = `${TEST_REGISTRY}/${REPO}`;
const TARGET = `ctrl-c-${RUN}`;
const MARKER = `SIP_ITEST_CTRL_C=${RUN}`;
const SITE_PACKAGES = path.join(REPO_ROOT, ".venv/lib/python3.11/site-packages");
const NEVER_READY = path.join(REPO_ROOT, "test/fixtures/harness-never-ready");
let base = "";

function config(): string {
  const model = mkdtempSync(path.join(os.tmpdir(), "sip-ctrl-c-model-"));
  const [name, value] = MARKER.split("=") as [string, string];
  return writeConfig(
    [
      "targets:",
      `  ${TARGET}:`,
      `    base: ${base}`,
      `    patchSet: ${path.join(REPO_ROOT, "patches/sglang-v0.5.9")}`,
      `    image: ${IMAGE}`,
      "    tags: [interrupted]",
      "    push: true",
      `    verify: ${JSON.stringify({
        mode: "engineless",
        harness: NEVER_READY,
        model: "/models/none",
        modelMount: { source: model, target: "/models/none", readOnly: true },
        timeoutSeconds: 300,
        mounts: [{ source: SITE_PACKAGES, target: "/opt/deps", readOnly: true }],
        pythonPath: ["/opt/deps"],
        env: { [name]: value },
      })}`,
      "",
    ].join("\n"),
  );
}

const localTags = () => execFileSync("docker", ["images", IMAGE, "--format", "{{.Tag}}"], { encoding: "utf8" }).split("\n").filter(Boolean);

interface Round {
  round: number;
  code: number | null;
  status?: string;
  step?: string;
  left: string[];
}

/** One spinning shell per CPU until stopped. */
function loadMachine(): () => void {
  const spinners: ChildProcess[] = os.cpus().map(() => spawn("sh", ["-c", "while :; do :; done"], { stdio: "ignore" }));
  return () => spinners.forEach((s) => s.kill("SIGKILL"));
}

/** Removes what a failed round left, so the next round is judged on its own. */
function removeLeftovers(): void {
  for (const id of verifyContainers(MARKER)) execFileSync("docker", ["rm", "-f", id], { stdio: "ignore" });
  for (const t of [...perRunBuildTags(TARGET), ...localTags().map((t) => `${IMAGE}:${t}`)]) execFileSync("docker", ["rmi", t], { stdio: "ignore" });
}

async function interruptRounds(args: string[], stage: RegExp, step: string): Promise<Round[]> {
  const rounds: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const stopLoad = loadMachine();
    try {
      rounds.push(await interruptOnce(i, args, stage, step));
    } finally {
      stopLoad();
    }
    removeLeftovers();
  }
  return rounds;
}

async function interruptOnce(i: number, args: string[], stage: RegExp, step: string): Promise<Round> {
  const term = runInTerminal(["npm", "run", "-s", "build-image", "--", ...args]);
  let missed: unknown;
  try {
    await waitFor(async () => stage.test(term.stderrSoFar()), 240_000, `round ${i + 1}: ${stage}`);
  } catch (e) {
    missed = e;
  }
  // A little later each round, so the Ctrl-C meets the step at different moments.
  if (!missed) await new Promise((r) => setTimeout(r, (i * 700) % 2100));
  term.ctrlC();
  const run = await term.done;
  if (missed) throw new Error(`${(missed as Error).message}; its output so far:\n${run.stderr.slice(-4000)}`);
  const left = [
    ...verifyContainers(MARKER).map((c) => `verify container ${c}`),
    ...perRunBuildTags(TARGET).map((t) => `build tag ${t}`),
    ...leftoverStepContainers(run.stderr).map((c) => `build step container ${c}`),
    ...localTags().map((t) => `user tag ${IMAGE}:${t}`),
  ];
  const t = run.json.targets?.[0];
  process.stderr.write(`[itest] Ctrl-C during ${step}, round ${i + 1}/${ROUNDS}: exit ${run.code}, ${t?.status ?? "no JSON result"}, left: ${left.length ? left.join(", ") : "nothing"}\n`);
  if (run.code !== 130) process.stderr.write(`[itest] its stderr:\n${run.stderr.slice(-3000)}\n`);
  return { round: i, code: run.code, status: t?.status, step: t?.error?.step, left };
}

describe.skipIf(skip)("Ctrl-C in a real terminal under npm run", () => {
  beforeAll(async () => {
    if (!existsSync(SITE_PACKAGES)) throw new Error(`${SITE_PACKAGES} is missing: run bash scripts/python-env.sh`);
    base = await ensureStandInBase(engine, "editable", { log: (m) => process.stderr.write(`[itest] ${m}\n`) });
  });

  it(`during verify, ${ROUNDS} rounds in a row: each exits 130, reports cancelled, leaves nothing`, async () => {
    const rounds = await interruptRounds(["--config", config()], /\[tokenids_verify\] starting main server/, "verify");
    expect(rounds).toEqual(rounds.map((r) => ({ round: r.round, code: 130, status: "cancelled", step: "verify", left: [] })));
    expect(await registryTags(TEST_REGISTRY, REPO)).toEqual([]);
  });

  it(`during the build, ${ROUNDS} rounds in a row: each exits 130, reports cancelled, leaves nothing`, async () => {
    const rounds = await interruptRounds(["--config", config(), "--skip-verify", "--no-cache"], /\[build\] Step \d+\/\d+ : RUN /, "build");
    expect(rounds).toEqual(rounds.map((r) => ({ round: r.round, code: 130, status: "cancelled", step: "build", left: [] })));
    expect(await registryTags(TEST_REGISTRY, REPO)).toEqual([]);
  });
});
