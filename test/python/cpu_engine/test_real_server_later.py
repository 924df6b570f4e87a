"""The REAL SGLang server of each later release (release_engine.ENGINES) on CPU, patched with its
series, serving a scripted checkpoint: the verify suite (the release's flags and stock keys)
passes, and every script's ids equal the script, streamed and not, in vLLM's shape and, where
the release has them, in upstream's own fields at once. Runs in every test run (one real start
of each release's engine, one release at a time), on the environment release_engine.engine_env
picks; the unpatched control is test_real_server_later_unpatched.py.
"""

from __future__ import annotations

import pytest

from scripted_models import ALL_SCRIPTS

from expectations import nonstream_script_problems, stream_script_problems
from release_engine import ENGINES, serve_release
from tokenids_verify.stream_assembly import assemble_stream

# The one real start a core-tier release gets by default (test_tiers); the unpatched control
# (test_real_server_later_unpatched.py) starts a second server, so it runs in the full tier.
pytestmark = pytest.mark.every_release



# One server per release at a time: module scope with the release as its parameter makes
# pytest run every test of one release before it starts the next.
@pytest.fixture(scope="module", params=sorted(ENGINES), ids=lambda v: f"v{v}")
def patched(request, tmp_path_factory):
    yield from serve_release(ENGINES[request.param], True, tmp_path_factory)


def test_verify_suite_passes_on_the_patched_server(patched):
    results = patched.run_verify_suite(skip=patched.spec.verify_skip)
    failed = {r.name: r.problems for r in results if r.status not in ("passed", "skipped")}
    assert not failed, failed
    ran = {r.name for r in results if r.status == "passed"}
    must = {"nonstream_ids", "stream_ids", "cross_mode_identity", "usage_counts", "prompt_matches_chat_template",
            "tool_call_ids", "reasoning_ids", "stop_and_length_finishes", "concurrent_streams", "n2_choices",
            "opt_out_keys", "openai_client", "logprobs_alignment", "stream_text_fidelity", "completions_ids",
            "flag_validation", "logprob_token_ids", "tokenize_chat"}
    if patched.release.upstream_id_fields:
        must.add("upstream_id_fields")
    assert must <= ran, sorted(must - ran)


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


@pytest.mark.parametrize("name", [s.name for s in ALL_SCRIPTS])
def test_ids_equal_the_script(patched, name):
    if name == patched.spec.cut:
        return  # judged below: later releases answer a cut tool call their own way
    assert script_problems(patched, name) == []


@pytest.mark.parametrize("name", ["tool_call", "multibyte", "reasoning"])
def test_two_choices_both_follow_the_script(patched, name):
    assert script_problems(patched, name, n=2) == []


def test_a_cut_tool_call_keeps_its_ids_and_only_the_normal_text(patched):
    cut = patched.spec.cut
    body = patched.body(cut)
    want = patched.model.expected_ids(cut)
    resp = patched.client.chat(body)
    choice = resp["choices"][0]
    assert resp["prompt_token_ids"] == patched.prompt_ids(body)
    assert choice["token_ids"] == want
    assert choice["finish_reason"] == "length"
    # later releases' _process_tool_calls drop the incomplete call and keep the text before it
    head = patched.model.script(cut).full_text().partition("<tool_call>")[0]
    assert (choice["message"]["content"] or "").strip() == head.strip()
    assert not choice["message"].get("tool_calls")
    sresp = patched.client.chat_stream(body)
    streamed = assemble_stream(sresp.chunks, sresp.sse.done)
    assert streamed.choices[0].token_ids == want
    assert streamed.choices[0].finish_reason == "length"


def test_upstream_fields_and_vllm_fields_answer_one_request(patched):
    # a client written for the release's own return_token_ids gets its fields, next to vLLM's
    if not patched.spec.upstream_response_token_ids:
        # the release has no chat ids of its own: return_token_ids is vLLM's field alone
        resp = patched.client.chat(patched.body("tool_call", return_token_ids=True))
        assert "response_token_ids" not in resp["choices"][0] and "sglext" not in resp
        return
    for name in ("tool_call", "reasoning", "multibyte_edge"):
        body = patched.body(name, return_token_ids=True)
        resp = patched.client.chat(body)
        choice = resp["choices"][0]
        want = patched.model.expected_ids(name)
        assert choice["response_token_ids"] == choice["token_ids"] == want, name
        assert choice["prompt_token_ids"] == resp["prompt_token_ids"] == patched.prompt_ids(body), name
    if not patched.spec.upstream_sglext_ids:
        return
    # and upstream's sglext ids still close the stream, once, equal to the per-chunk ids
    body = patched.body("multibyte_edge", return_input_ids_in_sglext=True, return_output_ids_in_sglext=True)
    chunks = list(patched.client.chat_stream(body).chunks)
    sglext = [c["sglext"] for c in chunks if c.get("sglext")]
    want = patched.model.expected_ids("multibyte_edge")
    assert sglext == [{"input_ids": patched.prompt_ids(body), "output_ids": [want]}]
    assert [i for c in chunks for ch in c.get("choices", []) for i in ch.get("token_ids") or []] == want
