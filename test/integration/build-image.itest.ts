/**
 * The whole pipeline against the real Docker Engine and the registry at $TEST_REGISTRY, on
 * stand-in bases holding the real SGLang v0.5.9 files: build -> tag -> push -> pull back by
 * digest, then the labels, the exact file changes and the size of the added layer. And the
 * failure paths: a patch that does not apply, a base of the wrong version, refused registry
 * authentication, a push that fails after its retries. None of them leaves an image tag or a
 * container behind, and none pushes anything.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DockerodeEngine } from "../../src/docker/engine.js";
import { memoryLogger } from "../../src/log.js";
import { loadConfig } from "../../src/config/load.js";
import { planTarget, selectTargets } from "../../src/pipeline/plan.js";
import { runTarget } from "../../src/pipeline/run.js";
import { readProvenance } from "../../src/provenance.js";
import { startAuthRegistry, type AuthRegistry } from "./support/auth-registry.js";
import { expectedPatchResult } from "./support/expected-patch.js";
import {
  REPO_ROOT, TEST_REGISTRY, freePort, layerFiles, leftoverStepContainers, mustSkip, perRunBuildTags, stopRunningClis, registryManifest, registryTags, runBuildImage, startCli, waitFor, writeConfig,
} from "./support/services.js";
import { ensureStandInBase, fetchSglang } from "./support/stand-in-bases.js";

const skip = await mustSkip();
const engine = new DockerodeEngine();
const runId = `${Date.now().toString(36)}`;
const REPO = `sglang-image-patcher-itest/patched-${runId}`;
const IMAGE = `${TEST_REGISTRY}/${REPO}`;
const REAL_SET = path.join(REPO_ROOT, "patches/sglang-v0.5.9");
const FIXTURES = path.join(REPO_ROOT, "test/fixtures/patchsets");

const bases: Record<string, string> = {};
const createdRefs: string[] = [];

function config(targets: Record<string, { base: string; patchSet?: string; tags: string[]; image?: string; push?: boolean }>): string {
  const lines = ["version: 1", "source: https://example.invalid/sglang-image-patcher", "targets:"];
  for (const [name, t] of Object.entries(targets)) {
    lines.push(
      `  ${name}:`,
      `    base: ${t.base}`,
      `    patchSet: ${t.patchSet ?? REAL_SET}`,
      `    image: ${t.image ?? IMAGE}`,
      `    tags: [${t.tags.join(", ")}]`,
      `    push: ${t.push ?? true}`,
    );
  }
  return writeConfig(`${lines.join("\n")}\n`);
}

function patchFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(".patch")).sort().map((f) => path.join(dir, f));
}


async function localTags(repo: string): Promise<string[]> {
  const out = execFileSync("docker", ["images", repo, "--format", "{{.Repository}}:{{.Tag}}"], { encoding: "utf8" });
  return out.split("\n").filter(Boolean);
}

async function layerModesOf(digest: string, names: string[]): Promise<string[]> {
  const res = await fetch(`http://${TEST_REGISTRY}/v2/${REPO}/blobs/${digest}`);
  const listing = execFileSync("tar", ["-tzv", "--numeric-owner"], { input: Buffer.from(await res.arrayBuffer()), encoding: "utf8" });
  const modes = new Map<string, string>();
  for (const line of listing.split("\n")) {
    const m = line.match(/^d(\S{9})\s+\S+\s+\d+\s+\S+\s+\S+\s+(.+?)\/?$/);
    if (m) modes.set(m[2]!, symbolicToOctal(m[1]!));
  }
  return names.map((n) => modes.get(n) ?? "missing");
}

function symbolicToOctal(sym: string): string {
  let special = 0;
  const digits = [0, 3, 6].map((i, k) => {
    const [r, w, x] = [sym[i], sym[i + 1], sym[i + 2]];
    if (x === "s" || x === "S") special |= [4, 2, 1][k]!;
    return (r === "r" ? 4 : 0) + (w === "w" ? 2 : 0) + (x === "x" || x === "s" || x === "t" ? 1 : 0);
  });
  if (sym[8] === "t" || sym[8] === "T") special |= 1;
  return `${special ? special : ""}${digits.join("")}`;
}

const PYC = (rel: string) => {
  const dir = path.posix.dirname(rel);
  const mod = path.posix.basename(rel, ".py");
  return `${dir}/__pycache__/${mod}.cpython-311.pyc`;
};

describe.skipIf(skip)("build-image against a real Docker Engine and registry", () => {
  afterEach(stopRunningClis);

  beforeAll(async () => {
    const log = (m: string) => process.stderr.write(`[itest] ${m}\n`);
    bases.editable = await ensureStandInBase(engine, "editable", { log });
    bases.sitePackages = await ensureStandInBase(engine, "site-packages", { log });
    bases.wrongVersion = await ensureStandInBase(engine, "editable", { version: "0.5.8", log });
  });

  afterAll(async () => {
    for (const ref of createdRefs) await engine.removeImage(ref).catch(() => {});
  });

  async function assertPushedImage(opts: { tag: string; base: string; sitePrefix: string; json: Record<string, any> }) {
    const target = opts.json.targets[0];
    expect(target.status).toBe("pushed");
    const pushed = target.push[0];
    expect(pushed.ref).toBe(`${IMAGE}:${opts.tag}`);
    expect(pushed.digest).toMatch(new RegExp(`^${IMAGE.replace(/[.]/g, "\\.")}@sha256:[0-9a-f]{64}$`));
    const digest = pushed.digest.split("@")[1];

    // Pull back by digest with no local tag left, then read the labels from that image.
    await engine.removeImage(`${IMAGE}:${opts.tag}`);
    await engine.pullImage(pushed.digest, {}, () => {});
    createdRefs.push(pushed.digest);
    const pulled = await engine.inspectImage(pushed.digest);
    expect(pulled?.id).toBe(target.image.id);
    const labels = pulled!.labels;
    const baseInfo = await engine.inspectImage(opts.base);
    expect(labels["org.opencontainers.image.base.name"]).toBe(opts.base);
    // The stand-in base was imported locally: no registry digest, so no base.digest label (never its image id).
    expect(labels).not.toHaveProperty(["org.opencontainers.image.base.digest"]);
    expect(target.base.imageId).toBe(baseInfo!.id);
    expect(labels["org.opencontainers.image.version"]).toBe("0.5.9+sglang-v0.5.9-tokenids");
    expect(labels["org.opencontainers.image.source"]).toBe("https://example.invalid/sglang-image-patcher");
    expect(labels["org.opencontainers.image.revision"]).toBe(execFileSync("git", ["-C", REPO_ROOT, "rev-parse", "HEAD"], { encoding: "utf8" }).trim());
    expect(Date.parse(labels["org.opencontainers.image.created"] ?? "")).not.toBeNaN();
    expect(labels["io.github.sglang-image-patcher.patch-set"]).toBe("sglang-v0.5.9-tokenids");
    for (const file of patchFiles(REAL_SET)) {
      const sha = createHash("sha256").update(readFileSync(file)).digest("hex");
      expect(labels[`io.github.sglang-image-patcher.patch.${path.basename(file)}.sha256`]).toBe(sha);
    }

    // One added layer, small, holding exactly the patched files, their .pyc and our tooling.
    const manifest = await registryManifest(TEST_REGISTRY, REPO, digest);
    expect(manifest!.layers.length).toBe(baseInfo!.layers.length + 1);
    const added = manifest!.layers[manifest!.layers.length - 1]!;
    // The patched modules, their .pyc and the verify suite: well under the 26 MB of the
    // package; measured at ~219 KiB compressed with the eight-patch set, ~266 KiB with sixteen.
    expect(added.size).toBeLessThan(384 * 1024);
    const files = await layerFiles(TEST_REGISTRY, REPO, added.digest);
    const expected = expectedPatchResult(await fetchSglang(), patchFiles(REAL_SET));
    const outsideTooling = [...files.entries()].filter(([name, c]) => c !== null && !name.startsWith("opt/sglang-image-patcher/")).map(([n]) => n).sort();
    const wanted = [...expected.files.keys()].flatMap((rel) => [`${opts.sitePrefix}/${rel}`, `${opts.sitePrefix}/${PYC(rel)}`]).sort();
    expect(outsideTooling).toEqual(wanted);
    for (const [rel, content] of expected.files) {
      expect(files.get(`${opts.sitePrefix}/${rel}`)?.equals(content), `${rel} differs from git apply's result`).toBe(true);
    }
    expect([...files.keys()].some((n) => path.posix.basename(n).startsWith(".wh."))).toBe(false);
    // Folder entries in the layer keep the base's modes (a layer folder entry replaces them).
    const dirs = [...files.entries()].filter(([n, c]) => c === null && !n.startsWith("opt")).map(([n]) => `/${n}`);
    const script = 'for d in "$@"; do stat -c %a "$d" 2>/dev/null || echo new; done';
    const baseModes = execFileSync("docker", ["run", "--rm", opts.base, "sh", "-c", script, "sh", ...dirs], { encoding: "utf8" }).trim().split("\n");
    const layerModes = await layerModesOf(added.digest, dirs.map((d) => d.slice(1)));
    // New folders (__pycache__) get 755; existing ones keep their mode, setgid included.
    expect(layerModes).toEqual(baseModes.map((m) => (m === "new" ? "755" : m)));
    if (opts.sitePrefix.includes("dist-packages")) expect(baseModes).toContain("2775");
    const applied = JSON.parse(files.get("opt/sglang-image-patcher/applied.json")!.toString());
    expect(applied.patches).toEqual(patchFiles(REAL_SET).map((f) => path.basename(f)));
    expect(files.has("opt/sglang-image-patcher/verify/tokenids_verify/__main__.py")).toBe(true);
    return { manifest, added };
  }

  it("patches the editable checkout, pushes, and the image pulled back by digest is exactly the patched base", async () => {
    const file = config({ editable: { base: bases.editable!, tags: ["editable"] } });
    // --no-cache: the patching step really runs in this test, whatever ran before.
    const run = await runBuildImage(["--config", file, "--skip-verify", "--push-unverified", "--no-cache"]);
    expect(run.code, run.stderr).toBe(0);
    createdRefs.push(`${IMAGE}:editable`);
    expect(run.json.ok).toBe(true);
    const t = run.json.targets[0];
    expect(t.verify.outcome).toBe("skipped");
    expect(t.image.addedLayers).toBe(1);
    expect(Object.keys(t.timings)).toEqual(expect.arrayContaining(["resolveBaseMs", "buildMs", "tagMs", "pushMs", "totalMs"]));
    expect(run.stderr).toContain("version check passed");
    await assertPushedImage({ tag: "editable", base: bases.editable!, sitePrefix: "sgl-workspace/sglang/python", json: run.json });
  });

  it("patches a plain site-packages install (found without importing sglang)", async () => {
    const file = config({ site: { base: bases.sitePackages!, tags: ["site-packages"] } });
    const run = await runBuildImage(["--config", file, "--skip-verify", "--push-unverified"]);
    expect(run.code, run.stderr).toBe(0);
    createdRefs.push(`${IMAGE}:site-packages`);
    await assertPushedImage({ tag: "site-packages", base: bases.sitePackages!, sitePrefix: "usr/local/lib/python3.11/dist-packages", json: run.json });
  });

  it("refuses a patch set whose second patch does not apply: names file and hunk, applies nothing, tags and pushes nothing", async () => {
    const file = config({ [`broken-${runId}`]: { base: bases.editable!, patchSet: path.join(FIXTURES, "fixture-second-does-not-apply"), tags: ["broken"] } });
    const run = await runBuildImage(["--config", file, "--skip-verify", "--push-unverified"]);
    expect(run.code).toBe(2); // a patch set that does not apply is bad input
    expect(run.json.ok).toBe(false);
    expect(run.json.targets[0].error.step).toBe("build");
    expect(run.stderr).toContain("patch 0002-context-does-not-match.patch does not apply");
    expect(run.stderr).toMatch(/patch failed: sglang\/srt\/entrypoints\/openai\/protocol\.py:526/);
    expect(run.stderr).toContain("nothing was applied");
    expect(await localTags(IMAGE)).not.toContain(`${IMAGE}:broken`);
    expect(await registryTags(TEST_REGISTRY, REPO)).not.toContain("broken");
    // Only this run's own leftovers: other builds may share the daemon and the base.
    expect(leftoverStepContainers(run.stderr)).toEqual([]);
    expect(perRunBuildTags(`broken-${runId}`)).toEqual([]);
  });

  it("refuses a base with another SGLang version", async () => {
    const file = config({ [`old-${runId}`]: { base: bases.wrongVersion!, tags: ["wrong-version"] } });
    const run = await runBuildImage(["--config", file, "--skip-verify", "--push-unverified"]);
    expect(run.code).toBe(2); // a base of another SGLang is bad input
    expect(run.stderr).toMatch(/base image has SGLang 0\.5\.8 .* but the patch set is for SGLang 0\.5\.9 \(commit bbe9c7eeb520b0a67e92d133dfc137a3688dc7f2\)/);
    expect(await registryTags(TEST_REGISTRY, REPO)).not.toContain("wrong-version");
    expect(await localTags(IMAGE)).not.toContain(`${IMAGE}:wrong-version`);
    expect(leftoverStepContainers(run.stderr)).toEqual([]);
    expect(perRunBuildTags(`old-${runId}`)).toEqual([]);
  });

  it("pushes a second tag of the same image without uploading any layer", async () => {
    const file = config({ editable: { base: bases.editable!, tags: ["same-image", "same-image-again"] } });
    const run = await runBuildImage(["--config", file, "--skip-verify", "--push-unverified"]);
    expect(run.code, run.stderr).toBe(0);
    createdRefs.push(`${IMAGE}:same-image`, `${IMAGE}:same-image-again`);
    const [first, second] = run.json.targets[0].push;
    expect(second.digest.split("@")[1]).toBe(first.digest.split("@")[1]);
    expect(second.layersPushed).toBe(0);
    expect(second.bytesUploaded).toBe(0);
  });

  it("pulls a base that is not present locally, with progress, and records its registry digest; a wrong pinned digest is refused", async () => {
    const baseRepo = `${TEST_REGISTRY}/sglang-image-patcher-itest/base-${runId}`;
    await engine.tagImage(bases.editable!, baseRepo, "v0.5.9");
    const pushedBase = await engine.pushImage(baseRepo, "v0.5.9", undefined, () => {});
    await engine.removeImage(`${baseRepo}:v0.5.9`);
    createdRefs.push(`${baseRepo}:v0.5.9`, `${baseRepo}@${pushedBase.digest}`);
    expect(await engine.inspectImage(`${baseRepo}:v0.5.9`)).toBeUndefined();

    const file = config({ pulled: { base: `${baseRepo}:v0.5.9`, tags: ["from-pulled-base"], push: false } });
    const run = await runBuildImage(["--config", file, "--skip-verify"]);
    expect(run.code, run.stderr).toBe(0);
    createdRefs.push(`${IMAGE}:from-pulled-base`);
    expect(run.json.targets[0].base).toMatchObject({ pulled: true, digest: pushedBase.digest });
    expect(run.json.targets[0].status).toBe("built");
    expect(run.stderr).toContain(`base ${baseRepo}:v0.5.9 is not present locally: pulling it`);
    expect(run.stderr).toMatch(/\[pull\] .*(Pulling from|Digest: sha256)/);

    const wrong = `sha256:${"0".repeat(64)}`;
    const pinned = writeConfig(`targets:\n  pinned:\n    base: ${baseRepo}:v0.5.9\n    baseDigest: "${wrong}"\n    patchSet: ${REAL_SET}\n    image: ${IMAGE}\n    tags: [pinned]\n`);
    const refused = await runBuildImage(["--config", pinned, "--skip-verify"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/resolve-base: .*(not found|does not have the pinned digest)/);
    expect(await localTags(IMAGE)).not.toContain(`${IMAGE}:pinned`);
  });

  it("Ctrl-C during the build stops it: exit 130, cancelled, no container, no tag, nothing pushed", async () => {
    const file = config({ [`interrupted-${runId}`]: { base: bases.editable!, tags: ["interrupted-build"] } });
    const cli = startCli("src/cli/build-image.ts", ["--config", file, "--skip-verify", "--push-unverified", "--no-cache"]);
    await waitFor(async () => /\[build\] Step \d+\/\d+ : RUN /.test(cli.stderrSoFar()), 60_000, "the build's RUN step");
    cli.child.kill("SIGINT");
    const run = await cli.done;
    expect(run.code).toBe(130);
    expect(run.json.targets[0]).toMatchObject({ status: "cancelled", error: { step: "build" } });
    expect(leftoverStepContainers(run.stderr)).toEqual([]);
    expect(await localTags(IMAGE)).not.toContain(`${IMAGE}:interrupted-build`);
    expect(await registryTags(TEST_REGISTRY, REPO)).not.toContain("interrupted-build");
    expect(perRunBuildTags(`interrupted-${runId}`)).toEqual([]);
  });

  describe("with a registry that requires a login", () => {
    let registry: AuthRegistry;
    beforeAll(async () => {
      registry = await startAuthRegistry();
    });
    afterAll(async () => {
      await registry?.stop();
    });

    it("reports refused credentials clearly, never prints the password, and pushes nothing", async () => {
      const image = `${registry.address}/sglang-image-patcher-itest/auth`;
      const file = config({ auth: { base: bases.editable!, tags: ["refused"], image } });
      const env = { SGLANG_IMAGE_PATCHER_REGISTRY_USERNAME: registry.username, SGLANG_IMAGE_PATCHER_REGISTRY_PASSWORD: `${registry.password}-wrong` };
      const run = await runBuildImage(["--config", file, "--skip-verify", "--push-unverified"], env);
      createdRefs.push(`${image}:refused`);
      expect(run.code).toBe(1);
      expect(run.json.targets[0].error.step).toBe("push");
      expect(run.stderr).toContain(`registry ${registry.address} refused authentication`);
      expect(run.stderr + run.stdout).not.toContain(registry.password);
      const auth = `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString("base64")}`;
      const tags = await fetch(`http://${registry.address}/v2/sglang-image-patcher-itest/auth/tags/list`, { headers: { Authorization: auth } });
      expect(tags.status).toBe(404);
    });

    it("pushes with the right credentials from the environment", async () => {
      const image = `${registry.address}/sglang-image-patcher-itest/auth`;
      const file = config({ auth: { base: bases.editable!, tags: ["accepted"], image } });
      const env = { SGLANG_IMAGE_PATCHER_REGISTRY_USERNAME: registry.username, SGLANG_IMAGE_PATCHER_REGISTRY_PASSWORD: registry.password };
      const run = await runBuildImage(["--config", file, "--skip-verify", "--push-unverified"], env);
      createdRefs.push(`${image}:accepted`);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr + run.stdout).not.toContain(registry.password);
      expect(run.json.targets[0].push[0].digest).toMatch(/@sha256:[0-9a-f]{64}$/);
    });
  });

  it("gives up on a push that keeps failing, after its retries, with the attempts counted", async () => {
    const port = await freePort(); // nothing listens there
    const image = `127.0.0.1:${port}/sglang-image-patcher-itest/unreachable`;
    const file = config({ dead: { base: bases.editable!, tags: ["dead"], image } });
    const cfg = await loadConfig(file);
    const [target] = selectTargets(cfg, []);
    const opts = { targets: [], tags: [], skipVerify: true, pushUnverified: true, dryRun: false };
    const planned = await planTarget(cfg, target!, opts, REPO_ROOT, readProvenance(REPO_ROOT, cfg.source));
    const logger = memoryLogger();
    createdRefs.push(`${image}:dead`);
    await expect(
      runTarget(planned, { engine, logger, repoRoot: REPO_ROOT, configDir: cfg.dir, pushRetry: { attempts: 3, initialDelayMs: 100, maxDelayMs: 200 } }),
    ).rejects.toThrow(/push: pushing .*:dead failed: .*(connection refused|ECONNREFUSED).*\(gave up after 3 attempts\)/s);
    expect(logger.lines.filter((l) => l.includes("retrying in"))).toHaveLength(2);
  });
});
