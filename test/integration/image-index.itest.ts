/**
 * The multi-arch index and the base digests against the real registry at $TEST_REGISTRY (no
 * Docker build: two tiny per-arch images, amd64 and arm64, are written with the Registry HTTP
 * API, labelled as patched images are). `index` refuses while one architecture has no attestation
 * that passes the trust policy, then writes one OCI index naming both manifests by platform,
 * attests it (subjects: the index and both manifests), and refuses to move the tag to other
 * content without --force. `bases` (npm run bases:update) reads a multi-arch tag and pins each
 * target to ITS platform's manifest digest in the build file, printing the diff.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { attachAttestation } from "../../src/attest/oci-artifact.js";
import { loadSigningKey, signStatement } from "../../src/attest/sign.js";
import { IN_TOTO_MEDIA_TYPE, PREDICATE_TYPE, STATEMENT_TYPE, type Statement } from "../../src/attest/statement.js";
import { REPO_ROOT, TEST_REGISTRY, mustSkip, startCli, stopRunningClis, writeConfig } from "./support/services.js";

const skip = await mustSkip();
const RUN = Date.now().toString(36);
const REPO = `sglang-image-patcher-itest/index-${RUN}`;
const IMAGE = `${TEST_REGISTRY}/${REPO}`;
const API = `http://${TEST_REGISTRY}/v2/${REPO}`;
const KEY = path.join(REPO_ROOT, "test/fixtures/keys/cosign-test.key");
const PUB = path.join(REPO_ROOT, "test/fixtures/keys/cosign-test.pub");
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
const PATCH_SHA = "a".repeat(64);
const LABELS = {
  "io.github.sglang-image-patcher.patch.0001-a.patch.sha256": PATCH_SHA,
  "io.github.sglang-image-patcher.patch-set": "tokenids",
  "io.github.sglang-image-patcher.upstream-commit": "f".repeat(40),
  "org.opencontainers.image.revision": "9".repeat(40),
};

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

async function putBlob(bytes: Buffer): Promise<string> {
  const digest = sha(bytes);
  const start = await fetch(`${API}/blobs/uploads/`, { method: "POST" });
  const location = new URL(start.headers.get("location")!, `http://${TEST_REGISTRY}`);
  location.searchParams.set("digest", digest);
  const put = await fetch(location, { method: "PUT", headers: { "Content-Type": "application/octet-stream" }, body: new Uint8Array(bytes) });
  if (put.status !== 201) throw new Error(`blob upload: HTTP ${put.status}`);
  return digest;
}

/** A one-layer image for `architecture`, tagged `tag`; returns its manifest digest and config digest. */
async function pushTinyImage(tag: string, architecture: string, salt = ""): Promise<{ digest: string; config: string }> {
  const layer = Buffer.from(`layer ${architecture} ${RUN}${salt}`);
  const config = Buffer.from(JSON.stringify({ architecture, os: "linux", config: { Labels: LABELS }, rootfs: { type: "layers", diff_ids: [sha(layer)] } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: DOCKER_MANIFEST,
      config: { mediaType: "application/vnd.docker.container.image.v1+json", size: config.length, digest: await putBlob(config) },
      layers: [{ mediaType: "application/vnd.docker.image.rootfs.diff.tar", size: layer.length, digest: await putBlob(layer) }],
    }),
  );
  const put = await fetch(`${API}/manifests/${tag}`, { method: "PUT", headers: { "Content-Type": DOCKER_MANIFEST }, body: new Uint8Array(manifest) });
  if (put.status !== 201) throw new Error(`manifest: HTTP ${put.status}`);
  return { digest: sha(manifest), config: sha(config) };
}

/** The statement a passed GPU verify writes for one of the tiny images, signed with the test key. */
async function attestGpu(image: { digest: string; config: string }): Promise<void> {
  const statement = {
    _type: STATEMENT_TYPE,
    subject: [{ name: IMAGE, digest: { sha256: image.digest.slice(7) } }],
    predicateType: PREDICATE_TYPE,
    predicate: {
      verify: { mode: "gpu", outcome: "passed", countsAsVerified: true, gpuVerified: true, model: "m", serverFlags: { extraArgs: [] }, checks: [], gpus: ["GPU 0"] },
      image: { configDigest: image.config, refs: [] },
      base: { ref: "b" },
      sglang: { version: "0.5.23", upstream: { repository: "u", tag: "t", commit: "f".repeat(40) } },
      patchSet: { name: "tokenids", patches: [{ name: "0001-a.patch", sha256: PATCH_SHA }] },
      builder: { name: "sglang-image-patcher", version: "0", revision: "9".repeat(40), source: "s" },
      timings: {},
      createdAt: new Date().toISOString(),
    },
  } as unknown as Statement;
  const key = loadSigningKey(KEY, readFileSync(KEY, "utf8"), { COSIGN_PASSWORD: "correct horse" });
  const bundle = signStatement(Buffer.from(JSON.stringify(statement)), IN_TOTO_MEDIA_TYPE, key);
  await attachAttestation({ repository: IMAGE, imageDigest: image.digest, content: Buffer.from(JSON.stringify(bundle)), signed: true, predicateType: PREDICATE_TYPE });
}

function config(extra = ""): string {
  const target = (arch: string) =>
    [`  lane-${arch}:`, "    base: lmsysorg/sglang:v0.5.23-cu130", `    platform: linux/${arch}`, "    baseDigest: unknown", `    image: ${IMAGE}`, `    tags: [lane-${arch}]`, `    patchSet: ${path.join(REPO_ROOT, "patches/sglang-v0.5.23")}`].join("\n");
  return writeConfig(`targets:\n${target("amd64")}\n${target("arm64")}\nindexes:\n  lane: [lane-amd64, lane-arm64]\n${extra}`);
}

const index = (args: string[]) => startCli("src/cli/index-image.ts", args, { COSIGN_PASSWORD: "correct horse" }).done;

describe.skipIf(skip)("one OCI image index per lane, and per-platform base digests", () => {
  afterEach(stopRunningClis);
  let amd64: { digest: string; config: string };
  let arm64: { digest: string; config: string };

  beforeAll(async () => {
    amd64 = await pushTinyImage("lane-amd64", "amd64");
    arm64 = await pushTinyImage("lane-arm64", "arm64");
  });

  it("index: refused while one architecture is not attested GPU-verified; then one index of both, attested, never moved without --force", async () => {
    const started = Date.now();
    const file = config();
    const outDir = path.dirname(file);
    await attestGpu(amd64);
    const noPolicy = await index(["--config", file]);
    expect(noPolicy.code).toBe(2);
    expect(noPolicy.json.error.message).toMatch(/give a trust policy/);
    const half = await index(["--config", file, "--public-key", PUB, "--attestation-dir", outDir]);
    expect(half.code, half.stderr).toBe(1);
    expect(half.json.indexes).toEqual([{ tag: "lane", status: "failed", reason: expect.stringMatching(new RegExp(`^not every architecture passed its GPU verify: ${IMAGE}:lane-arm64: no attestation found`)) }]);
    expect((await fetch(`${API}/manifests/lane`, { headers: { Accept: OCI_INDEX } })).status).toBe(404);

    await attestGpu(arm64);
    const made = await index(["--config", file, "--public-key", PUB, "--sign-key", KEY, "--attestation-dir", outDir]);
    expect(made.code, made.stderr).toBe(0);
    const stored = await fetch(`${API}/manifests/lane`, { headers: { Accept: OCI_INDEX } });
    expect(stored.headers.get("content-type")).toBe(OCI_INDEX);
    const bytes = Buffer.from(await stored.arrayBuffer());
    const manifest = JSON.parse(bytes.toString());
    process.stderr.write(`[itest] the index as stored in the registry: ${bytes.toString()}\n`);
    expect(manifest).toEqual({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        { mediaType: DOCKER_MANIFEST, digest: amd64.digest, size: expect.any(Number), platform: { os: "linux", architecture: "amd64" } },
        { mediaType: DOCKER_MANIFEST, digest: arm64.digest, size: expect.any(Number), platform: { os: "linux", architecture: "arm64" } },
      ],
    });
    const result = made.json.indexes[0];
    expect(result).toMatchObject({ tag: "lane", status: "pushed", ref: `${IMAGE}:lane`, digest: `${IMAGE}@${sha(bytes)}`, attestation: { signed: true, attached: expect.stringMatching(/^sha256:/) } });
    // Read back by the lane's tag: every platform's verify attestation judged on its own.
    const back = await startCli("src/cli/verify-image.ts", [`${IMAGE}:lane`, "--attestation", "--public-key", PUB]).done;
    expect(back.code, back.stderr).toBe(0);
    expect(back.json).toMatchObject({ index: true, verdict: "every platform GPU-verified and consistent", platforms: [{ platform: "linux/amd64", exitCode: 0 }, { platform: "linux/arm64", exitCode: 0 }] });
    const open = await startCli("src/cli/verify-image.ts", [`${IMAGE}:lane`, "--attestation"]).done;
    expect(open.code).toBe(1);
    expect(open.json.platforms.map((p: any) => p.verdict)).toEqual([expect.stringMatching(/^UNVERIFIED/), expect.stringMatching(/^UNVERIFIED/)]);
    // The per-arch tags stay.
    expect((await fetch(`${API}/manifests/lane-arm64`, { headers: { Accept: DOCKER_MANIFEST } })).status).toBe(200);
    // The index attestation covers the index and each manifest, and hangs off the index.
    const statement = JSON.parse(readFileSync(result.attestation.statementFile, "utf8"));
    expect(statement.subject.map((s: any) => `sha256:${s.digest.sha256}`)).toEqual([sha(bytes), amd64.digest, arm64.digest]);
    expect(statement.predicate.manifests.map((m: any) => m.gpuVerifiedBy)).toEqual([expect.stringMatching(/^attestation sha256:\S+ \(public-key\)$/), expect.stringMatching(/\(public-key\)$/)]);
    const referrers = await fetch(`${API}/manifests/${sha(bytes).replace(":", "-")}`, { headers: { Accept: OCI_INDEX } });
    expect((await referrers.json()).manifests.map((m: any) => m.digest)).toEqual([result.attestation.attached]);

    // The same index again changes nothing; another one is refused without --force.
    expect((await index(["--config", file, "--public-key", PUB, "--attestation-dir", outDir, "--no-attach"])).code).toBe(0);
    // Other content under the arm64 tag (another layer), GPU-attested: the new index differs.
    await attestGpu(await pushTinyImage("lane-arm64", "arm64", " moved"));
    const refused = await index(["--config", file, "--public-key", PUB, "--attestation-dir", outDir, "--no-attach"]);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.json.indexes[0].reason).toMatch(new RegExp(`^index: refusing to move ${IMAGE.replace(/[.]/g, "\\.")}:lane \\(it names ${sha(bytes)}\\) to the new index sha256:[0-9a-f]{64}: pass --force`));
    const forced = await index(["--config", file, "--public-key", PUB, "--attestation-dir", outDir, "--no-attach", "--force"]);
    expect(forced.code, forced.stderr).toBe(0);
    process.stderr.write(`[itest] index test took ${Date.now() - started} ms\n`);
  });

  it("bases:update pins each target to its platform's manifest inside a multi-arch tag and prints the diff; --check then passes", async () => {
    // The lane's index (made above, or here when run alone) stands in for upstream's multi-arch tag.
    const file = config();
    const text = readFileSync(file, "utf8").replaceAll("lmsysorg/sglang:v0.5.23-cu130", `${IMAGE}:lane`);
    writeFileSync(file, text);
    if ((await fetch(`${API}/manifests/lane`, { headers: { Accept: OCI_INDEX } })).status !== 200) {
      await attestGpu(amd64);
      await attestGpu(arm64);
      expect((await index(["--config", file, "--public-key", PUB, "--no-attach", "--attestation-dir", path.dirname(file), "--force"])).code).toBe(0);
    }
    const listed = (await (await fetch(`${API}/manifests/lane`, { headers: { Accept: OCI_INDEX } })).json()).manifests as { digest: string; platform: { architecture: string } }[];
    const want = Object.fromEntries(listed.map((m) => [m.platform.architecture, m.digest]));
    const check = await startCli("src/cli/bases-update.ts", ["--config", file, "--check"]).done;
    expect(check.code).toBe(1);
    expect(readFileSync(file, "utf8")).toBe(text);
    const run = await startCli("src/cli/bases-update.ts", ["--config", file]).done;
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.changed).toEqual({ "lane-amd64": want.amd64, "lane-arm64": want.arm64 });
    expect(run.stderr).toContain(`-    baseDigest: unknown\n+    baseDigest: ${want.amd64}`);
    // Only those two values changed; comments and layout stay.
    expect(readFileSync(file, "utf8")).toBe(text.replace("baseDigest: unknown", `baseDigest: ${want.amd64}`).replace("baseDigest: unknown", `baseDigest: ${want.arm64}`));
    expect((await startCli("src/cli/bases-update.ts", ["--config", file, "--check"]).done).code).toBe(0);
  });
});
