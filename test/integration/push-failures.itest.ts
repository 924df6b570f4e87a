/**
 * What a push that does not go to plan leaves, against the real daemon and real registries:
 *  - bytesUploaded is what went over the wire (the registry's compressed blob sizes);
 *  - a registry killed mid-push: exit 1 after the retries, the result says the registry could
 *    not be asked, and the local tags are put back as they were (a tag that named another
 *    image names it again, a new one is removed);
 *  - Ctrl-C during a push of two refs: whatever the registry ends up with, the result never
 *    claims less (each ref the registry's tag names this image for is in push[]);
 *  - two runs with the same tag at once: the second stops before building, naming the first.
 * Scratch registries (the real docker-registry, empty storage) make every push upload every
 * layer, so a push lasts long enough to be interrupted.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DockerodeEngine } from "../../src/docker/engine.js";
import { REPO_ROOT, TEST_REGISTRY, mustSkip, perRunBuildTags, registryManifest, startCli, stopRunningClis, runBuildImage, waitFor, writeConfig } from "./support/services.js";
import { startScratchRegistry, type ScratchRegistry } from "./support/scratch-registry.js";
import { ensureStandInBase } from "./support/stand-in-bases.js";

const skip = await mustSkip();
const engine = new DockerodeEngine();
const RUN = Date.now().toString(36);
const REAL_SET = path.join(REPO_ROOT, "patches/sglang-v0.5.9");
const SITE_PACKAGES = path.join(REPO_ROOT, ".venv/lib/python3.11/site-packages");
const NEVER_READY = path.join(REPO_ROOT, "test/fixtures/harness-never-ready");
let base = "";
const registries: ScratchRegistry[] = [];
const createdRefs: string[] = [];

function config(target: string, image: string, tags: string[], verify?: Record<string, unknown>): string {
  const lines = [
    "targets:",
    `  ${target}:`,
    `    base: ${base}`,
    `    patchSet: ${REAL_SET}`,
    `    image: ${image}`,
    `    tags: [${tags.join(", ")}]`,
    "    push: true",
  ];
  if (verify) lines.push(`    verify: ${JSON.stringify(verify)}`);
  return writeConfig(`${lines.join("\n")}\n`);
}

const imageIdOf = (ref: string): string | undefined => {
  try {
    return execFileSync("docker", ["image", "inspect", "--format", "{{.Id}}", ref], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
};

/** What the registry's tag names, asked by the test itself: the image's config digest, or undefined. */
async function registryImage(address: string, repo: string, tag: string): Promise<string | undefined> {
  try {
    return (await registryManifest(address, repo, tag))?.config.digest;
  } catch {
    return undefined;
  }
}

describe.skipIf(skip)("pushes that do not go to plan", () => {
  afterEach(stopRunningClis);

  beforeAll(async () => {
    base = await ensureStandInBase(engine, "editable", { log: (m) => process.stderr.write(`[itest] ${m}\n`) });
  });

  afterAll(async () => {
    for (const r of registries) await r.stop();
    for (const ref of createdRefs) await engine.removeImage(ref).catch(() => {});
  });

  it("bytesUploaded is the compressed size of the layers the daemon uploaded; the registry's tag is reported", async () => {
    // A registry of its own: on a shared one the patch layer may already be there (other tests
    // push the same deterministic layer), and the daemon would then mount it, not upload it.
    const registry = await startScratchRegistry();
    registries.push(registry);
    const repo = `sglang-image-patcher-itest/bytes-${RUN}`;
    const image = `${registry.address}/${repo}`;
    const run = await runBuildImage(["--config", config(`bytes-${RUN}`, image, ["b"]), "--skip-verify", "--push-unverified"]);
    createdRefs.push(`${image}:b`);
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    const t = run.json.targets[0];
    const manifest = await registryManifest(registry.address, repo, "b");
    // The layers the daemon said it uploaded (short diff ids), found in the image's layer
    // order, which is the manifest's: their blob sizes on the registry are what was sent.
    const uploaded = [...run.stderr.matchAll(/\[push\] ([0-9a-f]{12}): Pushed$/gm)].map((m) => m[1]!);
    const diffIds: string[] = JSON.parse(execFileSync("docker", ["image", "inspect", "--format", "{{json .RootFS.Layers}}", `${image}:b`], { encoding: "utf8" }));
    const sent = uploaded.map((id) => manifest!.layers[diffIds.findIndex((d) => d.startsWith(`sha256:${id}`))]!.size);
    expect(uploaded.length).toBeGreaterThan(0); // at least the patch layer is new
    expect(t.push[0].layersPushed).toBe(uploaded.length);
    expect(t.push[0].bytesUploaded).toBe(sent.reduce((a, b) => a + b, 0));
    expect(t.registry).toEqual([{ ref: `${image}:b`, state: "this-image", manifestDigest: t.push[0].digest.split("@")[1] }]);
    process.stderr.write(`[itest] pushed ${uploaded.length} layer(s), ${t.push[0].bytesUploaded} compressed bytes\n`);
  });

  it("a registry killed mid-push: exit 1 after the retries, the registry's state reported unknown, local tags put back", async () => {
    const registry = await startScratchRegistry();
    registries.push(registry);
    const repo = `sglang-image-patcher-itest/killed-${RUN}`;
    const image = `${registry.address}/${repo}`;
    // One tag already names another image locally (the base); the other is new.
    execFileSync("docker", ["tag", base, `${image}:existing`]);
    createdRefs.push(`${image}:existing`, `${image}:new`);
    const baseId = imageIdOf(base);
    const cli = startCli("src/cli/build-image.ts", ["--config", config(`killed-${RUN}`, image, ["existing", "new"]), "--skip-verify", "--push-unverified"]);
    await waitFor(async () => /\[push\] \w+: Pushing/.test(cli.stderrSoFar()), 120_000, "the push to start uploading");
    registry.kill();
    const run = await cli.done;
    expect(run.code, run.stderr.slice(-3000)).toBe(1);
    const t = run.json.targets[0];
    expect(t).toMatchObject({ status: "failed", error: { step: "push" } });
    expect(t.error.message).toMatch(/gave up after 4 attempts/);
    expect(t.push).toEqual([]);
    expect(t.registry.map((s: { state: string }) => s.state)).toEqual(["unknown", "unknown"]);
    expect(run.stderr).toContain(`${image}:existing: could not ask the registry what its tag names after the failed push`);
    expect(t.tagsReverted).toEqual([`${image}:new: removed (it did not exist before this run)`, `${image}:existing: moved back to ${baseId}`]);
    expect(imageIdOf(`${image}:existing`)).toBe(baseId);
    expect(imageIdOf(`${image}:new`)).toBeUndefined();
    expect(perRunBuildTags(`killed-${RUN}`)).toEqual([]);
  });

  it("Ctrl-C during a push of two refs: the result claims no less than the registry has", async () => {
    const registry = await startScratchRegistry();
    registries.push(registry);
    const repo = `sglang-image-patcher-itest/cancelled-${RUN}`;
    const image = `${registry.address}/${repo}`;
    createdRefs.push(`${image}:one`, `${image}:two`);
    const cli = startCli("src/cli/build-image.ts", ["--config", config(`cancelled-${RUN}`, image, ["one", "two"]), "--skip-verify", "--push-unverified"]);
    await waitFor(async () => /\[push\] \w+: Pushing/.test(cli.stderrSoFar()), 120_000, "the push to start uploading");
    cli.child.kill("SIGINT");
    const run = await cli.done;
    expect(run.code).toBe(130);
    const t = run.json.targets[0];
    expect(t.status).toBe("cancelled");
    // Give a daemon that finishes the push on its own the time to do it, then ask the registry.
    await new Promise((r) => setTimeout(r, 3000));
    for (const tag of ["one", "two"]) {
      const onRegistry = await registryImage(registry.address, repo, tag);
      const state = t.registry.find((s: { ref: string }) => s.ref === `${image}:${tag}`);
      if (onRegistry === t.image.id) {
        expect(t.push.map((p: { ref: string }) => p.ref), `${tag} is on the registry`).toContain(`${image}:${tag}`);
        expect(state.state).toBe("this-image");
      } else {
        expect(state.state, `${tag}: ${JSON.stringify(state)}`).toBe("absent");
      }
    }
    expect(imageIdOf(`${image}:one`)).toBeUndefined();
    expect(imageIdOf(`${image}:two`)).toBeUndefined();
    expect(perRunBuildTags(`cancelled-${RUN}`)).toEqual([]);
  });

  it("two runs with the same tag at once: the second stops before building and names the first", async () => {
    if (!existsSync(SITE_PACKAGES)) throw new Error(`${SITE_PACKAGES} is missing: run bash scripts/python-env.sh`);
    const image = `${TEST_REGISTRY}/sglang-image-patcher-itest/same-tag-${RUN}`;
    createdRefs.push(`${image}:shared`);
    const model = mkdtempSync(path.join(os.tmpdir(), "sip-same-tag-model-"));
    // The first run holds in its verify step (a server that never becomes ready).
    const first = startCli("src/cli/build-image.ts", [
      "--config",
      config(`same-tag-a-${RUN}`, image, ["shared"], {
        mode: "engineless", harness: NEVER_READY, model: "/m", modelMount: { source: model, target: "/m", readOnly: true }, timeoutSeconds: 300,
        mounts: [{ source: SITE_PACKAGES, target: "/opt/deps", readOnly: true }], pythonPath: ["/opt/deps"],
      }),
    ]);
    await waitFor(async () => first.stderrSoFar().includes("[tokenids_verify] starting main server"), 180_000, "the first run's verify");
    const second = await runBuildImage(["--config", config(`same-tag-b-${RUN}`, image, ["shared"]), "--skip-verify", "--push-unverified"]);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`another build-image run \\(pid \\d+, since [^)]+\\) is building ${image.replace(/[.]/g, "\\.")}:shared`));
    expect(second.json.targets[0]).toMatchObject({ status: "failed", error: { step: "tag-lock" } });
    expect(second.json.targets[0].timings.buildMs).toBeUndefined();
    first.child.kill("SIGINT");
    expect((await first.done).code).toBe(130);
  });
});
