"""The gpu-mode gate (issue 19): a skip of a check the release requires fails the run."""

from __future__ import annotations

from tokenids_verify.gate import apply_gpu_gate, required_in_gpu_mode
from tokenids_verify.report import build_report
from tokenids_verify.runner import CHECK_NAMES, CheckResult


def _all_passed(skip=None):
    skip = skip or {}
    return [CheckResult(n, n, "skipped", 0.1, skip_reason=skip[n]) if n in skip else CheckResult(n, n, "passed", 0.1) for n in CHECK_NAMES]


def test_requirements_per_release():
    assert "openai_client" in required_in_gpu_mode("0.5.9") and "stream_output_mode" in required_in_gpu_mode("0.5.9")
    assert "upstream_id_fields" not in required_in_gpu_mode("0.5.9")
    # 0.5.10.post1 (AReaL's pin) has no id fields of its own either (< 0.5.20)
    assert "upstream_id_fields" not in required_in_gpu_mode("0.5.10.post1")
    assert "stream_output_mode" in required_in_gpu_mode("0.5.10.post1")
    assert "upstream_id_fields" in required_in_gpu_mode("0.5.23")
    assert "reasoning_ids" not in required_in_gpu_mode("0.5.23")


def test_a_required_skip_fails_and_is_named():
    results, gate = apply_gpu_gate("0.5.23", _all_passed({"openai_client": "the openai package is not importable here", "reasoning_ids": "no reasoning parser"}))
    by = {r.name: r for r in results}
    assert by["openai_client"].status == "failed"
    assert "requires it in gpu mode" in by["openai_client"].problems[0]
    assert by["reasoning_ids"].status == "skipped"  # allowed to skip
    assert gate["violations"] == [{"check": "openai_client", "was": "skipped", "reason": "the openai package is not importable here"}]
    report = build_report(1, {}, results, "a", "b", 1.0)
    assert report["failed_checks"] == ["openai_client"]
    assert report["skipped_checks"] == ["reasoning_ids"]


def test_a_required_check_left_out_fails():
    results, gate = apply_gpu_gate("0.5.9", [r for r in _all_passed() if r.name != "stream_output_mode"])
    assert [v["check"] for v in gate["violations"]] == ["stream_output_mode"]
    assert [r.name for r in results if r.status == "failed"] == ["stream_output_mode"]


def test_everything_passed_keeps_the_results():
    results, gate = apply_gpu_gate("0.5.9", _all_passed({"upstream_id_fields": "stock v0.5.9 has no id fields"}))
    assert gate["violations"] == [] and all(r.status != "failed" for r in results)
