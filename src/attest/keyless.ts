/**
 * Checks a keyless Sigstore bundle (what actions/attest makes in GitHub Actions: a Fulcio
 * certificate for the workflow's OIDC identity, a Rekor entry) with sigstore-js's verifier:
 * the certificate chains to Fulcio, its SCT and the Rekor entry verify, the DSSE signature
 * verifies over the payload, and the certificate's identity (SAN) and OIDC issuer are the
 * expected ones. A valid certificate alone proves nothing: anyone can get one for their own
 * workflow, so the identity is what says who signed.
 *
 * Trust: Sigstore's public-good trusted root as embedded in @sigstore/tuf (its TUF seed). It is
 * read offline, without a TUF refresh, because verify-image must work where only the registry
 * can be reached; a key rotation upstream therefore needs a newer @sigstore/tuf here.
 */
import { errorMessage } from "../errors.js";

/** The issuer GitHub Actions' OIDC tokens (and so their Fulcio certificates) carry. */
export const GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com";
const PUBLIC_GOOD_TUF = "https://tuf-repo-cdn.sigstore.dev";

export interface KeylessPolicy {
  /** The certificate's SAN exactly (for GitHub: https://github.com/OWNER/REPO/.github/workflows/FILE@REF)... */
  identity?: string;
  /** ...or a regular expression the whole SAN must match. */
  identityRegexp?: string;
  /** The OIDC issuer the certificate names. */
  issuer: string;
}

export interface KeylessVerdict {
  ok: boolean;
  detail: string;
  /** The signer's SAN and issuer, when the certificate could be read. */
  signer?: { identity?: string; issuer?: string };
}

/** The wanted identity in words, for the check table. */
export function describePolicy(policy: KeylessPolicy): string {
  const who = policy.identity !== undefined ? policy.identity : `/${policy.identityRegexp}/`;
  return `${who} (issuer ${policy.issuer})`;
}

/** Compiles --certificate-identity-regexp once, so bad input fails before any registry read. */
export function identityPattern(source: string): RegExp {
  // Anchored: an unanchored pattern such as `github.com/me/` would also accept
  // `https://github.com/attacker/x/...?github.com/me/`.
  return new RegExp(`^(?:${source})$`);
}

/** A CommonJS module's exports from a dynamic import: named under Node (tsx, tests), only on
 *  `default` inside the esbuild bundle; `default` is the whole exports object in both. */
function cjs<T>(mod: T): T {
  return (mod as { default?: T }).default ?? mod;
}

let trustMaterial: Promise<unknown> | undefined;

/** Loaded on first use: the verifier and the trusted root are a few hundred kB that only this path needs. */
async function publicGoodTrust(): Promise<import("@sigstore/verify").TrustMaterial> {
  trustMaterial ??= (async () => {
    const [verify, specs, seeds] = await Promise.all([
      import("@sigstore/verify"),
      import("@sigstore/protobuf-specs"),
      import("@sigstore/tuf/seeds.json", { with: { type: "json" } }),
    ]);
    const { toTrustMaterial } = cjs(verify);
    const { TrustedRoot } = cjs(specs);
    const targets = (seeds.default as Record<string, { targets: Record<string, string> }>)[PUBLIC_GOOD_TUF]?.targets;
    const encoded = targets?.["trusted_root.json"];
    if (!encoded) throw new Error(`@sigstore/tuf's seeds hold no trusted_root.json for ${PUBLIC_GOOD_TUF}`);
    return toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(Buffer.from(encoded, "base64").toString("utf8"))));
  })();
  return trustMaterial as Promise<import("@sigstore/verify").TrustMaterial>;
}

/** Verifies `bundleJson` (the parsed bundle) against the public-good root and `policy`. */
export async function verifyKeylessBundle(bundleJson: unknown, policy: KeylessPolicy): Promise<KeylessVerdict> {
  const [bundleModule, verifyModule] = await Promise.all([import("@sigstore/bundle"), import("@sigstore/verify")]);
  const { bundleFromJSON } = cjs(bundleModule);
  const { toSignedEntity, Verifier } = cjs(verifyModule);
  // Outside the try: a root that cannot be loaded is our fault, not the bundle's.
  const verifier = new Verifier(await publicGoodTrust());
  let entity;
  try {
    entity = toSignedEntity(bundleFromJSON(bundleJson));
  } catch (e) {
    return { ok: false, detail: `the keyless bundle cannot be read: ${errorMessage(e)}` };
  }
  let signer;
  try {
    // The SAN is matched below (exact or by pattern); the issuer by the verifier.
    signer = verifier.verify(entity, { extensions: { issuer: policy.issuer } });
  } catch (e) {
    const err = e as Error & { code?: string };
    const why = err.code === "UNTRUSTED_SIGNER_ERROR" ? "wrong OIDC issuer" : "bad keyless signature";
    return { ok: false, detail: `${why}: ${err.message}${err.code ? ` (${err.code})` : ""}` };
  }
  const identity = signer.identity?.subjectAlternativeName;
  const issuer = signer.identity?.extensions?.issuer;
  const matches = policy.identity !== undefined ? identity === policy.identity : identity !== undefined && identityPattern(policy.identityRegexp ?? "").test(identity);
  if (!matches) {
    return {
      ok: false,
      detail: `wrong signer identity: the certificate names ${identity ?? "no SAN"}, expected ${policy.identity ?? `a match of /${policy.identityRegexp}/`}`,
      signer: { identity, issuer },
    };
  }
  return { ok: true, detail: `keyless signature verifies (Fulcio certificate, Rekor entry, public-good root) for ${identity} (issuer ${issuer})`, signer: { identity, issuer } };
}
