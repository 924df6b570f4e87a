// Totals the vitest JSON reports and the pytest JUnit XML of one `npm test` run into the
// single closing line `tests: N passed, N failed, N skipped`, so a reader (or CI) sees the
// whole run at a glance. A report that is missing counts as a failure: its stage crashed.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2] ?? ".cache/test-results";
let passed = 0, failed = 0, skipped = 0;

for (const name of ["unit.json", "integration.json"]) {
  const file = join(dir, name);
  if (!existsSync(file)) { failed += 1; console.error(`summary: ${file} missing`); continue; }
  const report = JSON.parse(readFileSync(file, "utf8"));
  passed += report.numPassedTests;
  failed += report.numFailedTests + (report.numFailedTestSuites ?? 0);
  skipped += report.numPendingTests + (report.numTodoTests ?? 0);
}

const xml = join(dir, "python.xml");
if (!existsSync(xml)) { failed += 1; console.error(`summary: ${xml} missing`); }
else {
  // pytest writes one <testsuite tests= failures= errors= skipped=> element.
  for (const m of readFileSync(xml, "utf8").matchAll(/<testsuite\b([^>]*)>/g)) {
    const attr = (k) => Number((m[1].match(new RegExp(`\\b${k}="(\\d+)"`)) ?? [])[1] ?? 0);
    const bad = attr("failures") + attr("errors");
    passed += attr("tests") - bad - attr("skipped");
    failed += bad;
    skipped += attr("skipped");
  }
}

console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
