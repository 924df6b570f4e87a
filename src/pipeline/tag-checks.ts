/**
 * What a user's tag says about where it goes, checked before any work: a name without a
 * registry host is Docker Hub's (`name:tag` is `docker.io/library/name:tag`, the namespace of
 * Docker's official images), which is never where a patched image belongs; and Docker's
 * repository names are lowercase, which its own message does not say.
 */
import { DOCKER_HUB, registryHost, repositoryAndTag } from "../image-ref.js";

/** The path part of a repository (after the registry host, when one is written). */
function pathOf(repository: string): string {
  const host = registryHost(repository);
  return host === DOCKER_HUB && !repository.startsWith(`${DOCKER_HUB}/`) ? repository : repository.slice(host.length + 1);
}

/** A sentence saying why a `--tag` value that is not a reference was refused. */
export function explainBadTag(value: string): string {
  const colon = value.lastIndexOf(":");
  const repository = colon > value.lastIndexOf("/") ? value.slice(0, colon) : value;
  const path = pathOf(repository);
  if (/[A-Z]/.test(path)) {
    return `--tag ${JSON.stringify(value)}: repository names must be lowercase (Docker's rule; "${path}" has upper-case letters); did you mean ${JSON.stringify(value.replace(path, path.toLowerCase()))}?`;
  }
  return `--tag ${JSON.stringify(value)}: expected a tag (e.g. v1) or a full reference registry/repo/name:tag`;
}

export interface DestinationCheck {
  /** Refs that would go to Docker Hub's official-images namespace: refused when pushing. */
  refused: string[];
  /** Refs that go to Docker Hub without saying so (`user/name:tag`): pushed, with a warning. */
  implicitHub: string[];
}

export function checkPushDestinations(refs: readonly string[]): DestinationCheck {
  const out: DestinationCheck = { refused: [], implicitHub: [] };
  for (const ref of refs) {
    const { repository } = repositoryAndTag(ref);
    if (registryHost(repository) !== DOCKER_HUB || repository.startsWith(`${DOCKER_HUB}/`)) continue;
    (repository.includes("/") ? out.implicitHub : out.refused).push(ref);
  }
  return out;
}

export function refusedDestinationMessage(refs: readonly string[]): string {
  return (
    `${refs.join(", ")} name${refs.length === 1 ? "s" : ""} no registry, so the push would go to Docker Hub's official-images namespace ` +
    `(${refs.map((r) => `docker.io/library/${r}`).join(", ")}). Name the registry in the tag (e.g. ghcr.io/<owner>/${refs[0]}), ` +
    "or pass --no-push to keep the image local"
  );
}
