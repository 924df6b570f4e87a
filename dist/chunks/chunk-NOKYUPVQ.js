import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  BUNDLE_MEDIA_TYPE,
  BUNDLE_PREDICATE_ANNOTATION,
  INTOTO_PREDICATE_ANNOTATION,
  IN_TOTO_MEDIA_TYPE
} from "./chunk-2O236P5S.js";
import {
  MANIFEST_TYPES,
  registryBaseUrl,
  registryGet,
  registryPath
} from "./chunk-LHFICXII.js";
import {
  registryHost
} from "./chunk-F7NKY5RN.js";
import {
  BaseError
} from "./chunk-2IM7SQKB.js";

// src/attest/read-back.ts
import { createHash } from "node:crypto";
var OCI_INDEX = "application/vnd.oci.image.index.v1+json";
var ImageNotFoundError = class extends BaseError {
  constructor(message) {
    super("REGISTRY_NOT_FOUND", message, void 0);
    this.name = "ImageNotFoundError";
  }
};
function base(reader) {
  return `${registryBaseUrl(registryHost(reader.repository))}/v2/${registryPath(reader.repository)}`;
}
function sha256(bytes) {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}
async function getBytes(reader, url, accept) {
  const res = await registryGet(url, accept, { auth: reader.auth, fetch: reader.fetch });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), contentType: res.headers.get("content-type") ?? "" };
}
async function getVerified(reader, kind, digest, accept = "*/*") {
  const url = `${base(reader)}/${kind}/${digest}`;
  const { status, bytes } = await getBytes(reader, url, accept);
  if (status !== 200) throw new Error(`the registry answered HTTP ${status} for ${url}`);
  if (sha256(bytes) !== digest) throw new Error(`the registry's bytes for ${digest} hash to ${sha256(bytes)}`);
  return bytes;
}
async function listReferrers(reader, digest) {
  const api = await getBytes(reader, `${base(reader)}/referrers/${digest}`, OCI_INDEX);
  if (api.status === 200 && api.contentType.includes(OCI_INDEX)) {
    const index2 = JSON.parse(api.bytes.toString("utf8"));
    return { foundBy: "referrers-api", referrers: index2.manifests ?? [] };
  }
  const tag = digest.replace(":", "-");
  const fallback = await getBytes(reader, `${base(reader)}/manifests/${tag}`, [OCI_INDEX, ...MANIFEST_TYPES].join(", "));
  if (fallback.status === 404) return { foundBy: "none", referrers: [] };
  if (fallback.status !== 200) throw new Error(`the registry answered HTTP ${fallback.status} for the referrers tag ${tag}`);
  const index = JSON.parse(fallback.bytes.toString("utf8"));
  if (index.mediaType !== OCI_INDEX) throw new Error(`the referrers tag ${tag} names a ${index.mediaType}, not an OCI image index`);
  return { foundBy: "referrers-tag", referrers: index.manifests ?? [] };
}
var OURS = [BUNDLE_MEDIA_TYPE, IN_TOTO_MEDIA_TYPE];
var MAYBE_OURS = [...OURS, "application/vnd.oci.empty.v1+json", void 0];
function predicateTypeOf(annotations) {
  return annotations?.[BUNDLE_PREDICATE_ANNOTATION] ?? annotations?.[INTOTO_PREDICATE_ANNOTATION];
}
async function findAttestations(reader, digest, predicateType) {
  const { foundBy, referrers } = await listReferrers(reader, digest);
  const attestations = [];
  for (const d of referrers.filter((r) => MAYBE_OURS.includes(r.artifactType))) {
    const manifest = JSON.parse((await getVerified(reader, "manifests", d.digest, MANIFEST_TYPES.join(", "))).toString("utf8"));
    const artifactType = manifest.artifactType ?? manifest.config?.mediaType;
    const declared = predicateTypeOf(manifest.annotations) ?? predicateTypeOf(d.annotations);
    if (!artifactType || !OURS.includes(artifactType) || declared !== void 0 && declared !== predicateType) continue;
    const layer = manifest.layers?.[0];
    if (!layer) throw new Error(`the attestation manifest ${d.digest} has no layer`);
    const content = await getVerified(reader, "blobs", layer.digest);
    const created = manifest.annotations?.["org.opencontainers.image.created"] ?? d.annotations?.["org.opencontainers.image.created"];
    attestations.push({ digest: d.digest, artifactType, manifest, content, ...created ? { created } : {} });
  }
  return { foundBy, referrers, attestations };
}
async function readIndexEntries(reader, reference) {
  const { status, bytes } = await getBytes(reader, `${base(reader)}/manifests/${reference}`, MANIFEST_TYPES.join(", "));
  if (status !== 200) return void 0;
  const doc = JSON.parse(bytes.toString("utf8"));
  if (!Array.isArray(doc.manifests)) return void 0;
  const digest = sha256(bytes);
  if (reference.startsWith("sha256:") && digest !== reference) throw new Error(`the registry's manifest for ${reference} hashes to ${digest}`);
  return { digest, entries: doc.manifests.map((m) => ({ digest: m.digest, platform: `${m.platform?.os ?? "?"}/${m.platform?.architecture ?? "?"}` })) };
}
async function readImage(reader, reference) {
  const url = `${base(reader)}/manifests/${reference}`;
  const { status, bytes } = await getBytes(reader, url, MANIFEST_TYPES.join(", "));
  if (status === 404) throw new ImageNotFoundError(`${reader.repository}:${reference} is not on its registry (HTTP 404)`);
  if (status !== 200) throw new Error(`the registry answered HTTP ${status} for ${url}`);
  const digest = sha256(bytes);
  if (reference.startsWith("sha256:") && digest !== reference) throw new Error(`the registry's manifest for ${reference} hashes to ${digest}`);
  const manifest = JSON.parse(bytes.toString("utf8"));
  if (!manifest.config) throw new Error(`${reader.repository}@${digest} is a ${manifest.mediaType ?? "manifest"} without a config (an index?); give the digest of one platform's image`);
  const config = JSON.parse((await getVerified(reader, "blobs", manifest.config.digest)).toString("utf8"));
  return { digest, configDigest: manifest.config.digest, labels: config.config?.Labels ?? {} };
}

export {
  ImageNotFoundError,
  findAttestations,
  readIndexEntries,
  readImage
};
