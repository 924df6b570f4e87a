/** The closing line of `npm test` counts failed tests, not vitest's failed suites. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain ESM helper script without type declarations
import { countJunit, countVitest, summarize } from "../../scripts/summarize-tests.mjs";

// A real vitest 4 JSON report: a.test.ts has one failed and one passed test inside nested
// describe blocks; b.test.ts failed to load (it imports a module that does not exist).
const RECORDED = path.join(import.meta.dirname, "fixtures/test-reports/vitest-failed-test-and-crashed-file.json");

describe("summarize-tests", () => {
  it("one failed test is one failure, and a file that did not load is one more", () => {
    const report = JSON.parse(readFileSync(RECORDED, "utf8"));
    expect(report.numFailedTestSuites).toBe(4);
    expect(countVitest(report)).toEqual({ passed: 1, failed: 2, skipped: 0 });
  });

  it("totals vitest and pytest reports; a missing report is a failure", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "sip-results-"));
    writeFileSync(path.join(dir, "unit.json"), readFileSync(RECORDED));
    writeFileSync(path.join(dir, "python.xml"), '<?xml version="1.0"?><testsuites><testsuite name="pytest" errors="1" failures="2" skipped="3" tests="10"></testsuite></testsuites>');
    expect(countJunit(readFileSync(path.join(dir, "python.xml"), "utf8"))).toEqual({ passed: 4, failed: 3, skipped: 3 });
    const logged: string[] = [];
    expect(summarize(dir, (m: string) => logged.push(m))).toBe("tests: 5 passed, 6 failed, 3 skipped");
    expect(logged).toEqual([`summary: ${dir}/integration.json missing`]);
  });
});
