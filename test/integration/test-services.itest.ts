/**
 * scripts/test-services.sh, which `npm test` sources to make the Docker Engine and a registry
 * answer on a fresh machine: it starts a registry when none answers, uses the ones that do,
 * stops only what it started, and says loudly what it could not provide and how to fix it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, TEST_REGISTRY, freePort, mustSkip } from "./support/services.js";

const skip = await mustSkip();

function services(script: string, env: NodeJS.ProcessEnv = {}) {
  const run = spawnSync("/bin/bash", ["-c", `source scripts/test-services.sh; ${script}`], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

async function answers(address: string): Promise<boolean> {
  return fetch(`http://${address}/v2/`, { signal: AbortSignal.timeout(3000) }).then(
    (r) => r.status === 200,
    () => false,
  );
}

describe.skipIf(skip)("npm test's service setup (scripts/test-services.sh)", () => {
  it("starts a registry on a free loopback port when none answers, hands it to the tests, and stops it at the end", async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const run = services('ensure_registry; echo "TEST_REGISTRY=$TEST_REGISTRY"; _registry_answers "$TEST_REGISTRY" && echo answered; services_summary; stop_test_services', {
      TEST_REGISTRY: dead,
    });
    expect(run.code, run.stderr).toBe(0);
    const started = run.stdout.match(/^TEST_REGISTRY=(127\.0\.0\.1:\d+)$/m)?.[1];
    expect(started).toBeDefined();
    expect(started).not.toBe(dead);
    expect(run.stdout).toContain("answered");
    expect(run.stderr).toContain(`registry: started one at ${started} for this run (nothing answered at ${dead}); stopped at the end`);
    expect(await answers(started!)).toBe(false);
  });

  it("uses the registry and the Engine that answer, and starts nothing", () => {
    const run = services('ensure_docker && ensure_registry; echo "TEST_REGISTRY=$TEST_REGISTRY pids=${#_started_pids[@]}"; services_summary', { TEST_REGISTRY });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe(`TEST_REGISTRY=${TEST_REGISTRY} pids=0`);
    expect(run.stderr).toContain(`registry: using the one at ${TEST_REGISTRY}`);
    expect(run.stderr).toContain("Docker Engine: using the one that answers");
    expect(run.stderr).not.toContain("MISSING");
  });

  it("without docker, dockerd or docker-registry: says loudly what is skipped (or fails under CI) and names the one command that installs everything", async () => {
    // A PATH with the basic tools and node, but none of the Docker or registry programs.
    const bin = mkdtempSync(path.join(os.tmpdir(), "sip-bare-path-"));
    try {
      for (const tool of ["node", "mktemp", "id", "seq", "sleep", "cat", "rm", "tail", "tr"]) {
        symlinkSync(execFileSync("/bin/bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim(), path.join(bin, tool));
      }
      const dead = `127.0.0.1:${await freePort()}`;
      const env = { PATH: bin, TEST_REGISTRY: dead, DOCKER_HOST: "" };
      const local = services("ensure_docker; ensure_registry; services_summary; stop_test_services", { ...env, CI: "" });
      expect(local.stderr).toContain("!!! MISSING SERVICES: the tests that need them are SKIPPED");
      expect(local.stderr).toContain("no Docker Engine answers and dockerd is not installed");
      expect(local.stderr).toContain(`no registry answers at ${dead}, and neither docker-registry`);
      expect(local.stderr).toContain("sudo bash .ci/run");
      const ci = services("ensure_docker; ensure_registry; services_summary", { ...env, CI: "true" });
      expect(ci.stderr).toContain("!!! MISSING SERVICES (CI=true: the tests that need them FAIL)");
      // A DOCKER_HOST elsewhere is not replaced by a dockerd of ours on the default socket.
      const elsewhere = services("ensure_docker; services_summary", { ...env, DOCKER_HOST: "unix:///nonexistent/docker.sock" });
      expect(elsewhere.stderr).toContain("no Docker Engine answers at DOCKER_HOST=unix:///nonexistent/docker.sock (not started here");
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
