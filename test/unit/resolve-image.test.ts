/** Making an image present: inspected, pulled when absent, checked against a pinned digest. */
import { describe, expect, it } from "vitest";
import { memoryLogger } from "../../src/log.js";
import { resolveImage } from "../../src/pipeline/resolve-image.js";
import { BASE_ID, FakeEngine } from "./fake-engine.js";

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;
const input = (engine: FakeEngine, ref: string, pinnedDigest?: string) => ({
  ref, pinnedDigest, step: "resolve-base", what: "base image", engine, logger: memoryLogger(), env: { DOCKER_CONFIG: "/nonexistent" },
});

describe("resolveImage", () => {
  it("a present image is not pulled; its digest is its own repository's registry digest", async () => {
    const engine = new FakeEngine("example/base:1");
    engine.images.get("example/base:1")!.repoDigests = [`example/other@${D2}`, `example/base@${D1}`];
    expect(await resolveImage(input(engine, "example/base:1"))).toMatchObject({ pulled: false, digest: D1, info: { id: BASE_ID } });
    expect(engine.calls).toEqual([]);
  });

  it("a pinned digest must be the image's own registry digest: another repository's does not count", async () => {
    const engine = new FakeEngine(`example/base:1@${D1}`);
    engine.images.get(`example/base:1@${D1}`)!.repoDigests = [`example/other@${D1}`];
    await expect(resolveImage(input(engine, `example/base:1@${D1}`, D1))).rejects.toThrow(
      `resolve-base: base image example/base:1@${D1} does not have the pinned digest ${D1} (has example/other@${D1})`,
    );
    engine.images.get(`example/base:1@${D1}`)!.repoDigests = [`example/base@${D1}`];
    expect((await resolveImage(input(engine, `example/base:1@${D1}`, D1))).digest).toBe(D1);
  });

  it("a tag present locally for another platform is pulled for the target's (one multi-arch tag, two targets on one host)", async () => {
    const engine = new FakeEngine("example/base:1");
    engine.images.get("example/base:1")!.repoDigests = [`example/base@${D1}`]; // it came from a registry
    const pulls: { ref: string; platform?: string }[] = [];
    (engine as unknown as { pullImage: (ref: string, opts: { platform?: string }) => Promise<unknown> }).pullImage = async (ref, opts) => {
      pulls.push({ ref, platform: opts.platform });
      engine.images.set(ref, { ...engine.images.get(ref)!, id: `sha256:${"a".repeat(64)}`, architecture: "arm64" });
      return {};
    };
    const arm = await resolveImage({ ...input(engine, "example/base:1"), platform: "linux/arm64" });
    expect(pulls).toEqual([{ ref: "example/base:1", platform: "linux/arm64" }]);
    expect(arm).toMatchObject({ pulled: true, info: { architecture: "arm64" } });
    // Present for the asked platform: used as it is.
    expect((await resolveImage({ ...input(engine, "example/base:1"), platform: "linux/arm64" })).pulled).toBe(false);
    expect(pulls).toHaveLength(1);
  });

  it("a local-only image of another platform is not pulled (nothing to pull it from); a failed pull keeps the local one for the platform check", async () => {
    const engine = new FakeEngine("example/base:1"); // built or imported here: no registry digest
    const local = await resolveImage({ ...input(engine, "example/base:1"), platform: "linux/arm64" });
    expect(engine.calls).toEqual([]);
    expect(local).toMatchObject({ pulled: false, info: { architecture: "amd64" } });
    engine.images.get("example/base:1")!.repoDigests = [`example/base@${D1}`];
    (engine as unknown as { pullImage: () => Promise<unknown> }).pullImage = async () => {
      throw new Error("no matching manifest for linux/arm64 in the manifest list entries");
    };
    const logger = memoryLogger();
    const kept = await resolveImage({ ...input(engine, "example/base:1"), platform: "linux/arm64", logger });
    expect(kept).toMatchObject({ pulled: false, digest: D1, info: { architecture: "amd64" } });
    expect(logger.lines.join("\n")).toMatch(/pulling the linux\/arm64 image of example\/base:1 failed \(no matching manifest.*\); keeping the local linux\/amd64 one/);
  });

  it("a local image id resolves without a pull; a missing one is named, never pulled", async () => {
    const engine = new FakeEngine(BASE_ID);
    expect(await resolveImage(input(engine, BASE_ID))).toMatchObject({ pulled: false, info: { id: BASE_ID } });
    const other = `sha256:${"9".repeat(64)}`;
    await expect(resolveImage(input(engine, other))).rejects.toThrow(`base image ${other} is not present locally (an image id cannot be pulled)`);
    expect(engine.calls).toEqual([]);
  });

  it("an absent image is pulled; a registry's not-found is exit code 2 and names the image", async () => {
    const engine = new FakeEngine("example/base:1");
    const err = await resolveImage(input(engine, "example/missing:1")).catch((e: unknown) => e);
    expect(engine.calls).toEqual(["pull example/missing:1"]);
    expect(err).toMatchObject({ exitCode: 2, message: expect.stringMatching(/^resolve-base: base image example\/missing:1 not found/) });
  });
});
