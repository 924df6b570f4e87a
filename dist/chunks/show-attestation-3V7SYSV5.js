import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  describePolicy,
  verifyKeylessBundle
} from "./chunk-5XWWRMUY.js";
import {
  ImageNotFoundError,
  findAttestations,
  readImage,
  readIndexEntries
} from "./chunk-NOKYUPVQ.js";
import {
  BASE_DIGEST_LABEL,
  LABEL_PREFIX
} from "./chunk-6IKKWDSF.js";
import {
  readPublicKeyFile
} from "./chunk-GQLXCPT5.js";
import {
  BUNDLE_MEDIA_TYPE,
  IN_TOTO_MEDIA_TYPE,
  PREDICATE_TYPE,
  SIGNED_ANNOTATION,
  envelopeVerifies,
  parseStatement
} from "./chunk-2O236P5S.js";
import "./chunk-LHFICXII.js";
import {
  resolveRegistryAuth
} from "./chunk-CAIBC3BL.js";
import {
  IMAGE_ID,
  parseImageRef
} from "./chunk-F7NKY5RN.js";
import {
  UserError,
  errorMessage
} from "./chunk-2IM7SQKB.js";
import "./chunk-U4OZQXGD.js";

// src/attest/check.ts
var PATCH_LABEL = new RegExp(`^${LABEL_PREFIX.replace(/\./g, "\\.")}\\.patch\\.(.+)\\.sha256$`);
var NO_POLICY_DETAIL = "no trust policy: give --public-key or --certificate-identity to check who signed it (--insecure-ignore-signature reads it unchecked)";
function unchecked(what, insecure) {
  return insecure ? { name: "signature", outcome: "info", detail: `${what}; NOT checked (--insecure-ignore-signature): anyone who can push to this repository could have written it` } : { name: "signature", outcome: "failed", detail: `${what}; ${NO_POLICY_DETAIL}` };
}
function payloadOf(found, policy, checks) {
  const { publicKey, keyless: keylessCheck } = policy;
  const insecure = policy.insecureIgnoreSignature === true;
  const noPolicy = !publicKey && !keylessCheck && !insecure;
  if (found.artifactType === IN_TOTO_MEDIA_TYPE) {
    checks.push(
      publicKey || keylessCheck ? { name: "signature", outcome: "failed", detail: `the attestation is unsigned, but ${publicKey ? "a public key" : "a signer identity"} was given: its content cannot be trusted` } : unchecked("unsigned attestation", insecure)
    );
    return { bytes: found.content, signed: false, checked: false, noPolicy };
  }
  if (found.artifactType !== BUNDLE_MEDIA_TYPE) {
    checks.push({ name: "signature", outcome: "failed", detail: `unknown artifact type ${found.artifactType}` });
    return { signed: false, checked: false, noPolicy: false };
  }
  let bundle;
  try {
    bundle = JSON.parse(found.content.toString("utf8"));
    if (!bundle.dsseEnvelope?.payload || !Array.isArray(bundle.dsseEnvelope.signatures)) throw new Error("no DSSE envelope");
  } catch (e) {
    checks.push({ name: "signature", outcome: "failed", detail: `the bundle cannot be read: ${errorMessage(e)}` });
    return { signed: true, checked: false, noPolicy: false };
  }
  const bytes = Buffer.from(bundle.dsseEnvelope.payload, "base64");
  const keyless = bundle.verificationMaterial?.certificate !== void 0 || bundle.verificationMaterial?.x509CertificateChain !== void 0;
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
    ok ? { name: "signature", outcome: "ok", detail: "the DSSE signature verifies with the given public key" } : { name: "signature", outcome: "failed", detail: "bad signature: the DSSE envelope does not verify with the given public key (signed by another key, or the statement was changed after signing)" }
  );
  return { bytes, signed: true, checked: ok, noPolicy: false };
}
function compare(checks, name, attested, actual, what) {
  if (attested === void 0 && actual === void 0) return;
  checks.push(
    attested === actual ? { name, outcome: "ok", detail: `${what} ${actual}` } : { name, outcome: "failed", detail: `${what}: the attestation says ${attested ?? "nothing"}, the image says ${actual ?? "nothing"}` }
  );
}
function judgeAttestation(found, image, policy = {}) {
  const checks = [];
  const subject = found.manifest.subject?.digest;
  checks.push(
    subject === image.digest ? { name: "artifact subject", outcome: "ok", detail: `the artifact refers to ${image.digest}` } : { name: "artifact subject", outcome: "failed", detail: `wrong subject digest: the artifact refers to ${subject ?? "nothing"}, not to this image ${image.digest}` }
  );
  const annotated = found.manifest.annotations?.[SIGNED_ANNOTATION];
  const payload = payloadOf(found, policy, checks);
  const done = (statement2) => {
    const consistent = checks.every((c) => c.outcome !== "failed");
    return {
      checks,
      signed: payload.signed,
      signatureChecked: payload.checked,
      noPolicy: payload.noPolicy,
      ...statement2 ? { statement: statement2 } : {},
      consistent,
      gpuVerified: consistent && statement2?.predicate.verify.gpuVerified === true
    };
  };
  if (annotated !== void 0 && annotated !== String(payload.signed)) {
    checks.push({ name: "artifact", outcome: "failed", detail: `the artifact is annotated signed=${annotated} but holds ${payload.signed ? "a signed bundle" : "an unsigned statement"}` });
  }
  if (!payload.bytes) return done();
  let statement;
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
  checks.push(
    v.suite ? { name: "verify suite", outcome: "info", detail: `${v.suite.name} ${v.suite.version}, tree ${v.suite.sha256}; skipped: ${(v.skippedChecks ?? []).map((c) => c.name).join(", ") || "none"}` } : { name: "verify suite", outcome: "info", detail: "not recorded (an attestation from before the checkout's suite was mounted)" }
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
async function showAttestation(image, publicKeyFile, logger, env = process.env, keylessPolicy, insecureIgnoreSignature = false) {
  if (IMAGE_ID.test(image)) throw new UserError(`${image} is a local image id; --attestation reads the registry: give repo:tag or repo@sha256:...`);
  const ref = parseImageRef(image);
  if (!ref) throw new UserError(`${JSON.stringify(image)} is not an image reference`);
  const publicKey = publicKeyFile !== void 0 ? await readPublicKeyFile(publicKeyFile) : void 0;
  const credentials = await resolveRegistryAuth(ref.repository, env);
  const reader = { repository: ref.repository, auth: credentials?.auth };
  const index = await readIndexEntries(reader, ref.digest ?? ref.tag ?? "latest");
  if (index) {
    const platforms = [];
    let exitCode2 = 0;
    for (const e of index.entries) {
      process.stderr.write(`${e.platform} (${e.digest}) of the index ${ref.repository}@${index.digest}:
`);
      const one = await showAttestation(`${ref.repository}@${e.digest}`, publicKeyFile, logger, env, keylessPolicy, insecureIgnoreSignature);
      exitCode2 = Math.max(exitCode2, one.exitCode);
      platforms.push({ platform: e.platform, digest: e.digest, exitCode: one.exitCode, verdict: one.result.verdict ?? one.result.error?.message });
    }
    if (index.entries.length === 0) exitCode2 = 2;
    return { exitCode: exitCode2, result: { ok: exitCode2 === 0, image, digest: `${ref.repository}@${index.digest}`, index: true, verdict: exitCode2 === 0 ? "every platform GPU-verified and consistent" : "not every platform passes", platforms } };
  }
  let facts;
  try {
    facts = await readImage(reader, ref.digest ?? ref.tag ?? "latest");
  } catch (e) {
    if (e instanceof ImageNotFoundError) throw new UserError(e.message, 2, { cause: e });
    throw e;
  }
  logger.info(`${image}: ${ref.repository}@${facts.digest}`);
  const found = await findAttestations(reader, facts.digest, PREDICATE_TYPE);
  const base = { image, digest: `${ref.repository}@${facts.digest}`, foundBy: found.foundBy, referrers: found.referrers.length, attestationsFound: found.attestations.length };
  if (found.attestations.length === 0) {
    const where = found.foundBy === "referrers-api" ? "the registry's referrers API lists none of ours" : found.foundBy === "referrers-tag" ? `the referrers tag ${facts.digest.replace(":", "-")} lists none of ours` : `the registry has no referrers API and no referrers tag ${facts.digest.replace(":", "-")}`;
    process.stderr.write(`no attestation of type ${PREDICATE_TYPE} found for ${base.digest}: ${where}
`);
    return { exitCode: 2, result: { ok: false, ...base, error: { message: `no attestation found (${where})`, exitCode: 2 } } };
  }
  const judged = [];
  for (const a of found.attestations) {
    const keyless = keylessPolicy && a.artifactType !== IN_TOTO_MEDIA_TYPE ? await keylessCheckOf(a.content, keylessPolicy) : keylessPolicy ? { wanted: describePolicy(keylessPolicy) } : void 0;
    judged.push({ found: a, judgement: judgeAttestation(a, facts, { ...publicKey ? { publicKey } : {}, ...keyless ? { keyless } : {}, insecureIgnoreSignature }) });
  }
  const failures = (j) => j.checks.filter((c) => c.outcome === "failed").length;
  const chosen = judged.find((j) => j.judgement.gpuVerified) ?? [...judged].sort((a, b) => failures(a.judgement) - failures(b.judgement))[0];
  const { found: shown, judgement } = chosen;
  const verdict = verdictOf(judgement, insecureIgnoreSignature);
  process.stderr.write(
    `attestation ${shown.digest} for ${base.digest} (found through the ${found.foundBy}; ${judged.length > 1 ? `${judged.filter((j) => j.judgement.gpuVerified).length} of ${judged.length} pass` : "the only one"}):
${checkTable(judgement.checks)}
=> ${verdict}
`
  );
  const verify = judgement.statement?.predicate.verify;
  const exitCode = judgement.gpuVerified ? 0 : 1;
  return {
    exitCode,
    result: {
      ok: exitCode === 0,
      ...base,
      trust: publicKey ? "public-key" : keylessPolicy ? "certificate-identity" : insecureIgnoreSignature ? "insecure-ignore-signature" : "none",
      attestation: { digest: shown.digest, artifactType: shown.artifactType, created: shown.created, signed: judgement.signed, signatureChecked: judgement.signatureChecked },
      verdict,
      gpuVerified: judgement.gpuVerified,
      checks: judgement.checks,
      attestations: judged.map((j) => ({
        digest: j.found.digest,
        signed: j.judgement.signed,
        signatureChecked: j.judgement.signatureChecked,
        verdict: verdictOf(j.judgement, insecureIgnoreSignature),
        failed: j.judgement.checks.filter((c) => c.outcome === "failed").map((c) => c.name)
      })),
      ...verify ? { verify: { mode: verify.mode, outcome: verify.outcome, gpuVerified: verify.gpuVerified, model: verify.model } } : {},
      ...judgement.statement ? { statement: judgement.statement } : {}
    }
  };
}
function verdictOf(j, insecureIgnoreSignature) {
  if (j.gpuVerified) return insecureIgnoreSignature ? "GPU-verified and consistent, signature NOT checked (--insecure-ignore-signature)" : "GPU-verified and consistent";
  const failed = j.checks.filter((c) => c.outcome === "failed");
  if (j.noPolicy) {
    const rest = failed.filter((c) => c.name !== "signature" && c.name !== "verify");
    return `UNVERIFIED: ${NO_POLICY_DETAIL}${rest.length ? `; also failed: ${rest.map((c) => c.name).join(", ")}` : ""}`;
  }
  if (failed.some((c) => c.name !== "verify")) return "INCONSISTENT: do not trust this attestation";
  const v = j.statement?.predicate.verify;
  return `not GPU-verified (${v ? `mode ${v.mode}, outcome ${v.outcome}` : "no verify result"})`;
}
export {
  showAttestation,
  verdictOf
};
