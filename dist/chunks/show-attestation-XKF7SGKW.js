import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  describePolicy,
  verifyKeylessBundle
} from "./chunk-4U7DXQFA.js";
import {
  BUNDLE_MEDIA_TYPE,
  IN_TOTO_MEDIA_TYPE,
  PREDICATE_TYPE,
  SIGNED_ANNOTATION,
  envelopeVerifies,
  findAttestations,
  parseStatement,
  readImage,
  readPublicKeyFile
} from "./chunk-UL5SW5BW.js";
import {
  BASE_DIGEST_LABEL,
  LABEL_PREFIX,
  resolveRegistryAuth
} from "./chunk-CDHRPPNI.js";
import {
  IMAGE_ID,
  parseImageRef
} from "./chunk-F7NKY5RN.js";
import {
  UserError
} from "./chunk-XZ5HVHTB.js";
import "./chunk-U4OZQXGD.js";

// src/attest/check.ts
var PATCH_LABEL = new RegExp(`^${LABEL_PREFIX.replace(/\./g, "\\.")}\\.patch\\.(.+)\\.sha256$`);
function payloadOf(found, publicKey, keylessCheck, checks) {
  if (found.artifactType === IN_TOTO_MEDIA_TYPE) {
    checks.push(
      publicKey || keylessCheck ? { name: "signature", outcome: "failed", detail: `the attestation is unsigned, but ${publicKey ? "a public key" : "a signer identity"} was given: its content cannot be trusted` } : { name: "signature", outcome: "info", detail: "unsigned attestation (anyone who can push to this repository could have written it)" }
    );
    return { bytes: found.content, signed: false, checked: false };
  }
  if (found.artifactType !== BUNDLE_MEDIA_TYPE) {
    checks.push({ name: "signature", outcome: "failed", detail: `unknown artifact type ${found.artifactType}` });
    return { signed: false, checked: false };
  }
  let bundle;
  try {
    bundle = JSON.parse(found.content.toString("utf8"));
    if (!bundle.dsseEnvelope?.payload || !Array.isArray(bundle.dsseEnvelope.signatures)) throw new Error("no DSSE envelope");
  } catch (e) {
    checks.push({ name: "signature", outcome: "failed", detail: `the bundle cannot be read: ${e.message}` });
    return { signed: true, checked: false };
  }
  const bytes = Buffer.from(bundle.dsseEnvelope.payload, "base64");
  const keyless = bundle.verificationMaterial?.certificate !== void 0 || bundle.verificationMaterial?.x509CertificateChain !== void 0;
  if (keylessCheck) {
    if (!keyless) {
      checks.push({ name: "signature", outcome: "failed", detail: `a keyless signer (${keylessCheck.wanted}) was expected, but the attestation is signed with a key, not a certificate` });
      return { bytes, signed: true, checked: false };
    }
    const verdict = keylessCheck.verdict ?? { ok: false, detail: "the keyless bundle was not verified" };
    checks.push({ name: "signature", outcome: verdict.ok ? "ok" : "failed", detail: verdict.detail });
    return { bytes, signed: true, checked: verdict.ok };
  }
  if (!publicKey) {
    checks.push({
      name: "signature",
      outcome: "info",
      detail: keyless ? "keyless (Sigstore certificate), not checked: give --certificate-identity (the signing workflow's URI) to check it" : `signed (key ${bundle.verificationMaterial?.publicKey?.hint ?? "without hint"}), not checked: give --public-key to check it`
    });
    return { bytes, signed: true, checked: false };
  }
  if (keyless) {
    checks.push({ name: "signature", outcome: "failed", detail: "the attestation is signed keyless (a certificate), not with the given public key" });
    return { bytes, signed: true, checked: false };
  }
  const ok = envelopeVerifies(bundle.dsseEnvelope, publicKey);
  checks.push(
    ok ? { name: "signature", outcome: "ok", detail: "the DSSE signature verifies with the given public key" } : { name: "signature", outcome: "failed", detail: "bad signature: the DSSE envelope does not verify with the given public key (signed by another key, or the statement was changed after signing)" }
  );
  return { bytes, signed: true, checked: ok };
}
function compare(checks, name, attested, actual, what) {
  if (attested === void 0 && actual === void 0) return;
  checks.push(
    attested === actual ? { name, outcome: "ok", detail: `${what} ${actual}` } : { name, outcome: "failed", detail: `${what}: the attestation says ${attested ?? "nothing"}, the image says ${actual ?? "nothing"}` }
  );
}
function judgeAttestation(found, image, publicKey, keyless) {
  const checks = [];
  const subject = found.manifest.subject?.digest;
  checks.push(
    subject === image.digest ? { name: "artifact subject", outcome: "ok", detail: `the artifact refers to ${image.digest}` } : { name: "artifact subject", outcome: "failed", detail: `wrong subject digest: the artifact refers to ${subject ?? "nothing"}, not to this image ${image.digest}` }
  );
  const annotated = found.manifest.annotations?.[SIGNED_ANNOTATION];
  const payload = payloadOf(found, publicKey, keyless, checks);
  const done = (statement2) => {
    const consistent = checks.every((c) => c.outcome !== "failed");
    return { checks, signed: payload.signed, signatureChecked: payload.checked, ...statement2 ? { statement: statement2 } : {}, consistent, gpuVerified: consistent && statement2?.predicate.verify.gpuVerified === true };
  };
  if (annotated !== void 0 && annotated !== String(payload.signed)) {
    checks.push({ name: "artifact", outcome: "failed", detail: `the artifact is annotated signed=${annotated} but holds ${payload.signed ? "a signed bundle" : "an unsigned statement"}` });
  }
  if (!payload.bytes) return done();
  let statement;
  try {
    statement = parseStatement(payload.bytes);
  } catch (e) {
    checks.push({ name: "statement", outcome: "failed", detail: e.message });
    return done();
  }
  checks.push({ name: "statement", outcome: "ok", detail: `in-toto Statement v1, ${statement.predicateType}` });
  const hex = image.digest.replace(/^sha256:/, "");
  const subjects = statement.subject.map((s) => `${s.name}@sha256:${s.digest?.sha256}`);
  checks.push(
    statement.subject.some((s) => s.digest?.sha256 === hex) ? { name: "statement subject", outcome: "ok", detail: `names ${image.digest}` } : { name: "statement subject", outcome: "failed", detail: `wrong subject digest: the statement is about ${subjects.join(", ")}, not ${image.digest}` }
  );
  const p = statement.predicate;
  compare(checks, "image config", p.image.configDigest, image.configDigest, "config digest");
  const labelled = /* @__PURE__ */ new Map();
  for (const [k, v2] of Object.entries(image.labels)) {
    const m = PATCH_LABEL.exec(k);
    if (m) labelled.set(m[1], v2);
  }
  const attested = new Map((p.patchSet.patches ?? []).map((x) => [x.name, x.sha256]));
  const differing = [.../* @__PURE__ */ new Set([...labelled.keys(), ...attested.keys()])].filter((n) => labelled.get(n) !== attested.get(n)).map((n) => `${n}: attested ${attested.get(n)?.slice(0, 12) ?? "absent"}, label ${labelled.get(n)?.slice(0, 12) ?? "absent"}`);
  checks.push(
    differing.length === 0 && attested.size > 0 ? { name: "patch sha256s", outcome: "ok", detail: `${attested.size} patches of ${p.patchSet.name} agree with the image labels` } : { name: "patch sha256s", outcome: "failed", detail: attested.size === 0 ? "the attestation lists no patches" : `patch hashes differ from the image labels: ${differing.join("; ")}` }
  );
  compare(checks, "patch set", p.patchSet.name, image.labels[`${LABEL_PREFIX}.patch-set`], "patch set");
  compare(checks, "upstream commit", p.sglang.upstream?.commit, image.labels[`${LABEL_PREFIX}.upstream-commit`], "SGLang commit");
  compare(checks, "base digest", p.base.digest, image.labels[BASE_DIGEST_LABEL], "base");
  compare(checks, "revision", p.builder.revision, image.labels["org.opencontainers.image.revision"], "builder revision");
  const v = p.verify;
  const gpu = v.gpuVerified === true && v.mode === "gpu" && v.outcome === "passed";
  checks.push(
    gpu ? { name: "verify", outcome: "ok", detail: `GPU-verified: ${v.checks.filter((c) => c.status === "passed").length}/${v.checks.length} checks passed with ${v.model}` } : {
      name: "verify",
      outcome: "failed",
      detail: `not GPU-verified: mode ${v.mode}, outcome ${v.outcome}${v.mode !== "gpu" ? ` (an ${v.mode} run proves the patched serving code, not the model on a GPU)` : ""}`
    }
  );
  if (v.gpuVerified === true && !gpu) checks.push({ name: "verify", outcome: "failed", detail: `the statement claims gpuVerified with mode ${v.mode}, outcome ${v.outcome}` });
  return done(statement);
}
function checkTable(checks) {
  const width = Math.max(...checks.map((c) => c.name.length), 5);
  const mark = { ok: "ok    ", failed: "FAILED", info: "info  " };
  return checks.map((c) => `  ${mark[c.outcome]}  ${c.name.padEnd(width)}  ${c.detail}`).join("\n");
}

// src/attest/show-attestation.ts
async function keylessCheckOf(content, policy) {
  const wanted = describePolicy(policy);
  let bundle;
  try {
    bundle = JSON.parse(content.toString("utf8"));
  } catch {
    return { wanted };
  }
  const material = bundle.verificationMaterial;
  if (material?.certificate === void 0 && material?.x509CertificateChain === void 0) return { wanted };
  return { wanted, verdict: await verifyKeylessBundle(bundle, policy) };
}
async function showAttestation(image, publicKeyFile, logger, env = process.env, keylessPolicy) {
  if (IMAGE_ID.test(image)) throw new UserError(`${image} is a local image id; --attestation reads the registry: give repo:tag or repo@sha256:...`);
  const ref = parseImageRef(image);
  if (!ref) throw new UserError(`${JSON.stringify(image)} is not an image reference`);
  const publicKey = publicKeyFile !== void 0 ? await readPublicKeyFile(publicKeyFile) : void 0;
  const credentials = await resolveRegistryAuth(ref.repository, env);
  const reader = { repository: ref.repository, auth: credentials?.auth };
  let facts;
  try {
    facts = await readImage(reader, ref.digest ?? ref.tag ?? "latest");
  } catch (e) {
    if (e.notFound) throw new UserError(e.message);
    throw e;
  }
  logger.info(`${image}: ${ref.repository}@${facts.digest}`);
  const found = await findAttestations(reader, facts.digest, PREDICATE_TYPE);
  const base = { image, digest: `${ref.repository}@${facts.digest}`, foundBy: found.foundBy, referrers: found.referrers.length, attestationsFound: found.attestations.length };
  const newest = found.attestations[0];
  if (!newest) {
    const where = found.foundBy === "referrers-api" ? "the registry's referrers API lists none of ours" : found.foundBy === "referrers-tag" ? `the referrers tag ${facts.digest.replace(":", "-")} lists none of ours` : `the registry has no referrers API and no referrers tag ${facts.digest.replace(":", "-")}`;
    process.stderr.write(`no attestation of type ${PREDICATE_TYPE} found for ${base.digest}: ${where}
`);
    return { exitCode: 2, result: { ok: false, ...base, error: { message: `no attestation found (${where})`, exitCode: 2 } } };
  }
  const keyless = keylessPolicy && newest.artifactType !== IN_TOTO_MEDIA_TYPE ? await keylessCheckOf(newest.content, keylessPolicy) : keylessPolicy ? { wanted: describePolicy(keylessPolicy) } : void 0;
  const judged = judgeAttestation(newest, facts, publicKey, keyless);
  const verify = judged.statement?.predicate.verify;
  const verdict = judged.gpuVerified ? "GPU-verified and consistent" : !judged.consistent && judged.checks.some((c) => c.outcome === "failed" && c.name !== "verify") ? "INCONSISTENT: do not trust this attestation" : `not GPU-verified (${verify ? `mode ${verify.mode}, outcome ${verify.outcome}` : "no verify result"})`;
  process.stderr.write(`attestation ${newest.digest} for ${base.digest} (found through the ${found.foundBy}${found.attestations.length > 1 ? `; newest of ${found.attestations.length}` : ""}):
${checkTable(judged.checks)}
=> ${verdict}
`);
  const exitCode = judged.gpuVerified ? 0 : 1;
  return {
    exitCode,
    result: {
      ok: exitCode === 0,
      ...base,
      attestation: { digest: newest.digest, artifactType: newest.artifactType, created: newest.created, signed: judged.signed, signatureChecked: judged.signatureChecked },
      verdict,
      gpuVerified: judged.gpuVerified,
      checks: judged.checks,
      ...verify ? { verify: { mode: verify.mode, outcome: verify.outcome, gpuVerified: verify.gpuVerified, model: verify.model } } : {},
      ...judged.statement ? { statement: judged.statement } : {}
    }
  };
}
export {
  showAttestation
};
