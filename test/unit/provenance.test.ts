/** Provenance labels from the checkout: commit, its time (or SOURCE_DATE_EPOCH), the source. */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readProvenance } from "../../src/provenance.js";

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
