import { createRequire as __sipCreateRequire } from "node:module"; const require = __sipCreateRequire(import.meta.url);
import {
  errorMessage
} from "./chunk-2IM7SQKB.js";

// src/attest/keyless.ts
var GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com";
var PUBLIC_GOOD_TUF = "https://tuf-repo-cdn.sigstore.dev";
function describePolicy(policy) {
  const who = policy.identity !== void 0 ? policy.identity : `/${policy.identityRegexp}/`;
  return `${who} (issuer ${policy.issuer})`;
}
function identityPattern(source) {
  return new RegExp(`^(?:${source})$`);
}
function cjs(mod) {
  return mod.default ?? mod;
}
var trustMaterial;
async function publicGoodTrust() {
  trustMaterial ??= (async () => {
    const [verify, specs, seeds] = await Promise.all([
      import("./dist-BLV2QC4D.js"),
      import("./dist-YZVSZWPI.js"),
      import("./seeds-GRVMCULL.js")
    ]);
    const { toTrustMaterial } = cjs(verify);
    const { TrustedRoot } = cjs(specs);
    const targets = seeds.default[PUBLIC_GOOD_TUF]?.targets;
    const encoded = targets?.["trusted_root.json"];
    if (!encoded) throw new Error(`@sigstore/tuf's seeds hold no trusted_root.json for ${PUBLIC_GOOD_TUF}`);
    return toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(Buffer.from(encoded, "base64").toString("utf8"))));
  })();
  return trustMaterial;
}
async function verifyKeylessBundle(bundleJson, policy) {
  const [bundleModule, verifyModule] = await Promise.all([import("./dist-S7UWHRZR.js"), import("./dist-BLV2QC4D.js")]);
  const { bundleFromJSON } = cjs(bundleModule);
  const { toSignedEntity, Verifier } = cjs(verifyModule);
  const verifier = new Verifier(await publicGoodTrust());
  let entity;
  try {
    entity = toSignedEntity(bundleFromJSON(bundleJson));
  } catch (e) {
    return { ok: false, detail: `the keyless bundle cannot be read: ${errorMessage(e)}` };
  }
  let signer;
  try {
    signer = verifier.verify(entity, { extensions: { issuer: policy.issuer } });
  } catch (e) {
    const err = e;
    const why = err.code === "UNTRUSTED_SIGNER_ERROR" ? "wrong OIDC issuer" : "bad keyless signature";
    return { ok: false, detail: `${why}: ${err.message}${err.code ? ` (${err.code})` : ""}` };
  }
  const identity = signer.identity?.subjectAlternativeName;
  const issuer = signer.identity?.extensions?.issuer;
  const matches = policy.identity !== void 0 ? identity === policy.identity : identity !== void 0 && identityPattern(policy.identityRegexp ?? "").test(identity);
  if (!matches) {
    return {
      ok: false,
      detail: `wrong signer identity: the certificate names ${identity ?? "no SAN"}, expected ${policy.identity ?? `a match of /${policy.identityRegexp}/`}`,
      signer: { identity, issuer }
    };
  }
  return { ok: true, detail: `keyless signature verifies (Fulcio certificate, Rekor entry, public-good root) for ${identity} (issuer ${issuer})`, signer: { identity, issuer } };
}

export {
  GITHUB_ACTIONS_ISSUER,
  describePolicy,
  identityPattern,
  verifyKeylessBundle
};
