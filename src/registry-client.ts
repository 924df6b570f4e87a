/**
 * Asks a registry what a tag points at (Registry HTTP API v2: GET /v2/<name>/manifests/<tag>),
 * with the credentials the push used. The Engine's push stream cannot be trusted after a
 * cancelled or failed push (the daemon may finish a push whose request we closed), and another
 * run may move the tag after ours: the registry itself is the only truthful answer.
 *
 * Auth: anonymous first; on 401, Basic (htpasswd registries) or the Bearer token flow the
 * WWW-Authenticate challenge names (Docker Hub, GHCR), as the docker CLI does: a username and
 * password as Basic on the token GET, an identity token as an OAuth2 refresh token POSTed.
 */
import { createHash } from "node:crypto";
import type { RegistryAuth } from "./docker/engine.js";
import { DOCKER_HUB, registryHost, repositoryAndTag } from "./image-ref.js";

export const MANIFEST_TYPES = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.index.v1+json",
];

export interface RegistryTag {
  ref: string;
  /** false: the registry has no such tag. */
  present: boolean;
  /** Manifest digest (what `repo@sha256:...` pulls). */
  manifestDigest?: string;
  /** The image config's digest, which is the local image id of the image the tag names. */
  configDigest?: string;
  /** Compressed layer blobs, base first. */
  layers?: { digest: string; size: number }[];
}

export type FetchLike = (url: string, init: { method?: string; headers: Record<string, string>; body?: string; signal?: AbortSignal }) => Promise<Response>;

export interface ReadTagOptions {
  auth?: RegistryAuth;
  fetch?: FetchLike;
  timeoutMs?: number;
}

/** The API base URL: loopback registries are plain HTTP (the Engine treats them as insecure too). */
export function registryBaseUrl(host: string): string {
  if (host === DOCKER_HUB) return "https://registry-1.docker.io";
  const name = host.replace(/:\d+$/, "");
  const loopback = name === "localhost" || /^127\./.test(name) || name === "[::1]";
  return `${loopback ? "http" : "https"}://${host}`;
}

/** The repository path the API wants (Docker Hub's single names live under library/). */
export function registryPath(repository: string): string {
  const host = registryHost(repository);
  let path = host === DOCKER_HUB && !repository.startsWith(`${DOCKER_HUB}/`) ? repository : repository.slice(host.length + 1);
  if (host === DOCKER_HUB && !path.includes("/")) path = `library/${path}`;
  return path;
}

function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(" ");
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  for (const m of header.slice(space + 1).matchAll(/(\w+)="([^"]*)"/g)) params[m[1]!] = m[2]!;
  return { scheme, params };
}

function basic(auth: RegistryAuth): string | undefined {
  if (auth.username === undefined || auth.password === undefined) return undefined;
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
}

async function bearerToken(params: Record<string, string>, auth: RegistryAuth | undefined, fetchImpl: FetchLike, signal: AbortSignal): Promise<string> {
  if (!params.realm) throw new Error("the registry's Bearer challenge names no realm");
  const url = new URL(params.realm);
  let res: Response;
  if (auth?.identitytoken) {
    // An identity token (`docker login` to ACR and others stores one, not a password) is an
    // OAuth2 refresh token: exchanged at the realm by POST, as the docker CLI does. Before, it
    // was ignored and the read went anonymous.
    const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: auth.identitytoken, client_id: "sglang-image-patcher" });
    if (params.service) form.set("service", params.service);
    if (params.scope) form.set("scope", params.scope);
    res = await fetchImpl(url.toString(), { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: form.toString(), signal });
    if (!res.ok) throw new Error(`the registry's token service refused the identity token (HTTP ${res.status})`);
  } else {
    if (params.service) url.searchParams.set("service", params.service);
    if (params.scope) url.searchParams.set("scope", params.scope);
    const headers: Record<string, string> = {};
    const credentials = auth ? basic(auth) : undefined;
    if (credentials) headers.Authorization = credentials;
    res = await fetchImpl(url.toString(), { headers, signal });
    if (!res.ok) throw new Error(`the registry's token service answered HTTP ${res.status}`);
  }
  const body = (await res.json()) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  if (!token) throw new Error("the registry's token service returned no token");
  return token;
}

/**
 * GET `url` on a registry with the challenge-driven auth above: anonymous first, then Basic or a
 * Bearer token on 401. The answer is returned whatever its status (404 means something to callers).
 */
export async function registryGet(url: string, accept: string, opts: ReadTagOptions = {}): Promise<Response> {
  const fetchImpl = opts.fetch ?? (fetch as FetchLike);
  const signal = AbortSignal.timeout(opts.timeoutMs ?? 20_000);
  const headers: Record<string, string> = { Accept: accept };
  let res = await fetchImpl(url, { headers, signal });
  if (res.status === 401) {
    const challenge = parseChallenge(res.headers.get("www-authenticate") ?? "");
    if (challenge.scheme === "basic") {
      const credentials = opts.auth ? basic(opts.auth) : undefined;
      if (!credentials)
        throw new Error(
          opts.auth?.identitytoken
            ? "the registry wants a username/password login (Basic) and only an identity token is configured"
            : "the registry wants a login and no username/password is configured",
        );
      headers.Authorization = credentials;
    } else if (challenge.scheme === "bearer") {
      headers.Authorization = `Bearer ${await bearerToken(challenge.params, opts.auth, fetchImpl, signal)}`;
    } else {
      throw new Error(`the registry answered 401 with an unknown challenge ${JSON.stringify(challenge.scheme)}`);
    }
    res = await fetchImpl(url, { headers, signal });
  }
  return res;
}

/** What `ref` (repo:tag) points at on its registry; throws when the registry cannot say. */
export async function readRegistryTag(ref: string, opts: ReadTagOptions = {}): Promise<RegistryTag> {
  const { repository, tag } = repositoryAndTag(ref);
  const url = `${registryBaseUrl(registryHost(repository))}/v2/${registryPath(repository)}/manifests/${tag}`;
  const res = await registryGet(url, MANIFEST_TYPES.join(", "), opts);
  if (res.status === 404) return { ref, present: false };
  if (!res.ok) throw new Error(`the registry answered HTTP ${res.status} for ${url}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  const body = JSON.parse(bytes.toString("utf8")) as { config?: { digest?: string }; layers?: { digest: string; size: number }[] };
  return {
    ref,
    present: true,
    // A manifest's digest is the sha256 of its exact bytes; registries also send it as a header.
    manifestDigest: res.headers.get("docker-content-digest") ?? `sha256:${createHash("sha256").update(bytes).digest("hex")}`,
    ...(body.config?.digest ? { configDigest: body.config.digest } : {}),
    ...(body.layers ? { layers: body.layers.map((l) => ({ digest: l.digest, size: l.size })) } : {}),
  };
}

/**
 * A write (PUT of a manifest) with the same challenge-driven auth as registryGet: the 401 on the
 * write names the push scope the token must carry, so the token is asked for that scope.
 */
export async function registryPut(url: string, contentType: string, body: Buffer, opts: ReadTagOptions = {}): Promise<Response> {
  const fetchImpl = opts.fetch ?? (fetch as FetchLike);
  const signal = AbortSignal.timeout(opts.timeoutMs ?? 60_000);
  const send = (headers: Record<string, string>) => (fetchImpl as unknown as typeof fetch)(url, { method: "PUT", headers: { "Content-Type": contentType, ...headers }, body: new Uint8Array(body), signal });
  let res = await send({});
  if (res.status === 401) {
    const challenge = parseChallenge(res.headers.get("www-authenticate") ?? "");
    let authorization: string | undefined;
    if (challenge.scheme === "basic") authorization = opts.auth ? basic(opts.auth) : undefined;
    else if (challenge.scheme === "bearer") authorization = `Bearer ${await bearerToken(challenge.params, opts.auth, fetchImpl, signal)}`;
    if (!authorization) throw new Error(`the registry refused the write (HTTP 401, ${challenge.scheme || "no"} challenge) and no usable credentials are configured`);
    res = await send({ Authorization: authorization });
  }
  return res;
}
