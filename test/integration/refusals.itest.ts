/**
 * Inputs refused before anything is built, through the real CLI: a tag that would land in
 * Docker Hub's official-images namespace, an upper-case repository name, and a base of another
 * architecture than the target's platform (caught when the base is resolved, not at the build's
 * `COPY --from`). Each: exit 2, one clear line, nothing built, tagged or pushed.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { DockerodeEngine } from "../../src/docker/engine.js";
import { REPO_ROOT, TEST_REGISTRY, mustSkip, perRunBuildTags, runBuildImage, writeConfig } from "./support/services.js";
import { ensureStandInBase } from "./support/stand-in-bases.js";

const RUN = Date.now().toString(36);
const REAL_SET = path.join(REPO_ROOT, "patches/sglang-v0.5.9");

const config = (base: string, extra = "") =>
  writeConfig(
    `targets:\n  refusals-${RUN}:\n    base: ${base}\n    patchSet: ${REAL_SET}\n    image: ${TEST_REGISTRY}/sglang-image-patcher-itest/refusals-${RUN}\n    tags: [r]\n${extra}`,
  );

describe("tags that do not say where they go", () => {
  it("--tag name:tag with --push is refused: it would go to docker.io/library/", async () => {
    const run = await runBuildImage(["--config", config("example/base:1"), "--tag", "sglang-tokenids:v1", "--push", "--skip-verify", "--push-unverified", "--dry-run"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("sglang-tokenids:v1 names no registry, so the push would go to Docker Hub's official-images namespace (docker.io/library/sglang-tokenids:v1)");
    expect(run.json.ok).toBe(false);
  });

  it("the same tag kept local (--no-push) is fine; user/name:tag is pushed with a warning naming Docker Hub", async () => {
    const local = await runBuildImage(["--config", config("example/base:1"), "--tag", "sglang-tokenids:v1", "--no-push", "--dry-run"]);
    expect(local.code, local.stderr).toBe(0);
    expect(local.json.targets[0].refs).toEqual(["sglang-tokenids:v1"]);
    const hub = await runBuildImage(["--config", config("example/base:1"), "--tag", "me/sglang-tokenids:v1", "--push", "--skip-verify", "--push-unverified", "--dry-run"]);
    expect(hub.code, hub.stderr).toBe(0);
    expect(hub.stderr).toContain("me/sglang-tokenids:v1 names no registry: it is pushed to Docker Hub as docker.io/me/sglang-tokenids:v1");
    expect(hub.json.targets[0].warnings).toEqual(["me/sglang-tokenids:v1 names no registry: it is pushed to Docker Hub as docker.io/me/sglang-tokenids:v1"]);
  });

  it("an upper-case repository name is refused with a message that says so", async () => {
    const run = await runBuildImage(["--config", config("example/base:1"), "--tag", `${TEST_REGISTRY}/Team/SGLang:v1`, "--dry-run"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`repository names must be lowercase (Docker's rule; "Team/SGLang" has upper-case letters); did you mean "${TEST_REGISTRY}/team/sglang:v1"?`);
  });
});

const skip = await mustSkip();

describe.skipIf(skip)("a base of another architecture", () => {
  let base = "";
  beforeAll(async () => {
    base = await ensureStandInBase(new DockerodeEngine(), "editable");
  });

  it("is refused when the base is resolved, naming both platforms; nothing built", async () => {
    const arch = execFileSync("docker", ["image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", base], { encoding: "utf8" }).trim();
    const other = arch === "linux/arm64" ? "linux/amd64" : "linux/arm64";
    const run = await runBuildImage(["--config", config(base, `    platform: ${other}\n`), "--skip-verify"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`resolve-base: base image ${base} is ${arch}, but target refusals-${RUN} is for ${other} (its platform)`);
    expect(run.json.targets[0]).toMatchObject({ status: "failed", error: { step: "resolve-base" } });
    expect(run.json.targets[0].timings.buildMs).toBeUndefined();
    expect(perRunBuildTags(`refusals-${RUN}`)).toEqual([]);
  });
});
