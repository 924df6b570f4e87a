/** What a release proposal is (release:propose's result): shared by proposal.ts and its report, proposal-report.ts. */
import type { TargetAnswer } from "./image-targets.js";

export const STEPS = ["port", "check", "matrix", "overlap", "cpu-engine", "targets"] as const;
export type StepName = (typeof STEPS)[number];

export interface StepResult {
  name: StepName;
  status: "passed" | "failed" | "skipped";
  seconds?: number;
  detail: string;
}

export interface PortedDiff {
  source: string;
  status: "merged" | "upstream" | "conflict";
  exact?: boolean;
  file?: string;
  note?: string;
  hunks?: { file: string; hunk: string; why: string }[];
}

export interface MatrixCounts {
  passed?: number;
  total?: number;
  error?: string;
  failing_by_check?: Record<string, number>;
}

export interface ClauseRow {
  id: string;
  text: string;
  stock: boolean;
  with_series: boolean;
  added_by: string | null;
}

export interface Proposal {
  version: string;
  from: { version: string; dir: string };
  out: string;
  /** Every diff merged and the series passed check: what a reviewer may take as is. */
  clean: boolean;
  ok: boolean;
  steps: StepResult[];
  diffs: PortedDiff[];
  matrix?: { patched: MatrixCounts; stock: MatrixCounts };
  clauses?: ClauseRow[];
  targets?: TargetAnswer[];
  /** The Python layer the matrix and overlap ran with (envRelease). */
  env?: { release: string; requirements: string | null; borrowed: boolean };
  seconds: number;
}
