/**
 * Ctrl-C handling. The first SIGINT/SIGTERM/SIGHUP aborts the running step through an
 * AbortSignal, so each step cleans up (containers removed, temporary tags dropped) and the CLI
 * reports and exits 130.
 *
 * One Ctrl-C in a terminal is several signals here: the terminal sends SIGINT to the whole
 * foreground process group, and `npm run` (and any wrapper between npm and node) forwards its
 * own copy to its child as well. So signals that arrive within `repeatWindowMs` of the first
 * are the same Ctrl-C and are ignored; only a signal after that window is a second, deliberate
 * Ctrl-C, which exits at once and names what the unfinished cleanup leaves behind.
 *
 * A SIGTERM that follows a SIGINT within `escalationGraceMs` is not a second Ctrl-C either: it
 * is a supervisor escalating the same cancellation. GitHub Actions cancels a step with SIGINT,
 * then SIGTERM 7.5 s later, then SIGKILL 2.5 s after that; taken as a deliberate second signal,
 * that SIGTERM made the CLI give up the cleanup it had 2.5 s left for. So it is logged and the
 * cleanup goes on, ending in the same cancelled result and exit 130.
 */
import { CancelledError } from "./errors.js";

/** Long enough for a loaded machine to deliver the forwarded copies of one Ctrl-C. */
export const REPEAT_WINDOW_MS = 3000;
/** GitHub's SIGINT -> SIGTERM gap (7.5 s) with room for a loaded runner; SIGKILL comes at 10 s. */
export const ESCALATION_GRACE_MS = 15_000;

/** Something that knows what a run still has to undo: the pipeline's undo stack (pipeline/steps.ts). */
export interface LedgerSource {
  /** One sentence per thing left behind if the process exits now, naming it and how to remove it. */
  ledger(): string[];
}

/** What a cancelled run still has to undo, read from the runs in progress, so an impatient exit can name it. */
export interface Leftovers {
  /** Reads `source`'s ledger until the returned function is called (when its run has ended). */
  follow(source: LedgerSource): () => void;
  list(): string[];
}

export function leftoverLedger(): Leftovers {
  const sources = new Set<LedgerSource>();
  return {
    follow(source) {
      sources.add(source);
      return () => void sources.delete(source);
    },
    list: () => [...sources].flatMap((s) => s.ledger()),
  };
}

export interface CancellationOptions {
  repeatWindowMs?: number;
  escalationGraceMs?: number;
  /** Called when a deliberate second Ctrl-C gives up on the cleanup, just before the exit. */
  onForcedExit?: (leftBehind: string[]) => void;
  now?: () => number;
  exit?: (code: number) => void;
}

export interface Cancellation {
  signal: AbortSignal;
  leftovers: Leftovers;
  /** The handler the process signals call (exposed for tests). */
  handle: (sig: NodeJS.Signals) => void;
  dispose: () => void;
}

export function installCancellation(log: (m: string) => void, opts: CancellationOptions = {}): Cancellation {
  const controller = new AbortController();
  const leftovers = leftoverLedger();
  const window = opts.repeatWindowMs ?? REPEAT_WINDOW_MS;
  const now = opts.now ?? Date.now;
  const grace = opts.escalationGraceMs ?? ESCALATION_GRACE_MS;
  let firstAt: number | undefined;
  let firstSignal: NodeJS.Signals | undefined;
  let escalated = false;
  const handle = (sig: NodeJS.Signals) => {
    if (firstAt === undefined) {
      firstAt = now();
      firstSignal = sig;
      log(`${sig} received: stopping the current step and cleaning up (a second Ctrl-C, ${window / 1000} s or more from now, exits at once without finishing it)`);
      controller.abort(new CancelledError(sig));
      return;
    }
    // A copy of the same Ctrl-C (terminal + npm), not a decision of the user's.
    if (now() - firstAt < window) return;
    // A supervisor's escalation of the same cancellation (SIGINT, then SIGTERM): keep cleaning up.
    if (sig === "SIGTERM" && firstSignal === "SIGINT" && !escalated && now() - firstAt < grace) {
      escalated = true;
      log(`SIGTERM after SIGINT: the same cancellation (a supervisor's escalation, as GitHub Actions sends); the cleanup goes on`);
      return;
    }
    const left = leftovers.list();
    log(
      `${sig} received again: exiting without finishing the cleanup; ` +
        (left.length ? `left behind:\n  - ${left.join("\n  - ")}` : "nothing of this run is left behind"),
    );
    opts.onForcedExit?.(left);
    (opts.exit ?? process.exit)(130);
  };
  // A closed terminal or a reader that went away (EPIPE on stdout/stderr) must not crash the
  // process before it has removed its container and temporary tag.
  const ignorePipeErrors = () => {};
  process.stdout.on("error", ignorePipeErrors);
  process.stderr.on("error", ignorePipeErrors);
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const s of signals) process.on(s, handle);
  return {
    signal: controller.signal,
    leftovers,
    handle,
    dispose: () => {
      for (const s of signals) process.off(s, handle);
    },
  };
}
