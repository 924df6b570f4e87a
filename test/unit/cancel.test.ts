/** Ctrl-C semantics: the copies one terminal Ctrl-C delivers are one cancellation; a later one exits. */
import { spawn } from "node:child_process";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { installCancellation, type Cancellation } from "../../src/cancel.js";
import { UndoStack } from "../../src/pipeline/steps.js";

describe("installCancellation", () => {
  let c: Cancellation | undefined;
  afterEach(() => c?.dispose());

  function setup(window = 3000) {
    let t = 1_000;
    const log: string[] = [];
    const exits: number[] = [];
    const forced: string[][] = [];
    c = installCancellation((m) => log.push(m), {
      repeatWindowMs: window,
      now: () => t,
      exit: (code) => void exits.push(code),
      onForcedExit: (left) => void forced.push(left),
    });
    return { c, log, exits, forced, advance: (ms: number) => (t += ms) };
  }

  it("aborts on the first signal and ignores the copies of the same Ctrl-C (terminal + npm + wrapper)", () => {
    const s = setup();
    s.c.handle("SIGINT");
    expect(s.c.signal.aborted).toBe(true);
    expect((s.c.signal.reason as Error).message).toBe("cancelled by SIGINT");
    s.advance(5);
    s.c.handle("SIGINT");
    s.advance(2900);
    s.c.handle("SIGINT");
    expect(s.exits).toEqual([]);
    expect(s.log).toHaveLength(1);
    expect(s.log[0]).toMatch(/SIGINT received: stopping the current step and cleaning up/);
  });

  it("a deliberate second Ctrl-C after the window exits 130 and names what is left", () => {
    const s = setup();
    // The ledger is the run's undo stack: what is still on it, named.
    const undo = new UndoStack();
    s.c.leftovers.follow(undo);
    const container = undo.push({ leftover: "container A" });
    undo.push({ leftover: "tag B", undo: () => {} });
    s.c.handle("SIGINT");
    container.settle();
    s.advance(3000);
    s.c.handle("SIGINT");
    expect(s.exits).toEqual([130]);
    expect(s.forced).toEqual([["tag B"]]);
    expect(s.log[1]).toBe("SIGINT received again: exiting without finishing the cleanup; left behind:\n  - tag B");
  });

  it("says so when nothing is left", () => {
    const s = setup(10);
    s.c.handle("SIGTERM");
    s.advance(20);
    s.c.handle("SIGINT");
    expect(s.exits).toEqual([130]);
    expect(s.log[1]).toContain("nothing of this run is left behind");
  });

  it("is wired to the process signals until disposed", () => {
    const s = setup();
    expect(process.listeners("SIGINT")).toContain(s.c.handle);
    s.c.dispose();
    expect(process.listeners("SIGINT")).not.toContain(s.c.handle);
  });
});

describe("a supervisor's SIGINT then SIGTERM (GitHub Actions: 7.5 s apart, SIGKILL at 10 s)", () => {
  let c: Cancellation | undefined;
  afterEach(() => c?.dispose());

  function setup() {
    let t = 1_000;
    const log: string[] = [];
    const exits: number[] = [];
    c = installCancellation((m) => log.push(m), { now: () => t, exit: (code) => void exits.push(code) });
    return { c, log, exits, advance: (ms: number) => (t += ms) };
  }

  it("is one cancellation: the cleanup goes on, no forced exit", () => {
    const s = setup();
    s.c.handle("SIGINT");
    s.advance(7_500);
    s.c.handle("SIGTERM");
    expect(s.exits).toEqual([]);
    expect(s.c.signal.aborted).toBe(true);
    expect((s.c.signal.reason as Error).message).toBe("cancelled by SIGINT");
    expect(s.log[1]).toBe("SIGTERM after SIGINT: the same cancellation (a supervisor's escalation, as GitHub Actions sends); the cleanup goes on");
  });

  it("a deliberate Ctrl-C after that still exits at once; so does a SIGTERM past the grace", () => {
    const s = setup();
    s.c.handle("SIGINT");
    s.advance(7_500);
    s.c.handle("SIGTERM");
    s.advance(1_000);
    s.c.handle("SIGINT");
    expect(s.exits).toEqual([130]);

    const late = setup();
    late.c.handle("SIGINT");
    late.advance(20_000);
    late.c.handle("SIGTERM");
    expect(late.exits).toEqual([130]);
  });

  it("a SIGTERM after a SIGTERM is not an escalation (docker stop, kill): it exits as before", () => {
    const s = setup();
    s.c.handle("SIGTERM");
    s.advance(7_500);
    s.c.handle("SIGTERM");
    expect(s.exits).toEqual([130]);
  });
});

describe("the signals of a cancelled GitHub step, to a real process", () => {
  // GitHub's gap is 7.5 s; 3.5 s is past the 3 s repeat window and keeps the test short. Before,
  // this SIGTERM was a "second Ctrl-C": exit at once, the cleanup abandoned.
  it("SIGINT, then SIGTERM while the cleanup runs: the cleanup finishes, exit 130, no stack", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/unit/fixtures/slow-cleanup.ts"], {
      cwd: path.resolve(import.meta.dirname, "../.."),
      env: { ...process.env, CLEANUP_MS: "5000" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.kill("SIGINT");
    await new Promise((r) => setTimeout(r, 3500));
    child.kill("SIGTERM");
    expect(await exited).toBe(130);
    expect(stderr).toContain("SIGTERM after SIGINT: the same cancellation");
    expect(stderr).toContain("cleanup finished");
    expect(stderr).not.toMatch(/received again|\n\s+at /);
  }, 20_000);
});
