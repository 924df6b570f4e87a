/**
 * The attestation end to end: build-image (engine-less verify, the only mode without a GPU)
 * pushes to the registry at $TEST_REGISTRY (Debian's registry 2.8: no referrers API), signs the
 * statement with a key pair made by cosign's own key code and attaches it; verify-image
 * --attestation reads it back through the referrers tag fallback and refuses to call it
 * GPU-verified. A registry WITH the referrers API (go-containerregistry's) then carries the
 * statement a GPU run writes, which reads back as GPU-verified, and the failure paths: a bad
 * signature, a tampered predicate, a wrong subject digest, and no attestation at all. A real
 * keyless bundle (GitHub Actions, public-good Sigstore) attached to a tiny image checks the
 * signer identity option through the registry and the CLI.
 */
import { execFileSync } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { attachAttestation } from "../../src/attest/oci-artifact.js";
import { loadSigningKey, signStatement } from "../../src/attest/sign.js";
import { IN_TOTO_MEDIA_TYPE, PREDICATE_TYPE, type Statement } from "../../src/attest/statement.js";
import { DockerodeEngine } from "../../src/docker/engine.js";
import { startReferrersRegistry, type ReferrersRegistry } from "./support/referrers-registry.js";
import { REPO_ROOT, TEST_REGISTRY, mustSkip, stopRunningClis, runBuildImage, startCli, writeConfig } from "./support/services.js";
import { ensureStandInBase } from "./support/stand-in-bases.js";

const skip = await mustSkip();
const engine = new DockerodeEngine();
const RUN = Date.now().toString(36);
const REPO = `sglang-image-patcher-itest/attested-${RUN}`;
const IMAGE = `${TEST_REGISTRY}/${REPO}`;
const TARGET = `attest-${RUN}`;
const SITE_PACKAGES = path.join(REPO_ROOT, ".venv/lib/python3.11/site-packages");
const HARNESS = path.join(REPO_ROOT, "python", "harness");
const KEY = path.join(REPO_ROOT, "test/fixtures/keys/cosign-test.key");
const PUB = path.join(REPO_ROOT, "test/fixtures/keys/cosign-test.pub");
const KEY_ENV = { COSIGN_PASSWORD: "correct horse" };
const MARKER = { SIP_ITEST_ATTESTATION: RUN };
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

let base = "";
let model = "";
let outDir = "";
let referrers: ReferrersRegistry | undefined;
const localRefs: string[] = [];

/** What each kind of statement reads back as (printed for the record). */
const readBackVerdicts: Record<string, string> = {};
/** The first build's result, shared by the read-back tests. */
let built: { digest: string; statement: Statement; attestationDigest: string } | undefined;

function config(tag = "engineless"): string {
  return writeConfig(
    [
      "targets:",
      `  ${TARGET}:`,
      `    base: ${base}`,
      `    patchSet: ${path.join(REPO_ROOT, "patches/sglang-v0.5.9")}`,
      `    image: ${IMAGE}`,
      `    tags: [${tag}]`,
      "    push: true",
      "    attest: true",
      `    verify: ${JSON.stringify({
        mode: "engineless",
        harness: HARNESS,
        model: "/models/tok",
        modelMount: { source: model, target: "/models/tok", readOnly: true },
        reasoningParser: "qwen3",
        startupTimeoutSeconds: 240,
        timeoutSeconds: 600,
        // Three checks are enough to attest a real run (the verify-step tests run the whole suite).
        extraArgs: ["--check", "nonstream_ids", "--check", "stream_ids", "--check", "cross_mode_identity"],
        mounts: [{ source: SITE_PACKAGES, target: "/opt/deps", readOnly: true }],
        pythonPath: ["/opt/deps"],
        env: { HF_HUB_OFFLINE: "1", TRANSFORMERS_OFFLINE: "1", ...MARKER },
      })}`,
      "",
    ].join("\n"),
  );
}

async function get(url: string, accept: string): Promise<{ status: number; body: any; bytes: Buffer; type: string }> {
  const res = await fetch(url, { headers: { Accept: accept } });
  const bytes = Buffer.from(await res.arrayBuffer());
  let body: any;
  try {
    body = JSON.parse(bytes.toString("utf8"));
  } catch {
    body = undefined;
  }
  return { status: res.status, body, bytes, type: res.headers.get("content-type") ?? "" };
}

function readBack(image: string, ...args: string[]) {
  return startCli("src/cli/verify-image.ts", [image, "--attestation", ...args]).done;
}

/** Pushes a local image under another name (another registry or tag). */
function pushAs(source: string, ref: string): void {
  execFileSync("docker", ["tag", source, ref]);
  localRefs.push(ref);
  execFileSync("docker", ["push", ref], { stdio: "ignore" });
}

describe.skipIf(skip)("attestations in a registry", () => {
  afterEach(stopRunningClis);

  beforeAll(async () => {
    if (!existsSync(SITE_PACKAGES)) throw new Error(`${SITE_PACKAGES} is missing: run bash scripts/python-env.sh`);
    base = await ensureStandInBase(engine, "editable", { log: (m) => process.stderr.write(`[itest] ${m}\n`) });
    model = path.join(mkdtempSync(path.join(os.tmpdir(), "sip-model-")), "tok");
    execFileSync(path.join(REPO_ROOT, ".venv/bin/python"), ["-m", "sglang_engineless.make_tokenizer", model, "--reasoning"], { env: { ...process.env, PYTHONPATH: HARNESS } });
    outDir = mkdtempSync(path.join(os.tmpdir(), "sip-attestations-"));
    referrers = await startReferrersRegistry();
  });

  afterAll(async () => {
    await referrers?.stop();
    for (const ref of [...localRefs, `${IMAGE}:engineless`, `${IMAGE}:unverified`]) {
      try {
        execFileSync("docker", ["rmi", ref], { stdio: "ignore" });
      } catch {
        // not there
      }
    }
  });

  it("build -> push -> signed attestation on a registry without the referrers API (tag fallback) -> read back as engineless, not GPU-verified", async () => {
    const run = await runBuildImage(["--config", config(), "--push-unverified", "--sign-key", KEY, "--attestation-dir", outDir], KEY_ENV);
    expect(run.code, run.stderr.slice(-4000)).toBe(0);
    const t = run.json.targets[0];
    expect(t).toMatchObject({ status: "pushed", verify: { outcome: "engineless-verified", countsAsVerified: false } });
    const digest = (t.push[0].digest as string).split("@")[1]!;
    const a = t.attestation;
    expect(a).toMatchObject({ predicateType: PREDICATE_TYPE, signed: true, signature: expect.stringMatching(/^DSSE envelope in a Sigstore bundle, signed with the key sha256:/) });
    expect(a.pushed).toEqual([{ repository: IMAGE, subject: digest, artifactDigest: expect.stringMatching(/^sha256:/), mediaType: OCI_MANIFEST, foundBy: "referrers-tag" }]);
    // Honest about the mode, in the result and in the files.
    expect(a.statement.predicate.verify).toMatchObject({ mode: "engineless", outcome: "engineless-verified", gpuVerified: false, model: "/models/tok" });
    expect(a.statement.subject).toEqual([{ name: IMAGE, digest: { sha256: digest.slice(7) } }]);
    expect(a.statement.predicate.patchSet.patches.length).toBeGreaterThan(0);
    expect(a.statement.predicate.verify.checks).toEqual([
      { name: "nonstream_ids", status: "passed", seconds: expect.any(Number) },
      { name: "stream_ids", status: "passed", seconds: expect.any(Number) },
      { name: "cross_mode_identity", status: "passed", seconds: expect.any(Number) },
    ]);
    expect(JSON.parse(readFileSync(a.statementFile, "utf8"))).toEqual(a.statement);
    const bundle = JSON.parse(readFileSync(a.bundleFile, "utf8"));
    expect(JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, "base64").toString())).toEqual(a.statement);

    // The layout in the registry: the referrers tag names an index listing the artifact, whose
    // manifest has the image as its subject and the bundle as its one layer.
    const api = `http://${TEST_REGISTRY}/v2/${REPO}`;
    expect((await get(`${api}/referrers/${digest}`, OCI_INDEX)).status).toBe(404);
    const index = await get(`${api}/manifests/${digest.replace(":", "-")}`, OCI_INDEX);
    expect(index.status).toBe(200);
    expect(index.body).toMatchObject({ mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: a.pushed[0].artifactDigest, artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json" }] });
    const manifest = await get(`${api}/manifests/${a.pushed[0].artifactDigest}`, OCI_MANIFEST);
    expect(manifest.body).toMatchObject({
      mediaType: OCI_MANIFEST,
      artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json",
      config: { mediaType: "application/vnd.oci.empty.v1+json" },
      layers: [{ mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json" }],
      subject: { digest },
      annotations: { "dev.sigstore.bundle.predicateType": PREDICATE_TYPE, "dev.sigstore.bundle.content": "dsse-envelope" },
    });
    built = { digest, statement: a.statement, attestationDigest: a.pushed[0].artifactDigest };

    const back = await readBack(`${IMAGE}:engineless`, "--public-key", PUB);
    expect(back.code, back.stderr).toBe(1);
    expect(back.json).toMatchObject({ ok: false, foundBy: "referrers-tag", gpuVerified: false, verify: { mode: "engineless", gpuVerified: false }, attestation: { signed: true, signatureChecked: true } });
    const failed = back.json.checks.filter((c: any) => c.outcome === "failed").map((c: any) => c.name);
    expect(failed).toEqual(["verify"]);
    expect(back.stderr).toMatch(/FAILED\s+verify\s+not GPU-verified: mode engineless, outcome engineless-verified/);
    expect(back.stderr).toMatch(/ok\s+patch sha256s\s+\d+ patches of \S+ agree with the image labels/);
    expect(back.stderr).toMatch(/ok\s+signature\s+the DSSE signature verifies with the given public key/);
  });

  it("on a registry with the referrers API: what a GPU run attests reads back as GPU-verified; a bad signature and a tampered predicate do not", async () => {
    expect(built, "the first test's build").toBeDefined();
    const { statement } = built!;
    const repo = `${referrers!.address}/sglang-image-patcher-itest/attested-${RUN}`;
    pushAs(`${IMAGE}:engineless`, `${repo}:gpu`);
    // The statement a passed GPU verify writes for this image (no GPU here: the verify fields are
    // what the gpu mode records), signed with the same key.
    const gpu: Statement = JSON.parse(JSON.stringify(statement));
    gpu.predicate.verify = { ...gpu.predicate.verify, mode: "gpu", outcome: "passed", countsAsVerified: true, gpuVerified: true, gpus: ["GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-0)"] };
    gpu.subject = [{ name: repo, digest: { sha256: built!.digest.slice(7) } }];
    const key = loadSigningKey(KEY, readFileSync(KEY, "utf8"), KEY_ENV);
    const bundle = signStatement(Buffer.from(JSON.stringify(gpu)), IN_TOTO_MEDIA_TYPE, key);
    await attachAttestation({ repository: repo, imageDigest: built!.digest, content: Buffer.from(JSON.stringify(bundle)), signed: true, predicateType: PREDICATE_TYPE });
    const listed = await get(`http://${repo.replace(/\/.*/, "")}/v2/${repo.slice(repo.indexOf("/") + 1)}/referrers/${built!.digest}`, OCI_INDEX);
    expect(listed.status).toBe(200);
    expect(listed.body.manifests).toHaveLength(1);

    const good = await readBack(`${repo}:gpu`, "--public-key", PUB);
    expect(good.code, good.stderr).toBe(0);
    expect(good.json).toMatchObject({ ok: true, trust: "public-key", foundBy: "referrers-api", gpuVerified: true, verdict: "GPU-verified and consistent", verify: { mode: "gpu", gpuVerified: true } });
    expect(good.json.checks.filter((c: any) => c.outcome !== "ok").map((c: any) => c.name)).toEqual(["verify suite"]);
    readBackVerdicts.good = good.json.verdict;

    // Without a key or identity nothing is trusted: fail closed (issue 19, item 1).
    const signedNoPolicy = await readBack(`${repo}@${built!.digest}`);
    expect(signedNoPolicy.code, signedNoPolicy.stderr).toBe(1);
    expect(signedNoPolicy.json).toMatchObject({ ok: false, trust: "none", gpuVerified: false, verdict: expect.stringMatching(/^UNVERIFIED: no trust policy/) });
    expect(signedNoPolicy.stderr).toMatch(/FAILED\s+signature\s+signed \(key sha256:[0-9a-f]{64}; --public-key checks it\); no trust policy/);
    readBackVerdicts.signedWithoutPolicy = signedNoPolicy.json.verdict;
    const insecure = await readBack(`${repo}:gpu`, "--insecure-ignore-signature");
    expect(insecure.code, insecure.stderr).toBe(0);
    expect(insecure.json).toMatchObject({ trust: "insecure-ignore-signature", verdict: "GPU-verified and consistent, signature NOT checked (--insecure-ignore-signature)" });

    const otherKey = path.join(outDir, "other.pub");
    writeFileSync(otherKey, generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }) as string);
    const wrongKey = await readBack(`${repo}:gpu`, "--public-key", otherKey);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/FAILED\s+signature\s+bad signature: the DSSE envelope does not verify with the given public key/);

    // Forged: a hand-written unsigned statement claiming a GPU pass, with the image's own label
    // hashes, in a repository of its own. Without a policy it used to pass (exit 0).
    const forgedRepo = `${referrers!.address}/sglang-image-patcher-itest/forged-${RUN}`;
    pushAs(`${IMAGE}:engineless`, `${forgedRepo}:gpu`);
    const forged = { ...gpu, subject: [{ name: forgedRepo, digest: { sha256: built!.digest.slice(7) } }] };
    await attachAttestation({ repository: forgedRepo, imageDigest: built!.digest, content: Buffer.from(JSON.stringify(forged)), signed: false, predicateType: PREDICATE_TYPE });
    const unsigned = await readBack(`${forgedRepo}:gpu`);
    expect(unsigned.code, unsigned.stderr).toBe(1);
    expect(unsigned.json).toMatchObject({ ok: false, gpuVerified: false, verdict: expect.stringMatching(/^UNVERIFIED/) });
    expect(unsigned.stderr).toMatch(/FAILED\s+signature\s+unsigned attestation; no trust policy/);
    readBackVerdicts.unsigned = unsigned.json.verdict;

    // Tampered: the engine-less statement's envelope with a predicate edited to say gpu, alone in
    // its repository; then next to the good one, where the good one still passes (any one that
    // satisfies the policy passes, whatever order or "created" annotation the others carry).
    const tamperedRepo = `${referrers!.address}/sglang-image-patcher-itest/tampered-${RUN}`;
    pushAs(`${IMAGE}:engineless`, `${tamperedRepo}:gpu`);
    const honest = signStatement(Buffer.from(JSON.stringify({ ...gpu, predicate: statement.predicate })), IN_TOTO_MEDIA_TYPE, key);
    honest.dsseEnvelope.payload = Buffer.from(JSON.stringify({ ...gpu, predicate: { ...gpu.predicate, createdAt: new Date().toISOString() } })).toString("base64");
    await attachAttestation({ repository: tamperedRepo, imageDigest: built!.digest, content: Buffer.from(JSON.stringify(honest)), signed: true, predicateType: PREDICATE_TYPE });
    const tampered = await readBack(`${tamperedRepo}:gpu`, "--public-key", PUB);
    expect(tampered.code, tampered.stderr).toBe(1);
    expect(tampered.json).toMatchObject({ ok: false, attestationsFound: 1, verdict: "INCONSISTENT: do not trust this attestation" });
    expect(tampered.stderr).toMatch(/FAILED\s+signature\s+bad signature/);
    readBackVerdicts.tampered = tampered.json.verdict;
    await attachAttestation({ repository: repo, imageDigest: built!.digest, content: Buffer.from(JSON.stringify(honest)), signed: true, predicateType: PREDICATE_TYPE });
    const both = await readBack(`${repo}:gpu`, "--public-key", PUB);
    expect(both.code, both.stderr).toBe(0);
    expect(both.json).toMatchObject({ attestationsFound: 2, verdict: "GPU-verified and consistent" });
    expect(both.json.attestations.map((a: any) => a.verdict).sort()).toEqual(["GPU-verified and consistent", "INCONSISTENT: do not trust this attestation"]);
    process.stderr.write(`[itest] read-back verdicts: ${JSON.stringify(readBackVerdicts)}\n`);
  });

  it("an attestation listed for another image fails with a wrong subject digest; an image without one exits 2", async () => {
    expect(built, "the first test's build").toBeDefined();
    // Another image in the same repository, whose referrers tag is made to list the first one's attestation.
    const dir = mkdtempSync(path.join(os.tmpdir(), "sip-tiny-"));
    writeFileSync(path.join(dir, "hello"), `hello ${RUN}\n`);
    execFileSync("tar", ["-C", dir, "-cf", path.join(dir, "t.tar"), "hello"]);
    const other = `${IMAGE}:other`;
    execFileSync("docker", ["import", path.join(dir, "t.tar"), other], { stdio: "ignore" });
    localRefs.push(other);
    execFileSync("docker", ["push", other], { stdio: "ignore" });
    const none = await readBack(other);
    expect(none.code, none.stderr).toBe(2);
    expect(none.stderr).toMatch(/no attestation of type \S+ found for \S+: the registry has no referrers API and no referrers tag sha256-[0-9a-f]{64}/);

    const api = `http://${TEST_REGISTRY}/v2/${REPO}`;
    const otherDigest = `sha256:${createHash("sha256").update((await get(`${api}/manifests/other`, "application/vnd.docker.distribution.manifest.v2+json")).bytes).digest("hex")}`;
    const stolen = (await get(`${api}/manifests/${built!.digest.replace(":", "-")}`, OCI_INDEX)).bytes;
    const put = await fetch(`${api}/manifests/${otherDigest.replace(":", "-")}`, { method: "PUT", headers: { "Content-Type": OCI_INDEX }, body: new Uint8Array(stolen) });
    expect(put.status).toBe(201);
    const wrong = await readBack(other, "--public-key", PUB);
    expect(wrong.code, wrong.stderr).toBe(1);
    expect(wrong.stderr).toMatch(new RegExp(`FAILED\\s+artifact subject\\s+wrong subject digest: the artifact refers to ${built!.digest}, not to this image ${otherDigest}`));
    expect(wrong.stderr).toMatch(/FAILED\s+statement subject\s+wrong subject digest/);
    expect(wrong.json.verdict).toBe("INCONSISTENT: do not trust this attestation");
  });

  it("a real keyless bundle (GitHub Actions, public-good Sigstore) attached to an image: its signer identity is checked on read-back", async () => {
    // The bundle is about an npm tarball, not this image, so the statement rows fail; what this
    // covers is the signature row through the registry and the CLI, with and without an identity.
    const dir = mkdtempSync(path.join(os.tmpdir(), "sip-keyless-"));
    writeFileSync(path.join(dir, "hello"), `keyless ${RUN}\n`);
    execFileSync("tar", ["-C", dir, "-cf", path.join(dir, "t.tar"), "hello"]);
    const image = `${IMAGE}:keyless`;
    execFileSync("docker", ["import", path.join(dir, "t.tar"), image], { stdio: "ignore" });
    localRefs.push(image);
    execFileSync("docker", ["push", image], { stdio: "ignore" });
    const api = `http://${TEST_REGISTRY}/v2/${REPO}`;
    const digest = `sha256:${createHash("sha256").update((await get(`${api}/manifests/keyless`, "application/vnd.docker.distribution.manifest.v2+json")).bytes).digest("hex")}`;
    const content = readFileSync(path.join(REPO_ROOT, "test/fixtures/sigstore.js@2.0.0-provenance.sigstore.json"));
    await attachAttestation({ repository: IMAGE, imageDigest: digest, content, signed: true, predicateType: PREDICATE_TYPE });

    const workflow = "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main";
    const checked = await readBack(image, "--certificate-identity", workflow);
    expect(checked.code, checked.stderr).toBe(1);
    expect(checked.json.attestation).toMatchObject({ signed: true, signatureChecked: true });
    expect(checked.stderr).toMatch(/ok\s+signature\s+keyless signature verifies \(Fulcio certificate, Rekor entry, public-good root\) for https:\/\/github.com\/sigstore\/sigstore-js\//);
    expect(checked.stderr).toMatch(/FAILED\s+statement\s/);

    const wrong = await readBack(image, "--certificate-identity-regexp", "https://github\\.com/o/sglang-image-patcher/.+");
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/FAILED\s+signature\s+wrong signer identity: the certificate names https:\/\/github.com\/sigstore\/sigstore-js\/\S+, expected a match of/);
    const issuer = await readBack(image, "--certificate-identity", workflow, "--certificate-oidc-issuer", "https://accounts.google.com");
    expect(issuer.stderr).toMatch(/FAILED\s+signature\s+wrong OIDC issuer/);
    const unchecked = await readBack(image);
    expect(unchecked.code).toBe(1);
    expect(unchecked.json.checks.find((c: any) => c.name === "signature")).toMatchObject({ outcome: "failed", detail: expect.stringMatching(/^keyless \(Sigstore certificate; --certificate-identity checks it\); no trust policy/) });
    expect(unchecked.json.attestation).toMatchObject({ signed: true, signatureChecked: false });
  });

  it("an unsigned attestation (no --sign-key) says so in the result and on read-back, and fails when a public key is required", async () => {
    const run = await runBuildImage(["--config", config("unverified"), "--skip-verify", "--push-unverified", "--attestation-dir", outDir]);
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    const a = run.json.targets[0].attestation;
    expect(a).toMatchObject({ signed: false, signature: expect.stringMatching(/^unsigned/), pushed: [{ foundBy: "referrers-tag", mediaType: OCI_MANIFEST }] });
    expect(a.bundleFile).toBeUndefined();
    expect(a.statement.predicate.verify).toMatchObject({ outcome: "skipped", gpuVerified: false });
    // The same image as :engineless (one build cache), so its digest carries the first test's signed
    // statement too: every one is judged and listed; none passes.
    const open = await readBack(`${IMAGE}:unverified`);
    expect(open.code).toBe(1);
    expect(open.json.verdict).toMatch(/^UNVERIFIED: no trust policy/);
    const unsigned = (r: any) => r.json.attestations.find((x: any) => x.signed === false);
    expect(unsigned(open)).toMatchObject({ signatureChecked: false, verdict: expect.stringMatching(/^UNVERIFIED/), failed: ["signature", "verify"] });
    const keyed = await readBack(`${IMAGE}:unverified`, "--public-key", PUB);
    expect(keyed.code).toBe(1);
    expect(unsigned(keyed)).toMatchObject({ verdict: "INCONSISTENT: do not trust this attestation", failed: ["signature", "verify"] });
  });
});
