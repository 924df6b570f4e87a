"""The verify suite, end to end through its CLI, against the engine-less harness serving the
REAL v0.5.9 serving code (PYTHONPATH picks the copy):

- our patched copy: every check passes (the only skip is stated and expected);
- our patched copy at --stream-interval 3 (the chunk edges where v0.5.9's text defects live):
  the text, log-probability and tool checks pass;
- NEGATIVE CONTROLS: unpatched v0.5.9 (at the default interval and at 3) and deliberately
  broken variants of our patch (broken_variants.py): exit 1 and the right checks named as
  failed in the JSON report, while the checks the break does not touch still pass (the
  failure is precise).
"""

from __future__ import annotations

import importlib.util
import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from broken_variants import VARIANTS, make_variant
from conftest import harness_args, run_verify

ALL = [
    "nonstream_ids", "stream_ids", "cross_mode_identity", "usage_counts", "prompt_matches_chat_template",
    "tool_call_ids", "n2_choices", "opt_out_keys", "stop_and_length_finishes", "concurrent_streams",
    "openai_client", "reasoning_ids", "logprobs_alignment", "logprob_token_ids", "tokenize_chat", "stream_text_fidelity", "completions_ids", "flag_validation",
    "upstream_id_fields", "stream_output_mode",
]
# The checks whose subject lives at interval-3 chunk edges.
EDGE_CHECKS = ["stream_text_fidelity", "logprobs_alignment", "tool_call_ids", "stream_ids"]


def test_report_names_every_check_in_order(patched_run):
    assert [c["name"] for c in patched_run.report["checks"]] == ALL


def test_patched_passes(patched_run):
    run = patched_run
    assert run.returncode == 0, run.explain()
    assert run.report["status"] == "passed" and run.report["failed_checks"] == []
    # v0.5.9 has no id fields of its own to keep working
    expected_skips = {"upstream_id_fields"} | (set() if importlib.util.find_spec("openai") else {"openai_client"})
    assert set(run.report["skipped_checks"]) == expected_skips, run.explain()
    for c in run.report["checks"]:
        if c["status"] == "skipped":
            assert c["skip_reason"], c
    # the parsers were chosen from the model's config, and the tool branch really ran
    assert run.report["target"]["tool_call_parser"] == "qwen25"
    assert run.report["target"]["reasoning_parser"] == "qwen3"
    # the release was read from the served copy's files (it has no metadata), and picked its flag
    assert run.report["target"]["sglang_version"] == "0.5.9"
    assert run.report["target"]["stream_output_flag"] == "--stream-output"
    details = {c["name"]: c["details"] for c in run.report["checks"]}
    assert details["tool_call_ids"]["tool_call_chunks"] > 0
    assert details["tool_call_ids"]["finish_reason"] == "tool_calls"
    assert details["reasoning_ids"]["reasoning_chunks"] > 0
    # the new checks judged what they are about: tool-call chunks with log-probabilities, the
    # cut tool call, the multi-byte and tool-after-emoji requests, both endpoints' flags
    assert details["logprobs_alignment"]["tool_call_chunks_with_logprobs"] > 0
    assert details["tool_call_ids"]["cut"]["max_tokens"] < details["tool_call_ids"]["completion_len"]
    assert {"multi-byte text", "tool call after an emoji", "reasoning"} <= set(details["stream_text_fidelity"]["cases"])
    assert details["flag_validation"] == {"accepted": 26, "rejected": 8}
    # the completions echo stream spread its text over chunks, and the log-probability
    # streams (logprobs 0 and 2, n = 2) had many chunks with ids to pair
    assert details["completions_ids"]["echo_text_chunks"] > 1
    assert details["completions_ids"]["logprob_chunks_paired"] > 8
    # the harness holds text back at split UTF-8 / words: the plain stream went through that path
    assert details["stream_ids"]["chunks_with_held_back_text"] > 0
    # the human report names the checks too
    for name in ALL:
        assert name in run.stdout


def test_unpatched_v059_fails_naming_the_checks(unpatched_run):
    run = unpatched_run
    assert run.returncode == 1, run.explain()
    assert run.report["status"] == "failed"
    must_fail = {
        "nonstream_ids", "stream_ids", "cross_mode_identity", "usage_counts", "prompt_matches_chat_template",
        "tool_call_ids", "n2_choices", "stop_and_length_finishes", "concurrent_streams", "reasoning_ids",
        "logprobs_alignment", "completions_ids", "flag_validation", "logprob_token_ids", "tokenize_chat",
    }
    if importlib.util.find_spec("openai"):
        must_fail.add("openai_client")
    assert must_fail <= set(run.report["failed_checks"]), run.explain()
    # v0.5.9 has exactly its own keys with the flag off: that check passes, so the failures above
    # are about ids, not a suite that fails everything
    assert run.status("opt_out_keys") == "passed", run.explain()
    assert any("no top-level prompt_token_ids" in p for p in run.problems("nonstream_ids"))
    assert any("no chunk carries prompt_token_ids" in p for p in run.problems("stream_ids"))
    assert any('return_token_ids="garbage": HTTP 200, expected 400' in p for p in run.problems("flag_validation"))
    assert any("token_id strings absent, expected them on" in p for p in run.problems("logprob_token_ids"))
    assert any("HTTP 400" in p for p in run.problems("tokenize_chat"))
    assert run.report["server_log_tail"], "a failed run carries the server log tail"


def test_patched_passes_at_interval_3(patched_edge_run):
    run = patched_edge_run
    assert run.returncode == 0, run.explain()
    assert [c["name"] for c in run.report["checks"]] == [n for n in ALL if n in EDGE_CHECKS]


def test_unpatched_v059_streams_other_text_at_interval_3(unpatched_edge_run):
    # stock v0.5.9's own text defects, whatever the ids: repeated text after a multi-byte
    # character at a chunk edge, and text lost in front of a tool call
    run = unpatched_edge_run
    assert run.returncode == 1, run.explain()
    problems = run.problems("stream_text_fidelity")
    assert any("streamed content 'The answer你answer你🙂好' != response 'The answer你🙂好'" in p for p in problems), problems
    assert any(p.startswith("tool call after an emoji choice 0: streamed content") for p in problems), problems


# Each variant is one harness start (~17 s, mostly importing the serving code): the selected
# ones run two at a time in a module fixture, since each run is two processes (harness and
# suite) that each wait on the other about half the time. The tests then judge their results.
VARIANT_WORKERS = int(os.environ.get("SGLANG_TEST_VARIANT_WORKERS", "2"))


@pytest.fixture(scope="module")
def variant_runs(request, patched_release, harness_reasoning_tokenizer_dir, tmp_path_factory):
    selected = [item.callspec.params["variant"] for item in request.session.items
                if item.originalname == "test_broken_variant_fails_naming_the_check"
                and item.module is request.module]
    base = tmp_path_factory.mktemp("variants")

    def run(variant):
        out = base / variant.name
        root = make_variant(patched_release, out / "variant", variant)
        # Only the checks this variant is about (what must fail, what must still pass): one
        # harness start each, no second server.
        checks = [arg for name in variant.must_fail + variant.must_pass for arg in ("--check", name)]
        args = harness_args(harness_reasoning_tokenizer_dir) + checks + list(variant.verify_args)
        return run_verify(root, args, out, f"variant-{variant.name}")

    pool = ThreadPoolExecutor(max_workers=VARIANT_WORKERS)
    futures = {variant.name: pool.submit(run, variant) for variant in selected}
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
def test_broken_variant_fails_naming_the_check(variant, variant_runs):
    run = variant_runs[variant.name].result()
    assert run.returncode == 1, run.explain()
    failed = set(run.report["failed_checks"])
    assert set(variant.must_fail) <= failed, run.explain()
    for name in variant.must_pass:
        assert run.status(name) == "passed", run.explain()
    assert any(variant.must_say in p for name in variant.must_fail for p in run.problems(name)), run.explain()
