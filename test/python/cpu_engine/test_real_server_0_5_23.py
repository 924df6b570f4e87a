"""The REAL SGLang 0.5.23 server on CPU, patched with patches/sglang-v0.5.23, serving a scripted
checkpoint: the verify suite (0.5.23's flags and stock keys) passes, and every script's ids
equal the script, streamed and not, in vLLM's shape and in upstream's own fields at once.
Runs in every test run (one real start of each release's engine), on the environment
release_engine.ENGINE_ENV picks; the unpatched control is test_real_server_0_5_23_unpatched.py.

One launch, release_engine.MODE (the unpatched control's too).
"""

from __future__ import annotations

import pytest

from scripted_models import ALL_SCRIPTS

from expectations import nonstream_script_problems, stream_script_problems
from release_engine import CUT, MODE, ROUTING, VERIFY_SKIP, build_release_tree, engine_python, serve_release
from tokenids_verify.stream_assembly import assemble_stream



@pytest.fixture(scope="module")
def patched(tmp_path_factory):
    tree = build_release_tree(tmp_path_factory.mktemp("sglang-0.5.23-patched"), with_token_ids_patches=True)
    yield from serve_release("v0.5.23-patched-incremental-i3-parsers", True, MODE, ROUTING, engine_python(), tree,
                             tmp_path_factory)


def test_verify_suite_passes_on_the_patched_0_5_23_server(patched):
    results = patched.run_verify_suite(skip=VERIFY_SKIP)
    failed = {r.name: r.problems for r in results if r.status not in ("passed", "skipped")}
    assert not failed, failed
    ran = {r.name for r in results if r.status == "passed"}
    assert {"nonstream_ids", "stream_ids", "cross_mode_identity", "usage_counts", "prompt_matches_chat_template",
            "tool_call_ids", "reasoning_ids", "stop_and_length_finishes", "concurrent_streams", "n2_choices",
            "opt_out_keys", "openai_client", "logprobs_alignment", "stream_text_fidelity", "completions_ids",
            "flag_validation", "upstream_id_fields"} <= ran, ran


def script_problems(served, name: str, n: int = 1) -> list[str]:
    """expectations.py's exact judgement of one script, non-streamed and streamed (vLLM's shape)."""
    body = served.body(name, n=n)
    # the prompt as this release renders the tools (the request itself is sent as written)
    prompt_body = dict(body, tools=served.release.template_tools(body["tools"])) if body.get("tools") else body
    resp = served.client.chat(body)
    problems = nonstream_script_problems(served.model, served.tokenizer, name, served.mode, prompt_body, resp, n=n)
    sresp = served.client.chat_stream(dict(body, stream_options={"include_usage": True}))
    asm = assemble_stream(sresp.chunks, sresp.sse.done)
    problems += stream_script_problems(served.model, served.tokenizer, name, served.mode, prompt_body, asm,
                                       served.verify_tokenizer, n=n)
    return problems


@pytest.mark.parametrize("name", [s.name for s in ALL_SCRIPTS if s.name != CUT])
def test_ids_equal_the_script(patched, name):
    assert script_problems(patched, name) == []


@pytest.mark.parametrize("name", ["tool_call", "multibyte", "reasoning"])
def test_two_choices_both_follow_the_script(patched, name):
    assert script_problems(patched, name, n=2) == []


def test_a_cut_tool_call_keeps_its_ids_and_only_the_normal_text(patched):
    body = patched.body(CUT)
    want = patched.model.expected_ids(CUT)
    resp = patched.client.chat(body)
    choice = resp["choices"][0]
    assert resp["prompt_token_ids"] == patched.prompt_ids(body)
    assert choice["token_ids"] == want
    assert choice["finish_reason"] == "length"
    # 0.5.23's _process_tool_calls drops the incomplete call and keeps the text before it
    head = patched.model.script(CUT).full_text().partition("<tool_call>")[0]
    assert (choice["message"]["content"] or "").strip() == head.strip()
    assert not choice["message"].get("tool_calls")
    sresp = patched.client.chat_stream(body)
    streamed = assemble_stream(sresp.chunks, sresp.sse.done)
    assert streamed.choices[0].token_ids == want
    assert streamed.choices[0].finish_reason == "length"


def test_upstream_fields_and_vllm_fields_answer_one_request(patched):
    # a client written for 0.5.23's own return_token_ids gets its fields, next to vLLM's
    for name in ("tool_call", "reasoning", "multibyte_edge"):
        body = patched.body(name, return_token_ids=True)
        resp = patched.client.chat(body)
        choice = resp["choices"][0]
        want = patched.model.expected_ids(name)
        assert choice["response_token_ids"] == choice["token_ids"] == want, name
        assert choice["prompt_token_ids"] == resp["prompt_token_ids"] == patched.prompt_ids(body), name
    # and upstream's sglext ids still close the stream, once, equal to the per-chunk ids
    body = patched.body("multibyte_edge", return_input_ids_in_sglext=True, return_output_ids_in_sglext=True)
    chunks = list(patched.client.chat_stream(body).chunks)
    sglext = [c["sglext"] for c in chunks if c.get("sglext")]
    want = patched.model.expected_ids("multibyte_edge")
    assert sglext == [{"input_ids": patched.prompt_ids(body), "output_ids": [want]}]
    assert [i for c in chunks for ch in c.get("choices", []) for i in ch.get("token_ids") or []] == want
