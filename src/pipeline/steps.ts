/**
 * A pipeline as a list of steps, each pushing its compensation (what undoes it) onto one undo
 * stack that the runner owns. On a failure or a cancellation the runner runs the compensations in
 * reverse; at the end, whatever happened, it runs the `always` ones (a lock released, a temporary
 * tag dropped). What a cancelled run still has to undo, the ledger that a second Ctrl-C names
 * (src/cancel.ts), is read from the same stack: each entry's `leftover` line, until it is undone.
 * So adding a step is one entry in a step list, its compensation included.
 */
export interface Compensation {
  /**
   * What stays behind if the process exits before this entry is undone: a sentence naming it and
   * how to remove it (the cancellation ledger's line). Absent: nothing a user would have to remove.
   */
  leftover?: string;
  /** Undoes the step after a later failure or a cancellation (in reverse order of the steps). */
  undo?: () => Promise<void> | void;
  /** Runs at the end of the run whatever happened, after the undos (a lock released, a temporary tag dropped). */
  always?: () => Promise<void> | void;
}

/** A step's handle on the entry it pushed. */
export interface UndoEntry {
  /** Sets (or replaces) the ledger line, e.g. once the thing it names exists. */
  describe(leftover: string): void;
  /** Off the stack without running: undone by the step itself, or nothing left to undo. */
  settle(): void;
}

interface Entry extends Compensation {
  settled: boolean;
}

export class UndoStack {
  private readonly entries: Entry[] = [];
  private wasCommitted = false;

  push(compensation: Compensation): UndoEntry {
    const entry: Entry = { ...compensation, settled: false };
    this.entries.push(entry);
    return {
      describe: (leftover) => void (entry.leftover = leftover),
      settle: () => this.remove(entry),
    };
  }

  /** The cancellation ledger: what the entries still on the stack would leave behind, oldest first. */
  ledger(): string[] {
    return this.entries.flatMap((e) => (e.leftover ? [e.leftover] : []));
  }

  /**
   * The pivot: what the steps so far did stands (the images are pushed), so a later failure no
   * longer undoes it; `always` entries still run at the end.
   */
  commit(): void {
    for (const e of [...this.entries]) {
      if (e.always) {
        delete e.undo;
        delete e.leftover;
      } else this.remove(e);
    }
    this.wasCommitted = true;
  }

  /** True once commit() ran: a failure after it leaves the committed work as it is. */
  get committed(): boolean {
    return this.wasCommitted;
  }

  /** After a failure or cancellation: each entry's undo, newest first (an entry stays listed until its undo is done). */
  async undoAll(): Promise<void> {
    for (const e of [...this.entries].reverse()) {
      if (!e.undo || e.settled) continue;
      await e.undo();
      if (!e.always) this.remove(e);
    }
  }

  /** At the end of the run: each `always`, newest first; the stack is empty afterwards. */
  async finish(): Promise<void> {
    for (const e of [...this.entries].reverse()) {
      if (e.settled) continue;
      try {
        await e.always?.();
      } finally {
        this.remove(e);
      }
    }
  }

  private remove(entry: Entry): void {
    entry.settled = true;
    const at = this.entries.indexOf(entry);
    if (at >= 0) this.entries.splice(at, 1);
  }
}

export interface Step<C> {
  /** The step's name in a failure (`error.step` of the result, the StepError's prefix). */
  readonly name: string;
  /** Whether it runs for this context; absent: always. */
  readonly when?: (ctx: C) => boolean;
  /** After it: the work so far stands (UndoStack.commit). */
  readonly pivot?: boolean;
  /** Does the work; pushes onto `undo` what undoes it, before doing what that undoes. */
  run(ctx: C, undo: UndoStack): Promise<void>;
  /** The error this step's failure is reported as; absent: the runner's `asError`. */
  asError?(e: unknown, ctx: C): Error;
  /** What the step records of its own failure, after the runner's onFailure (before the undos). */
  onFailure?(err: Error, ctx: C): void;
}

export interface RunStepsOptions<C> {
  /** The error a failed step is reported as (the step named, a cancellation kept as one). */
  asError(step: Step<C>, e: unknown): Error;
  /** Records the failure (before anything is undone, so an undo can read it). */
  onFailure?(step: Step<C>, err: Error, undo: UndoStack): void;
  /** What is thrown for a failed step's error, once the undos have run; absent: the error itself. */
  raise?(err: Error): Error;
  /** Last, after every `always` (timings). */
  onEnd?(): void;
}

/**
 * Runs the steps in order on one undo stack. A failing step: its error is converted and recorded,
 * the stack's undos run newest first, then every `always`; the converted error is thrown (through `raise`).
 */
export async function runSteps<C>(steps: readonly Step<C>[], ctx: C, undo: UndoStack, opts: RunStepsOptions<C>): Promise<void> {
  let current: Step<C> | undefined;
  try {
    for (const step of steps) {
      if (step.when && !step.when(ctx)) continue;
      current = step;
      await step.run(ctx, undo);
      if (step.pivot) undo.commit();
    }
  } catch (e) {
    const step = current!;
    const err = step.asError ? step.asError(e, ctx) : opts.asError(step, e);
    opts.onFailure?.(step, err, undo);
    step.onFailure?.(err, ctx);
    // An undo that fails throws its own error (as a failing cleanup always did).
    await undo.undoAll();
    throw opts.raise ? opts.raise(err) : err;
  } finally {
    await undo.finish();
    opts.onEnd?.();
  }
}

/** A step list with `step` inserted after the step named `after` (for tests and variants). */
export function withStepAfter<C>(steps: readonly Step<C>[], after: string, step: Step<C>): Step<C>[] {
  const at = steps.findIndex((s) => s.name === after);
  if (at < 0) throw new Error(`no step named ${after}: ${steps.map((s) => s.name).join(", ")}`);
  return [...steps.slice(0, at + 1), step, ...steps.slice(at + 1)];
}
