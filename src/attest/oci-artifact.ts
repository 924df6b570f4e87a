/**
 * Attaches an attestation to an image in its registry as an OCI 1.1 artifact whose `subject` is
 * the image's manifest digest, through @sigstore/oci (the client GitHub's attest actions use).
 * It pushes the artifact manifest (empty config, one layer: the bundle or statement) and, where
 * the registry has no referrers API (Debian's registry 2.8; GHCR answers 404 there), also
 * updates the referrers tag-schema index `sha256-<hex>`. Same credentials as the push.
 */
import { errorMessage } from "../errors.js";
import { canonicalRepository } from "../image-ref.js";
import type { RegistryAuth } from "../docker/engine.js";
import { IN_TOTO_MEDIA_TYPE } from "./statement.js";
import { BUNDLE_MEDIA_TYPE } from "./sign.js";

/** Annotations GitHub's attest action sets on a bundle, so other readers find ours the same way. */
export const BUNDLE_CONTENT_ANNOTATION = "dev.sigstore.bundle.content";
export const BUNDLE_PREDICATE_ANNOTATION = "dev.sigstore.bundle.predicateType";
/** BuildKit's annotation for an (unsigned) in-toto statement layer. */
export const INTOTO_PREDICATE_ANNOTATION = "in-toto.io/predicate-type";
export const SIGNED_ANNOTATION = "io.github.sglang-image-patcher.attestation.signed";

export interface AttachInput {
  /** As pushed: `127.0.0.1:5000/team/sglang`, `ghcr.io/o/x`, `me/x` (Docker Hub). */
  repository: string;
  imageDigest: string;
  /** The Sigstore bundle (signed) or the bare statement (unsigned). */
  content: Buffer;
  signed: boolean;
  predicateType: string;
  auth?: RegistryAuth;
}

export interface AttachedArtifact {
  /** The artifact manifest's digest. */
  digest: string;
  mediaType: string;
  size: number;
}

/** @sigstore/oci's credentials: an identity token goes as the `<token>` user, as the docker CLI stores it. */
export function ociCredentials(auth: RegistryAuth | undefined): { username: string; password: string } | undefined {
  if (auth?.identitytoken) return { username: "<token>", password: auth.identitytoken };
  if (auth?.username !== undefined && auth.password !== undefined) return { username: auth.username, password: auth.password };
  return undefined;
}

export function artifactAnnotations(signed: boolean, predicateType: string): Record<string, string> {
  return signed
    ? { [BUNDLE_CONTENT_ANNOTATION]: "dsse-envelope", [BUNDLE_PREDICATE_ANNOTATION]: predicateType, [SIGNED_ANNOTATION]: "true" }
    : { [INTOTO_PREDICATE_ANNOTATION]: predicateType, [SIGNED_ANNOTATION]: "false" };
}

export async function attachAttestation(input: AttachInput): Promise<AttachedArtifact> {
  // Loaded on first use: make-fetch-happen and its helpers cost start-up time every other run would pay.
  const oci = await import("@sigstore/oci");
  // A CommonJS module: under tsx its exports are named, in the esbuild bundle they sit on `default`.
  const attachArtifactToImage = oci.attachArtifactToImage ?? (oci as unknown as { default: typeof oci }).default.attachArtifactToImage;
  const credentials = ociCredentials(input.auth);
  try {
    const descriptor = await attachArtifactToImage({
      imageName: canonicalRepository(input.repository),
      imageDigest: input.imageDigest,
      artifact: input.content,
      mediaType: input.signed ? BUNDLE_MEDIA_TYPE : IN_TOTO_MEDIA_TYPE,
      annotations: artifactAnnotations(input.signed, input.predicateType),
      // Anonymous registries (a local one) take no sign-in: the library signs in only when given credentials.
      credentials: credentials as { username: string; password: string },
    });
    return { digest: descriptor.digest, mediaType: descriptor.mediaType, size: descriptor.size };
  } catch (e) {
    // OCIError wraps the HTTP failure in `cause`; the outer message alone says nothing.
    const cause = e instanceof Error ? e.cause : undefined;
    throw new Error(`${errorMessage(e)}${cause instanceof Error ? `: ${cause.message}` : ""}`, { cause: e });
  }
}
