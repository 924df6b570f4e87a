/**
 * The in-toto Statement (v1) that binds a verify report to the pushed image digests. Labels are
 * written before the verify runs, so they cannot say whether it passed; this statement is made
 * after the push and names the manifest digests it is about. Pure: everything it says comes from
 * the run's result and plan, so unit tests cover it without a registry.
 */
import { parseImageRef } from "../image-ref.js";
import { errorMessage } from "../errors.js";

export const STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
/** Versioned: a reader refuses a predicate shape it does not know instead of misreading it. */
export const PREDICATE_TYPE = "https://github.com/sglang-image-patcher/attestations/token-ids-verify/v1";
export const IN_TOTO_MEDIA_TYPE = "application/vnd.in-toto+json";

export interface Subject {
  name: string;
  digest: { sha256: string };
}

export interface CheckOutcome {
  name: string;
  status: string;
  seconds?: number;
}

export interface VerifyPredicate {
  verify: {
    /** gpu | engineless | cpu: the mode the suite really ran in. */
    mode: string;
    outcome: string;
    countsAsVerified: boolean;
    /** true only for a passed gpu run whose container listed a GPU (see gpu-evidence.ts). */
    gpuVerified: boolean;
    model: string;
    serverFlags: { toolCallParser?: string; reasoningParser?: string; extraArgs: string[] };
    checks: CheckOutcome[];
    durationMs?: number;
    gpus?: string[];
    /** The suite that judged: this checkout's, by version and tree hash (verify/suite.ts). */
    suite?: { name: string; version: string; sha256: string };
    /** Checks that skipped, with the suite's reasons; in gpu mode only those the release allows. */
    skippedChecks?: { name: string; reason: string }[];
    report?: unknown;
  };
  image: { configDigest: string; refs: string[] };
  base: { ref: string; digest?: string };
  sglang: { version: string; upstream: { repository: string; tag: string; commit: string } };
  patchSet: { name: string; patches: { name: string; sha256: string }[] };
  builder: { name: string; version: string; revision: string; source: string };
  timings: Record<string, number>;
  createdAt: string;
}

export interface Statement {
  _type: typeof STATEMENT_TYPE;
  subject: Subject[];
  predicateType: typeof PREDICATE_TYPE;
  predicate: VerifyPredicate;
}

/**
 * What the predicate says about one pushed target, and nothing more: the pipeline builds it from
 * its result (pipeline/attest-input.ts), so attest/ depends on no pipeline type.
 */
export interface AttestedTarget {
  target: string;
  /** The pushed digests, `repository@sha256:...` (one per pushed ref). */
  push: readonly { digest: string }[];
  /** The image's config digest and the refs it was pushed as. */
  image: { id: string; refs: readonly string[] };
  base: { ref: string; digest?: string };
  verify: {
    mode: string;
    outcome: string;
    countsAsVerified: boolean;
    report?: unknown;
    durationMs?: number;
    /** gpu mode: the GPUs the verify container listed (verify/gpu-evidence.ts). */
    gpus?: readonly string[];
    suite?: { name: string; version: string; sha256: string };
    skippedChecks?: readonly { name: string; reason: string }[];
  };
  /** The verify settings the predicate names (the model and the server's flags). */
  verifySettings: { model: string; toolCallParser?: string; reasoningParser?: string; extraArgs: readonly string[] };
  sglangVersion: string;
  patchSet: { name: string; patches: readonly { name: string; sha256: string }[] };
  timings: Readonly<Record<string, number>>;
}

export interface StatementInput {
  target: AttestedTarget;
  upstream: { repository: string; tag: string; commit: string };
  builder: { version: string; revision: string; source: string };
  now?: Date;
}

/** One subject per pushed repository and manifest digest (two tags of one repository share it). */
export function subjectsOf(target: Pick<AttestedTarget, "push">): Subject[] {
  const seen = new Map<string, Subject>();
  for (const record of target.push) {
    const ref = parseImageRef(record.digest);
    if (!ref?.digest) throw new Error(`pushed digest ${JSON.stringify(record.digest)} is not repo@sha256:...`);
    seen.set(`${ref.repository}@${ref.digest}`, { name: ref.repository, digest: { sha256: ref.digest.slice("sha256:".length) } });
  }
  return [...seen.values()];
}

/** The suite's checks with their outcomes, read loosely (the suite owns its report format). */
export function checksOf(report: unknown): CheckOutcome[] {
  const checks = (report as { checks?: unknown })?.checks;
  if (!Array.isArray(checks)) return [];
  return checks.map((c) => {
    const check = c as { name?: unknown; status?: unknown; seconds?: unknown };
    return {
      name: String(check.name ?? "?"),
      status: String(check.status ?? "unknown"),
      ...(typeof check.seconds === "number" ? { seconds: check.seconds } : {}),
    };
  });
}

export function buildStatement(input: StatementInput): Statement {
  const { target, upstream, builder } = input;
  if (target.push.length === 0) throw new Error(`target ${target.target} was not pushed: nothing to attest`);
  const settings = target.verifySettings;
  const verify = target.verify;
  const gpuVerified = verify.outcome === "passed" && verify.mode === "gpu" && verify.countsAsVerified && (verify.gpus?.length ?? 0) > 0;
  return {
    _type: STATEMENT_TYPE,
    subject: subjectsOf(target),
    predicateType: PREDICATE_TYPE,
    predicate: {
      verify: {
        mode: verify.mode,
        outcome: verify.outcome,
        countsAsVerified: verify.countsAsVerified,
        gpuVerified,
        model: settings.model,
        serverFlags: {
          ...(settings.toolCallParser ? { toolCallParser: settings.toolCallParser } : {}),
          ...(settings.reasoningParser ? { reasoningParser: settings.reasoningParser } : {}),
          extraArgs: [...settings.extraArgs],
        },
        checks: checksOf(verify.report),
        ...(verify.durationMs !== undefined ? { durationMs: verify.durationMs } : {}),
        ...(verify.gpus ? { gpus: [...verify.gpus] } : {}),
        ...(verify.suite ? { suite: { name: verify.suite.name, version: verify.suite.version, sha256: verify.suite.sha256 } } : {}),
        skippedChecks: [...(verify.skippedChecks ?? [])],
        ...(verify.report !== undefined ? { report: verify.report } : {}),
      },
      image: { configDigest: target.image.id, refs: [...target.image.refs] },
      base: { ref: target.base.ref, ...(target.base.digest ? { digest: target.base.digest } : {}) },
      sglang: { version: target.sglangVersion, upstream: { ...upstream } },
      patchSet: { name: target.patchSet.name, patches: target.patchSet.patches.map((p) => ({ name: p.name, sha256: p.sha256 })) },
      builder: { name: "sglang-image-patcher", ...builder },
      timings: { ...target.timings },
      createdAt: (input.now ?? new Date()).toISOString(),
    },
  };
}

/** Parses a statement read back from a registry; throws naming what is not as expected. */
export function parseStatement(bytes: Buffer | string): Statement {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString());
  } catch (e) {
    throw new Error(`the attestation is not JSON: ${errorMessage(e)}`, { cause: e });
  }
  const s = doc as Partial<Statement>;
  if (s?._type !== STATEMENT_TYPE) throw new Error(`the attestation's _type is ${JSON.stringify(s?._type)}, not ${STATEMENT_TYPE}`);
  if (s.predicateType !== PREDICATE_TYPE) throw new Error(`the attestation's predicateType is ${JSON.stringify(s.predicateType)}, not ${PREDICATE_TYPE}`);
  if (!Array.isArray(s.subject) || s.subject.length === 0) throw new Error("the attestation names no subject");
  const p = s.predicate as Partial<VerifyPredicate> | undefined;
  for (const key of ["verify", "image", "base", "sglang", "patchSet", "builder"] as const) {
    if (typeof p?.[key] !== "object" || p[key] === null) throw new Error(`the attestation's predicate has no ${key}`);
  }
  return s as Statement;
}
