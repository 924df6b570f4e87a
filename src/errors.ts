/**
 * The few error classes the CLI maps to messages and exit codes, handled in one place
 * (src/cli/exit.ts). Everything a user can cause is a UserError with a message that names
 * what is wrong; anything else is a bug and prints its stack.
 */

/** Bad input or an environment problem the user can fix (exit code 2 unless given). */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = "UserError";
  }
}

/** Config problems, every one reported at once as `path: message`. */
export class ConfigError extends UserError {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is invalid:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** A pipeline step failed (build, verify, push...); `step` names it in the result. */
export class StepError extends Error {
  constructor(
    readonly step: string,
    message: string,
    readonly exitCode = 1,
  ) {
    super(`${step}: ${message}`);
    this.name = "StepError";
  }
}

/** The user pressed Ctrl-C (or the process got SIGTERM); exit code 130 like a shell. */
export class CancelledError extends Error {
  constructor(signal = "SIGINT") {
    super(`cancelled by ${signal}`);
    this.name = "CancelledError";
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
