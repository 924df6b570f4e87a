/**
 * Ctrl-C handling: the first SIGINT/SIGTERM/SIGHUP aborts the running step through an AbortSignal,
 * so each step cleans up (containers removed, temporary tags dropped) and the CLI reports and
 * exits 130; a second signal exits at once.
 */
import { CancelledError } from "./errors.js";

export function installCancellation(log: (m: string) => void): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count += 1;
    if (count === 1) {
      log(`${sig} received: stopping the current step and cleaning up (press Ctrl-C again to exit at once)`);
      controller.abort(new CancelledError(sig));
    } else {
      process.exit(130);
    }
  };
  // A closed terminal or a reader that went away (EPIPE on stdout/stderr) must not crash the
  // process before it has removed its container and temporary tag.
  const ignorePipeErrors = () => {};
  process.stdout.on("error", ignorePipeErrors);
  process.stderr.on("error", ignorePipeErrors);
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const s of signals) process.on(s, handler);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const s of signals) process.off(s, handler);
    },
  };
}
