/**
 * Image references (`[host[:port]/]path[:tag][@sha256:digest]`), parsed in ONE place: the
 * config's validation, `--base` / `--tag`, the registry a push authenticates against, and the
 * base digest recorded in the labels all read a reference through this module. The grammar is
 * distribution/reference's, limited to what users write (lowercase paths, sha256 digests).
 */

const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const DOMAIN_COMPONENT = "[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?";
const DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`;
const TAG_PATTERN = "[\\w][\\w.-]{0,127}";
const DIGEST_PATTERN = "sha256:[0-9a-f]{64}";
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;

/** A repository name without tag or digest, e.g. `registry.example.com/team/sglang`. */
export const REPOSITORY = new RegExp(`^${NAME}$`);
export const TAG = new RegExp(`^${TAG_PATTERN}$`);
export const DIGEST = new RegExp(`^${DIGEST_PATTERN}$`);
/** Any reference: a name with an optional tag and an optional digest. */
export const IMAGE_REF = new RegExp(`^${NAME}(?::${TAG_PATTERN})?(?:@${DIGEST_PATTERN})?$`);

/** A local image id, as the Engine reports it. */
export const IMAGE_ID = new RegExp(`^${DIGEST_PATTERN}$`);

export const DOCKER_HUB = "docker.io";

export interface ImageRef {
  /** The repository as written (`lmsysorg/sglang`, `127.0.0.1:5000/a/b`). */
  repository: string;
  tag?: string;
  digest?: string;
}

/** Parses a reference; undefined when it is not one. */
export function parseImageRef(ref: string): ImageRef | undefined {
  // `sha256:<64 hex>` alone is an image id (a local image), not repository `sha256` with a tag.
  if (!IMAGE_REF.test(ref) || IMAGE_ID.test(ref)) return undefined;
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  // A colon before the last slash is a registry port, not a tag.
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { repository: rest, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** Like parseImageRef, for references that were validated already: throws on anything else. */
export function imageRef(ref: string): ImageRef {
  const parsed = parseImageRef(ref);
  if (!parsed) throw new Error(`${JSON.stringify(ref)} is not an image reference`);
  return parsed;
}

/** The registry a repository lives on: its first component when that is a host, else Docker Hub. */
export function registryHost(repository: string): string {
  const slash = repository.indexOf("/");
  if (slash < 0) return DOCKER_HUB;
  const first = repository.slice(0, slash);
  return first.includes(".") || first.includes(":") || first === "localhost" ? first : DOCKER_HUB;
}

/** The fully qualified name, so `ubuntu`, `library/ubuntu` and `docker.io/library/ubuntu` compare equal. */
export function canonicalRepository(repository: string): string {
  const host = registryHost(repository);
  let path = host === DOCKER_HUB && !repository.startsWith(`${DOCKER_HUB}/`) ? repository : repository.slice(host.length + 1);
  if (host === DOCKER_HUB && !path.includes("/")) path = `library/${path}`;
  return `${host}/${path}`;
}

export function sameRepository(a: string, b: string): boolean {
  return canonicalRepository(a) === canonicalRepository(b);
}

/**
 * The registry (manifest) digest of `ref` among an image's RepoDigests: the digest the
 * reference names, else the one recorded for the same repository. Never another repository's
 * digest and never the image id (a config digest, which no registry serves): an image that
 * never came from this repository's registry has no base digest.
 */
export function registryDigestOf(ref: ImageRef, repoDigests: readonly string[]): string | undefined {
  const own = repoDigests
    .map((d) => parseImageRef(d))
    .filter((d): d is ImageRef & { digest: string } => d?.digest !== undefined && sameRepository(d.repository, ref.repository))
    .map((d) => d.digest);
  if (ref.digest !== undefined) return own.includes(ref.digest) ? ref.digest : undefined;
  // Several digests of one repository point at this same image (pulled by tag and by digest);
  // any of them pulls it back.
  return own[0];
}

/** How `--tag` values are read: a bare tag goes under `image`, a full `repo:tag` stands alone. */
export function classifyTagArgument(value: string, image: string): { repository: string; tag: string } | undefined {
  if (TAG.test(value)) return { repository: image, tag: value };
  const parsed = parseImageRef(value);
  if (!parsed || parsed.tag === undefined || parsed.digest !== undefined) return undefined;
  return { repository: parsed.repository, tag: parsed.tag };
}

/** `repo:tag` back into its parts for the Engine's tag and push calls (a missing tag is `latest`). */
export function repositoryAndTag(ref: string): { repository: string; tag: string } {
  const parsed = imageRef(ref);
  return { repository: parsed.repository, tag: parsed.tag ?? "latest" };
}
