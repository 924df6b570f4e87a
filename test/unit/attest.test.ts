/** The attestation's pure parts: the statement, the DSSE signature and cosign keys, and the read-back judgement. */
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { judgeAttestation, type ImageFacts } from "../../src/attest/check.js";
import { verdictOf } from "../../src/attest/show-attestation.js";
import { artifactAnnotations, ociCredentials } from "../../src/attest/oci-artifact.js";
import type { FoundArtifact } from "../../src/attest/read-back.js";
import { BUNDLE_MEDIA_TYPE, envelopeVerifies, keyHint, loadPublicKey, loadSigningKey, pae, signStatement, type SigningKey } from "../../src/attest/sign.js";
import { IN_TOTO_MEDIA_TYPE, PREDICATE_TYPE, buildStatement, parseStatement, subjectsOf, type AttestedTarget, type Statement } from "../../src/attest/statement.js";
import { attestedTarget } from "../../src/pipeline/attest-input.js";
import type { TargetResult } from "../../src/pipeline/run.js";

const DIGEST = `sha256:${"d".repeat(64)}`;
const OTHER = `sha256:${"e".repeat(64)}`;
const CONFIG = `sha256:${"c".repeat(64)}`;
const PATCHES = [
  { name: "0001-a.patch", sha256: "1".repeat(64) },
  { name: "0002-b.patch", sha256: "2".repeat(64) },
];
const COSIGN_KEY = readFileSync("test/fixtures/keys/cosign-test.key", "utf8");
const COSIGN_PUB = readFileSync("test/fixtures/keys/cosign-test.pub", "utf8");
const COSIGN_PASSWORD = "correct horse";

function pushedResult(over: { mode?: string; outcome?: TargetResult["verify"]["outcome"]; gpus?: string[]; countsAsVerified?: boolean } = {}): TargetResult {
  const mode = over.mode ?? "gpu";
  return {
    target: "t1",
    status: "pushed",
    plan: {
      sglangVersion: "0.5.9",
      patchSet: { name: "tokenids", dir: "/p", sglangVersion: "0.5.9", releases: ["0.5.9"], upstreamCommit: "f".repeat(40), patches: PATCHES },
      verify: { skipped: false, settings: { mode, model: "Qwen/Qwen2.5-0.5B-Instruct", toolCallParser: "qwen25", extraArgs: ["--server-arg", "--mem-fraction-static=0.5"] } },
    } as unknown as TargetResult["plan"],
    base: { ref: "lmsysorg/sglang:v0.5.9", imageId: `sha256:${"b".repeat(64)}`, digest: `sha256:${"a".repeat(64)}`, pulled: false },
    image: { id: CONFIG, refs: ["127.0.0.1:5000/x/y:t1", "127.0.0.1:5000/x/y:latest"], layers: 3, addedLayers: 1, labels: {} },
    verify: {
      outcome: over.outcome ?? (mode === "gpu" ? "passed" : mode === "cpu" ? "cpu-verified" : "engineless-verified"),
      mode,
      countsAsVerified: over.countsAsVerified ?? mode === "gpu",
      report: { checks: [{ name: "non_streaming_ids", status: "passed", seconds: 1.5 }, { name: "reasoning", status: "skipped", seconds: 0 }] },
      durationMs: 1234,
      ...(mode === "gpu" ? { gpu: { visibleDevices: "all", gpus: over.gpus ?? ["GPU 0: NVIDIA H100 (UUID: GPU-1)"], nvidiaSmi: [], serverOnCpu: false } } : {}),
    },
    push: [
      { ref: "127.0.0.1:5000/x/y:t1", digest: `127.0.0.1:5000/x/y@${DIGEST}`, bytesUploaded: 1, layersPushed: 1, layersAlreadyPresent: 2, attempts: 1, reportedBy: "daemon" },
      { ref: "127.0.0.1:5000/x/y:latest", digest: `127.0.0.1:5000/x/y@${DIGEST}`, bytesUploaded: 0, layersPushed: 0, layersAlreadyPresent: 3, attempts: 1, reportedBy: "daemon" },
    ],
    timings: { buildMs: 10, verifyMs: 20, pushMs: 30 },
  };
}

const UPSTREAM = { repository: "https://github.com/sgl-project/sglang", tag: "v0.5.9", commit: "f".repeat(40) };
const BUILDER = { version: "0.1.0", revision: "9".repeat(40), source: "https://github.com/o/sglang-image-patcher" };
const statementOf = (result = pushedResult()) => buildStatement({ target: attestedTarget(result), upstream: UPSTREAM, builder: BUILDER, now: new Date("2026-01-02T03:04:05Z") });

const LABELS: Record<string, string> = {
  "io.github.sglang-image-patcher.patch-set": "tokenids",
  "io.github.sglang-image-patcher.upstream-commit": "f".repeat(40),
  "io.github.sglang-image-patcher.patch.0001-a.patch.sha256": "1".repeat(64),
  "io.github.sglang-image-patcher.patch.0002-b.patch.sha256": "2".repeat(64),
  "org.opencontainers.image.base.digest": `sha256:${"a".repeat(64)}`,
  "org.opencontainers.image.revision": "9".repeat(40),
};
const IMAGE: ImageFacts = { digest: DIGEST, configDigest: CONFIG, labels: LABELS };

let opened: SigningKey | undefined;
/** Opened once: cosign's scrypt parameters make each opening take about half a second. */
function cosignKey(): SigningKey {
  return (opened ??= loadSigningKey("cosign-test.key", COSIGN_KEY, { COSIGN_PASSWORD }));
}

function found(content: Buffer, signed: boolean, subject = DIGEST): FoundArtifact {
  const artifactType = signed ? BUNDLE_MEDIA_TYPE : IN_TOTO_MEDIA_TYPE;
  return {
    digest: `sha256:${"7".repeat(64)}`,
    artifactType,
    content,
    manifest: {
      artifactType,
      layers: [{ mediaType: artifactType, digest: `sha256:${"8".repeat(64)}`, size: content.length }],
      subject: { mediaType: "application/vnd.docker.distribution.manifest.v2+json", digest: subject, size: 1 },
      annotations: artifactAnnotations(signed, PREDICATE_TYPE),
    },
  };
}

const signedFound = (statement: Statement, key = cosignKey(), subject = DIGEST) =>
  found(Buffer.from(JSON.stringify(signStatement(Buffer.from(JSON.stringify(statement)), IN_TOTO_MEDIA_TYPE, key))), true, subject);
const failedChecks = (checks: { name: string; outcome: string; detail: string }[]) => checks.filter((c) => c.outcome === "failed").map((c) => `${c.name}: ${c.detail}`);

describe("statement", () => {
  it("names each pushed repository and digest once, with the verify report, base, patches and builder", () => {
    const s = statementOf();
    expect(s._type).toBe("https://in-toto.io/Statement/v1");
    expect(s.predicateType).toBe(PREDICATE_TYPE);
    expect(s.predicateType).toMatch(/\/v1$/);
    expect(s.subject).toEqual([{ name: "127.0.0.1:5000/x/y", digest: { sha256: "d".repeat(64) } }]);
    expect(s.predicate.verify).toMatchObject({
      mode: "gpu", outcome: "passed", gpuVerified: true, model: "Qwen/Qwen2.5-0.5B-Instruct",
      serverFlags: { toolCallParser: "qwen25", extraArgs: ["--server-arg", "--mem-fraction-static=0.5"] },
      checks: [{ name: "non_streaming_ids", status: "passed", seconds: 1.5 }, { name: "reasoning", status: "skipped", seconds: 0 }],
      durationMs: 1234, gpus: ["GPU 0: NVIDIA H100 (UUID: GPU-1)"],
    });
    expect(s.predicate.base).toEqual({ ref: "lmsysorg/sglang:v0.5.9", digest: `sha256:${"a".repeat(64)}` });
    expect(s.predicate.sglang).toEqual({ version: "0.5.9", upstream: UPSTREAM });
    expect(s.predicate.patchSet).toEqual({ name: "tokenids", patches: PATCHES });
    expect(s.predicate.builder).toEqual({ name: "sglang-image-patcher", ...BUILDER });
    expect(s.predicate.timings).toEqual({ buildMs: 10, verifyMs: 20, pushMs: 30 });
    expect(s.predicate.createdAt).toBe("2026-01-02T03:04:05.000Z");
  });

  it("lists a subject per repository when the same image went to two", () => {
    const r = pushedResult();
    r.push[1]!.digest = `ghcr.io/o/y@${DIGEST}`;
    expect(subjectsOf(r).map((s) => s.name)).toEqual(["127.0.0.1:5000/x/y", "ghcr.io/o/y"]);
  });

  it.each([
    ["engineless", {}],
    ["cpu", {}],
    ["gpu with no GPU listed by nvidia-smi", { gpus: [] }],
    ["gpu that did not count as verified", { countsAsVerified: false }],
  ])("%s is attested with its real mode and never as GPU-verified", (_, over) => {
    const mode = _.split(" ")[0]!;
    const s = statementOf(pushedResult({ mode, ...over }));
    expect(s.predicate.verify.mode).toBe(mode);
    expect(s.predicate.verify.gpuVerified).toBe(false);
  });

  it("refuses a result that was not pushed", () => {
    expect(() => statementOf({ ...pushedResult(), status: "built", push: [] })).toThrow(/was not pushed: nothing to attest/);
  });

  it("freezes the signed predicate's schema: a fixed input gives exactly the checked-in predicate", () => {
    // Every field the predicate can carry; a change here is a change of PREDICATE_TYPE's schema
    // (readers of v1 attestations would misread it): bump the type's version, then the fixture.
    const target: AttestedTarget = {
      target: "t1",
      push: [{ digest: `127.0.0.1:5000/x/y@${DIGEST}` }, { digest: `ghcr.io/o/y@${DIGEST}` }],
      image: { id: CONFIG, refs: ["127.0.0.1:5000/x/y:t1", "127.0.0.1:5000/x/y:latest"] },
      base: { ref: "lmsysorg/sglang:v0.5.9", digest: `sha256:${"a".repeat(64)}` },
      verify: {
        mode: "gpu",
        outcome: "passed",
        countsAsVerified: true,
        report: { checks: [{ name: "non_streaming_ids", status: "passed", seconds: 1.5 }, { name: "reasoning", status: "skipped", seconds: 0, skip_reason: "no parser" }], gate: { violations: [] } },
        durationMs: 1234,
        gpus: ["GPU 0: NVIDIA H100 (UUID: GPU-1)"],
        suite: { name: "tokenids_verify", version: "1.2.0", sha256: "5".repeat(64) },
        skippedChecks: [{ name: "reasoning", reason: "no parser" }],
      },
      verifySettings: { model: "Qwen/Qwen2.5-0.5B-Instruct", toolCallParser: "qwen25", reasoningParser: "qwen3", extraArgs: ["--server-arg", "--mem-fraction-static=0.5"] },
      sglangVersion: "0.5.9",
      patchSet: { name: "tokenids", patches: PATCHES },
      timings: { preflightMs: 5, resolveBaseMs: 6, buildMs: 10, verifyMs: 20, tagMs: 1, pushMs: 30 },
    };
    const fixture: unknown = JSON.parse(readFileSync("test/unit/fixtures/attest/predicate.json", "utf8"));
    const s = buildStatement({ target, upstream: UPSTREAM, builder: BUILDER, now: new Date("2026-01-02T03:04:05Z") });
    expect(JSON.parse(JSON.stringify(s.predicate))).toEqual(fixture);
    expect(Object.keys(s.predicate)).toEqual(Object.keys(fixture as object));
    expect(s.subject).toEqual([{ name: "127.0.0.1:5000/x/y", digest: { sha256: "d".repeat(64) } }, { name: "ghcr.io/o/y", digest: { sha256: "d".repeat(64) } }]);
  });

  it("parses back only our statement type and predicate type", () => {
    expect(parseStatement(JSON.stringify(statementOf())).predicate.patchSet.name).toBe("tokenids");
    expect(() => parseStatement("{")).toThrow(/not JSON/);
    expect(() => parseStatement(JSON.stringify({ ...statementOf(), predicateType: "https://slsa.dev/provenance/v1" }))).toThrow(/predicateType is "https:\/\/slsa.dev\/provenance\/v1"/);
    const { base: _base, ...noBase } = statementOf().predicate;
    expect(() => parseStatement(JSON.stringify({ ...statementOf(), predicate: noBase }))).toThrow(/predicate has no base/);
  });
});

describe("signing", () => {
  it("encodes DSSE's PAE as the spec's example", () => {
    expect(pae("http://example.com/HelloWorld", Buffer.from("hello world")).toString()).toBe("DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  });

  it("opens a key pair made the way cosign makes it (scrypt + secretbox) and signs a bundle its public key verifies", () => {
    const key = cosignKey();
    const pub = loadPublicKey("cosign-test.pub", COSIGN_PUB);
    expect(key.hint).toBe(keyHint(pub));
    const bundle = signStatement(Buffer.from("{}"), IN_TOTO_MEDIA_TYPE, key);
    expect(bundle.mediaType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
    expect(bundle.verificationMaterial).toEqual({ publicKey: { hint: key.hint }, tlogEntries: [] });
    expect(envelopeVerifies(bundle.dsseEnvelope, pub)).toBe(true);
    const tampered = { ...bundle.dsseEnvelope, payload: Buffer.from('{"x":1}').toString("base64") };
    expect(envelopeVerifies(tampered, pub)).toBe(false);
    const other = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey;
    expect(envelopeVerifies(bundle.dsseEnvelope, other)).toBe(false);
  });

  it("takes the password from our variable before cosign's", () => {
    expect(() => loadSigningKey("k", COSIGN_KEY, { SGLANG_IMAGE_PATCHER_SIGN_PASSWORD: "nope", COSIGN_PASSWORD })).toThrow(/k: wrong password/);
    expect(loadSigningKey("k", COSIGN_KEY, { SGLANG_IMAGE_PATCHER_SIGN_PASSWORD: COSIGN_PASSWORD }).hint).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("refuses a missing password, a public key, RSA and other curves by name", () => {
    expect(() => loadSigningKey("k", COSIGN_KEY, {})).toThrow(/encrypted cosign key: set SGLANG_IMAGE_PATCHER_SIGN_PASSWORD \(or COSIGN_PASSWORD\)/);
    expect(() => loadSigningKey("p", COSIGN_PUB, {})).toThrow(/p: a PEM PUBLIC KEY, not a private key/);
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    expect(() => loadSigningKey("r", rsa, {})).toThrow(/r is a rsa key; only ECDSA P-256 keys/);
    const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    expect(() => loadSigningKey("e", p384, {})).toThrow(/e is an EC key on secp384r1/);
    expect(() => loadSigningKey("n", "not a key", {})).toThrow(/n: not a PEM private key/);
  });

  it("accepts a plain PEM P-256 key and a passphrase-encrypted PKCS#8 one", () => {
    const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
    expect(loadSigningKey("plain", pair.privateKey.export({ type: "sec1", format: "pem" }) as string, {}).hint).toBe(keyHint(pair.publicKey));
    const encrypted = pair.privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pw" }) as string;
    expect(loadSigningKey("enc", encrypted, { SGLANG_IMAGE_PATCHER_SIGN_PASSWORD: "pw" }).hint).toBe(keyHint(pair.publicKey));
  });
});

describe("the suite that judged", () => {
  it("the predicate names the suite (version, tree hash) and every skipped check with its reason", () => {
    const result = pushedResult();
    result.verify.suite = { name: "tokenids_verify", version: "0.1.0", sha256: `sha256:${"5".repeat(64)}`, files: 30, source: "checkout" };
    result.verify.skippedChecks = [{ name: "reasoning_ids", reason: "no reasoning parser" }];
    const v = statementOf(result).predicate.verify;
    expect(v.suite).toEqual({ name: "tokenids_verify", version: "0.1.0", sha256: `sha256:${"5".repeat(64)}` });
    expect(v.skippedChecks).toEqual([{ name: "reasoning_ids", reason: "no reasoning parser" }]);
    expect(statementOf().predicate.verify.skippedChecks).toEqual([]);
  });
});

describe("read-back judgement", () => {
  const pub = () => loadPublicKey("cosign-test.pub", COSIGN_PUB);

  it("a signed, consistent gpu attestation reads back as GPU-verified", () => {
    const j = judgeAttestation(signedFound(statementOf()), IMAGE, { publicKey: pub() });
    expect(failedChecks(j.checks)).toEqual([]);
    expect(j.checks.map((c) => c.name)).toEqual(expect.arrayContaining(["signature", "artifact subject", "statement subject", "patch sha256s", "base digest", "revision", "image config", "verify"]));
    expect(j).toMatchObject({ signed: true, signatureChecked: true, consistent: true, gpuVerified: true });
  });

  it("a tampered predicate fails the signature", () => {
    const bundle = signStatement(Buffer.from(JSON.stringify(statementOf(pushedResult({ mode: "engineless" })))), IN_TOTO_MEDIA_TYPE, cosignKey());
    const forged = statementOf();
    bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(forged)).toString("base64");
    const j = judgeAttestation(found(Buffer.from(JSON.stringify(bundle)), true), IMAGE, { publicKey: pub() });
    expect(failedChecks(j.checks)).toEqual([expect.stringMatching(/^signature: bad signature: the DSSE envelope does not verify/)]);
    expect(j.gpuVerified).toBe(false);
  });

  it("a bad signature (another key) fails", () => {
    const other = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const key = { privateKey: other.privateKey, publicKey: other.publicKey, hint: keyHint(other.publicKey) };
    const j = judgeAttestation(signedFound(statementOf(), key), IMAGE, { publicKey: pub() });
    expect(failedChecks(j.checks)).toEqual([expect.stringMatching(/^signature: bad signature/)]);
  });

  it("a wrong subject digest fails in the artifact and in the statement", () => {
    const j = judgeAttestation(signedFound(statementOf(), cosignKey(), OTHER), { ...IMAGE, digest: OTHER }, { publicKey: pub() });
    expect(failedChecks(j.checks)).toEqual(expect.arrayContaining([expect.stringMatching(/^statement subject: wrong subject digest: the statement is about 127.0.0.1:5000\/x\/y@sha256:d{64}, not sha256:e{64}/)]));
    const moved = judgeAttestation(signedFound(statementOf()), { ...IMAGE, digest: OTHER }, { publicKey: pub() });
    expect(failedChecks(moved.checks)).toEqual(expect.arrayContaining([expect.stringMatching(/^artifact subject: wrong subject digest: the artifact refers to sha256:d{64}, not to this image sha256:e{64}/)]));
    expect(moved.gpuVerified).toBe(false);
  });

  it("patch hashes, base and revision must agree with the image labels", () => {
    const labels = { ...LABELS, "io.github.sglang-image-patcher.patch.0002-b.patch.sha256": "3".repeat(64), "org.opencontainers.image.revision": "8".repeat(40) };
    const j = judgeAttestation(signedFound(statementOf()), { ...IMAGE, labels }, { publicKey: pub() });
    expect(failedChecks(j.checks)).toEqual([
      "patch sha256s: patch hashes differ from the image labels: 0002-b.patch: attested 222222222222, label 333333333333",
      `revision: builder revision: the attestation says ${"9".repeat(40)}, the image says ${"8".repeat(40)}`,
    ]);
  });

  it.each(["engineless", "cpu"])("a consistent %s attestation reads back as not GPU-verified", (mode) => {
    const j = judgeAttestation(signedFound(statementOf(pushedResult({ mode }))), IMAGE, { publicKey: pub() });
    expect(failedChecks(j.checks)).toEqual([expect.stringMatching(new RegExp(`^verify: not GPU-verified: mode ${mode}, outcome ${mode}-verified`))]);
    expect(j.gpuVerified).toBe(false);
  });

  it("a statement that claims gpuVerified against its own mode is refused", () => {
    const s = statementOf(pushedResult({ mode: "engineless" }));
    s.predicate.verify.gpuVerified = true;
    const j = judgeAttestation(found(Buffer.from(JSON.stringify(s)), false), IMAGE);
    expect(failedChecks(j.checks).join("\n")).toMatch(/claims gpuVerified with mode engineless/);
    expect(j.gpuVerified).toBe(false);
  });

  it("without a trust policy nothing passes: unsigned and signed statements are UNVERIFIED, exit 1", () => {
    // The forgery of issue 19: a hand-written statement claiming a GPU pass with the image's own
    // label hashes. Unsigned or signed by anyone, with no key or identity given it must not pass.
    const unsigned = found(Buffer.from(JSON.stringify(statementOf())), false);
    const open = judgeAttestation(unsigned, IMAGE);
    expect(failedChecks(open.checks)).toEqual([expect.stringMatching(/^signature: unsigned attestation; no trust policy: give --public-key or --certificate-identity/)]);
    expect(open).toMatchObject({ signed: false, noPolicy: true, consistent: false, gpuVerified: false });
    expect(verdictOf(open, false)).toMatch(/^UNVERIFIED: no trust policy/);
    const signed = judgeAttestation(signedFound(statementOf()), IMAGE);
    expect(failedChecks(signed.checks)).toEqual([expect.stringMatching(/^signature: signed \(key sha256:[0-9a-f]{64}; --public-key checks it\); no trust policy/)]);
    expect(signed).toMatchObject({ signed: true, signatureChecked: false, noPolicy: true, gpuVerified: false });
    expect(verdictOf(signed, false)).toMatch(/^UNVERIFIED/);
    const strict = judgeAttestation(unsigned, IMAGE, { publicKey: pub() });
    expect(failedChecks(strict.checks)).toEqual([expect.stringMatching(/^signature: the attestation is unsigned, but a public key was given/)]);
    expect(strict.noPolicy).toBe(false);
  });

  it("--insecure-ignore-signature reads the content unchecked, and the verdict says so", () => {
    const j = judgeAttestation(found(Buffer.from(JSON.stringify(statementOf())), false), IMAGE, { insecureIgnoreSignature: true });
    expect(j.checks.find((c) => c.name === "signature")).toMatchObject({ outcome: "info", detail: expect.stringMatching(/NOT checked \(--insecure-ignore-signature\)/) });
    expect(j).toMatchObject({ gpuVerified: true, signatureChecked: false, noPolicy: false });
    expect(verdictOf(j, true)).toBe("GPU-verified and consistent, signature NOT checked (--insecure-ignore-signature)");
  });
});

describe("registry credentials for the attach", () => {
  it("passes a user and password, an identity token as <token>, and nothing for anonymous", () => {
    expect(ociCredentials({ username: "u", password: "p", serveraddress: "h" })).toEqual({ username: "u", password: "p" });
    expect(ociCredentials({ identitytoken: "t", serveraddress: "h" })).toEqual({ username: "<token>", password: "t" });
    expect(ociCredentials(undefined)).toBeUndefined();
  });
});
