"""SSE parsing, v0.5.9 key sets, stop-string picking and parser detection."""

from __future__ import annotations

import json

import pytest

from tokenids_verify.checks.finishes import pick_stop_string
from tokenids_verify.model_info import detect_model_info, resolve_parser
from tokenids_verify.sse import SseProtocolError, parse_sse_lines
from tokenids_verify.stock_keys import chunk_key_problems, response_key_problems
from tokenids_verify.releases import release_for

V059 = release_for("0.5.9").stock_keys


def test_sse_events_done_and_comments():
    lines = [b": keep-alive\n", b'data: {"a": 1}\n', b"\n", b'data: {"b":\n', b"data: 2}\n", b"\n", b"data: [DONE]\n", b"\n"]
    out = parse_sse_lines(lines)
    assert out.events == [{"a": 1}, {"b": 2}]
    assert out.done


def test_sse_without_done_and_bad_payloads():
    assert not parse_sse_lines([b'data: {"a": 1}\n', b"\n"]).done
    with pytest.raises(SseProtocolError, match="not JSON"):
        parse_sse_lines([b"data: {oops\n", b"\n"])
    with pytest.raises(SseProtocolError, match="after \\[DONE\\]"):
        parse_sse_lines([b"data: [DONE]\n", b"\n", b'data: {"a": 1}\n', b"\n"])


def v059_response():
    return {
        "id": "x", "object": "chat.completion", "created": 1, "model": "m", "metadata": {"weight_version": "default"},
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi", "reasoning_content": None,
                     "tool_calls": [{"id": "call_1", "index": 0, "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
                     "logprobs": None, "finish_reason": "tool_calls", "matched_stop": None}],
        "usage": {"prompt_tokens": 3, "total_tokens": 5, "completion_tokens": 2, "prompt_tokens_details": None, "reasoning_tokens": 0},
    }


def test_v059_response_keys():
    assert response_key_problems(V059, v059_response(), "r") == []
    with_ids = v059_response()
    with_ids["prompt_token_ids"] = [1]
    with_ids["choices"][0]["token_ids"] = [2]
    problems = response_key_problems(V059, with_ids, "r")
    assert any("r: keys not in stock v0.5.9: ['prompt_token_ids']" == p for p in problems)
    assert any("choices[0]: keys not in stock v0.5.9: ['token_ids']" in p for p in problems)
    trimmed = v059_response()
    del trimmed["metadata"]  # key-for-key: a missing key is a difference too
    assert any("missing: ['metadata']" in p for p in response_key_problems(V059, trimmed, "r"))


def test_v059_chunk_keys():
    chunk = {"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m", "usage": None,
             "choices": [{"index": 0, "delta": {"role": None, "content": "a", "reasoning_content": None, "tool_calls": None},
                          "logprobs": None, "finish_reason": None, "matched_stop": None}]}
    assert chunk_key_problems(V059, chunk, "c") == []
    chunk["choices"][0]["token_ids"] = [5]
    assert chunk_key_problems(V059, chunk, "c") == ["c.choices[0]: keys not in stock v0.5.9: ['token_ids']"]


def test_pick_stop_string_first_occurrence_past_a_third():
    content = "one, two, three, four, five, six"
    stop, pos = pick_stop_string(content)
    assert content.find(stop) == pos >= len(content) // 3
    assert stop.strip() == stop
    assert pick_stop_string("ab") is None


def test_parser_detection(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "qwen3"}))
    info = detect_model_info(str(tmp_path))
    assert (info.tool_call_parser, info.reasoning_parser) == ("qwen25", "qwen3")
    assert detect_model_info("Qwen/Qwen2.5-0.5B-Instruct").tool_call_parser == "qwen25"
    assert detect_model_info("Qwen/Qwen2.5-0.5B-Instruct").reasoning_parser is None
    assert detect_model_info("Qwen/Qwen3-4B-Instruct-2507").reasoning_parser is None
    assert detect_model_info("some/unknown-model").tool_call_parser is None
    assert resolve_parser("none", "qwen25") is None
    assert resolve_parser("llama3", "qwen25") == "llama3"
    assert resolve_parser(None, "qwen25") == "qwen25"
