"""The REAL SGLang v0.5.9 server on CPU, patched with patches/sglang-v0.5.9, serving scripted
checkpoints: every contract invariant (the verify suite) AND ids equal to the script, in
each server mode of the launch matrix (launches.py). The unpatched counterpart is
test_real_server_unpatched.py (a module of its own, so these servers are stopped first).
"""

from __future__ import annotations

import pytest

from scripted_models import ALL_SCRIPTS, selector_token

from launches import PATCHED, serve


@pytest.fixture(scope="module", params=PATCHED, ids=lambda launch: launch.name)
def patched(request, engine_python, trees, tmp_path_factory):
    yield from serve(request.param, engine_python, trees, tmp_path_factory)


def test_verify_suite_passes_on_the_patched_server(patched):
    results = patched.run_verify_suite()
    failed = {r.name: r.problems for r in results if r.status not in ("passed", "skipped")}
    assert not failed, failed
    ran = {r.name for r in results if r.status == "passed"}
    assert {"nonstream_ids", "stream_ids", "cross_mode_identity", "usage_counts", "prompt_matches_chat_template",
            "stop_and_length_finishes", "concurrent_streams", "n2_choices", "opt_out_keys", "openai_client",
            "logprobs_alignment", "stream_text_fidelity", "completions_ids"} <= ran
    assert ("tool_call_ids" in ran) == bool(patched.launch.mode.tool_call_parser)
    assert ("reasoning_ids" in ran) == bool(patched.launch.mode.reasoning_parser)
    assert ("flag_validation" in ran) == ("flag_validation" not in patched.launch.verify_skip)
    details = {r.name: r.details for r in results}
    if patched.launch.mode.tool_call_parser:
        # the tool answer was cut inside its arguments where the script says (tool_call_cut)
        assert details["tool_call_ids"]["cut"]["max_tokens"] == len(patched.model.expected_ids("tool_call_cut"))
        assert details["logprobs_alignment"]["tool_call_chunks_with_logprobs"] > 0


@pytest.mark.parametrize("name", [s.name for s in ALL_SCRIPTS])
def test_ids_equal_the_script(patched, name):
    assert patched.script_problems(name) == []


@pytest.mark.parametrize("name", ["tool_call", "multibyte", "reasoning"])
def test_two_choices_both_follow_the_script(patched, name):
    assert patched.script_problems(name, n=2) == []


def test_selector_reaches_the_routed_scripts_too(patched):
    # the same script through continue_final_message: prompt ids then end with the encoded prefix
    body = dict(patched.model.request("plain", via_selector=True), temperature=0.0)
    resp = patched.client.chat(body)
    assert resp["prompt_token_ids"] == patched.model.prompt_ids(patched.tokenizer, body)
    assert resp["prompt_token_ids"][-1] == patched.tokenizer.convert_tokens_to_ids(selector_token("plain"))
    assert resp["choices"][0]["token_ids"] == patched.model.expected_ids("plain")
