"""The verify suite on each later release (conftest LATER_RELEASES: 0.5.19, 0.5.23), end to end
through its CLI against the engine-less harness serving the REAL serving code of that release:
the checks whose expectations depend on the release. Every test runs once per release.

- our patched copy: they pass, judged as that release (the release read from the copy's files,
  the delta-ids server started with --incremental-streaming-output, its own flag);
- NEGATIVE CONTROL, the stock release: return_token_ids=false is key-for-key stock (opt_out_keys
  passes, so the release's key table describes what stock really sends), while the contract's
  ids are missing (and on 0.5.23, whose upstream_id_fields check runs, a stream asking for ids
  is refused: upstream's 400; before 0.5.20 that check skips: no sglext ids to compare).

The other checks run against these releases in the harness's scenario matrix; here only the
ones with release-specific expectations, to keep the default run short.
"""

from __future__ import annotations

import os

from conftest import harness_args, run_verify
from tokenids_verify.releases import release_for

# In the suite's own order (the report lists checks in it); upstream_id_fields only where the
# release has both of upstream's id fields (0.5.20+). completions_ids is left out here:
# the 0.5.23 harness does not yet pair streamed completions log-probabilities the way 0.5.23's
# tokenizer manager does (output_token_logprobs_length; reported to the harness owner), while the
# real 0.5.23 engine on CPU passes it (test/python/cpu_engine, opt-in).
RELEASE_CHECKS = ["stream_ids", "prompt_matches_chat_template", "n2_choices", "opt_out_keys", "stream_text_fidelity",
                  "upstream_id_fields", "stream_output_mode"]
# The checks that see ids taken from the release's live output_ids list ahead of their text (n = 2:
# n2_choices; the harness's readers lag the engine).
LIVE_LIST_CHECKS = ["stream_ids", "n2_choices"]
LAGGING_READERS = ["--server-arg=--delivery", "--server-arg=lag"]


def _checks(names):
    return [a for n in names for a in ("--check", n)]


def release_checks(version):
    return [n for n in RELEASE_CHECKS if n != "upstream_id_fields" or release_for(version).upstream_id_fields]


def test_patched_release_passes_the_release_specific_checks(later_release, patched_later, tokenizer_later, python_later,
                                                            tmp_path):
    checks = release_checks(later_release)
    run = run_verify(patched_later, harness_args(tokenizer_later) + _checks(checks), tmp_path,
                     f"patched-{later_release}", python=python_later)
    assert run.returncode == 0, run.explain()
    assert [c["name"] for c in run.report["checks"]] == checks
    assert run.report["skipped_checks"] == [], run.explain()
    target = run.report["target"]
    assert (target["sglang_version"], target["stream_output_flag"]) == (later_release, "--incremental-streaming-output")
    details = {c["name"]: c["details"] for c in run.report["checks"]}
    assert details["opt_out_keys"]["stock_keys_of"] == later_release
    if "upstream_id_fields" in checks:
        assert details["upstream_id_fields"]["release"] == later_release


def test_stock_release_is_key_for_key_itself_and_has_no_contract_ids(later_release, release_later, tokenizer_later,
                                                                     python_later, tmp_path):
    run = run_verify(release_later, harness_args(tokenizer_later) + _checks(["nonstream_ids", "opt_out_keys", "upstream_id_fields"]),
                     tmp_path, f"unpatched-{later_release}", python=python_later)
    assert run.returncode == 1, run.explain()
    assert run.status("opt_out_keys") == "passed", run.explain()
    assert any("no top-level prompt_token_ids" in p for p in run.problems("nonstream_ids"))
    if release_for(later_release).upstream_id_fields:
        assert set(run.report["failed_checks"]) == {"nonstream_ids", "upstream_id_fields"}, run.explain()
        assert any("HTTP 400" in p and "not supported with streaming" in p for p in run.problems("upstream_id_fields"))
    else:
        assert set(run.report["failed_checks"]) == {"nonstream_ids"}, run.explain()
        assert run.status("upstream_id_fields") == "skipped", run.explain()


def test_series_without_its_live_list_bound_sends_ids_ahead_of_their_text(later_release, patched_later, python_later,
                                                                           tokenizer_later, tmp_path):
    """Negative control for the release's 0011: without it an n = 2 stream's chunks carry ids whose
    text comes on a later chunk (read from the live list), and the suite says so; the patched
    series passes the same checks against the same lagging readers."""
    import shutil
    import subprocess

    from conftest import ROOT

    series = tmp_path / "series"
    series.mkdir()
    patches = sorted((ROOT / f"patches/sglang-v{later_release}").glob("*.patch"))
    assert any(p.name.startswith("0011-stream-ids-bounded") for p in patches)
    for p in patches:
        if not p.name.startswith("0011-"):
            shutil.copy(p, series / p.name)
    tree = tmp_path / "tree"
    proc = subprocess.run(["bash", str(ROOT / "scripts/patches-check.sh"), later_release, "--out", str(tree)],
                          env=dict(os.environ, SGLANG_PATCH_DIR=str(series)), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    run = run_verify(tree, harness_args(tokenizer_later) + _checks(LIVE_LIST_CHECKS) + LAGGING_READERS, tmp_path,
                     f"without-0011-{later_release}", python=python_later)
    assert run.returncode == 1, run.explain()
    assert "n2_choices" in run.report["failed_checks"], run.explain()
    assert any("ahead of its content" in p for p in run.problems("n2_choices")), run.explain()
    run = run_verify(patched_later, harness_args(tokenizer_later) + _checks(LIVE_LIST_CHECKS) + LAGGING_READERS,
                     tmp_path, f"patched-lagging-{later_release}", python=python_later)
    assert run.returncode == 0, run.explain()


VLLM_DIALECT_CHECKS = ["logprob_token_ids", "tokenize_chat"]


def test_vllm_dialect_checks_patched_and_stock(later_release, patched_later, release_later, tokenizer_later,
                                              python_later, tmp_path):
    """logprob_token_ids and tokenize_chat pass on the patched release; NEGATIVE CONTROL: the stock
    release fails both, and its report says its /tokenize has a chat form of its own (the
    release rule STOCK_TOKENIZE_CHAT_FORM) that lacks vLLM's token_strs and chat_template refusal."""
    run = run_verify(patched_later, harness_args(tokenizer_later) + _checks(VLLM_DIALECT_CHECKS), tmp_path,
                     f"patched-{later_release}-dialects", python=python_later)
    assert run.returncode == 0, run.explain()
    details = {c["name"]: c["details"] for c in run.report["checks"]}
    assert details["tokenize_chat"]["stock_chat_form"] is True
    run = run_verify(release_later, harness_args(tokenizer_later) + _checks(VLLM_DIALECT_CHECKS), tmp_path,
                     f"unpatched-{later_release}-dialects", python=python_later)
    assert set(run.report["failed_checks"]) == set(VLLM_DIALECT_CHECKS), run.explain()
    problems = run.problems("tokenize_chat")
    assert not any("differ from the chat completion" in p for p in problems), run.explain()  # same ids
    assert any("token_strs" in p for p in problems) and any("chat_template: HTTP 200" in p for p in problems)
    assert any("has a chat form of its own" in p for p in problems)
    assert any("token_id strings absent" in p for p in run.problems("logprob_token_ids")), run.explain()
