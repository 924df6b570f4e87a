/** A target's result (the `targets[]` entries of build-image's JSON), and the error a failed target is thrown as. */
import type { AttestationResult } from "../attest/attest-step.js";
import { BaseError, isReported } from "../errors.js";
import type { GpuEvidence } from "../verify/gpu-evidence.js";
import type { SuiteIdentity } from "../verify/suite.js";
import type { TargetPlan } from "./plan.js";
import type { PushRecord, RegistryTagState } from "./push.js";

export interface TargetResult {
  target: string;
  status: "pushed" | "built" | "failed" | "cancelled";
  plan: TargetPlan;
  /** digest: the base's registry digest; absent for a base that came from no registry. */
  base?: { ref: string; imageId: string; digest?: string; pulled: boolean };
  image?: { id: string; refs: string[]; layers: number; addedLayers: number; labels: Record<string, string> };
  verify: {
    outcome: "passed" | "engineless-verified" | "cpu-verified" | "skipped" | "failed" | "not-run";
    mode: string;
    countsAsVerified: boolean;
    report?: unknown;
    durationMs?: number;
    reason?: string;
    /** gpu mode: what the verify container was given (see verify/gpu-evidence.ts). */
    gpu?: GpuEvidence;
    /** The suite that judged (this checkout's, by version and tree hash; verify/suite.ts). */
    suite?: SuiteIdentity;
    /** Checks that skipped, with the suite's reasons. */
    skippedChecks?: { name: string; reason: string }[];
  };
  push: PushRecord[];
  /** After a push (finished, failed or cancelled): what the registry's tag names, per ref. */
  registry?: RegistryTagState[];
  /** The user's local tags put back after a failed or cancelled run, one line each. */
  tagsReverted?: string[];
  warnings?: string[];
  pushSkippedReason?: string;
  timings: Record<string, number>;
  error?: { step: string; message: string };
  /** After a push: the in-toto statement, its files, and where it was attached (attest/). */
  attestation?: AttestationResult;
}

/** A target that failed or was cancelled: its step's error as `cause`, and what the run got to. */
export class TargetFailedError extends BaseError<"TARGET_FAILED"> {
  constructor(
    override readonly cause: Error,
    readonly result: TargetResult,
  ) {
    // The message and the exit code are the step's own: the CLI reports the step's failure.
    super("TARGET_FAILED", cause.message, isReported(cause) ? cause.exitCode : undefined, { cause });
    this.name = "TargetFailedError";
  }
}
