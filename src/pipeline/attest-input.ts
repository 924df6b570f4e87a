/** The attestation's own input (attest/statement.ts's AttestedTarget), built from a pushed target's result. */
import type { AttestedTarget } from "../attest/statement.js";
import type { TargetResult } from "./result.js";

export function attestedTarget(result: TargetResult): AttestedTarget {
  if (result.status !== "pushed" || result.push.length === 0) throw new Error(`target ${result.target} was not pushed: nothing to attest`);
  if (!result.image || !result.base) throw new Error(`target ${result.target} has no image or base in its result`);
  const { verify, plan } = result;
  const settings = plan.verify.settings;
  return {
    target: result.target,
    push: result.push.map((p) => ({ digest: p.digest })),
    image: { id: result.image.id, refs: [...result.image.refs] },
    base: { ref: result.base.ref, ...(result.base.digest ? { digest: result.base.digest } : {}) },
    verify: {
      mode: verify.mode,
      outcome: verify.outcome,
      countsAsVerified: verify.countsAsVerified,
      ...(verify.report !== undefined ? { report: verify.report } : {}),
      ...(verify.durationMs !== undefined ? { durationMs: verify.durationMs } : {}),
      ...(verify.gpu ? { gpus: verify.gpu.gpus } : {}),
      ...(verify.suite ? { suite: { name: verify.suite.name, version: verify.suite.version, sha256: verify.suite.sha256 } } : {}),
      ...(verify.skippedChecks ? { skippedChecks: verify.skippedChecks } : {}),
    },
    verifySettings: {
      model: settings.model,
      ...(settings.toolCallParser ? { toolCallParser: settings.toolCallParser } : {}),
      ...(settings.reasoningParser ? { reasoningParser: settings.reasoningParser } : {}),
      extraArgs: settings.extraArgs,
    },
    sglangVersion: plan.sglangVersion,
    patchSet: { name: plan.patchSet.name, patches: plan.patchSet.patches.map((p) => ({ name: p.name, sha256: p.sha256 })) },
    timings: { ...result.timings },
  };
}
