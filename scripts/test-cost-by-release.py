#!/usr/bin/env python3
"""What each SGLang release costs the python test stage: sums a pytest JUnit report's test
times (setup, call and teardown: pytest's default junit_duration_report) by the release a
test names (a parameter or module such as `0.5.12`, `v0.5.23`, `0_5_23`; a `.postN` suffix
counts with its release), the rest as "shared".

    python3 scripts/test-cost-by-release.py .cache/test-results/python.xml [--json]

A module-scoped fixture (a matrix run, a real engine start) is paid by the first test that
uses it, so the sums are per release, not per test. Used for the CI-time figures in the
docs/testing.md ("Tiers and CI time") and the issue notes.
"""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict

RELEASE = re.compile(r"(?<![\d.])v?0[._]5[._](\d+)((?:\.post\d+)?)(?![\d])")


def release_of(name: str) -> str:
    found = RELEASE.search(name)
    return f"0.5.{found.group(1)}{found.group(2)}" if found else "shared"


def costs(path: str) -> dict:
    seconds, tests = defaultdict(float), defaultdict(int)
    for case in ET.parse(path).getroot().iter("testcase"):
        key = release_of(f"{case.get('classname', '')}::{case.get('name', '')}")
        seconds[key] += float(case.get("time") or 0)
        tests[key] += 1
    return {k: {"seconds": round(seconds[k], 1), "tests": tests[k]} for k in sorted(seconds)}


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    table = costs(argv[0])
    if "--json" in argv:
        print(json.dumps(table, indent=2))
        return 0
    total = sum(v["seconds"] for v in table.values())
    print("| release | tests | seconds | share |\n| --- | --- | --- | --- |")
    for k, v in table.items():
        print(f"| {k} | {v['tests']} | {v['seconds']} | {100 * v['seconds'] / total:.0f}% |")
    print(f"| total | {sum(v['tests'] for v in table.values())} | {round(total, 1)} | |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
