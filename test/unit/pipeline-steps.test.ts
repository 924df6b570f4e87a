/**
 * The pipeline as a step list (src/pipeline/steps.ts): the runner owns the undo stack, runs the
 * compensations newest first on a failure or a cancellation, and the cancellation ledger is read
 * from that stack. Adding a step is one entry in the list: a fake step added after the build has
 * its compensation run on a later failure and on a cancel, and is named in the ledger meanwhile.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { leftoverLedger } from "../../src/cancel.js";
import { parseConfigText } from "../../src/config/load.js";
import { CancelledError } from "../../src/errors.js";
import { memoryLogger } from "../../src/log.js";
import { planTarget, type CliOptions } from "../../src/pipeline/plan.js";
import { TARGET_STEPS, TargetFailedError, runTarget, type TargetRun } from "../../src/pipeline/run.js";
import { UndoStack, runSteps, withStepAfter, type Step } from "../../src/pipeline/steps.js";
import { FakeEngine } from "./fake-engine.js";

const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
const BASE = "example/base:1";
const PROV = { source: "s", revision: "r", created: "2026-01-01T00:00:00.000Z" };
const cfg = parseConfigText(
  `targets:\n  t:\n    base: "${BASE}"\n    patchSet: test/fixtures/patchsets/fixture-v0.5.9\n    image: reg.example.com/o/img\n    tags: [one]\n    verify: { mode: engineless }\n`,
  path.join(REPO_ROOT, "build.yaml"),
  REPO_ROOT,
);
const opts: CliOptions = { targets: [], tags: [], skipVerify: true, pushUnverified: true, dryRun: false };
const env = { SGLANG_IMAGE_PATCHER_REGISTRY_USERNAME: "u", SGLANG_IMAGE_PATCHER_REGISTRY_PASSWORD: "p" };

/** A step that "makes a thing" after the build: its compensation removes it, and the ledger names it meanwhile. */
function fakeStep(events: string[], ledgerSeen: string[][], ledger: () => string[]): Step<TargetRun> {
  return {
    name: "fake-scan",
    async run(run, undo) {
      undo.push({ leftover: `the fake scan container of ${run.plan.target}`, undo: () => void events.push("fake undone") });
      events.push("fake done");
      ledgerSeen.push(ledger());
    },
  };
}

async function runWithFake(engine: FakeEngine, signal?: AbortSignal) {
  const planned = await planTarget(cfg, cfg.targets.get("t")!, opts, REPO_ROOT, PROV);
  const leftovers = leftoverLedger();
  const events: string[] = [];
  const ledgerSeen: string[][] = [];
  const steps = withStepAfter(TARGET_STEPS, "build", fakeStep(events, ledgerSeen, () => leftovers.list()));
  const readRegistryTags = async (refs: readonly string[]) => new Map(refs.map((ref) => [ref, { ref, present: false }]));
  const deps = { engine, logger: memoryLogger(), repoRoot: REPO_ROOT, configDir: REPO_ROOT, env, signal, leftovers, readRegistryTags, pushRetry: { attempts: 1, initialDelayMs: 1, maxDelayMs: 1 } };
  const outcome = await runTarget(planned, deps, steps).then(
    (result) => ({ result, error: undefined }),
    (error: unknown) => ({ result: error instanceof TargetFailedError ? error.result : undefined, error }),
  );
  return { ...outcome, events, ledgerSeen, leftovers };
}

describe("adding a step to the pipeline", () => {
  it("runs in its place; on success its compensation does not run and the ledger ends empty", async () => {
    const engine = new FakeEngine(BASE);
    const { result, error, events, ledgerSeen, leftovers } = await runWithFake(engine);
    expect(error).toBeUndefined();
    expect(result?.status).toBe("pushed");
    expect(events).toEqual(["fake done"]);
    // While it stands, the ledger names it after the build's per-run tag.
    expect(ledgerSeen[0]).toEqual([expect.stringMatching(/^the per-run image tag sglang-image-patcher-build\/t:/), "the fake scan container of t"]);
    expect(leftovers.list()).toEqual([]);
  });

  it("a later failure (the push) runs its compensation, after the local tags are put back, and the result says failed", async () => {
    const engine = new FakeEngine(BASE);
    engine.pushErrors = [new Error("connection refused")];
    const { result, error, events, leftovers } = await runWithFake(engine);
    expect(error).toBeInstanceOf(TargetFailedError);
    expect(result).toMatchObject({ status: "failed", error: { step: "push" }, tagsReverted: ["reg.example.com/o/img:one: removed (it did not exist before this run)"] });
    expect(events).toEqual(["fake done", "fake undone"]);
    expect(leftovers.list()).toEqual([]);
  });

  it("a cancel during a later step (verify) runs its compensation; the result says cancelled, exit code 130", async () => {
    const engine = new FakeEngine(BASE);
    const controller = new AbortController();
    const planned = await planTarget(cfg, cfg.targets.get("t")!, { ...opts, skipVerify: false, pushUnverified: false }, REPO_ROOT, PROV);
    const leftovers = leftoverLedger();
    const events: string[] = [];
    const ledgerSeen: string[][] = [];
    let ledgerDuringVerify: string[] = [];
    engine.oneShot = (_spec, signal) =>
      new Promise((_r, reject) => {
        ledgerDuringVerify = leftovers.list();
        signal?.addEventListener("abort", () => reject(signal.reason));
        setTimeout(() => controller.abort(new CancelledError("SIGINT")), 10);
      });
    const steps = withStepAfter(TARGET_STEPS, "build", fakeStep(events, ledgerSeen, () => leftovers.list()));
    const err = await runTarget(planned, { engine, logger: memoryLogger(), repoRoot: REPO_ROOT, configDir: REPO_ROOT, signal: controller.signal, leftovers }, steps).catch((e: unknown) => e);
    if (!(err instanceof TargetFailedError)) throw new Error(`expected a TargetFailedError, got ${String(err)}`);
    expect(err.message).toBe("cancelled by SIGINT");
    expect(err.exitCode).toBe(130);
    expect(err.cause).toBeInstanceOf(CancelledError);
    expect(err.result.status).toBe("cancelled");
    expect(events).toEqual(["fake done", "fake undone"]);
    // What a second Ctrl-C during the verify would have named: the per-run tag, the fake step's thing, the verify container.
    expect(ledgerDuringVerify).toEqual([
      expect.stringMatching(/^the per-run image tag /),
      "the fake scan container of t",
      expect.stringMatching(/^the verify container labelled /),
    ]);
    expect(leftovers.list()).toEqual([]);
    expect(engine.calls.at(-1)).toMatch(/^rmi sglang-image-patcher-build\/t:/);
  });
});

describe("the step runner", () => {
  const step = (name: string, log: string[], over: Partial<Step<null>> = {}): Step<null> => ({
    name,
    async run(_ctx, undo) {
      undo.push({ leftover: `${name} left`, undo: () => void log.push(`undo ${name}`), always: () => void log.push(`always ${name}`) });
      log.push(`run ${name}`);
    },
    ...over,
  });

  it("undoes newest first, then runs every always, and throws the step's error as converted", async () => {
    const log: string[] = [];
    const failing: Step<null> = { name: "c", run: async () => Promise.reject(new Error("boom")) };
    const undo = new UndoStack();
    const err = await runSteps([step("a", log), step("b", log), failing], null, undo, {
      asError: (s, e) => new Error(`${s.name}: ${(e as Error).message}`),
      onFailure: (s, e) => void log.push(`failed ${s.name} (${e.message})`),
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe("c: boom");
    expect(log).toEqual(["run a", "run b", "failed c (c: boom)", "undo b", "undo a", "always b", "always a"]);
    expect(undo.ledger()).toEqual([]);
  });

  it("after a pivot, a failure undoes nothing done before it (the always entries still run)", async () => {
    const log: string[] = [];
    const undo = new UndoStack();
    const steps = [step("a", log), step("b", log, { pivot: true }), { name: "c", run: async () => Promise.reject(new Error("late")) }];
    await runSteps(steps, null, undo, { asError: (_s, e) => e as Error, onFailure: (_s, _e, stack) => void log.push(`committed ${stack.committed}`) }).catch(() => {});
    expect(log).toEqual(["run a", "run b", "committed true", "always b", "always a"]);
  });

  it("a ledger line stays until its undo has run, and a settled entry is gone from both", async () => {
    const undo = new UndoStack();
    const seen: string[][] = [];
    undo.push({ leftover: "tags moved", undo: () => void seen.push(undo.ledger()) });
    undo.push({ leftover: "container" }).settle();
    expect(undo.ledger()).toEqual(["tags moved"]);
    await undo.undoAll();
    expect(seen).toEqual([["tags moved"]]);
    expect(undo.ledger()).toEqual([]);
  });

  it("skips a step whose `when` says no", async () => {
    const log: string[] = [];
    await runSteps([step("a", log, { when: () => false }), step("b", log)], null, new UndoStack(), { asError: (_s, e) => e as Error });
    expect(log).toEqual(["run b", "always b"]);
  });
});
