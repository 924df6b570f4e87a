/**
 * The command line through npm, as the README and the workflows run it: `npm run <script>` keeps
 * stdout the JSON alone (the project's .npmrc silences npm's banner), and the committed bundle
 * runs after `npm ci --omit=dev`. Moved from the unit tier, which spawns no npm: no Docker is
 * needed here either (the daemon is pointed at a socket that does not exist), only npm and its
 * cache.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const ENTRY = "dist/sglang-image-patcher.js";
const NO_DAEMON = { DOCKER_HOST: "unix:///nonexistent/docker.sock" };

function npmRun(args: string[]) {
  const r = spawnSync("npm", ["run", ...args], { cwd: ROOT, env: { ...process.env, ...NO_DAEMON }, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("npm run", () => {
  it("through npm run, stdout is the JSON alone (no npm banner)", () => {
    const plan = npmRun(["build-image", "--", "--dry-run"]);
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout)).toMatchObject({ ok: true, dryRun: true });
    const failed = npmRun(["verify-image", "--", "example.invalid/img:1"]);
    expect(failed.code).toBe(3);
    expect(JSON.parse(failed.stdout)).toMatchObject({ ok: false, verify: { outcome: "not-run" } });
  });

  it("release:watch and release:propose through npm run: one JSON document, the table and help elsewhere", () => {
    const watch = npmRun(["release:watch", "--", "--pypi-json", "test/unit/fixtures/pypi/sglang-recorded.json", "--no-probe"]);
    expect(watch.code).toBe(0);
    expect(JSON.parse(watch.stdout)).toMatchObject({ ok: true, newest: "0.5.23", propose: [] });
    expect(watch.stderr).toMatch(/newest supported: 0\.5\.23; to propose: nothing new/);
    const bad = npmRun(["release:propose", "--", "0.5.99", "--pypi-json", "test/unit/fixtures/pypi/sglang-recorded.json"]);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, error: { exitCode: 2 } });
  });
});

describe("the committed bundle", () => {
  it("runs after `npm ci --omit=dev` (no tsx, no TypeScript, no esbuild)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "sip-omit-dev-"));
    for (const f of ["package.json", "package-lock.json", ".npmrc", "dist", "dockerfiles", "verify", "patches", "build.yaml"]) {
      cpSync(path.join(ROOT, f), path.join(dir, f), { recursive: true });
    }
    // The checkout's own plan, taken right after the copy (the same inputs must pack the same context).
    const here = JSON.parse(execFileSync(process.execPath, [ENTRY, "build", "--dry-run"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })) as {
      targets: { context: { sha256: string } }[];
    };
    // From npm's cache: `npm ci` of this checkout already fetched every package.
    execFileSync("npm", ["ci", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir, stdio: "pipe" });
    expect(() => statSync(path.join(dir, "node_modules/tsx"))).toThrow();
    expect(() => statSync(path.join(dir, "node_modules/esbuild"))).toThrow();
    const out = execFileSync(process.execPath, [ENTRY, "build", "--dry-run"], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const plan = JSON.parse(out) as { ok: boolean; targets: { target: string; context: { sha256: string } }[] };
    expect(plan.ok).toBe(true);
    expect(plan.targets.map((t) => t.target)).toEqual(["v0.5.9-cu129-amd64"]);
    expect(plan.targets[0]?.context.sha256).toBe(here.targets[0]?.context.sha256);
  }, 120_000);
});
