/**
 * release:watch against RECORDED PyPI answers (test/unit/fixtures/pypi, README there says what is
 * recorded and what is edited): nothing new, new releases, a yanked release, pre-releases, a
 * release a series already covers unchanged (the probe, with the tools replaced by stand-ins), and
 * PyPI unreachable (fails under CI=true, says so elsewhere). No network, no Python.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runReleaseWatch } from "../../src/cli/release.js";
import { classify, nearestSeries, readCoverage } from "../../src/release/coverage.js";
import { fetchPypiReleases, parsePypiAnswer, PypiUnreachableError } from "../../src/release/pypi-releases.js";
import type { RunTool } from "../../src/release/run-tool.js";
import { compareText, isPrerelease, parseVersion, sortVersions } from "../../src/release/versions.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const RECORDED = path.join(ROOT, "test/unit/fixtures/pypi/sglang-recorded.json");
const EDITED = path.join(ROOT, "test/unit/fixtures/pypi/sglang-yanked-and-prerelease.json");

/** A checkout with series for 0.5.9 (built) and 0.5.12 (covering 0.5.12.post1 too, no targets). */
function fixtureRoot(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "release-watch-"));
  const series = (v: string, releases?: string[]) => {
    mkdirSync(path.join(root, `patches/sglang-v${v}`), { recursive: true });
    writeFileSync(path.join(root, `patches/sglang-v${v}/patchset.yaml`), `name: x\nsglangVersion: ${v}\n${releases ? `releases: ${JSON.stringify(releases)}\n` : ""}upstream: {repository: r, tag: v${v}, commit: "0"}\n`);
  };
  series("0.5.9");
  series("0.5.12", ["0.5.12", "0.5.12.post1"]);
  writeFileSync(path.join(root, "build.yaml"), 'releases:\n  "0.5.9":\n    patchSet: patches/sglang-v0.5.9\ntargets: {}\n');
  return root;
}

const noTools: RunTool = async (argv) => {
  throw new Error(`no tool should run: ${argv.join(" ")}`);
};

afterEach(() => vi.restoreAllMocks());

describe("versions", () => {
  it("orders releases as pip does: dev < rc < final < post", () => {
    expect(sortVersions(["0.5.10", "0.5.9", "0.5.10.post1", "0.5.10rc0", "0.5.10.dev1", "0.5.23", "0.5.12.post1"])).toEqual(["0.5.9", "0.5.10.dev1", "0.5.10rc0", "0.5.10", "0.5.10.post1", "0.5.12.post1", "0.5.23"]);
    expect(compareText("0.5.9", "0.5.23")).toBe(-1);
    expect(isPrerelease(parseVersion("0.5.24rc0")!)).toBe(true);
    expect(isPrerelease(parseVersion("0.5.12.post1")!)).toBe(false);
    expect(parseVersion("latest")).toBeUndefined();
  });
});

describe("PyPI's answer", () => {
  it("the recording: finals sorted, the pre-release apart, nothing yanked", async () => {
    const r = parsePypiAnswer(JSON.parse(readFileSync(RECORDED, "utf8")));
    expect(r.releases.at(-1)).toBe("0.5.23");
    expect(r.releases).toEqual(expect.arrayContaining(["0.5.9", "0.5.10.post1", "0.5.12.post1", "0.5.15.post1", "0.5.19", "0.5.20"]));
    expect(r.prereleases).toContain("0.5.10rc0");
    expect(r.releases).not.toContain("0.5.10rc0");
    expect(r.yanked).toEqual([]);
  });

  it("a release whose every file is yanked is listed apart with its reason; a key without files is not a release", async () => {
    const r = parsePypiAnswer(JSON.parse(readFileSync(EDITED, "utf8")));
    expect(r.yanked).toEqual([{ version: "0.5.23", reason: "broken wheel (edited for the test)" }]);
    expect(r.releases.at(-1)).toBe("0.5.22");
    expect(r.prereleases).toContain("0.5.24rc0");
    expect(r.empty).toEqual(["0.5.24.dev3"]);
  });

  it("a network failure, an HTTP error or an answer that is not the JSON API is PypiUnreachableError (exit 1)", async () => {
    const refused = async () => {
      throw Object.assign(new TypeError("fetch failed"), { cause: new Error("connect ECONNREFUSED 127.0.0.1:9") });
    };
    await expect(fetchPypiReleases("http://127.0.0.1:9/", refused)).rejects.toThrow(/could not be reached .*ECONNREFUSED/);
    await expect(fetchPypiReleases("u", async () => new Response("down", { status: 503 }))).rejects.toThrow(/HTTP 503/);
    await expect(fetchPypiReleases("u", async () => new Response("<html>captive portal</html>", { status: 200 }))).rejects.toBeInstanceOf(PypiUnreachableError);
    await expect(fetchPypiReleases("u", async () => Response.json({ info: {} }))).rejects.toThrow(/no `releases` object/);
    expect(new PypiUnreachableError("x").exitCode).toBe(1);
  });
});

describe("coverage", () => {
  it("built, covered by a series' releases:, new (newer than every supported one) and not-supported gaps", () => {
    const c = readCoverage(fixtureRoot());
    expect(c.built).toEqual(["0.5.9"]);
    expect(classify(c, ["0.5.9", "0.5.10.post1", "0.5.12", "0.5.12.post1", "0.5.13", "0.5.23"]).map((r) => `${r.version}:${r.state}`)).toEqual([
      "0.5.9:built",
      "0.5.10.post1:not-supported",
      "0.5.12:covered",
      "0.5.12.post1:covered",
      "0.5.13:new",
      "0.5.23:new",
    ]);
  });

  it("the nearest series is the newest at or below the release, else the oldest", () => {
    const c = readCoverage(fixtureRoot());
    expect(nearestSeries(c, "0.5.23").sglangVersion).toBe("0.5.12");
    expect(nearestSeries(c, "0.5.10.post1").sglangVersion).toBe("0.5.9");
    expect(nearestSeries(c, "0.5.8").sglangVersion).toBe("0.5.9");
  });

  it("this checkout's series and build.yaml: every release they cover is supported", () => {
    const c = readCoverage(ROOT);
    for (const v of ["0.5.9", "0.5.23"]) expect(c.built).toContain(v);
    expect(c.series.map((s) => s.sglangVersion)).toEqual(expect.arrayContaining(["0.5.9", "0.5.23"]));
  });
});

describe("release:watch", () => {
  it("nothing new: the recording against this checkout (0.5.23 is supported)", async () => {
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const { code, result } = await runReleaseWatch(["--pypi-json", RECORDED], { root: ROOT, runTool: noTools });
    expect(code).toBe(0);
    expect(result).toMatchObject({ ok: true, newest: "0.5.23", propose: [] });
  });

  it("new releases: the same recording with 0.5.9 as the newest supported release (later series ignored)", async () => {
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const { result } = await runReleaseWatch(["--pypi-json", RECORDED, "--newest", "0.5.9", "--no-probe"], { root: ROOT, runTool: noTools });
    expect(result.newest).toBe("0.5.9");
    const propose = result.propose as string[];
    expect(propose.slice(0, 3)).toEqual(["0.5.10", "0.5.10.post1", "0.5.11"]);
    expect(propose.at(-1)).toBe("0.5.23");
    expect(propose).toEqual(expect.arrayContaining(["0.5.12", "0.5.15.post1", "0.5.19", "0.5.20"]));
    expect(propose).not.toContain("0.5.10rc0");
    const rows = result.releases as { version: string; state: string; series?: string }[];
    expect(rows.find((r) => r.version === "0.5.23")).toMatchObject({ state: "new", series: "patches/sglang-v0.5.9" });
    expect(rows.find((r) => r.version === "0.5.9")).toMatchObject({ state: "built" });
    // the table, for a person, on stderr
    const table = err.mock.calls.map((c) => String(c[0])).join("");
    expect(table).toMatch(/newest supported: 0\.5\.9; to propose: 0\.5\.10, 0\.5\.10\.post1, /);
    expect(table).toMatch(/\| 0\.5\.23 \| NEW: to propose \| patches\/sglang-v0\.5\.9 \| - \|/);
  });

  it("a yanked release and pre-releases are never proposed", async () => {
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const { result } = await runReleaseWatch(["--pypi-json", EDITED, "--newest", "0.5.9", "--no-probe"], { root: ROOT, runTool: noTools });
    const propose = result.propose as string[];
    expect(propose.at(-1)).toBe("0.5.22");
    expect(propose).not.toContain("0.5.23");
    expect(propose.filter((v) => /rc|dev/.test(v))).toEqual([]);
    expect(result.yanked).toEqual([{ version: "0.5.23", reason: "broken wheel (edited for the test)" }]);
    expect(result.prereleases).toEqual(expect.arrayContaining(["0.5.10rc0", "0.5.24rc0"]));
  });

  it("the probe: a new release the nearest series applies to and passes the core matrix is covered unchanged", async () => {
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const root = fixtureRoot();
    const calls: string[] = [];
    // Stand-ins for patches-check.sh and patches-matrix.sh: the 0.5.12 series applies to 0.5.13 only.
    const tools: RunTool = async (argv, opts) => {
      calls.push(`${path.basename(argv[1]!)} ${argv[2]} ${opts.env?.SGLANG_PATCH_DIR ? path.basename(opts.env.SGLANG_PATCH_DIR) : ""}`.trim());
      const applies = argv[2] === "0.5.13";
      if (argv[1]!.endsWith("patches-check.sh")) return { code: applies ? 0 : 1, stdout: "", stderr: applies ? "" : "patch failed", seconds: 1 };
      if (argv[1]!.endsWith("release-env.sh")) return { code: 0, stdout: "/venvs/sglang-0.5.13\n", stderr: "", seconds: 0 };
      expect(argv.slice(-2)).toEqual(["--python", "/venvs/sglang-0.5.13/bin/python"]);
      return { code: 0, stdout: "patched: 40/40 scenarios keep the contract\nstock: 12/40 scenarios keep the contract\n", stderr: "", seconds: 30 };
    };
    const { result } = await runReleaseWatch(["--pypi-json", RECORDED], { root, runTool: tools });
    const rows = result.releases as { version: string; state: string; probe?: { applies: boolean; coreMatrixPasses?: boolean } }[];
    expect(rows.find((r) => r.version === "0.5.13")).toMatchObject({ state: "covered-unchanged", probe: { applies: true, coreMatrixPasses: true } });
    expect(rows.find((r) => r.version === "0.5.14")).toMatchObject({ state: "new", probe: { applies: false } });
    expect(result.propose).not.toContain("0.5.13");
    expect(result.propose).toContain("0.5.23");
    expect(calls).toContain("patches-check.sh 0.5.13 sglang-v0.5.12");
    expect(calls).toContain("patches-matrix.sh 0.5.13");
    expect(calls.filter((c) => c.startsWith("patches-matrix.sh"))).toEqual(["patches-matrix.sh 0.5.13"]);
    expect(calls).toContain("release-env.sh 0.5.13");
  });

  it("PyPI unreachable: fails under CI=true (exit 1), says it could not read PyPI elsewhere", async () => {
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const down = async () => {
      throw new TypeError("fetch failed");
    };
    await expect(runReleaseWatch([], { root: ROOT, fetch: down, env: { CI: "true" }, runTool: noTools })).rejects.toMatchObject({ name: "PypiUnreachableError", exitCode: 1 });
    const { code, result } = await runReleaseWatch([], { root: ROOT, fetch: down, env: {}, runTool: noTools });
    expect(code).toBe(0);
    expect(result).toMatchObject({ ok: false, pypi: { read: false } });
    expect(result.propose).toBeUndefined();
  });
});
