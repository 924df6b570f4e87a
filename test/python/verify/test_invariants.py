"""The contract invariants on streams and responses constructed here: a faithful stream
passes, and each way of breaking the contract is named."""

from __future__ import annotations

import copy

from tokenids_verify.invariants import nonstream_problems, stream_problems, text_problems
from tokenids_verify.stream_assembly import assemble_stream


def steps_for(builder, text_tokens):
    """One engine step per token."""
    return [[t] for t in text_tokens]


def sea_steps(builder):
    # "Hello world. café" then EOS: 'é' is two byte tokens, so one step's text is held back.
    ids = builder.ids("Hello world. café")
    return [[i] for i in ids] + [[builder.eos]]


def test_faithful_stream_passes_and_exercises_held_back_text(builder, byte_tokenizer):
    steps = sea_steps(builder)
    chunks = builder.stream(steps)
    asm = assemble_stream(chunks)
    assert stream_problems(byte_tokenizer, asm, "s") == []
    sc = asm.choice(0)
    assert sc.token_ids == [i for s in steps for i in s]
    assert sc.content == "Hello world. café"
    # the split 'é' held its first byte's id back to the next chunk: one chunk has two ids
    assert any(len(p.token_ids) == 2 for p in sc.parts)
    # EOS has no text, so it rides on the finish chunk
    assert sc.parts[-1].token_ids == [builder.eos] and sc.parts[-1].finish_reason == "stop"


def test_prompt_ids_on_every_chunk_is_named(builder, byte_tokenizer):
    asm = assemble_stream(builder.stream(sea_steps(builder), prompt_on_every_chunk=True))
    problems = stream_problems(byte_tokenizer, asm, "s")
    assert any("not an index's first chunk" in p for p in problems), problems


def test_missing_prompt_ids_is_named(builder, byte_tokenizer):
    chunks = builder.stream(sea_steps(builder))
    del chunks[0]["prompt_token_ids"]
    problems = stream_problems(byte_tokenizer, assemble_stream(chunks), "s")
    assert any("no chunk carries prompt_token_ids" in p for p in problems), problems


def test_dropped_id_is_named(builder, byte_tokenizer):
    chunks = builder.stream(sea_steps(builder))
    # drop the first byte of the split 'é' (the chunk that carries two ids)
    for c in chunks:
        for ch in c["choices"]:
            if len(ch.get("token_ids") or []) == 2:
                ch["token_ids"] = ch["token_ids"][1:]
    problems = stream_problems(byte_tokenizer, assemble_stream(chunks), "s")
    assert any("!= content" in p for p in problems), problems


def test_repeated_id_is_named(builder, byte_tokenizer):
    chunks = builder.stream(sea_steps(builder))
    chunks[2]["choices"][0]["token_ids"] = chunks[1]["choices"][0]["token_ids"] + chunks[2]["choices"][0]["token_ids"]
    problems = stream_problems(byte_tokenizer, assemble_stream(chunks), "s")
    assert problems, "a repeated id must break decode(ids) == content"


def test_ids_lagging_their_text_are_named(builder, byte_tokenizer):
    # the seed's reasoning fault in content form: a chunk's ids moved to the next chunk
    chunks = builder.stream(sea_steps(builder))
    first_ids = chunks[1]["choices"][0].pop("token_ids")
    chunks[2]["choices"][0]["token_ids"] = first_ids + chunks[2]["choices"][0]["token_ids"]
    problems = stream_problems(byte_tokenizer, assemble_stream(chunks), "s")
    assert any("emitted content before its ids" in p for p in problems), problems


def test_null_and_empty_token_ids_keys_are_named(builder, byte_tokenizer):
    chunks = builder.stream(sea_steps(builder))
    chunks[0]["choices"][0]["token_ids"] = []
    chunks[-2]["choices"][0]["token_ids"] = None
    problems = stream_problems(byte_tokenizer, assemble_stream(chunks), "s")
    assert sum("a chunk with no ids must have no token_ids key" in p for p in problems) == 2, problems


def test_usage_mismatch_in_stream_is_named(builder, byte_tokenizer):
    chunks = builder.stream(sea_steps(builder))
    chunks[-1]["usage"]["completion_tokens"] += 1
    problems = stream_problems(byte_tokenizer, assemble_stream(chunks), "s")
    assert any("usage.completion_tokens" in p for p in problems), problems


def test_interleaved_n2_streams(builder, byte_tokenizer):
    a = builder.stream([[i] for i in builder.ids("Hello world.")] + [[builder.eos]], index=0, usage=False)
    b = builder.stream([[i] for i in builder.ids("the sea is blue.")] + [[builder.eos]], index=1, usage=False)
    chunks = []
    for x, y in zip(a, b):
        chunks += [x, y]
    chunks += a[len(b):] + b[len(a):]
    asm = assemble_stream(chunks)
    assert stream_problems(byte_tokenizer, asm, "n2", n=2) == []
    assert asm.choice(1).content == "the sea is blue."
    # index 1's first chunk losing its prompt ids is named
    broken = copy.deepcopy(chunks)
    del broken[1]["prompt_token_ids"]
    problems = stream_problems(byte_tokenizer, assemble_stream(broken), "n2", n=2)
    assert any("first chunk of choice index(es) [1]" in p for p in problems), problems


def test_nonstream_text_semantics(builder, byte_tokenizer):
    ids = builder.ids("Hello world. the sea") + [builder.eos]
    assert nonstream_problems(byte_tokenizer, builder.response(ids), "r") == []
    # a stop string: content ends before it, ids spell it (and may run past)
    stop_resp = builder.response(ids, content="Hello world.", matched_stop=" the")
    assert nonstream_problems(byte_tokenizer, stop_resp, "r") == []
    # but ids must still spell the stop string after the content
    bad = builder.response(builder.ids("Hello world."), content="Hello world.", matched_stop=" the")
    assert any("do not spell the matched stop string" in p for p in nonstream_problems(byte_tokenizer, bad, "r"))
    # ids that do not decode to the content
    wrong = builder.response(ids, content="Hello sea")
    assert any("!= content" in p for p in nonstream_problems(byte_tokenizer, wrong, "r"))
    # missing fields
    missing = builder.response(ids)
    del missing["prompt_token_ids"], missing["choices"][0]["token_ids"]
    problems = nonstream_problems(byte_tokenizer, missing, "r")
    assert any("no top-level prompt_token_ids" in p for p in problems) and any("no token_ids" in p for p in problems)


def test_length_finish_may_end_inside_a_character(builder, byte_tokenizer):
    ids = builder.ids("café")[:-1]  # cut after the first byte of 'é'
    assert text_problems(byte_tokenizer, ids, "caf", "length", None, "r") == []
    assert text_problems(byte_tokenizer, ids, "caf", "stop", None, "r") != []


def _tool_chunks(builder, placement_bug: bool):
    """A cut tool call as v0.5.9 streams it: the name chunk, then the chunk with the remaining
    arguments, then the finish chunk; the ids of 'Paris' ride on the remaining-arguments chunk
    (the contract) or on the finish chunk (v0.5.9's placement)."""
    head = builder.ids('Hello<tool_call>{"name": "f", "arguments": {"city": "')
    paris = builder.ids("Paris")
    base = {"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m", "usage": None}

    def chunk(delta, ids=None, finish=None):
        c = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish, "matched_stop": None}
        if ids:
            c["token_ids"] = ids
        return dict(base, choices=[c])

    name = {"tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "f", "arguments": ""}}]}
    rest = {"tool_calls": [{"index": 0, "function": {"name": None, "arguments": '{"city": "Paris"}'}}]}
    return [
        dict(chunk({"role": "assistant", "content": ""}), prompt_token_ids=builder.prompt_ids()),
        chunk({"content": "Hello"}, head[:5]),
        chunk(name, head[5:]),
        chunk(rest, None if placement_bug else paris),
        chunk({}, paris if placement_bug else None, "length"),
    ]


def test_tool_ids_must_ride_on_the_chunk_that_emits_their_arguments(builder, byte_tokenizer):
    good = assemble_stream(_tool_chunks(builder, placement_bug=False))
    assert stream_problems(byte_tokenizer, good, "t", text_mode="tools") == []
    bad = assemble_stream(_tool_chunks(builder, placement_bug=True))
    problems = stream_problems(byte_tokenizer, bad, "t", text_mode="tools")
    assert any("chunk 3 emitted text before its ids" in p for p in problems), problems


def test_logprobs_must_pair_with_the_ids_of_each_chunk(builder):
    from tokenids_verify.checks.logprobs import stream_logprob_problems

    chunks = builder.stream(sea_steps(builder))
    for c in chunks:
        for ch in c["choices"]:
            n = len(ch.get("token_ids") or [])
            ch["logprobs"] = {"content": [{"token": "t", "logprob": -0.1, "bytes": None, "top_logprobs": []}] * n} if n else None
    assert stream_logprob_problems(assemble_stream(chunks), None, "s") == []
    # the held-back chunk (two ids) with one log-probability, as stock v0.5.9 streams it
    for c in chunks:
        for ch in c["choices"]:
            if len(ch.get("token_ids") or []) == 2:
                ch["logprobs"]["content"] = ch["logprobs"]["content"][:1]
    problems = stream_logprob_problems(assemble_stream(chunks), None, "s")
    assert any("carries 2 token_ids and 1 log-probabilities" in p for p in problems), problems
    # top_logprobs asked for but missing
    assert any("top_logprobs, expected 5" in p for p in stream_logprob_problems(assemble_stream(chunks), 5, "s"))


def test_cut_point_lands_inside_the_first_string_argument(builder, byte_tokenizer):
    from tokenids_verify.shared_requests import cut_inside_first_argument

    ids = builder.ids('<tool_call>{"name": "f", "arguments": {"city": "Paris"}}</tool_call>')
    calls = [{"function": {"name": "f", "arguments": '{"city": "Paris"}'}}]
    k = cut_inside_first_argument(byte_tokenizer, ids, calls)
    assert byte_tokenizer.decode(ids[:k]).endswith('"city": "Paris')
