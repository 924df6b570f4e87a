/**
 * Making one lane's index and its attestation, for build-image (after a run that pushed every
 * member with a passed GPU verify) and the `index` command (after the members' attestations
 * passed a trust policy). Which members count is decided by the callers; this writes.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { buildIndexStatement, INDEX_PREDICATE_TYPE } from "../attest/index-statement.js";
import { attachAttestation } from "../attest/oci-artifact.js";
import { signStatement, type SigningKey } from "../attest/sign.js";
import { IN_TOTO_MEDIA_TYPE } from "../attest/statement.js";
import type { BuildConfig, TargetConfig } from "../config/schema.js";
import { resolveRegistryAuth } from "../docker/registry-auth.js";
import { errorMessage } from "../errors.js";
import { repositoryAndTag } from "../image-ref.js";
import type { Logger } from "../log.js";
import { pushIndex, type IndexMember, type PushedIndex } from "./image-index.js";
import type { TargetResult } from "./run.js";

export interface IndexResult {
  tag: string;
  status: "pushed" | "skipped" | "failed";
  reason?: string;
  ref?: string;
  digest?: string;
  manifest?: PushedIndex["manifest"];
  attestation?: { statementFile: string; bundleFile?: string; signed: boolean; attached?: string };
}

export interface MakeIndexInput {
  repository: string;
  tag: string;
  members: IndexMember[];
  /** Per target: what vouched for its GPU verify (said in the index statement). */
  vouchedBy: Record<string, string>;
  force: boolean;
  attest: { push: boolean; dir: string; signingKey?: SigningKey; builder: { version: string; revision: string; source: string } };
  logger: Logger;
  env?: NodeJS.ProcessEnv;
}

export async function makeIndex(input: MakeIndexInput): Promise<IndexResult> {
  const { repository, tag, logger } = input;
  const credentials = await resolveRegistryAuth(repository, input.env);
  const pushed = await pushIndex(repository, tag, input.members, { auth: credentials?.auth, force: input.force });
  logger.info(`index ${pushed.ref}: ${pushed.digest} (${pushed.entries.map((e) => `${e.platform} ${e.digest.slice(0, 19)}`).join(", ")})`);
  const statement = buildIndexStatement(pushed, input.vouchedBy, input.attest.builder);
  const bytes = Buffer.from(JSON.stringify(statement));
  await mkdir(input.attest.dir, { recursive: true });
  const name = tag.replace(/[^A-Za-z0-9._-]/g, "-");
  const statementFile = path.join(input.attest.dir, `${name}.index.intoto.json`);
  await writeFile(statementFile, `${JSON.stringify(statement, null, 2)}\n`);
  const bundle = input.attest.signingKey ? signStatement(bytes, IN_TOTO_MEDIA_TYPE, input.attest.signingKey) : undefined;
  let bundleFile: string | undefined;
  if (bundle) {
    bundleFile = path.join(input.attest.dir, `${name}.index.sigstore.json`);
    await writeFile(bundleFile, `${JSON.stringify(bundle)}\n`);
  }
  const result: IndexResult = {
    tag,
    status: "pushed",
    ref: pushed.ref,
    digest: pushed.digest,
    manifest: pushed.manifest,
    attestation: { statementFile, ...(bundleFile ? { bundleFile } : {}), signed: Boolean(bundle) },
  };
  if (input.attest.push) {
    const attached = await attachAttestation({
      repository,
      imageDigest: pushed.digest.slice(repository.length + 1),
      content: bundle ? Buffer.from(JSON.stringify(bundle)) : bytes,
      signed: Boolean(bundle),
      predicateType: INDEX_PREDICATE_TYPE,
      auth: credentials?.auth,
    });
    result.attestation!.attached = attached.digest;
    logger.info(`attached the index attestation to ${pushed.digest} as ${attached.digest}`);
  }
  return result;
}

/** The members of an index as this run pushed them; a reason instead when the run cannot make it. */
export function membersFromRun(config: BuildConfig, tag: string, results: readonly TargetResult[]): { repository: string; members: IndexMember[] } | { reason: string } {
  const index = config.indexes.get(tag)!;
  const members: IndexMember[] = [];
  const repositories = new Set<string>();
  for (const name of index.targets) {
    const r = results.find((x) => x.target === name);
    if (!r) return { reason: `target ${name} was not built in this run` };
    if (r.status !== "pushed" || !r.push[0]) return { reason: `target ${name} was not pushed (${r.status})` };
    if (!(r.verify.mode === "gpu" && r.verify.outcome === "passed" && r.verify.countsAsVerified)) {
      return { reason: `target ${name} did not pass a GPU verify (mode ${r.verify.mode}, outcome ${r.verify.outcome})` };
    }
    const target = config.targets.get(name) as TargetConfig;
    const ref = r.push[0].ref;
    repositories.add(repositoryAndTag(ref).repository);
    members.push({ target: name, platform: target.platform!, ref });
  }
  if (repositories.size !== 1) return { reason: `its targets were pushed to ${[...repositories].join(", ")}: an index names manifests of one repository` };
  return { repository: [...repositories][0]!, members };
}

/** build-image's last step: every configured index whose members this run pushed GPU-verified. */
export async function indexesOfRun(
  config: BuildConfig,
  results: readonly TargetResult[],
  opts: Omit<MakeIndexInput, "repository" | "tag" | "members" | "vouchedBy" | "attest"> & { attest: Omit<MakeIndexInput["attest"], "push"> },
): Promise<IndexResult[]> {
  const out: IndexResult[] = [];
  for (const tag of config.indexes.keys()) {
    if (!config.indexes.get(tag)!.targets.some((t) => results.some((r) => r.target === t))) continue;
    const found = membersFromRun(config, tag, results);
    if ("reason" in found) {
      opts.logger.info(`index ${tag}: not made (${found.reason})`);
      out.push({ tag, status: "skipped", reason: found.reason });
      continue;
    }
    const push = found.members.some((m) => results.find((r) => r.target === m.target)?.plan.attest.push);
    try {
      out.push(
        await makeIndex({
          ...opts,
          ...found,
          tag,
          vouchedBy: Object.fromEntries(found.members.map((m) => [m.target, "this run's GPU verify"])),
          attest: { ...opts.attest, push },
        }),
      );
    } catch (e) {
      out.push({ tag, status: "failed", reason: errorMessage(e) });
    }
  }
  return out;
}
