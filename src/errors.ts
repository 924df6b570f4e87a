/**
 * The error classes, and the one place that maps an error to its exit code and to what the CLI
 * prints (`exitCodeFor`, `isReported`; src/cli/exit.ts writes them out). Everything a user can
 * cause is a UserError with a message that names what is wrong; anything else is a bug and prints
 * its stack.
 *
 * Every class of ours is a BaseError: a typed `code` (sigstore-js's `BaseError<Code>` is the
 * model), the error it wraps as `cause`, and any payload a reader needs as a declared property of
 * a subclass (a failed verify's report, a failed target's result), never attached afterwards.
 */

export type ErrorCode =
  | "USER_ERROR"
  | "CONFIG_INVALID"
  | "PYPI_UNREACHABLE"
  | "STEP_FAILED"
  | "VERIFY_FAILED"
  | "ATTEST_FAILED"
  | "TARGET_FAILED"
  | "CANCELLED"
  | "REGISTRY_NOT_FOUND";

export interface BaseErrorOptions {
  /** The error this one wraps (kept for the stack and for `cause` chains). */
  cause?: unknown;
}

export class BaseError<Code extends ErrorCode = ErrorCode> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    /**
     * The exit code the CLI ends with, message only; undefined: not one of the errors a user
     * can cause, so the CLI prints its stack and exits 1 (a bug, or a failure a caller converts).
     */
    readonly exitCode: number | undefined,
    options: BaseErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

/** Bad input or an environment problem the user can fix (exit code 2 unless given). */
export class UserError<Code extends "USER_ERROR" | "CONFIG_INVALID" | "PYPI_UNREACHABLE" = "USER_ERROR"> extends BaseError<Code> {
  declare readonly exitCode: number;

  constructor(message: string, exitCode = 2, options: BaseErrorOptions & { code?: Code } = {}) {
    super(options.code ?? ("USER_ERROR" as Code), message, exitCode, options);
    this.name = "UserError";
  }
}

/** Config problems, every one reported at once as `path: message`. */
export class ConfigError extends UserError<"CONFIG_INVALID"> {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is invalid:\n${problems.map((p) => `  - ${p}`).join("\n")}`, 2, { code: "CONFIG_INVALID" });
    this.name = "ConfigError";
  }
}

/** A pipeline step failed (build, verify, push...); `step` names it in the result. */
export class StepError<Code extends "STEP_FAILED" | "VERIFY_FAILED" | "ATTEST_FAILED" = "STEP_FAILED"> extends BaseError<Code> {
  declare readonly exitCode: number;

  constructor(
    readonly step: string,
    message: string,
    exitCode = 1,
    options: BaseErrorOptions & { code?: Code } = {},
  ) {
    super(options.code ?? ("STEP_FAILED" as Code), `${step}: ${message}`, exitCode, options);
    this.name = "StepError";
  }
}

/** The user pressed Ctrl-C (or the process got SIGTERM); exit code 130 like a shell. */
export class CancelledError extends BaseError<"CANCELLED"> {
  declare readonly exitCode: number;

  constructor(signal = "SIGINT") {
    super("CANCELLED", `cancelled by ${signal}`, 130);
    this.name = "CancelledError";
  }
}

/** An error the CLI reports by its message alone (no stack), ending with its own exit code. */
export function isReported(e: unknown): e is BaseError & { exitCode: number } {
  return e instanceof BaseError && e.exitCode !== undefined;
}

/** The process's exit code for an error: its own where it is one a user can cause, else 1. */
export function exitCodeFor(e: unknown): number {
  return isReported(e) ? e.exitCode : 1;
}

/** A Node system error's code (ENOENT, EEXIST...), read without a cast; undefined for anything else. */
export function errnoCode(e: unknown): string | undefined {
  return e instanceof Error && "code" in e && typeof e.code === "string" ? e.code : undefined;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
