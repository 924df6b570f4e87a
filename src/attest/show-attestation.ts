/**
 * `verify-image IMAGE --attestation [--public-key FILE | --certificate-identity URI]`: finds the attestation of IMAGE's digest
 * in its registry, judges it (attest/check.ts), prints the check table on stderr and one JSON
 * result on stdout. Exit 0 only for a GPU-verified, consistent attestation; 1 for a failed,
 * inconsistent, engine-less or cpu-only one; 2 when none is found (or bad input).
 */
import type { KeyObject } from "node:crypto";
import { resolveRegistryAuth } from "../docker/registry-auth.js";
import { UserError } from "../errors.js";
import { IMAGE_ID, parseImageRef } from "../image-ref.js";
import type { Logger } from "../log.js";
import { checkTable, judgeAttestation, type KeylessCheck } from "./check.js";
import { describePolicy, verifyKeylessBundle, type KeylessPolicy } from "./keyless.js";
import { readPublicKeyFile } from "./key-file.js";
import { findAttestations, readImage } from "./read-back.js";
import { IN_TOTO_MEDIA_TYPE, PREDICATE_TYPE } from "./statement.js";

export interface ShowAttestationResult {
  exitCode: number;
  result: Record<string, unknown>;
}

/** Verifies the bundle when it is keyless (a certificate); undefined verdict otherwise. */
async function keylessCheckOf(content: Buffer, policy: KeylessPolicy): Promise<KeylessCheck> {
  const wanted = describePolicy(policy);
  let bundle: { verificationMaterial?: { certificate?: unknown; x509CertificateChain?: unknown } };
  try {
    bundle = JSON.parse(content.toString("utf8")) as typeof bundle;
  } catch {
    return { wanted };
  }
  const material = bundle.verificationMaterial;
  if (material?.certificate === undefined && material?.x509CertificateChain === undefined) return { wanted };
  return { wanted, verdict: await verifyKeylessBundle(bundle, policy) };
}

export async function showAttestation(
  image: string,
  publicKeyFile: string | undefined,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
  keylessPolicy?: KeylessPolicy,
): Promise<ShowAttestationResult> {
  if (IMAGE_ID.test(image)) throw new UserError(`${image} is a local image id; --attestation reads the registry: give repo:tag or repo@sha256:...`);
  const ref = parseImageRef(image);
  if (!ref) throw new UserError(`${JSON.stringify(image)} is not an image reference`);
  const publicKey: KeyObject | undefined = publicKeyFile !== undefined ? await readPublicKeyFile(publicKeyFile) : undefined;
  const credentials = await resolveRegistryAuth(ref.repository, env);
  const reader = { repository: ref.repository, auth: credentials?.auth };
  let facts;
  try {
    facts = await readImage(reader, ref.digest ?? ref.tag ?? "latest");
  } catch (e) {
    if ((e as { notFound?: boolean }).notFound) throw new UserError((e as Error).message);
    throw e;
  }
  logger.info(`${image}: ${ref.repository}@${facts.digest}`);
  const found = await findAttestations(reader, facts.digest, PREDICATE_TYPE);
  const base = { image, digest: `${ref.repository}@${facts.digest}`, foundBy: found.foundBy, referrers: found.referrers.length, attestationsFound: found.attestations.length };
  const newest = found.attestations[0];
  if (!newest) {
    const where = found.foundBy === "referrers-api" ? "the registry's referrers API lists none of ours" : found.foundBy === "referrers-tag" ? `the referrers tag ${facts.digest.replace(":", "-")} lists none of ours` : `the registry has no referrers API and no referrers tag ${facts.digest.replace(":", "-")}`;
    process.stderr.write(`no attestation of type ${PREDICATE_TYPE} found for ${base.digest}: ${where}\n`);
    return { exitCode: 2, result: { ok: false, ...base, error: { message: `no attestation found (${where})`, exitCode: 2 } } };
  }
  const keyless = keylessPolicy && newest.artifactType !== IN_TOTO_MEDIA_TYPE ? await keylessCheckOf(newest.content, keylessPolicy) : keylessPolicy ? { wanted: describePolicy(keylessPolicy) } : undefined;
  const judged = judgeAttestation(newest, facts, publicKey, keyless);
  const verify = judged.statement?.predicate.verify;
  const verdict = judged.gpuVerified
    ? "GPU-verified and consistent"
    : !judged.consistent && judged.checks.some((c) => c.outcome === "failed" && c.name !== "verify")
      ? "INCONSISTENT: do not trust this attestation"
      : `not GPU-verified (${verify ? `mode ${verify.mode}, outcome ${verify.outcome}` : "no verify result"})`;
  process.stderr.write(`attestation ${newest.digest} for ${base.digest} (found through the ${found.foundBy}${found.attestations.length > 1 ? `; newest of ${found.attestations.length}` : ""}):\n${checkTable(judged.checks)}\n=> ${verdict}\n`);
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
      ...(verify ? { verify: { mode: verify.mode, outcome: verify.outcome, gpuVerified: verify.gpuVerified, model: verify.model } } : {}),
      ...(judged.statement ? { statement: judged.statement } : {}),
    },
  };
}
