/**
 * Judges an attestation read back from a registry against the image it was found for: the
 * signature against the reader's trust policy (a public key, or for a keyless bundle the
 * signer's identity; without either the signature row FAILS: fail closed, as cosign refuses to
 * verify without a key or identity, unless the reader said --insecure-ignore-signature), that it is about this digest (the artifact's
 * `subject` and the statement's subjects), that its patch hashes, base digest, revision and
 * config digest agree with the image's own labels and config, and what its verify says. Only a
 * passed gpu verify reads back as GPU-verified; engineless and cpu runs keep their real mode.
 */
import type { KeyObject } from "node:crypto";
import { BASE_DIGEST_LABEL, LABEL_PREFIX } from "../labels.js";
import { SIGNED_ANNOTATION } from "./oci-artifact.js";
import type { KeylessVerdict } from "./keyless.js";
import type { FoundArtifact } from "./read-back.js";
import { BUNDLE_MEDIA_TYPE, envelopeVerifies, type SigstoreBundle } from "./sign.js";
import { IN_TOTO_MEDIA_TYPE, parseStatement, type Statement } from "./statement.js";
import { errorMessage } from "../errors.js";

export interface Check {
  name: string;
  /** info: said, neither passes nor fails (a signature ignored on --insecure-ignore-signature). */
  outcome: "ok" | "failed" | "info";
  detail: string;
}

export interface Judgement {
  checks: Check[];
  signed: boolean;
  signatureChecked: boolean;
  statement?: Statement;
  /** No trust policy was given: the signature row failed for that reason alone (verdict "UNVERIFIED"). */
  noPolicy: boolean;
  /** true only when every check is ok or info and the statement says gpu-verified. */
  gpuVerified: boolean;
  consistent: boolean;
}

export interface ImageFacts {
  digest: string;
  configDigest: string;
  labels: Record<string, string>;
}

/** What the caller asked of a keyless signer, and what verifying the bundle found (attest/keyless.ts, async). */
export interface KeylessCheck {
  /** The expected identity and issuer, in words. */
  wanted: string;
  /** Absent when the attestation was not a keyless bundle, so nothing was verified. */
  verdict?: KeylessVerdict;
}

const PATCH_LABEL = new RegExp(`^${LABEL_PREFIX.replace(/\./g, "\\.")}\\.patch\\.(.+)\\.sha256$`);

/** What the reader trusts. Without a key or identity nothing is trusted unless `insecureIgnoreSignature`. */
export interface TrustPolicy {
  publicKey?: KeyObject;
  keyless?: KeylessCheck;
  /** --insecure-ignore-signature: judge the content without trusting who wrote it (said in the verdict). */
  insecureIgnoreSignature?: boolean;
}

export const NO_POLICY_DETAIL = "no trust policy: give --public-key or --certificate-identity to check who signed it (--insecure-ignore-signature reads it unchecked)";

/** The signature row when the reader gave no key and no identity: failed, or info on --insecure-ignore-signature. */
function unchecked(what: string, insecure: boolean): Check {
  return insecure
    ? { name: "signature", outcome: "info", detail: `${what}; NOT checked (--insecure-ignore-signature): anyone who can push to this repository could have written it` }
    : { name: "signature", outcome: "failed", detail: `${what}; ${NO_POLICY_DETAIL}` };
}

function payloadOf(found: FoundArtifact, policy: TrustPolicy, checks: Check[]): { bytes?: Buffer; signed: boolean; checked: boolean; noPolicy: boolean } {
  const { publicKey, keyless: keylessCheck } = policy;
  const insecure = policy.insecureIgnoreSignature === true;
  const noPolicy = !publicKey && !keylessCheck && !insecure;
  if (found.artifactType === IN_TOTO_MEDIA_TYPE) {
    checks.push(
      publicKey || keylessCheck
        ? { name: "signature", outcome: "failed", detail: `the attestation is unsigned, but ${publicKey ? "a public key" : "a signer identity"} was given: its content cannot be trusted` }
        : unchecked("unsigned attestation", insecure),
    );
    return { bytes: found.content, signed: false, checked: false, noPolicy };
  }
  if (found.artifactType !== BUNDLE_MEDIA_TYPE) {
    checks.push({ name: "signature", outcome: "failed", detail: `unknown artifact type ${found.artifactType}` });
    return { signed: false, checked: false, noPolicy: false };
  }
  let bundle: SigstoreBundle;
  try {
    bundle = JSON.parse(found.content.toString("utf8")) as SigstoreBundle;
    if (!bundle.dsseEnvelope?.payload || !Array.isArray(bundle.dsseEnvelope.signatures)) throw new Error("no DSSE envelope");
  } catch (e) {
    checks.push({ name: "signature", outcome: "failed", detail: `the bundle cannot be read: ${errorMessage(e)}` });
    return { signed: true, checked: false, noPolicy: false };
  }
  const bytes = Buffer.from(bundle.dsseEnvelope.payload, "base64");
  const keyless = bundle.verificationMaterial?.certificate !== undefined || bundle.verificationMaterial?.x509CertificateChain !== undefined;
  if (keylessCheck) {
    if (!keyless) {
      checks.push({ name: "signature", outcome: "failed", detail: `a keyless signer (${keylessCheck.wanted}) was expected, but the attestation is signed with a key, not a certificate` });
      return { bytes, signed: true, checked: false, noPolicy: false };
    }
    const verdict = keylessCheck.verdict ?? { ok: false, detail: "the keyless bundle was not verified" };
    checks.push({ name: "signature", outcome: verdict.ok ? "ok" : "failed", detail: verdict.detail });
    return { bytes, signed: true, checked: verdict.ok, noPolicy: false };
  }
  if (!publicKey) {
    checks.push(unchecked(keyless ? "keyless (Sigstore certificate; --certificate-identity checks it)" : `signed (key ${bundle.verificationMaterial?.publicKey?.hint ?? "without hint"}; --public-key checks it)`, insecure));
    return { bytes, signed: true, checked: false, noPolicy };
  }
  if (keyless) {
    checks.push({ name: "signature", outcome: "failed", detail: "the attestation is signed keyless (a certificate), not with the given public key" });
    return { bytes, signed: true, checked: false, noPolicy: false };
  }
  const ok = envelopeVerifies(bundle.dsseEnvelope, publicKey);
  checks.push(
    ok
      ? { name: "signature", outcome: "ok", detail: "the DSSE signature verifies with the given public key" }
      : { name: "signature", outcome: "failed", detail: "bad signature: the DSSE envelope does not verify with the given public key (signed by another key, or the statement was changed after signing)" },
  );
  return { bytes, signed: true, checked: ok, noPolicy: false };
}

function compare(checks: Check[], name: string, attested: string | undefined, actual: string | undefined, what: string): void {
  if (attested === undefined && actual === undefined) return;
  checks.push(
    attested === actual
      ? { name, outcome: "ok", detail: `${what} ${actual}` }
      : { name, outcome: "failed", detail: `${what}: the attestation says ${attested ?? "nothing"}, the image says ${actual ?? "nothing"}` },
  );
}

export function judgeAttestation(found: FoundArtifact, image: ImageFacts, policy: TrustPolicy = {}): Judgement {
  const checks: Check[] = [];
  const subject = found.manifest.subject?.digest;
  checks.push(
    subject === image.digest
      ? { name: "artifact subject", outcome: "ok", detail: `the artifact refers to ${image.digest}` }
      : { name: "artifact subject", outcome: "failed", detail: `wrong subject digest: the artifact refers to ${subject ?? "nothing"}, not to this image ${image.digest}` },
  );
  const annotated = found.manifest.annotations?.[SIGNED_ANNOTATION];
  const payload = payloadOf(found, policy, checks);
  const done = (statement?: Statement): Judgement => {
    const consistent = checks.every((c) => c.outcome !== "failed");
    return {
      checks,
      signed: payload.signed,
      signatureChecked: payload.checked,
      noPolicy: payload.noPolicy,
      ...(statement ? { statement } : {}),
      consistent,
      gpuVerified: consistent && statement?.predicate.verify.gpuVerified === true,
    };
  };
  if (annotated !== undefined && annotated !== String(payload.signed)) {
    checks.push({ name: "artifact", outcome: "failed", detail: `the artifact is annotated signed=${annotated} but holds ${payload.signed ? "a signed bundle" : "an unsigned statement"}` });
  }
  if (!payload.bytes) return done();
  let statement: Statement;
  try {
    statement = parseStatement(payload.bytes);
  } catch (e) {
    checks.push({ name: "statement", outcome: "failed", detail: errorMessage(e) });
    return done();
  }
  checks.push({ name: "statement", outcome: "ok", detail: `in-toto Statement v1, ${statement.predicateType}` });
  const hex = image.digest.replace(/^sha256:/, "");
  const subjects = statement.subject.map((s) => `${s.name}@sha256:${s.digest?.sha256}`);
  checks.push(
    statement.subject.some((s) => s.digest?.sha256 === hex)
      ? { name: "statement subject", outcome: "ok", detail: `names ${image.digest}` }
      : { name: "statement subject", outcome: "failed", detail: `wrong subject digest: the statement is about ${subjects.join(", ")}, not ${image.digest}` },
  );
  const p = statement.predicate;
  compare(checks, "image config", p.image.configDigest, image.configDigest, "config digest");
  const labelled = new Map<string, string>();
  for (const [k, v] of Object.entries(image.labels)) {
    const m = PATCH_LABEL.exec(k);
    if (m) labelled.set(m[1]!, v);
  }
  const attested = new Map((p.patchSet.patches ?? []).map((x) => [x.name, x.sha256]));
  const differing = [...new Set([...labelled.keys(), ...attested.keys()])]
    .filter((n) => labelled.get(n) !== attested.get(n))
    .map((n) => `${n}: attested ${attested.get(n)?.slice(0, 12) ?? "absent"}, label ${labelled.get(n)?.slice(0, 12) ?? "absent"}`);
  checks.push(
    differing.length === 0 && attested.size > 0
      ? { name: "patch sha256s", outcome: "ok", detail: `${attested.size} patches of ${p.patchSet.name} agree with the image labels` }
      : { name: "patch sha256s", outcome: "failed", detail: attested.size === 0 ? "the attestation lists no patches" : `patch hashes differ from the image labels: ${differing.join("; ")}` },
  );
  compare(checks, "patch set", p.patchSet.name, image.labels[`${LABEL_PREFIX}.patch-set`], "patch set");
  compare(checks, "upstream commit", p.sglang.upstream?.commit, image.labels[`${LABEL_PREFIX}.upstream-commit`], "SGLang commit");
  compare(checks, "base digest", p.base.digest, image.labels[BASE_DIGEST_LABEL], "base");
  compare(checks, "revision", p.builder.revision, image.labels["org.opencontainers.image.revision"], "builder revision");
  const v = p.verify;
  const gpu = v.gpuVerified === true && v.mode === "gpu" && v.outcome === "passed";
  checks.push(
    gpu
      ? { name: "verify", outcome: "ok", detail: `GPU-verified: ${v.checks.filter((c) => c.status === "passed").length}/${v.checks.length} checks passed with ${v.model}` }
      : {
          name: "verify",
          outcome: "failed",
          detail: `not GPU-verified: mode ${v.mode}, outcome ${v.outcome}${v.mode !== "gpu" ? ` (an ${v.mode} run proves the patched serving code, not the model on a GPU)` : ""}`,
        },
  );
  // Which suite judged, and what it skipped: said, for the reader to weigh (the gate already refused
  // a skip the release forbids in gpu mode).
  checks.push(
    v.suite
      ? { name: "verify suite", outcome: "info", detail: `${v.suite.name} ${v.suite.version}, tree ${v.suite.sha256}; skipped: ${(v.skippedChecks ?? []).map((c) => c.name).join(", ") || "none"}` }
      : { name: "verify suite", outcome: "info", detail: "not recorded (an attestation from before the checkout's suite was mounted)" },
  );
  // A statement that claims gpu-verified with a mode or outcome that says otherwise is not ours.
  if (v.gpuVerified === true && !gpu) checks.push({ name: "verify", outcome: "failed", detail: `the statement claims gpuVerified with mode ${v.mode}, outcome ${v.outcome}` });
  return done(statement);
}

/** Aligned plain-text table for stderr. */
export function checkTable(checks: Check[]): string {
  const width = Math.max(...checks.map((c) => c.name.length), 5);
  const mark = { ok: "ok    ", failed: "FAILED", info: "info  " } as const;
  return checks.map((c) => `  ${mark[c.outcome]}  ${c.name.padEnd(width)}  ${c.detail}`).join("\n");
}
