import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  DOCKER_HUB,
  registryHost,
  repositoryAndTag
} from "./chunk-F7NKY5RN.js";

// src/registry-client.ts
import { createHash } from "node:crypto";
var MANIFEST_TYPES = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.index.v1+json"
];
function registryBaseUrl(host) {
  if (host === DOCKER_HUB) return "https://registry-1.docker.io";
  const name = host.replace(/:\d+$/, "");
  const loopback = name === "localhost" || /^127\./.test(name) || name === "[::1]";
  return `${loopback ? "http" : "https"}://${host}`;
}
function registryPath(repository) {
  const host = registryHost(repository);
  let path = host === DOCKER_HUB && !repository.startsWith(`${DOCKER_HUB}/`) ? repository : repository.slice(host.length + 1);
  if (host === DOCKER_HUB && !path.includes("/")) path = `library/${path}`;
  return path;
}
function parseChallenge(header) {
  const space = header.indexOf(" ");
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params = {};
  for (const m of header.slice(space + 1).matchAll(/(\w+)="([^"]*)"/g)) params[m[1]] = m[2];
  return { scheme, params };
}
function basic(auth) {
  if (auth.username === void 0 || auth.password === void 0) return void 0;
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
}
async function bearerToken(params, auth, fetchImpl, signal) {
  if (!params.realm) throw new Error("the registry's Bearer challenge names no realm");
  const url = new URL(params.realm);
  let res;
  if (auth?.identitytoken) {
    const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: auth.identitytoken, client_id: "sglang-image-patcher" });
    if (params.service) form.set("service", params.service);
    if (params.scope) form.set("scope", params.scope);
    res = await fetchImpl(url.toString(), { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: form.toString(), signal });
    if (!res.ok) throw new Error(`the registry's token service refused the identity token (HTTP ${res.status})`);
  } else {
    if (params.service) url.searchParams.set("service", params.service);
    if (params.scope) url.searchParams.set("scope", params.scope);
    const headers = {};
    const credentials = auth ? basic(auth) : void 0;
    if (credentials) headers.Authorization = credentials;
    res = await fetchImpl(url.toString(), { headers, signal });
    if (!res.ok) throw new Error(`the registry's token service answered HTTP ${res.status}`);
  }
  const body = await res.json();
  const token = body.token ?? body.access_token;
  if (!token) throw new Error("the registry's token service returned no token");
  return token;
}
async function registryGet(url, accept, opts = {}) {
  const fetchImpl = opts.fetch ?? fetch;
  const signal = AbortSignal.timeout(opts.timeoutMs ?? 2e4);
  const headers = { Accept: accept };
  let res = await fetchImpl(url, { headers, signal });
  if (res.status === 401) {
    const challenge = parseChallenge(res.headers.get("www-authenticate") ?? "");
    if (challenge.scheme === "basic") {
      const credentials = opts.auth ? basic(opts.auth) : void 0;
      if (!credentials)
        throw new Error(
          opts.auth?.identitytoken ? "the registry wants a username/password login (Basic) and only an identity token is configured" : "the registry wants a login and no username/password is configured"
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
async function readRegistryTag(ref, opts = {}) {
  const { repository, tag } = repositoryAndTag(ref);
  const url = `${registryBaseUrl(registryHost(repository))}/v2/${registryPath(repository)}/manifests/${tag}`;
  const res = await registryGet(url, MANIFEST_TYPES.join(", "), opts);
  if (res.status === 404) return { ref, present: false };
  if (!res.ok) throw new Error(`the registry answered HTTP ${res.status} for ${url}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  const body = JSON.parse(bytes.toString("utf8"));
  return {
    ref,
    present: true,
    // A manifest's digest is the sha256 of its exact bytes; registries also send it as a header.
    manifestDigest: res.headers.get("docker-content-digest") ?? `sha256:${createHash("sha256").update(bytes).digest("hex")}`,
    ...body.config?.digest ? { configDigest: body.config.digest } : {},
    ...body.layers ? { layers: body.layers.map((l) => ({ digest: l.digest, size: l.size })) } : {}
  };
}
async function registryPut(url, contentType, body, opts = {}) {
  const fetchImpl = opts.fetch ?? fetch;
  const signal = AbortSignal.timeout(opts.timeoutMs ?? 6e4);
  const send = (headers) => fetchImpl(url, { method: "PUT", headers: { "Content-Type": contentType, ...headers }, body: new Uint8Array(body), signal });
  let res = await send({});
  if (res.status === 401) {
    const challenge = parseChallenge(res.headers.get("www-authenticate") ?? "");
    let authorization;
    if (challenge.scheme === "basic") authorization = opts.auth ? basic(opts.auth) : void 0;
    else if (challenge.scheme === "bearer") authorization = `Bearer ${await bearerToken(challenge.params, opts.auth, fetchImpl, signal)}`;
    if (!authorization) throw new Error(`the registry refused the write (HTTP 401, ${challenge.scheme || "no"} challenge) and no usable credentials are configured`);
    res = await send({ Authorization: authorization });
  }
  return res;
}

export {
  MANIFEST_TYPES,
  registryBaseUrl,
  registryPath,
  registryGet,
  readRegistryTag,
  registryPut
};
