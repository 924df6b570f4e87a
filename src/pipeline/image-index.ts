/**
 * One OCI image index per lane and variant (build.yaml `indexes:`), so `docker pull
 * IMAGE:v0.5.23-cu130` picks the platform as upstream's own tag does. It is written with the
 * Registry HTTP API (registry-client.ts), from what the registry holds: each member's per-arch
 * tag is read back (its manifest bytes hashed, its platform read from its config), never taken
 * from the Engine's word. The per-arch tags stay. The index is made only when every member passed
 * its GPU verify and was pushed: build-image checks its own run's results, `index` the members'
 * attestations against a trust policy (cli/index-image.ts).
 */
import { createHash } from "node:crypto";
import type { RegistryAuth } from "../docker/engine.js";
import { StepError } from "../errors.js";
import { registryHost } from "../image-ref.js";
import { MANIFEST_TYPES, registryBaseUrl, registryGet, registryPath, registryPut } from "../registry-client.js";

export const OCI_INDEX_TYPE = "application/vnd.oci.image.index.v1+json";

export interface IndexMember {
  target: string;
  /** linux/amd64 */
  platform: string;
  /** repo:tag of the member's per-arch image. */
  ref: string;
}

export interface IndexEntry extends IndexMember {
  digest: string;
  size: number;
  mediaType: string;
}

export interface PushedIndex {
  ref: string;
  /** repo@sha256:... of the index. */
  digest: string;
  manifest: { schemaVersion: 2; mediaType: string; manifests: { mediaType: string; digest: string; size: number; platform: { os: string; architecture: string } }[] };
  entries: IndexEntry[];
  /** What the tag named before (absent: nothing), and whether this run moved it. */
  previous?: string;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

function apiBase(repository: string): string {
  return `${registryBaseUrl(registryHost(repository))}/v2/${registryPath(repository)}`;
}

async function getManifest(repository: string, reference: string, auth: RegistryAuth | undefined): Promise<{ bytes: Buffer; digest: string; mediaType: string } | undefined> {
  const res = await registryGet(`${apiBase(repository)}/manifests/${reference}`, MANIFEST_TYPES.join(", "), { auth });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`the registry answered HTTP ${res.status} for ${repository}:${reference}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  const mediaType = (JSON.parse(bytes.toString("utf8")) as { mediaType?: string }).mediaType ?? res.headers.get("content-type") ?? "";
  return { bytes, digest: sha256(bytes), mediaType };
}

/** A member's manifest as the registry holds it, checked to be one image of the member's platform. */
export async function readMember(repository: string, member: IndexMember, auth: RegistryAuth | undefined): Promise<IndexEntry> {
  const tag = member.ref.slice(member.ref.lastIndexOf(":") + 1);
  const got = await getManifest(repository, tag, auth);
  if (!got) throw new StepError("index", `${member.ref} (target ${member.target}) is not on the registry: push it first`, 2);
  const manifest = JSON.parse(got.bytes.toString("utf8")) as { config?: { digest: string } };
  if (!manifest.config) throw new StepError("index", `${member.ref} is a ${got.mediaType}, not one platform's image`, 2);
  const res = await registryGet(`${apiBase(repository)}/blobs/${manifest.config.digest}`, "*/*", { auth });
  const config = Buffer.from(await res.arrayBuffer());
  if (!res.ok || sha256(config) !== manifest.config.digest) throw new StepError("index", `the config of ${member.ref} could not be read back intact (HTTP ${res.status})`);
  const { os, architecture } = JSON.parse(config.toString("utf8")) as { os?: string; architecture?: string };
  if (`${os}/${architecture}` !== member.platform) {
    throw new StepError("index", `${member.ref} is ${os}/${architecture}, but target ${member.target} is for ${member.platform}`, 2);
  }
  return { ...member, digest: got.digest, size: got.bytes.length, mediaType: got.mediaType };
}

/** The index's bytes (what the registry stores and hashes). */
export function indexManifest(entries: readonly IndexEntry[]): PushedIndex["manifest"] {
  return {
    schemaVersion: 2,
    mediaType: OCI_INDEX_TYPE,
    manifests: entries.map((e) => {
      const [os, architecture] = e.platform.split("/") as [string, string];
      return { mediaType: e.mediaType, digest: e.digest, size: e.size, platform: { os, architecture } };
    }),
  };
}

/**
 * Writes `repository:tag` as an index of the members. A tag that already names other content
 * is not moved without `force` (the same refusal as a push's).
 */
export async function pushIndex(repository: string, tag: string, members: readonly IndexMember[], opts: { auth?: RegistryAuth; force?: boolean }): Promise<PushedIndex> {
  const entries: IndexEntry[] = [];
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
  // Read back: the tag must now name exactly these bytes.
  const after = await getManifest(repository, tag, opts.auth);
  if (after?.digest !== digest) throw new StepError("index", `after the write ${ref} names ${after?.digest ?? "nothing"}, not the index ${digest}`);
  return { ref, digest: `${repository}@${digest}`, manifest, entries, ...(before ? { previous: before.digest } : {}) };
}
