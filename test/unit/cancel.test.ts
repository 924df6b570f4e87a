/** Ctrl-C semantics: the copies one terminal Ctrl-C delivers are one cancellation; a later one exits. */
import { afterEach, describe, expect, it } from "vitest";
import { installCancellation, type Cancellation } from "../../src/cancel.js";

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
    const doneContainer = s.c.leftovers.add("container A");
    s.c.leftovers.add("tag B");
    s.c.handle("SIGINT");
    doneContainer();
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
