/**
 * `verify-image IMAGE --attestation [--public-key FILE | --certificate-identity URI]`: finds the
 * attestations of IMAGE's digest in its registry, judges EVERY one of our predicate type
 * (attest/check.ts) and passes when any one satisfies the trust policy and says GPU-verified, as
 * cosign does: which is "newest" is an annotation any pusher sets, so it decides nothing. Without
 * a policy the verdict is UNVERIFIED (exit 1) unless --insecure-ignore-signature. The check table
 * of the passing (else the closest) attestation goes to stderr, one JSON result to stdout. Exit 0
 * only for a trusted, GPU-verified, consistent attestation; 1 otherwise; 2 when none is found.
 */
import type { KeyObject } from "node:crypto";
import { resolveRegistryAuth } from "../docker/registry-auth.js";
import { UserError } from "../errors.js";
import { IMAGE_ID, parseImageRef } from "../image-ref.js";
import type { Logger } from "../log.js";
import { NO_POLICY_DETAIL, checkTable, judgeAttestation, type Judgement, type KeylessCheck } from "./check.js";
import { describePolicy, verifyKeylessBundle, type KeylessPolicy } from "./keyless.js";
import { readPublicKeyFile } from "./key-file.js";
import { ImageNotFoundError, findAttestations, readImage, readIndexEntries } from "./read-back.js";
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
  insecureIgnoreSignature = false,
): Promise<ShowAttestationResult> {
  if (IMAGE_ID.test(image)) throw new UserError(`${image} is a local image id; --attestation reads the registry: give repo:tag or repo@sha256:...`);
  const ref = parseImageRef(image);
  if (!ref) throw new UserError(`${JSON.stringify(image)} is not an image reference`);
  const publicKey: KeyObject | undefined = publicKeyFile !== undefined ? await readPublicKeyFile(publicKeyFile) : undefined;
  const credentials = await resolveRegistryAuth(ref.repository, env);
  const reader = { repository: ref.repository, auth: credentials?.auth };
  // A multi-arch index: every platform's image must pass on its own (its verify attestation is
  // on its manifest); one that does not fails the whole tag, as a pull of it could get that one.
  const index = await readIndexEntries(reader, ref.digest ?? ref.tag ?? "latest");
  if (index) {
    const platforms: Record<string, unknown>[] = [];
    let exitCode = 0;
    for (const e of index.entries) {
      process.stderr.write(`${e.platform} (${e.digest}) of the index ${ref.repository}@${index.digest}:\n`);
      const one = await showAttestation(`${ref.repository}@${e.digest}`, publicKeyFile, logger, env, keylessPolicy, insecureIgnoreSignature);
      exitCode = Math.max(exitCode, one.exitCode);
      platforms.push({ platform: e.platform, digest: e.digest, exitCode: one.exitCode, verdict: one.result.verdict ?? (one.result.error as { message?: string } | undefined)?.message });
    }
    if (index.entries.length === 0) exitCode = 2;
    return { exitCode, result: { ok: exitCode === 0, image, digest: `${ref.repository}@${index.digest}`, index: true, verdict: exitCode === 0 ? "every platform GPU-verified and consistent" : "not every platform passes", platforms } };
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
    process.stderr.write(`no attestation of type ${PREDICATE_TYPE} found for ${base.digest}: ${where}\n`);
    return { exitCode: 2, result: { ok: false, ...base, error: { message: `no attestation found (${where})`, exitCode: 2 } } };
  }
  // Every one is judged; the first that passes wins. None passing: the one with the fewest
  // failed rows is shown (ties: registry order), and every verdict is listed in the result.
  const judged: { found: (typeof found.attestations)[number]; judgement: Judgement }[] = [];
  for (const a of found.attestations) {
    const keyless = keylessPolicy && a.artifactType !== IN_TOTO_MEDIA_TYPE ? await keylessCheckOf(a.content, keylessPolicy) : keylessPolicy ? { wanted: describePolicy(keylessPolicy) } : undefined;
    judged.push({ found: a, judgement: judgeAttestation(a, facts, { ...(publicKey ? { publicKey } : {}), ...(keyless ? { keyless } : {}), insecureIgnoreSignature }) });
  }
  const failures = (j: Judgement) => j.checks.filter((c) => c.outcome === "failed").length;
  const chosen = judged.find((j) => j.judgement.gpuVerified) ?? [...judged].sort((a, b) => failures(a.judgement) - failures(b.judgement))[0]!;
  const { found: shown, judgement } = chosen;
  const verdict = verdictOf(judgement, insecureIgnoreSignature);
  process.stderr.write(
    `attestation ${shown.digest} for ${base.digest} (found through the ${found.foundBy}; ${judged.length > 1 ? `${judged.filter((j) => j.judgement.gpuVerified).length} of ${judged.length} pass` : "the only one"}):\n${checkTable(judgement.checks)}\n=> ${verdict}\n`,
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
        failed: j.judgement.checks.filter((c) => c.outcome === "failed").map((c) => c.name),
      })),
      ...(verify ? { verify: { mode: verify.mode, outcome: verify.outcome, gpuVerified: verify.gpuVerified, model: verify.model } } : {}),
      ...(judgement.statement ? { statement: judgement.statement } : {}),
    },
  };
}

/** One line for a judgement: trusted and GPU-verified, UNVERIFIED (no policy), INCONSISTENT, or not GPU-verified. */
export function verdictOf(j: Judgement, insecureIgnoreSignature: boolean): string {
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
