// Totals the vitest JSON reports and the pytest JUnit XML of one `npm test` run into the
// single closing line `tests: N passed, N failed, N skipped`, so a reader (or CI) sees the
// whole run at a glance. Failures are counted in tests: a failed test counts once, and a test
// file that failed without any failed test (it did not load, a hook threw) counts as one. A
// report that is missing counts as one failure: its stage crashed.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Counts of one vitest JSON report. vitest's numFailedTestSuites also counts every describe
 *  block and file around a failed test, so it is not a number of failures. */
export function countVitest(report) {
  const crashedFiles = (report.testResults ?? []).filter(
    (f) => f.status === "failed" && !(f.assertionResults ?? []).some((a) => a.status === "failed"),
  ).length;
  return {
    passed: report.numPassedTests,
    failed: report.numFailedTests + crashedFiles,
    skipped: report.numPendingTests + (report.numTodoTests ?? 0),
  };
}

/** Counts of a pytest JUnit XML report (one <testsuite tests= failures= errors= skipped=> each). */
export function countJunit(xml) {
  const out = { passed: 0, failed: 0, skipped: 0 };
  for (const m of xml.matchAll(/<testsuite\b([^>]*)>/g)) {
    const attr = (k) => Number((m[1].match(new RegExp(`\\b${k}="(\\d+)"`)) ?? [])[1] ?? 0);
    const bad = attr("failures") + attr("errors");
    out.passed += attr("tests") - bad - attr("skipped");
    out.failed += bad;
    out.skipped += attr("skipped");
  }
  return out;
}

export function summarize(dir, log = (m) => console.error(m)) {
  const total = { passed: 0, failed: 0, skipped: 0 };
  const add = (c) => { for (const k of Object.keys(total)) total[k] += c[k]; };
  for (const name of ["unit.json", "integration.json", "python.xml"]) {
    const file = join(dir, name);
    if (!existsSync(file)) { total.failed += 1; log(`summary: ${file} missing`); continue; }
    const text = readFileSync(file, "utf8");
    add(name.endsWith(".json") ? countVitest(JSON.parse(text)) : countJunit(text));
  }
  return `tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(summarize(process.argv[2] ?? ".cache/test-results"));
