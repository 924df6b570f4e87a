/**
 * release:propose's own logic with its tools replaced by stand-ins (the real port, check and
 * folder on real releases: test/python/patchtools/test_release_propose.py): which step runs after
 * which, exit codes, what the folder holds, fail-closed image tags, and the failure paths (an
 * unknown, yanked or pre-release version, PyPI unreachable under CI=true) writing nothing.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runReleasePropose } from "../../src/cli/release.js";
import { candidateTargets, readTargets, targetsYaml, type TagReader } from "../../src/release/image-targets.js";
import type { RunTool, ToolResult } from "../../src/release/run-tool.js";
import { engineFailure, envRelease } from "../../src/release/proposal.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const RECORDED = path.join(ROOT, "test/unit/fixtures/pypi/sglang-recorded.json");
const EDITED = path.join(ROOT, "test/unit/fixtures/pypi/sglang-yanked-and-prerelease.json");

const done = (code: number, stdout = "", stderr = ""): ToolResult => ({ code, stdout, stderr, seconds: 1.5 });
const MERGED = { diffs: [{ source: "0001-a.patch", status: "merged", exact: true, file: "0001-a.patch" }, { source: "0002-b.patch", status: "upstream", note: "dropped" }], seconds_port: 4.2 };
const CONFLICTED = {
  diffs: [
    { source: "0001-a.patch", status: "merged", exact: false, file: "0001-a.patch" },
    { source: "0002-b.patch", status: "conflict", file: "0002-b.patch.conflict", hunks: [{ file: "python/sglang/srt/x.py", hunk: "@@ -10,6 +10,8 @@ def f():", why: "upstream changed or removed 1 line(s) the diff expects, e.g. 'y = 1'" }] },
    { source: "0003-c.patch", status: "conflict", file: "0003-c.patch.conflict", hunks: [{ file: "python/sglang/srt/x.py", hunk: "@@ -40,3 +42,4 @@", why: "builds on lines an earlier diff adds that did not merge here, e.g. 'z'" }] },
  ],
  seconds_port: 3.1,
};
const CLAUSES = { clauses: [{ id: "chat.nonstream-ids", text: "t", stock: false, with_series: true, added_by: "0001-a.patch" }, { id: "chat.flag-false-stock", text: "t", stock: true, with_series: true, added_by: "stock" }] };
const MATRIX_OK = { patched: { passed: 40, total: 40 }, stock: { passed: 9, total: 40 }, patched_passes: true, control_fails: true };

/** Stand-ins for the python tools: records each call's tool name; `port` answers as given. */
function tools(port: unknown, portCode: number, over: Partial<Record<string, ToolResult>> = {}): { run: RunTool; calls: string[]; argv: string[][] } {
  const calls: string[] = [];
  const seen: string[][] = [];
  const run: RunTool = async (argv, opts) => {
    const name = argv[0]!.endsWith("python") || argv[0] === "python3" ? "pytest" : path.basename(argv[1]!);
    calls.push(name);
    seen.push(argv);
    if (over[name]) return over[name]!;
    if (name === "patches-port.sh") {
      const out = argv[argv.indexOf("--out") + 1]!;
      mkdirSync(out, { recursive: true });
      writeFileSync(path.join(out, "PORT.md"), "# Port of the sglang v0.5.9 series to v0.5.24\n\n| source diff | result | file here |\n");
      return done(portCode, JSON.stringify(port));
    }
    if (name === "patches-check.sh") return done(0, "patches-check: 1 patch(es) apply and compile\n");
    if (name === "release-env.sh") return done(0, `${opts.cwd}/.venv\n`);
    if (name === "patches-matrix.sh") return done(0, JSON.stringify(MATRIX_OK));
    if (name === "patches-overlap.sh") return done(0, JSON.stringify(CLAUSES));
    if (name === "pytest") return done(0, "1 passed, 40 deselected in 95.00s\n");
    throw new Error(`unexpected tool ${argv.join(" ")}`);
  };
  return { run, calls, argv: seen };
}

const confirmAll: TagReader = async (ref) => ({ ref, present: true, manifestDigest: "sha256:abc" });
const unreadable: TagReader = async () => {
  throw new Error("fetch failed");
};

/** A recorded PyPI answer with one more release, as the day a new one appears. */
function pypiWith(version: string): string {
  const rec = JSON.parse(readFileSync(RECORDED, "utf8"));
  rec.releases[version] = [{ filename: `sglang-${version}-py3-none-any.whl`, yanked: false, upload_time_iso_8601: "2026-12-07T00:00:00Z" }];
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "pypi-")), "pypi.json");
  writeFileSync(file, JSON.stringify(rec));
  return file;
}

const outDir = () => path.join(mkdtempSync(path.join(os.tmpdir(), "proposal-")), "sglang-v0.5.24");

afterEach(() => vi.restoreAllMocks());
const quiet = () => vi.spyOn(process.stderr, "write").mockImplementation(() => true);

describe("envRelease: the Python layer a proposal's matrix and overlap run with", () => {
  const root = () => {
    const r = mkdtempSync(path.join(os.tmpdir(), "envrel-"));
    mkdirSync(path.join(r, "python/requirements"), { recursive: true });
    return r;
  };
  it("the release's own requirements file wins; else the series' release's is borrowed; else .venv", () => {
    const r = root();
    expect(envRelease(r, "0.5.13", "0.5.12")).toEqual({ release: "0.5.13", requirements: null, borrowed: false });
    writeFileSync(path.join(r, "python/requirements/sglang-0.5.12.txt"), "soundfile==0.13.1\n");
    expect(envRelease(r, "0.5.13", "0.5.12")).toEqual({ release: "0.5.12", requirements: "python/requirements/sglang-0.5.12.txt", borrowed: true });
    writeFileSync(path.join(r, "python/requirements/sglang-0.5.13.txt"), "soundfile==0.13.1\n");
    expect(envRelease(r, "0.5.13", "0.5.12")).toEqual({ release: "0.5.13", requirements: "python/requirements/sglang-0.5.13.txt", borrowed: false });
  });
});

describe("engineFailure: why the CPU-engine start failed, in one table cell", () => {
  it("the last exception pytest's E lines name, not -q's progress line", () => {
    const out = ["E                                                                        [100%]", "==== ERRORS ====",
      "E               real_server.ServerFailed: server exited with 1 before it was ready:", "E               Traceback (most recent call last):",
      "E                   import soundfile as sf", "E               ModuleNotFoundError: No module named 'soundfile'", "13 deselected, 1 error in 29.53s"].join("\n");
    expect(engineFailure(out)).toBe("ModuleNotFoundError: No module named 'soundfile'");
    expect(engineFailure("E   [100%]\nE   ValueError: SGLANG_TEST_RELEASE_ENGINE: no registered release\n")).toBe("ValueError: SGLANG_TEST_RELEASE_ENGINE: no registered release");
    expect(engineFailure("SKIPPED [1] x.py:3: no engine\n1 skipped")).toBe("SKIPPED [1] x.py:3: no engine");
  });
});

describe("release:propose", () => {
  it("every step passed: exit 0, READY, the folder holds series/, PORT.md, targets.yaml, SUMMARY.md, proposal.json", async () => {
    quiet();
    const out = outDir();
    const t = tools(MERGED, 0);
    const { code, result } = await runReleasePropose(["0.5.24", "--out", out, "--pypi-json", pypiWith("0.5.24")], { root: ROOT, runTool: t.run, readTag: confirmAll });
    expect(code).toBe(0);
    expect(result).toMatchObject({ ok: true, clean: true, version: "0.5.24", from: { version: "0.5.23" } });
    expect(t.calls).toEqual(["patches-port.sh", "patches-check.sh", "release-env.sh", "patches-matrix.sh", "patches-overlap.sh", "pytest"]);
    // 0.5.24 has no requirements file: the matrix and overlap ran in the 0.5.23 series' layer
    expect(t.argv.find((a) => a[1]!.endsWith("release-env.sh"))!.slice(2)).toEqual(["0.5.23"]);
    const summary = readFileSync(path.join(out, "SUMMARY.md"), "utf8");
    expect(summary.split("\n")[0]).toBe("# SGLang 0.5.24: READY");
    expect(summary).toContain("Python layer: the 0.5.23 one (`python/requirements/sglang-0.5.23.txt`; 0.5.24 has no requirements file yet)");
    expect(summary).toMatch(/\| matrix \| passed \| 1\.5 s \| patched 40\/40 scenarios keep the contract; unpatched control 9\/40 \|/);
    expect(summary).toContain("No longer needed (the release already contains them): `0002-b.patch`");
    expect(summary).toContain("stock 0.5.24 already satisfies 1 of 2 clauses (chat.flag-false-stock)");
    const port = readFileSync(path.join(out, "PORT.md"), "utf8");
    expect(port).toContain("| `chat.nonstream-ids` | no | `0001-a.patch` |  |");
    expect(port).toContain("| `0002-b.patch` | dropped: already in the release | - | - |");
    const targets = readFileSync(path.join(out, "targets.yaml"), "utf8");
    expect(targets).toMatch(/^ {2}v0\.5\.24-cu130-amd64:\n {4}release: "0\.5\.24"\n {4}base: lmsysorg\/sglang:v0\.5\.24-cu130\n/m);
    expect(targets).toMatch(/^indexes:\n {2}v0\.5\.24-cu130: \[v0\.5\.24-cu130-amd64, v0\.5\.24-cu130-arm64\]/m);
    expect(JSON.parse(readFileSync(path.join(out, "proposal.json"), "utf8"))).toMatchObject({ ok: true, version: "0.5.24" });
  });

  it("a conflicted port: exit 1, the folder is still written, the later steps are skipped, the summary names each hunk", async () => {
    quiet();
    const out = outDir();
    const t = tools(CONFLICTED, 1);
    const { code, result } = await runReleasePropose(["0.5.24", "--out", out, "--pypi-json", pypiWith("0.5.24")], { root: ROOT, runTool: t.run, readTag: confirmAll });
    expect(code).toBe(1);
    expect(result).toMatchObject({ ok: false, clean: false });
    expect(t.calls).toEqual(["patches-port.sh"]);
    const steps = result.steps as { name: string; status: string; detail: string }[];
    expect(steps.map((s) => `${s.name}:${s.status}`)).toEqual(["port:failed", "check:skipped", "matrix:skipped", "overlap:skipped", "cpu-engine:skipped", "targets:passed"]);
    expect(steps[0]!.detail).toBe("1 merged, 0 upstream, 2 conflict; 2 hunk(s) need a person, 1 of them conflicts of their own");
    const summary = readFileSync(path.join(out, "SUMMARY.md"), "utf8");
    expect(summary.split("\n")[0]).toBe("# SGLang 0.5.24: CONFLICTED");
    expect(summary).toContain("- `0002-b.patch.conflict`: 1 hunk(s), 1 of its own, 0 follow from an earlier conflict; first: `sglang/srt/x.py` `@@ -10,6 +10,8 @@`: upstream changed");
    expect(summary).toContain("- `0003-c.patch.conflict`: 1 hunk(s), 0 of its own, 1 follow from an earlier conflict");
    expect(readFileSync(path.join(out, "PORT.md"), "utf8")).toMatch(/\| `0002-b\.patch` \| CONFLICTED \| `0002-b\.patch\.conflict` \| `python\/sglang\/srt\/x\.py` `@@ -10,6 \+10,8 @@ def f\(\):`: upstream changed/);
  });

  it("a step that fails (the unpatched control passes everything) makes it FAILING, exit 1; --skip is never ok", async () => {
    quiet();
    const t = tools(MERGED, 0, { "patches-matrix.sh": done(1, JSON.stringify({ ...MATRIX_OK, stock: { passed: 40, total: 40 }, control_fails: false })) });
    const { code, result } = await runReleasePropose(["0.5.24", "--out", outDir(), "--pypi-json", pypiWith("0.5.24")], { root: ROOT, runTool: t.run, readTag: confirmAll });
    expect(code).toBe(1);
    expect(result).toMatchObject({ ok: false, clean: true });
    expect((result.steps as { name: string; detail: string }[]).find((s) => s.name === "matrix")!.detail).toContain("(the control must fail some)");
    const engine = await runReleasePropose(["0.5.24", "--out", outDir(), "--pypi-json", pypiWith("0.5.24")], {
      root: ROOT,
      runTool: tools(MERGED, 0, { pytest: done(2, "E   ValueError: SGLANG_TEST_RELEASE_ENGINE: no registered release at or below 0.5.24\n1 error in 2.10s\n") }).run,
      readTag: confirmAll,
    });
    expect(engine.code).toBe(1);
    expect((engine.result.steps as { name: string; status: string; detail: string }[]).find((s) => s.name === "cpu-engine")).toMatchObject({ status: "failed", detail: "1 error in 2.10s: ValueError: SGLANG_TEST_RELEASE_ENGINE: no registered release at or below 0.5.24" });
    const skipped = await runReleasePropose(["0.5.24", "--out", outDir(), "--pypi-json", pypiWith("0.5.24"), "--skip", "cpu-engine"], { root: ROOT, runTool: tools(MERGED, 0).run, readTag: confirmAll });
    expect(skipped.code).toBe(1);
    expect(skipped.result).toMatchObject({ ok: false, clean: true });
  });

  it("image tags the registry could not be asked about are never written as targets (fail closed)", async () => {
    quiet();
    const out = outDir();
    const { result } = await runReleasePropose(["0.5.24", "--out", out, "--pypi-json", pypiWith("0.5.24")], { root: ROOT, runTool: tools(MERGED, 0).run, readTag: unreadable });
    expect(result.ok).toBe(false);
    const targets = readFileSync(path.join(out, "targets.yaml"), "utf8");
    const live = targets.split("\n").filter((l) => /^ {2}v0\.5\.24/.test(l));
    expect(live).toEqual([]);
    expect(targets).toContain("  # UNCONFIRMED lmsysorg/sglang:v0.5.24-cu130: the registry could not be read: fetch failed");
    expect(targets).toContain("  # v0.5.24-cu130: [v0.5.24-cu130-amd64, v0.5.24-cu130-arm64]");
    expect(readFileSync(path.join(out, "SUMMARY.md"), "utf8")).toContain("none confirmed; UNCONFIRMED (registry not readable): v0.5.24-cu130, v0.5.24-cu130-runtime");
  });

  it.each([
    ["0.5.99", RECORDED, /sglang 0\.5\.99 is not a release of sglang on PyPI; nothing proposed/],
    ["0.5.23", EDITED, /sglang 0\.5\.23 is yanked on PyPI/],
    ["0.5.24rc0", EDITED, /0\.5\.24rc0 is a pre-release; only final releases are proposed/],
    ["latest", RECORDED, /latest is not a release version/],
  ])("%s: exit 2, nothing run, nothing written", async (version, pypi, message) => {
    const out = outDir();
    const t = tools(MERGED, 0);
    await expect(runReleasePropose([version, "--out", out, "--pypi-json", pypi], { root: ROOT, runTool: t.run, readTag: confirmAll })).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(message) });
    expect(t.calls).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });

  it("PyPI unreachable under CI=true: exit 1 before anything runs", async () => {
    quiet();
    const out = outDir();
    const t = tools(MERGED, 0);
    const down = async () => {
      throw new TypeError("fetch failed");
    };
    await expect(runReleasePropose(["0.5.24", "--out", out], { root: ROOT, runTool: t.run, fetch: down, env: { CI: "true" } })).rejects.toMatchObject({ name: "PypiUnreachableError", exitCode: 1 });
    expect(t.calls).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });
});

describe("image targets", () => {
  it("from v0.5.20 one multi-arch tag per lane, cu130 only; up to v0.5.19 a tag per lane and architecture", () => {
    expect(candidateTargets("0.5.23").map((c) => `${c.target}<-${c.base.split(":")[1]}`)).toEqual([
      "v0.5.23-cu130-amd64<-v0.5.23-cu130",
      "v0.5.23-cu130-arm64<-v0.5.23-cu130",
      "v0.5.23-cu130-amd64-runtime<-v0.5.23-cu130-runtime",
      "v0.5.23-cu130-arm64-runtime<-v0.5.23-cu130-runtime",
    ]);
    const old = candidateTargets("0.5.19");
    expect(old).toHaveLength(8);
    expect(old.every((c) => c.base === `lmsysorg/sglang:${c.target}` && !c.index)).toBe(true);
  });

  it("a 404 is absent (not listed), a read is confirmed, an error unconfirmed; each tag read once", async () => {
    const asked: string[] = [];
    const reader: TagReader = async (ref) => {
      asked.push(ref);
      if (ref.endsWith("-runtime")) return { ref, present: false };
      return { ref, present: true, manifestDigest: "sha256:1" };
    };
    const answers = await readTargets("0.5.23", reader);
    expect(asked.sort()).toEqual(["lmsysorg/sglang:v0.5.23-cu130", "lmsysorg/sglang:v0.5.23-cu130-runtime"]);
    const yaml = targetsYaml("0.5.23", answers);
    expect(yaml).not.toContain("runtime");
    expect(yaml).toContain("  v0.5.23-cu130: [v0.5.23-cu130-amd64, v0.5.23-cu130-arm64]");
  });
});
