/**
 * After a finished push: the statement is made, signed when a key was given, written to files and
 * (with --attest / `attest: true`) attached to every pushed digest in its registry, then read back
 * from there so the result says how a reader finds it (referrers API or the fallback tag).
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { resolveRegistryAuth } from "../docker/registry-auth.js";
import { StepError, errorMessage } from "../errors.js";
import type { Logger } from "../log.js";
import { attachAttestation } from "./oci-artifact.js";
import { findAttestations } from "./read-back.js";
import { IN_TOTO_MEDIA_TYPE, PREDICATE_TYPE, buildStatement, type AttestedTarget, type Statement } from "./statement.js";
import { signStatement, type SigningKey } from "./sign.js";

export interface AttestSettings {
  /** Attach to the pushed images (otherwise only the files and the result). */
  push: boolean;
  /** Folder the statement (and bundle) files go to. */
  dir: string;
  signingKey?: SigningKey;
}

export interface AttestationResult {
  predicateType: string;
  signed: boolean;
  /** Said plainly in the result, so an unsigned statement is never taken for a signed one. */
  signature: string;
  statementFile: string;
  bundleFile?: string;
  statement: Statement;
  pushed: { repository: string; subject: string; artifactDigest: string; mediaType: string; foundBy: string }[];
}

/** Attaching failed part-way: `attestation` says what was written and attached before it. */
export class AttestFailedError extends StepError<"ATTEST_FAILED"> {
  constructor(
    message: string,
    readonly attestation: AttestationResult,
    options: { cause?: unknown } = {},
  ) {
    super("attest", message, 1, { ...options, code: "ATTEST_FAILED" });
  }
}

export interface AttestInput {
  target: AttestedTarget;
  upstream: { repository: string; tag: string; commit: string };
  builder: { version: string; revision: string; source: string };
  settings: AttestSettings;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
}

export async function attestPushed(input: AttestInput): Promise<AttestationResult> {
  const { target, settings, logger } = input;
  const statement = buildStatement({ target, upstream: input.upstream, builder: input.builder });
  const statementBytes = Buffer.from(JSON.stringify(statement));
  const name = target.target.replace(/[^A-Za-z0-9._-]/g, "-");
  await mkdir(settings.dir, { recursive: true });
  const statementFile = path.join(settings.dir, `${name}.intoto.json`);
  await writeFile(statementFile, `${JSON.stringify(statement, null, 2)}\n`);
  const bundle = settings.signingKey ? signStatement(statementBytes, IN_TOTO_MEDIA_TYPE, settings.signingKey) : undefined;
  let bundleFile: string | undefined;
  if (bundle) {
    bundleFile = path.join(settings.dir, `${name}.sigstore.json`);
    await writeFile(bundleFile, `${JSON.stringify(bundle)}\n`);
  }
  const attestation: AttestationResult = {
    predicateType: PREDICATE_TYPE,
    signed: Boolean(bundle),
    signature: bundle
      ? `DSSE envelope in a Sigstore bundle, signed with the key ${settings.signingKey!.hint} (no transparency log)`
      : "unsigned: give --sign-key to sign it (the GitHub workflow signs keyless)",
    statementFile,
    ...(bundleFile ? { bundleFile } : {}),
    statement,
    pushed: [],
  };
  logger.info(`attestation for ${target.target}: ${statementFile} (${attestation.signed ? "signed" : "unsigned"}, verify ${target.verify.outcome} in mode ${target.verify.mode})`);
  if (!settings.push) return attestation;
  const content = bundle ? Buffer.from(JSON.stringify(bundle)) : statementBytes;
  for (const subject of statement.subject) {
    const digest = `sha256:${subject.digest.sha256}`;
    try {
      const credentials = await resolveRegistryAuth(subject.name, input.env);
      const attached = await attachAttestation({ repository: subject.name, imageDigest: digest, content, signed: Boolean(bundle), predicateType: PREDICATE_TYPE, auth: credentials?.auth });
      const found = await findAttestations({ repository: subject.name, auth: credentials?.auth }, digest, PREDICATE_TYPE);
      if (!found.attestations.some((a) => a.digest === attached.digest)) {
        throw new Error(`the registry does not list the attestation ${attached.digest} among the referrers of ${digest} (found by ${found.foundBy})`);
      }
      attestation.pushed.push({ repository: subject.name, subject: digest, artifactDigest: attached.digest, mediaType: attached.mediaType, foundBy: found.foundBy });
      logger.info(`attached the attestation to ${subject.name}@${digest} as ${attached.digest} (readers find it through the ${found.foundBy})`);
    } catch (e) {
      throw new AttestFailedError(`attaching the attestation to ${subject.name}@${digest} failed: ${errorMessage(e)}`, attestation, { cause: e });
    }
  }
  return attestation;
}
