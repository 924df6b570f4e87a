/**
 * How a command ends, the same for every command: errors become one message and an exit code
 * (mapped in ONE place, src/errors.ts); stdout gets exactly one JSON document (also on failure,
 * with `ok: false`), everything else goes to stderr.
 */
import { isReported } from "../errors.js";

export { exitCodeFor } from "../errors.js";

export function printResult(result: unknown): void {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

export function reportError(e: unknown): void {
  process.stderr.write(`error: ${isReported(e) ? e.message : e instanceof Error ? (e.stack ?? String(e)) : String(e)}\n`);
}
