"""The readable report (stdout) and the JSON report (--report) with the same check names."""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional

from .runner import CheckResult

EXIT_PASSED, EXIT_CHECK_FAILED, EXIT_SETUP_FAILED = 0, 1, 2
STATUS_BY_EXIT = {EXIT_PASSED: "passed", EXIT_CHECK_FAILED: "failed", EXIT_SETUP_FAILED: "error"}


def summarize(results: List[CheckResult]) -> Dict[str, int]:
    return {
        "total": len(results),
        "passed": sum(r.status == "passed" for r in results),
        "failed": sum(r.status == "failed" for r in results),
        "skipped": sum(r.status == "skipped" for r in results),
    }


def build_report(
    exit_code: int,
    target: Dict[str, Any],
    results: List[CheckResult],
    started_at: str,
    finished_at: str,
    seconds: float,
    error: Optional[str] = None,
    server_log_tail: Optional[List[str]] = None,
) -> Dict[str, Any]:
    return {
        "tool": "tokenids_verify",
        "report_version": 1,
        "status": STATUS_BY_EXIT[exit_code],
        "exit_code": exit_code,
        "error": error,
        "started_at": started_at,
        "finished_at": finished_at,
        "seconds": round(seconds, 3),
        "target": target,
        "summary": summarize(results),
        "failed_checks": [r.name for r in results if r.status == "failed"],
        "skipped_checks": [r.name for r in results if r.status == "skipped"],
        "checks": [r.to_json() for r in results],
        "server_log_tail": server_log_tail or [],
    }


def write_report(path: str, report: Dict[str, Any]) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2, default=str)
        f.write("\n")
    os.replace(tmp, path)  # a reader never sees half a report


def format_result_line(r: CheckResult) -> str:
    mark = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}[r.status]
    line = f"  {mark}  {r.name:<30} {r.seconds:7.2f}s"
    if r.status == "skipped":
        line += f"  ({r.skip_reason})"
    out = [line]
    for p in r.problems[:12]:
        out.append(f"          - {p}")
    if len(r.problems) > 12:
        out.append(f"          ... and {len(r.problems) - 12} more (see the JSON report)")
    return "\n".join(out)


def format_report(report: Dict[str, Any]) -> str:
    t = report["target"]
    s = report["summary"]
    lines = [
        "",
        "token-ids verify report",
        f"  target: {t.get('server_url')}  model: {t.get('model_path')}  launcher: {t.get('launcher') or 'none (--server-url)'}",
        f"  tool-call parser: {t.get('tool_call_parser') or 'none'}  reasoning parser: {t.get('reasoning_parser') or 'none'}",
        f"  result: {report['status'].upper()}  ({s['passed']} passed, {s['failed']} failed, {s['skipped']} skipped"
        f" of {s['total']}, {report['seconds']:.1f}s)",
    ]
    if report.get("error"):
        lines.append(f"  error: {report['error']}")
    if report["failed_checks"]:
        lines.append(f"  failed checks: {', '.join(report['failed_checks'])}")
    return "\n".join(lines)
