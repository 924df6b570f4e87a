/**
 * How a command ends, the same for every command: errors become one message and an exit code
 * in ONE place; stdout gets exactly one JSON document (also on failure, with `ok: false`),
 * everything else goes to stderr.
 */
import { CancelledError, ConfigError, StepError, UserError } from "../errors.js";

export function exitCodeFor(e: unknown): number {
  if (e instanceof CancelledError) return 130;
  if (e instanceof UserError || e instanceof StepError) return e.exitCode;
  return 1;
}

export function printResult(result: unknown): void {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

export function reportError(e: unknown): void {
  const known = e instanceof UserError || e instanceof StepError || e instanceof CancelledError || e instanceof ConfigError;
  process.stderr.write(`error: ${known ? (e as Error).message : (e as Error)?.stack ?? String(e)}\n`);
}
