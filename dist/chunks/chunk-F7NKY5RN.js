import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);

// src/image-ref.ts
var PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
var DOMAIN_COMPONENT = "[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?";
var DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`;
var TAG_PATTERN = "[\\w][\\w.-]{0,127}";
var DIGEST_PATTERN = "sha256:[0-9a-f]{64}";
var NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
var REPOSITORY = new RegExp(`^${NAME}$`);
var TAG = new RegExp(`^${TAG_PATTERN}$`);
var DIGEST = new RegExp(`^${DIGEST_PATTERN}$`);
var IMAGE_REF = new RegExp(`^${NAME}(?::${TAG_PATTERN})?(?:@${DIGEST_PATTERN})?$`);
var IMAGE_ID = new RegExp(`^${DIGEST_PATTERN}$`);
var DOCKER_HUB = "docker.io";
function parseImageRef(ref) {
  if (!IMAGE_REF.test(ref) || IMAGE_ID.test(ref)) return void 0;
  let rest = ref;
  let digest;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { repository: rest, ...tag !== void 0 ? { tag } : {}, ...digest !== void 0 ? { digest } : {} };
}
function imageRef(ref) {
  const parsed = parseImageRef(ref);
  if (!parsed) throw new Error(`${JSON.stringify(ref)} is not an image reference`);
  return parsed;
}
function registryHost(repository) {
  const slash = repository.indexOf("/");
  if (slash < 0) return DOCKER_HUB;
  const first = repository.slice(0, slash);
  return first.includes(".") || first.includes(":") || first === "localhost" ? first : DOCKER_HUB;
}
function canonicalRepository(repository) {
  const host = registryHost(repository);
  let path = host === DOCKER_HUB && !repository.startsWith(`${DOCKER_HUB}/`) ? repository : repository.slice(host.length + 1);
  if (host === DOCKER_HUB && !path.includes("/")) path = `library/${path}`;
  return `${host}/${path}`;
}
function sameRepository(a, b) {
  return canonicalRepository(a) === canonicalRepository(b);
}
function registryDigestOf(ref, repoDigests) {
  const own = repoDigests.map((d) => parseImageRef(d)).filter((d) => d?.digest !== void 0 && sameRepository(d.repository, ref.repository)).map((d) => d.digest);
  if (ref.digest !== void 0) return own.includes(ref.digest) ? ref.digest : void 0;
  return own[0];
}
function classifyTagArgument(value, image) {
  if (TAG.test(value)) return { repository: image, tag: value };
  const parsed = parseImageRef(value);
  if (!parsed || parsed.tag === void 0 || parsed.digest !== void 0) return void 0;
  return { repository: parsed.repository, tag: parsed.tag };
}
function repositoryAndTag(ref) {
  const parsed = imageRef(ref);
  return { repository: parsed.repository, tag: parsed.tag ?? "latest" };
}

export {
  REPOSITORY,
  TAG,
  DIGEST,
  IMAGE_REF,
  IMAGE_ID,
  DOCKER_HUB,
  parseImageRef,
  registryHost,
  canonicalRepository,
  registryDigestOf,
  classifyTagArgument,
  repositoryAndTag
};
