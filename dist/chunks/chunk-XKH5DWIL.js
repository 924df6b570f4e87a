import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  IN_TOTO_MEDIA_TYPE,
  STATEMENT_TYPE,
  attachAttestation,
  signStatement
} from "./chunk-2O236P5S.js";
import {
  MANIFEST_TYPES,
  registryBaseUrl,
  registryGet,
  registryPath,
  registryPut
} from "./chunk-LHFICXII.js";
import {
  resolveRegistryAuth
} from "./chunk-CAIBC3BL.js";
import {
  registryHost,
  repositoryAndTag
} from "./chunk-F7NKY5RN.js";
import {
  StepError,
  errorMessage
} from "./chunk-2IM7SQKB.js";

// src/pipeline/make-index.ts
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

// src/attest/index-statement.ts
var INDEX_PREDICATE_TYPE = "https://github.com/sglang-image-patcher/attestations/image-index/v1";
function buildIndexStatement(pushed, vouchedBy, builder, now = /* @__PURE__ */ new Date()) {
  const repository = pushed.digest.slice(0, pushed.digest.lastIndexOf("@"));
  const hex = (d) => d.slice(d.lastIndexOf(":") + 1);
  return {
    _type: STATEMENT_TYPE,
    subject: [pushed.digest, ...pushed.entries.map((e) => e.digest)].map((d) => ({ name: repository, digest: { sha256: hex(d) } })),
    predicateType: INDEX_PREDICATE_TYPE,
    predicate: {
      index: { ref: pushed.ref, digest: pushed.digest.slice(repository.length + 1), mediaType: pushed.manifest.mediaType },
      manifests: pushed.entries.map((e) => ({ target: e.target, platform: e.platform, ref: e.ref, digest: e.digest, gpuVerifiedBy: vouchedBy[e.target] ?? "unknown" })),
      builder: { name: "sglang-image-patcher", ...builder },
      createdAt: now.toISOString()
    }
  };
}

// src/pipeline/image-index.ts
import { createHash } from "node:crypto";
var OCI_INDEX_TYPE = "application/vnd.oci.image.index.v1+json";
function sha256(bytes) {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}
function apiBase(repository) {
  return `${registryBaseUrl(registryHost(repository))}/v2/${registryPath(repository)}`;
}
async function getManifest(repository, reference, auth) {
  const res = await registryGet(`${apiBase(repository)}/manifests/${reference}`, MANIFEST_TYPES.join(", "), { auth });
  if (res.status === 404) return void 0;
  if (!res.ok) throw new Error(`the registry answered HTTP ${res.status} for ${repository}:${reference}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  const mediaType = JSON.parse(bytes.toString("utf8")).mediaType ?? res.headers.get("content-type") ?? "";
  return { bytes, digest: sha256(bytes), mediaType };
}
async function readMember(repository, member, auth) {
  const tag = member.ref.slice(member.ref.lastIndexOf(":") + 1);
  const got = await getManifest(repository, tag, auth);
  if (!got) throw new StepError("index", `${member.ref} (target ${member.target}) is not on the registry: push it first`, 2);
  const manifest = JSON.parse(got.bytes.toString("utf8"));
  if (!manifest.config) throw new StepError("index", `${member.ref} is a ${got.mediaType}, not one platform's image`, 2);
  const res = await registryGet(`${apiBase(repository)}/blobs/${manifest.config.digest}`, "*/*", { auth });
  const config = Buffer.from(await res.arrayBuffer());
  if (!res.ok || sha256(config) !== manifest.config.digest) throw new StepError("index", `the config of ${member.ref} could not be read back intact (HTTP ${res.status})`);
  const { os, architecture } = JSON.parse(config.toString("utf8"));
  if (`${os}/${architecture}` !== member.platform) {
    throw new StepError("index", `${member.ref} is ${os}/${architecture}, but target ${member.target} is for ${member.platform}`, 2);
  }
  return { ...member, digest: got.digest, size: got.bytes.length, mediaType: got.mediaType };
}
function indexManifest(entries) {
  return {
    schemaVersion: 2,
    mediaType: OCI_INDEX_TYPE,
    manifests: entries.map((e) => {
      const [os, architecture] = e.platform.split("/");
      return { mediaType: e.mediaType, digest: e.digest, size: e.size, platform: { os, architecture } };
    })
  };
}
async function pushIndex(repository, tag, members, opts) {
  const entries = [];
  for (const m of members) entries.push(await readMember(repository, m, opts.auth));
  const manifest = indexManifest(entries);
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = sha256(bytes);
  const ref = `${repository}:${tag}`;
  const before = await getManifest(repository, tag, opts.auth);
  if (before && before.digest !== digest && !opts.force) {
    throw new StepError("index", `refusing to move ${ref} (it names ${before.digest}) to the new index ${digest}: pass --force to move it`, 2);
  }
  if (before?.digest !== digest) {
    const res = await registryPut(`${apiBase(repository)}/manifests/${tag}`, OCI_INDEX_TYPE, bytes, { auth: opts.auth });
    if (res.status !== 201 && res.status !== 200) throw new StepError("index", `the registry refused the index ${ref}: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
  }
  const after = await getManifest(repository, tag, opts.auth);
  if (after?.digest !== digest) throw new StepError("index", `after the write ${ref} names ${after?.digest ?? "nothing"}, not the index ${digest}`);
  return { ref, digest: `${repository}@${digest}`, manifest, entries, ...before ? { previous: before.digest } : {} };
}

// src/pipeline/make-index.ts
async function makeIndex(input) {
  const { repository, tag, logger } = input;
  const credentials = await resolveRegistryAuth(repository, input.env);
  const pushed = await pushIndex(repository, tag, input.members, { auth: credentials?.auth, force: input.force });
  logger.info(`index ${pushed.ref}: ${pushed.digest} (${pushed.entries.map((e) => `${e.platform} ${e.digest.slice(0, 19)}`).join(", ")})`);
  const statement = buildIndexStatement(pushed, input.vouchedBy, input.attest.builder);
  const bytes = Buffer.from(JSON.stringify(statement));
  await mkdir(input.attest.dir, { recursive: true });
  const name = tag.replace(/[^A-Za-z0-9._-]/g, "-");
  const statementFile = path.join(input.attest.dir, `${name}.index.intoto.json`);
  await writeFile(statementFile, `${JSON.stringify(statement, null, 2)}
`);
  const bundle = input.attest.signingKey ? signStatement(bytes, IN_TOTO_MEDIA_TYPE, input.attest.signingKey) : void 0;
  let bundleFile;
  if (bundle) {
    bundleFile = path.join(input.attest.dir, `${name}.index.sigstore.json`);
    await writeFile(bundleFile, `${JSON.stringify(bundle)}
`);
  }
  const result = {
    tag,
    status: "pushed",
    ref: pushed.ref,
    digest: pushed.digest,
    manifest: pushed.manifest,
    attestation: { statementFile, ...bundleFile ? { bundleFile } : {}, signed: Boolean(bundle) }
  };
  if (input.attest.push) {
    const attached = await attachAttestation({
      repository,
      imageDigest: pushed.digest.slice(repository.length + 1),
      content: bundle ? Buffer.from(JSON.stringify(bundle)) : bytes,
      signed: Boolean(bundle),
      predicateType: INDEX_PREDICATE_TYPE,
      auth: credentials?.auth
    });
    result.attestation.attached = attached.digest;
    logger.info(`attached the index attestation to ${pushed.digest} as ${attached.digest}`);
  }
  return result;
}
function membersFromRun(config, tag, results) {
  const index = config.indexes.get(tag);
  const members = [];
  const repositories = /* @__PURE__ */ new Set();
  for (const name of index.targets) {
    const r = results.find((x) => x.target === name);
    if (!r) return { reason: `target ${name} was not built in this run` };
    if (r.status !== "pushed" || !r.push[0]) return { reason: `target ${name} was not pushed (${r.status})` };
    if (!(r.verify.mode === "gpu" && r.verify.outcome === "passed" && r.verify.countsAsVerified)) {
      return { reason: `target ${name} did not pass a GPU verify (mode ${r.verify.mode}, outcome ${r.verify.outcome})` };
    }
    const target = config.targets.get(name);
    const ref = r.push[0].ref;
    repositories.add(repositoryAndTag(ref).repository);
    members.push({ target: name, platform: target.platform, ref });
  }
  if (repositories.size !== 1) return { reason: `its targets were pushed to ${[...repositories].join(", ")}: an index names manifests of one repository` };
  return { repository: [...repositories][0], members };
}
async function indexesOfRun(config, results, opts) {
  const out = [];
  for (const tag of config.indexes.keys()) {
    if (!config.indexes.get(tag).targets.some((t) => results.some((r) => r.target === t))) continue;
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
          attest: { ...opts.attest, push }
        })
      );
    } catch (e) {
      out.push({ tag, status: "failed", reason: errorMessage(e) });
    }
  }
  return out;
}

export {
  makeIndex,
  membersFromRun,
  indexesOfRun
};
