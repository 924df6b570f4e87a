/**
 * scripts/gha-cleanup.sh, the build workflow's `if: always()` step: against the real Engine it
 * removes the containers labelled with the job's name and the build tags that start with it,
 * and nothing of another job. A container the CLI started under SGLANG_IMAGE_PATCHER_RUN_LABEL
 * carries that label (checked through the CLI's own label function).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { CI_RUN_LABEL, containerLabels } from "../../src/labels.js";
import { REPO_ROOT, mustSkip } from "./support/services.js";

const skip = await mustSkip();
const docker = (...args: string[]) => execFileSync("docker", args, { encoding: "utf8" }).trim();
const suffix = randomBytes(3).toString("hex");
const image = `sip-cleanup-empty:${suffix}`;

describe.skipIf(skip)("the workflow's cleanup step (scripts/gha-cleanup.sh)", () => {
  afterAll(() => {
    spawnSync("docker", ["rmi", "-f", image]);
  });

  it("removes this job's containers and build tags, and leaves another job's", () => {
    // An empty image is enough: containers are created, never started.
    execFileSync("bash", ["-c", `tar cf - -T /dev/null | docker import - ${image}`], { stdio: ["ignore", "ignore", "inherit"] });
    const mine = `gha-1-1-${suffix}`;
    const other = `gha-2-1-${suffix}`;
    const labelArgs = (job: string) =>
      Object.entries(containerLabels("verify", `${job}-run`, { SGLANG_IMAGE_PATCHER_RUN_LABEL: job })).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
    const myContainer = docker("create", ...labelArgs(mine), image, "/never-started");
    const otherContainer = docker("create", ...labelArgs(other), image, "/never-started");
    docker("tag", image, `sglang-image-patcher-build/t1:${mine}-abc`);
    docker("tag", image, `sglang-image-patcher-build/t2:${mine}-def`);
    docker("tag", image, `sglang-image-patcher-build/t1:${other}-abc`);
    expect(docker("inspect", "--format", `{{index .Config.Labels "${CI_RUN_LABEL}"}}`, myContainer)).toBe(mine);
    try {
      const r = spawnSync("bash", ["scripts/gha-cleanup.sh", mine], { cwd: REPO_ROOT, encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/removing 1 container\(s\)/);
      expect(r.stderr).toMatch(/removing 2 build tag\(s\)/);
      expect(docker("ps", "-aq", "--no-trunc", "--filter", `label=${CI_RUN_LABEL}=${mine}`)).toBe("");
      expect(docker("images", "-q", "--filter", `reference=sglang-image-patcher-build/*:${mine}-*`)).toBe("");
      // Another job's are untouched.
      expect(docker("ps", "-aq", "--no-trunc", "--filter", `label=${CI_RUN_LABEL}=${other}`)).toBe(otherContainer);
      expect(docker("images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", `reference=sglang-image-patcher-build/*:${other}-*`)).toBe(`sglang-image-patcher-build/t1:${other}-abc`);
      // Run again: nothing left, still exit 0.
      const again = spawnSync("bash", ["scripts/gha-cleanup.sh", mine], { cwd: REPO_ROOT, encoding: "utf8" });
      expect(again.status).toBe(0);
      expect(again.stderr).toMatch(/nothing of gha-1-1-\w+ left/);
    } finally {
      spawnSync("docker", ["rm", "-f", myContainer, otherContainer]);
      spawnSync("docker", ["rmi", `sglang-image-patcher-build/t1:${other}-abc`, `sglang-image-patcher-build/t1:${mine}-abc`, `sglang-image-patcher-build/t2:${mine}-def`]);
    }
  });

  it("refuses a name that could widen the filters", () => {
    for (const bad of ["", "*", "a b", "gha-1;rm", "-x"]) {
      const r = spawnSync("bash", ["scripts/gha-cleanup.sh", bad], { cwd: REPO_ROOT, encoding: "utf8" });
      expect(r.status, bad).toBe(2);
    }
  });
});
