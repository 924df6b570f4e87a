/** Provenance labels from the checkout: commit, its time (or SOURCE_DATE_EPOCH), the source. */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { publishableSource, readProvenance } from "../../src/provenance.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const git = (...args: string[]) => execFileSync("git", ["-C", ROOT, ...args], { encoding: "utf8" }).trim();

describe("provenance", () => {
  it("is the checkout's commit and commit time, the given source winning over the remote", () => {
    const p = readProvenance(ROOT, "https://example.invalid/src", {});
    expect(p.revision).toBe(git("rev-parse", "HEAD"));
    expect(p.created).toBe(new Date(Number(git("log", "-1", "--format=%ct")) * 1000).toISOString());
    expect(p.source).toBe("https://example.invalid/src");
  });

  it("SOURCE_DATE_EPOCH pins the time", () => {
    expect(readProvenance(ROOT, "s", { SOURCE_DATE_EPOCH: "86400" }).created).toBe("1970-01-02T00:00:00.000Z");
  });

  it("outside a git checkout: unknown revision and source, the time now", () => {
    const before = Date.now();
    const p = readProvenance(mkdtempSync(path.join(os.tmpdir(), "sip-nogit-")), undefined, {});
    expect(p).toMatchObject({ revision: "unknown", source: "unknown" });
    expect(Date.parse(p.created)).toBeGreaterThanOrEqual(before - 1000);
  });
});

// A clone URL with a credential in it: it must not reach a label, the attestation or stdout.
const TOKEN_URL = "https://user:TOKEN-5ecret@github.com/o/r.git";

describe("the source never carries a credential", () => {
  it.each([
    [TOKEN_URL, "https://github.com/o/r.git"],
    ["https://x-access-token:ghs_TOKEN-5ecret@github.com/o/r", "https://github.com/o/r"],
    ["https://TOKEN-5ecret@github.com/o/r.git", "https://github.com/o/r.git"],
    ["https://github.com/o/r.git?token=TOKEN-5ecret#frag", "https://github.com/o/r.git"],
    ["ssh://git:TOKEN-5ecret@host.example:22/o/r.git", "ssh://host.example:22/o/r.git"],
    ["git@github.com:o/r.git", "git@github.com:o/r.git"],
    ["https://user:TOKEN-5ecret@[broken/o/r.git", "unknown"],
  ])("%s -> %s", (given, published) => {
    expect(publishableSource(given)).toBe(published);
  });

  it("the git remote fallback is stripped", () => {
    const repo = mkdtempSync(path.join(os.tmpdir(), "sip-remote-"));
    execFileSync("git", ["init", "-q", repo]);
    execFileSync("git", ["-C", repo, "remote", "add", "origin", TOKEN_URL]);
    expect(readProvenance(repo, undefined, {}).source).toBe("https://github.com/o/r.git");
    // An explicit source (build.yaml's `source:`) goes through the same filter.
    expect(readProvenance(repo, TOKEN_URL, {}).source).toBe("https://github.com/o/r.git");
  });

  it("a dry run from a checkout whose origin holds a token prints it nowhere (labels, provenance, logs)", () => {
    // The checkout's git, stood in for by a repository whose origin holds the token (GIT_DIR), so
    // the shared .git is untouched.
    const gitDir = path.join(mkdtempSync(path.join(os.tmpdir(), "sip-remote-")), ".git");
    execFileSync("git", ["init", "-q", "--separate-git-dir", gitDir, path.dirname(gitDir) + "-wt"]);
    execFileSync("git", ["--git-dir", gitDir, "remote", "add", "origin", TOKEN_URL]);
    const env = { ...process.env, DOCKER_HOST: "unix:///nonexistent/docker.sock", GIT_DIR: gitDir };
    expect(execFileSync("git", ["-C", ROOT, "remote", "get-url", "origin"], { env, encoding: "utf8" }).trim()).toBe(TOKEN_URL);
    const r = spawnSync(process.execPath, ["dist/sglang-image-patcher.js", "build", "--dry-run", "--config", path.join(ROOT, "test/unit/fixtures/no-source.yaml")], { cwd: ROOT, env, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.provenance.source).toBe("https://github.com/o/r.git");
    expect(out.targets[0].labels["org.opencontainers.image.source"]).toBe("https://github.com/o/r.git");
    expect(r.stdout + r.stderr).not.toMatch(/TOKEN-5ecret|user:/);
  });
});
