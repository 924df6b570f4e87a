/**
 * Finds the attestations attached to an image digest in its registry, the way OCI 1.1 says a
 * client does: the referrers API (`GET /v2/<name>/referrers/<digest>`) first, and where the
 * registry has none (404), the referrers tag-schema index `sha256-<hex>`. Every manifest and
 * blob read is checked against its digest, so a registry (or anyone between) cannot hand back
 * other bytes than the ones the index names.
 */
import { createHash } from "node:crypto";
import type { RegistryAuth } from "../docker/engine.js";
import { BaseError } from "../errors.js";
import { registryHost } from "../image-ref.js";
import { MANIFEST_TYPES, registryBaseUrl, registryGet, registryPath, type FetchLike } from "../registry-client.js";
import { BUNDLE_PREDICATE_ANNOTATION, INTOTO_PREDICATE_ANNOTATION } from "./oci-artifact.js";
import { BUNDLE_MEDIA_TYPE } from "./sign.js";
import { IN_TOTO_MEDIA_TYPE } from "./statement.js";

export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

/** The registry has no manifest under that tag or digest (HTTP 404); a caller turns it into a UserError. */
export class ImageNotFoundError extends BaseError<"REGISTRY_NOT_FOUND"> {
  constructor(message: string) {
    super("REGISTRY_NOT_FOUND", message, undefined);
    this.name = "ImageNotFoundError";
  }
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface ArtifactManifest {
  mediaType?: string;
  artifactType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface FoundArtifact {
  /** The artifact manifest's digest, as listed in the referrers index. */
  digest: string;
  artifactType: string;
  manifest: ArtifactManifest;
  /** The layer: a Sigstore bundle or a bare in-toto statement. */
  content: Buffer;
  created?: string;
}

export interface Discovery {
  /** How the referrers were listed; none: neither the API nor the fallback tag had an index. */
  foundBy: "referrers-api" | "referrers-tag" | "none";
  /** Every referrer the index lists (any artifact type), for the report. */
  referrers: Descriptor[];
  /** Ours (our predicate type, as a bundle or a statement), in the registry's order. Not sorted by
   *  their "created" annotation: any pusher sets it, so it must not decide which one is judged. */
  attestations: FoundArtifact[];
}

export interface RegistryReader {
  repository: string;
  auth?: RegistryAuth;
  fetch?: FetchLike;
}

function base(reader: RegistryReader): string {
  return `${registryBaseUrl(registryHost(reader.repository))}/v2/${registryPath(reader.repository)}`;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

async function getBytes(reader: RegistryReader, url: string, accept: string): Promise<{ status: number; bytes: Buffer; contentType: string }> {
  const res = await registryGet(url, accept, { auth: reader.auth, fetch: reader.fetch });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), contentType: res.headers.get("content-type") ?? "" };
}

/** A manifest or blob by digest; its bytes must hash to that digest. */
export async function getVerified(reader: RegistryReader, kind: "manifests" | "blobs", digest: string, accept = "*/*"): Promise<Buffer> {
  const url = `${base(reader)}/${kind}/${digest}`;
  const { status, bytes } = await getBytes(reader, url, accept);
  if (status !== 200) throw new Error(`the registry answered HTTP ${status} for ${url}`);
  if (sha256(bytes) !== digest) throw new Error(`the registry's bytes for ${digest} hash to ${sha256(bytes)}`);
  return bytes;
}

/** The referrers index of `digest`: the API's answer, else the tag-schema fallback. */
export async function listReferrers(reader: RegistryReader, digest: string): Promise<{ foundBy: Discovery["foundBy"]; referrers: Descriptor[] }> {
  const api = await getBytes(reader, `${base(reader)}/referrers/${digest}`, OCI_INDEX);
  // A registry with the API answers an index (empty when nothing refers to the digest); one
  // without it answers 404 for the unknown route (registry 2.8, GHCR), or 400/405 on some.
  if (api.status === 200 && api.contentType.includes(OCI_INDEX)) {
    const index = JSON.parse(api.bytes.toString("utf8")) as { manifests?: Descriptor[] };
    return { foundBy: "referrers-api", referrers: index.manifests ?? [] };
  }
  const tag = digest.replace(":", "-");
  const fallback = await getBytes(reader, `${base(reader)}/manifests/${tag}`, [OCI_INDEX, ...MANIFEST_TYPES].join(", "));
  if (fallback.status === 404) return { foundBy: "none", referrers: [] };
  if (fallback.status !== 200) throw new Error(`the registry answered HTTP ${fallback.status} for the referrers tag ${tag}`);
  const index = JSON.parse(fallback.bytes.toString("utf8")) as { mediaType?: string; manifests?: Descriptor[] };
  if (index.mediaType !== OCI_INDEX) throw new Error(`the referrers tag ${tag} names a ${index.mediaType}, not an OCI image index`);
  return { foundBy: "referrers-tag", referrers: index.manifests ?? [] };
}

const OURS = [BUNDLE_MEDIA_TYPE, IN_TOTO_MEDIA_TYPE];
/** Some registries list an artifact under its config's media type (go-containerregistry's, the
 *  empty config), or without one: those manifests are read to learn what they are. */
const MAYBE_OURS = [...OURS, "application/vnd.oci.empty.v1+json", undefined];

function predicateTypeOf(annotations: Record<string, string> | undefined): string | undefined {
  return annotations?.[BUNDLE_PREDICATE_ANNOTATION] ?? annotations?.[INTOTO_PREDICATE_ANNOTATION];
}

export async function findAttestations(reader: RegistryReader, digest: string, predicateType: string): Promise<Discovery> {
  const { foundBy, referrers } = await listReferrers(reader, digest);
  const attestations: FoundArtifact[] = [];
  for (const d of referrers.filter((r) => MAYBE_OURS.includes(r.artifactType))) {
    const manifest = JSON.parse((await getVerified(reader, "manifests", d.digest, MANIFEST_TYPES.join(", "))).toString("utf8")) as ArtifactManifest;
    const artifactType = manifest.artifactType ?? manifest.config?.mediaType;
    const declared = predicateTypeOf(manifest.annotations) ?? predicateTypeOf(d.annotations);
    if (!artifactType || !OURS.includes(artifactType) || (declared !== undefined && declared !== predicateType)) continue;
    const layer = manifest.layers?.[0];
    if (!layer) throw new Error(`the attestation manifest ${d.digest} has no layer`);
    const content = await getVerified(reader, "blobs", layer.digest);
    const created = manifest.annotations?.["org.opencontainers.image.created"] ?? d.annotations?.["org.opencontainers.image.created"];
    attestations.push({ digest: d.digest, artifactType, manifest, content, ...(created ? { created } : {}) });
  }
  return { foundBy, referrers, attestations };
}

/** The platform entries when `reference` names an image index (a multi-arch tag); undefined for one image. */
export async function readIndexEntries(reader: RegistryReader, reference: string): Promise<{ digest: string; entries: { digest: string; platform: string }[] } | undefined> {
  const { status, bytes } = await getBytes(reader, `${base(reader)}/manifests/${reference}`, MANIFEST_TYPES.join(", "));
  if (status !== 200) return undefined;
  const doc = JSON.parse(bytes.toString("utf8")) as { manifests?: { digest: string; platform?: { os?: string; architecture?: string } }[] };
  if (!Array.isArray(doc.manifests)) return undefined;
  const digest = sha256(bytes);
  if (reference.startsWith("sha256:") && digest !== reference) throw new Error(`the registry's manifest for ${reference} hashes to ${digest}`);
  return { digest, entries: doc.manifests.map((m) => ({ digest: m.digest, platform: `${m.platform?.os ?? "?"}/${m.platform?.architecture ?? "?"}` })) };
}

/** The image's manifest digest (of `repo:tag`) and its config (labels, config digest). */
export async function readImage(reader: RegistryReader, reference: string): Promise<{ digest: string; configDigest: string; labels: Record<string, string> }> {
  const url = `${base(reader)}/manifests/${reference}`;
  const { status, bytes } = await getBytes(reader, url, MANIFEST_TYPES.join(", "));
  if (status === 404) throw new ImageNotFoundError(`${reader.repository}:${reference} is not on its registry (HTTP 404)`);
  if (status !== 200) throw new Error(`the registry answered HTTP ${status} for ${url}`);
  const digest = sha256(bytes);
  if (reference.startsWith("sha256:") && digest !== reference) throw new Error(`the registry's manifest for ${reference} hashes to ${digest}`);
  const manifest = JSON.parse(bytes.toString("utf8")) as { mediaType?: string; config?: Descriptor };
  if (!manifest.config) throw new Error(`${reader.repository}@${digest} is a ${manifest.mediaType ?? "manifest"} without a config (an index?); give the digest of one platform's image`);
  const config = JSON.parse((await getVerified(reader, "blobs", manifest.config.digest)).toString("utf8")) as { config?: { Labels?: Record<string, string> } };
  return { digest, configDigest: manifest.config.digest, labels: config.config?.Labels ?? {} };
}
