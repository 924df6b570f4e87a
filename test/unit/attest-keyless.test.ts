/**
 * Keyless read-back against a real public-good bundle: the SLSA provenance that GitHub Actions
 * signed for the npm package sigstore@2.0.0 (Fulcio certificate for sigstore-js' release
 * workflow, Rekor entry), checked offline with the trusted root @sigstore/tuf embeds. The
 * fixture is sigstore-go's test bundle pkg/testing/data/bundles/sigstore.js@2.0.0-provenance.sigstore.json
 * (Apache-2.0; commit 4594ab4c779d08be1f4419803a8249188f35ed5f), byte for byte; the npm registry's
 * attestations endpoint does not answer here.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { judgeAttestation, type ImageFacts } from "../../src/attest/check.js";
import { GITHUB_ACTIONS_ISSUER, verifyKeylessBundle } from "../../src/attest/keyless.js";
import type { FoundArtifact } from "../../src/attest/read-back.js";
import { BUNDLE_MEDIA_TYPE } from "../../src/attest/sign.js";
import { parseVerifyImageArgs } from "../../src/cli/verify-image-args.js";

const FIXTURE = "test/fixtures/sigstore.js@2.0.0-provenance.sigstore.json";
const WORKFLOW = "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main";
/** dist.integrity of sigstore@2.0.0 as the npm registry lists it: the tarball the bundle is about. */
const TARBALL_SHA512 = "sha512-RtTi90xIdzFmQAAKb9+Ki1nx4IR2Z5c+mFn3dN0xuPHgk3gTt3f7ZqKsZ9UFQP40ZAlm7un8LMyjhwgrTIXNPA==";

interface BundleJson {
  verificationMaterial: Record<string, unknown>;
  dsseEnvelope: { payload: string; payloadType: string; signatures: { sig: string; keyid: string }[] };
}
const bundle = (): BundleJson => JSON.parse(readFileSync(FIXTURE, "utf8")) as BundleJson;
const payloadOf = (b: BundleJson) => JSON.parse(Buffer.from(b.dsseEnvelope.payload, "base64").toString("utf8")) as { subject: { name: string; digest: { sha512: string } }[] };

describe("keyless bundle verification (real public-good bundle)", () => {
  it("the fixture is the provenance of the sigstore@2.0.0 tarball", () => {
    expect(payloadOf(bundle()).subject).toEqual([{ name: "pkg:npm/sigstore@2.0.0", digest: { sha512: Buffer.from(TARBALL_SHA512.slice(7), "base64").toString("hex") } }]);
  });

  it("verifies with the signing workflow's identity and GitHub's issuer", async () => {
    const v = await verifyKeylessBundle(bundle(), { identity: WORKFLOW, issuer: GITHUB_ACTIONS_ISSUER });
    expect(v).toEqual({ ok: true, detail: expect.stringMatching(/^keyless signature verifies .* for https:\/\/github.com\/sigstore\/sigstore-js\/.github\/workflows\/release.yml@refs\/heads\/main/), signer: { identity: WORKFLOW, issuer: GITHUB_ACTIONS_ISSUER } });
    const byPattern = await verifyKeylessBundle(bundle(), { identityRegexp: "https://github\\.com/sigstore/sigstore-js/\\.github/workflows/release\\.yml@refs/heads/.+", issuer: GITHUB_ACTIONS_ISSUER });
    expect(byPattern.ok).toBe(true);
  });

  it("fails for another workflow, also when a pattern only matches part of the identity", async () => {
    const other = await verifyKeylessBundle(bundle(), { identity: "https://github.com/o/sglang-image-patcher/.github/workflows/build-image.yml@refs/heads/main", issuer: GITHUB_ACTIONS_ISSUER });
    expect(other).toMatchObject({ ok: false, detail: `wrong signer identity: the certificate names ${WORKFLOW}, expected https://github.com/o/sglang-image-patcher/.github/workflows/build-image.yml@refs/heads/main` });
    const partial = await verifyKeylessBundle(bundle(), { identityRegexp: "https://github\\.com/sigstore/", issuer: GITHUB_ACTIONS_ISSUER });
    expect(partial).toMatchObject({ ok: false, detail: `wrong signer identity: the certificate names ${WORKFLOW}, expected a match of /https://github\\.com/sigstore//` });
  });

  it("fails for another OIDC issuer", async () => {
    const v = await verifyKeylessBundle(bundle(), { identity: WORKFLOW, issuer: "https://accounts.google.com" });
    expect(v).toMatchObject({ ok: false, detail: expect.stringMatching(/^wrong OIDC issuer: .*expected issuer=https:\/\/accounts.google.com, got issuer=https:\/\/token.actions.githubusercontent.com/) });
  });

  it("fails when the signed statement was changed", async () => {
    const b = bundle();
    const statement = payloadOf(b);
    statement.subject[0]!.digest.sha512 = "0".repeat(128);
    b.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString("base64");
    const v = await verifyKeylessBundle(b, { identity: WORKFLOW, issuer: GITHUB_ACTIONS_ISSUER });
    expect(v).toMatchObject({ ok: false, detail: expect.stringMatching(/^bad keyless signature: DSSE payload hash mismatch/) });
  });

  it("fails when the signature itself is changed", async () => {
    const b = bundle();
    const sig = Buffer.from(b.dsseEnvelope.signatures[0]!.sig, "base64");
    sig.writeUInt8(sig.readUInt8(sig.length - 1) ^ 1, sig.length - 1);
    b.dsseEnvelope.signatures[0]!.sig = sig.toString("base64");
    const v = await verifyKeylessBundle(b, { identity: WORKFLOW, issuer: GITHUB_ACTIONS_ISSUER });
    expect(v).toMatchObject({ ok: false, detail: expect.stringMatching(/^bad keyless signature: /) });
  });
});

describe("keyless bundles in the read-back table", () => {
  const IMAGE: ImageFacts = { digest: `sha256:${"d".repeat(64)}`, configDigest: `sha256:${"c".repeat(64)}`, labels: {} };
  const found = (content: Buffer): FoundArtifact => ({
    digest: `sha256:${"7".repeat(64)}`,
    artifactType: BUNDLE_MEDIA_TYPE,
    content,
    manifest: { artifactType: BUNDLE_MEDIA_TYPE, subject: { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: IMAGE.digest, size: 1 } },
  });
  const signature = (checks: { name: string; outcome: string; detail: string }[]) => checks.find((c) => c.name === "signature");

  it("without an identity the keyless signature is not checked, and fails closed", () => {
    const j = judgeAttestation(found(readFileSync(FIXTURE)), IMAGE);
    expect(signature(j.checks)).toEqual({ name: "signature", outcome: "failed", detail: expect.stringMatching(/^keyless \(Sigstore certificate; --certificate-identity checks it\); no trust policy/) });
    expect(j.signatureChecked).toBe(false);
  });

  it("with an identity the verdict decides the signature row", async () => {
    const policy = { identity: WORKFLOW, issuer: GITHUB_ACTIONS_ISSUER };
    const good = judgeAttestation(found(readFileSync(FIXTURE)), IMAGE, { keyless: { wanted: WORKFLOW, verdict: await verifyKeylessBundle(bundle(), policy) } });
    expect(signature(good.checks)?.outcome).toBe("ok");
    expect(good.signatureChecked).toBe(true);
    const wrong = { ...policy, identity: "https://github.com/o/r/.github/workflows/x.yml@refs/heads/main" };
    const bad = judgeAttestation(found(readFileSync(FIXTURE)), IMAGE, { keyless: { wanted: "x", verdict: await verifyKeylessBundle(bundle(), wrong) } });
    expect(signature(bad.checks)).toMatchObject({ outcome: "failed", detail: expect.stringMatching(/^wrong signer identity/) });
    expect(bad.consistent).toBe(false);
  });

  it("an identity given for a key-signed bundle fails", () => {
    const keyed = { ...bundle(), verificationMaterial: { publicKey: { hint: "k" }, tlogEntries: [] } };
    const j = judgeAttestation(found(Buffer.from(JSON.stringify(keyed))), IMAGE, { keyless: { wanted: WORKFLOW } });
    expect(signature(j.checks)).toMatchObject({ outcome: "failed", detail: expect.stringMatching(/was expected, but the attestation is signed with a key, not a certificate/) });
  });
});

describe("verify-image keyless options", () => {
  it("reads the identity, its pattern and the issuer (GitHub Actions' by default)", () => {
    expect(parseVerifyImageArgs(["a/b", "--attestation", "--certificate-identity", WORKFLOW]).keyless).toEqual({ identity: WORKFLOW, issuer: GITHUB_ACTIONS_ISSUER });
    expect(parseVerifyImageArgs(["a/b", "--attestation", "--certificate-identity-regexp", "https://github.com/o/.*", "--certificate-oidc-issuer", "https://issuer.example"]).keyless).toEqual({ identityRegexp: "https://github.com/o/.*", issuer: "https://issuer.example" });
    expect(parseVerifyImageArgs(["a/b", "--attestation"]).keyless).toBeUndefined();
  });

  it.each([
    [["a/b", "--certificate-identity", WORKFLOW], /--certificate-identity is for --attestation/],
    [["a/b", "--attestation", "--certificate-identity", WORKFLOW, "--public-key", "k.pub"], /either --public-key .* or --certificate-identity .*, not both/],
    [["a/b", "--attestation", "--certificate-identity", WORKFLOW, "--certificate-identity-regexp", "x"], /--certificate-identity or --certificate-identity-regexp, not both/],
    [["a/b", "--attestation", "--certificate-oidc-issuer", GITHUB_ACTIONS_ISSUER], /--certificate-oidc-issuer needs --certificate-identity/],
    [["a/b", "--attestation", "--certificate-identity-regexp", "("], /--certificate-identity-regexp: Invalid regular expression/],
    [["a/b", "--attestation", "--certificate-identity", " "], /--certificate-identity: expected the signer's identity/],
    [["a/b", "--attestation", "--certificate-identity", WORKFLOW, "--certificate-oidc-issuer", "token.actions"], /--certificate-oidc-issuer: expected an https URL/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseVerifyImageArgs(argv)).toThrow(message);
  });
});
