/**
 * The attestation of a multi-arch index: one in-toto statement whose subjects are the index AND
 * every platform manifest it names, so it covers both, attached to the index's digest. It says
 * which target each platform's image came from and what vouched for it (the run's own GPU verify,
 * or the member's attestation judged against a trust policy); each platform's own verify
 * statement stays attached to its manifest.
 */
import type { PushedIndex } from "../pipeline/image-index.js";
import { STATEMENT_TYPE, type Subject } from "./statement.js";

export const INDEX_PREDICATE_TYPE = "https://github.com/sglang-image-patcher/attestations/image-index/v1";

export interface IndexStatement {
  _type: typeof STATEMENT_TYPE;
  subject: Subject[];
  predicateType: typeof INDEX_PREDICATE_TYPE;
  predicate: {
    index: { ref: string; digest: string; mediaType: string };
    manifests: { target: string; platform: string; ref: string; digest: string; gpuVerifiedBy: string }[];
    builder: { name: "sglang-image-patcher"; version: string; revision: string; source: string };
    createdAt: string;
  };
}

export function buildIndexStatement(
  pushed: PushedIndex,
  vouchedBy: Record<string, string>,
  builder: { version: string; revision: string; source: string },
  now = new Date(),
): IndexStatement {
  const repository = pushed.digest.slice(0, pushed.digest.lastIndexOf("@"));
  const hex = (d: string) => d.slice(d.lastIndexOf(":") + 1);
  return {
    _type: STATEMENT_TYPE,
    subject: [pushed.digest, ...pushed.entries.map((e) => e.digest)].map((d) => ({ name: repository, digest: { sha256: hex(d) } })),
    predicateType: INDEX_PREDICATE_TYPE,
    predicate: {
      index: { ref: pushed.ref, digest: pushed.digest.slice(repository.length + 1), mediaType: pushed.manifest.mediaType },
      manifests: pushed.entries.map((e) => ({ target: e.target, platform: e.platform, ref: e.ref, digest: e.digest, gpuVerifiedBy: vouchedBy[e.target] ?? "unknown" })),
      builder: { name: "sglang-image-patcher", ...builder },
      createdAt: now.toISOString(),
    },
  };
}
