/**
 * The command line as users run it (the committed bundle, through node): stdout is the help or
 * one JSON document and nothing else; verify-image says `not-run` when the suite never ran. No
 * Docker needed: the daemon is pointed at a socket that does not exist. The same through
 * `npm run` (npm's banner must stay off stdout) is test/integration/npm-run.itest.ts: the unit
 * tier spawns no npm.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const NO_DAEMON = { DOCKER_HOST: "unix:///nonexistent/docker.sock" };

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, ["dist/sglang-image-patcher.js", ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("the command line", () => {
  it("answers --help for each command, and lists the commands", () => {
    const build = cli(["build", "--help"]);
    expect(build.code).toBe(0);
    expect(build.stdout).toMatch(/^Usage: npm run build-image -- \[options\]/);
    expect(build.stdout).toContain("--verify-mode MODE");
    expect(cli(["verify", "-h"]).stdout).toMatch(/^Usage: npm run verify-image -- IMAGE/);
    expect(cli([]).stdout).toMatch(/^Usage: sglang-image-patcher <command>/);
    const unknown = cli(["bulid"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "bulid"');
  });

  it("a bad option is one JSON result on stdout and exit 2, even next to --help", () => {
    const r = cli(["build", "--help", "--bogus"]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { exitCode: 2 } });
    expect(r.stderr).toContain("Unknown option '--bogus'");
  });

  it("verify-image reports not-run, not failed, when the suite never ran", () => {
    const badArgs = cli(["verify"]);
    expect(badArgs.code).toBe(2);
    expect(JSON.parse(badArgs.stdout)).toMatchObject({ ok: false, verify: { outcome: "not-run" }, error: { exitCode: 2 } });
    const noDaemon = cli(["verify", "example.invalid/img:1"], NO_DAEMON);
    expect(noDaemon.code).toBe(3);
    expect(JSON.parse(noDaemon.stdout)).toMatchObject({ ok: false, image: "example.invalid/img:1", verify: { outcome: "not-run" }, error: { exitCode: 3 } });
  });

  it("release-watch and release-propose: one JSON document, the table and help elsewhere", () => {
    const watch = cli(["release-watch", "--pypi-json", "test/unit/fixtures/pypi/sglang-recorded.json", "--no-probe"]);
    expect(watch.code).toBe(0);
    expect(JSON.parse(watch.stdout)).toMatchObject({ ok: true, newest: "0.5.23", propose: [] });
    expect(watch.stderr).toMatch(/newest supported: 0\.5\.23; to propose: nothing new/);
    expect(cli(["release-propose", "--help"]).stdout).toMatch(/^Usage: npm run release:propose -- VERSION \[options\]/);
    // PyPI unreachable (nothing listens on port 9): a failure under CI=true, never "nothing new"
    const down = cli(["release-watch", "--pypi-url", "http://127.0.0.1:9/pypi/sglang/json"], { CI: "true" });
    expect(down.code).toBe(1);
    expect(JSON.parse(down.stdout)).toMatchObject({ ok: false, error: { exitCode: 1, message: expect.stringContaining("PyPI could not be reached") } });
    const bad = cli(["release-propose", "0.5.99", "--pypi-json", "test/unit/fixtures/pypi/sglang-recorded.json"]);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, error: { exitCode: 2 } });
  });
});
