/**
 * scripts/release-pull-request.sh (release-watch.yml's writing step) against a local bare
 * repository as the remote and a stand-in `gh` that keeps the pull request's state in a file:
 * one branch and one pull request per release, updated and never duplicated, a draft while the
 * proposal is not ready, labelled release-ready once it is, and nothing pushed without a proposal
 * or when nothing a reviewer sees changed. Needs git and jq (the runner has both).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SCRIPT = path.join(ROOT, "scripts/release-pull-request.sh");
const BRANCH = "release-watch/sglang-v0.5.24";

// The stand-in gh (a script of its own, so shellcheck reads it): appends each call to $GH_LOG;
// one pull request's state in $GH_STATE.
const FAKE_GH = path.join(ROOT, "test/unit/fixtures/fake-gh/gh");

let base: string;
const git = (cwd: string, ...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd, encoding: "utf8" }).trim();

beforeAll(() => {
  base = mkdtempSync(path.join(os.tmpdir(), "release-pr-"));
  mkdirSync(path.join(base, "bin"));
  copyFileSync(FAKE_GH, path.join(base, "bin/gh"));
  chmodSync(path.join(base, "bin/gh"), 0o755);
  git(base, "init", "-q", "--bare", "-b", "main", "remote.git");
  git(base, "init", "-q", "-b", "main", "seed");
  writeFileSync(path.join(base, "seed/README.md"), "project\n");
  git(path.join(base, "seed"), "add", "README.md");
  git(path.join(base, "seed"), "commit", "-q", "-m", "seed");
  git(path.join(base, "seed"), "push", "-q", path.join(base, "remote.git"), "main");
  git(base, "clone", "-q", path.join(base, "remote.git"), "work");
});

function proposal(ok: boolean, diff: string): string {
  const dir = mkdtempSync(path.join(base, "proposal-"));
  mkdirSync(path.join(dir, "series"));
  writeFileSync(path.join(dir, "series/0001-a.patch"), diff);
  writeFileSync(path.join(dir, "SUMMARY.md"), `# SGLang 0.5.24: ${ok ? "READY" : "CONFLICTED"}\n\nsteps...\n`);
  writeFileSync(path.join(dir, "proposal.json"), JSON.stringify({ ok, version: "0.5.24", seconds: Math.random() }));
  writeFileSync(path.join(dir, "targets.yaml"), "targets: {}\n");
  return dir;
}

function run(dir: string) {
  const log = path.join(base, "gh.log");
  rmSync(log, { force: true });
  const r = spawnSync("bash", [SCRIPT], {
    cwd: path.join(base, "work"),
    encoding: "utf8",
    env: { ...process.env, PATH: `${path.join(base, "bin")}:${process.env.PATH}`, GH_LOG: log, GH_STATE: path.join(base, "pr.json"), VERSION: "0.5.24", PROPOSAL: dir, BASE: "main", RELEASE_PR_REMOTE: path.join(base, "remote.git") },
  });
  return { code: r.status, stderr: r.stderr, gh: existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [] };
}

const remoteHead = () => spawnSync("git", ["rev-parse", "--verify", "-q", `refs/heads/${BRANCH}`], { cwd: path.join(base, "remote.git"), encoding: "utf8" }).stdout.trim();
const pr = () => JSON.parse(readFileSync(path.join(base, "pr.json"), "utf8")) as { number: number; draft: boolean };

describe("release-pull-request.sh", () => {
  it("no proposal folder: nothing pushed, gh not called", () => {
    const r = run(path.join(base, "missing"));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/no proposal for sglang 0\.5\.24 .*nothing pushed/);
    expect(r.gh).toEqual([]);
    expect(remoteHead()).toBe("");
  });

  it("a conflicted proposal: its branch is pushed and a draft pull request opened, without the ready label", () => {
    const r = run(proposal(false, "diff v1\n"));
    expect(r.code, r.stderr).toBe(0);
    expect(remoteHead()).toMatch(/^[0-9a-f]{40}$/);
    const files = git(path.join(base, "remote.git"), "ls-tree", "-r", "--name-only", BRANCH).split("\n");
    expect(files).toEqual(expect.arrayContaining(["README.md", "proposals/sglang-v0.5.24/SUMMARY.md", "proposals/sglang-v0.5.24/series/0001-a.patch"]));
    const create = r.gh.filter((c) => c.startsWith("pr create"));
    expect(create).toHaveLength(1);
    expect(create[0]).toMatch(/--head release-watch\/sglang-v0\.5\.24 --title sglang 0\.5\.24: release proposal \(CONFLICTED\) .*--label release-proposal --draft$/);
    expect(create[0]).not.toContain("release-ready");
    expect(pr()).toEqual({ number: 7, draft: true });
  });

  it("the same proposal again (only timings differ): nothing pushed, the same pull request edited, none created", () => {
    const before = remoteHead();
    const r = run(proposal(false, "diff v1\n"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("already holds this proposal: nothing pushed");
    expect(remoteHead()).toBe(before);
    expect(r.gh.filter((c) => c.startsWith("pr create"))).toEqual([]);
    expect(r.gh).toContain("pr edit 7 --remove-label release-ready");
  });

  it("resolved and passing: the branch is updated in place and the same pull request becomes ready, labelled", () => {
    const before = remoteHead();
    const r = run(proposal(true, "diff v2\n"));
    expect(r.code, r.stderr).toBe(0);
    expect(remoteHead()).not.toBe(before);
    expect(git(path.join(base, "remote.git"), "show", `${BRANCH}:proposals/sglang-v0.5.24/series/0001-a.patch`)).toBe("diff v2");
    // one commit on top of main: force-pushed, not stacked
    expect(git(path.join(base, "remote.git"), "rev-list", "--count", `main..${BRANCH}`)).toBe("1");
    expect(r.gh.filter((c) => c.startsWith("pr create"))).toEqual([]);
    expect(r.gh).toContain("pr edit 7 --add-label release-ready");
    expect(r.gh).toContain("pr ready 7");
    expect(pr()).toEqual({ number: 7, draft: false });
  });
});
