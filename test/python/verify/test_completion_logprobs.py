"""The pairing of streamed /v1/completions log-probabilities with each chunk's token_ids,
on chunks built here in the v0.5.9 completions shape."""

from __future__ import annotations

from tokenids_verify.checks.completion_logprobs import stream_logprob_pairing_problems

TOKENS = ["He", "llo", " wor", "ld", "."]
VALUES = [-0.5, -1.25, -0.125, -2.0, -0.75]
TOPS = [{t: v, "x": v - 1} for t, v in zip(TOKENS, VALUES)]


def full_response(n=2):
    lp = {"tokens": TOKENS, "token_logprobs": VALUES, "top_logprobs": TOPS, "text_offset": list(range(5))}
    return {"choices": [{"index": i, "text": "Hello world.", "token_ids": [1, 2, 3, 4, 5], "logprobs": lp} for i in range(n)]}


def chunk(index, start, end, lp_start=None, lp_end=None):
    lp_start = start if lp_start is None else lp_start
    lp_end = end if lp_end is None else lp_end
    lp = {"tokens": TOKENS[lp_start:lp_end], "token_logprobs": VALUES[lp_start:lp_end],
          "top_logprobs": TOPS[lp_start:lp_end], "text_offset": []}
    return {"choices": [{"index": index, "text": "", "token_ids": list(range(start + 1, end + 1)), "logprobs": lp}]}


def good_stream():
    # the choices of n = 2 interleave, each in its own steps
    return [chunk(0, 0, 2), chunk(1, 0, 1), chunk(1, 1, 5), chunk(0, 2, 5)]


def test_paired_stream_passes():
    assert stream_logprob_pairing_problems(good_stream(), full_response(), "s") == []


def test_a_chunk_running_ahead_of_its_ids_fails():
    # stock v0.5.9 with n = 2: a chunk carries later positions' entries, the next falls short
    chunks = [chunk(0, 0, 2, 0, 4), chunk(1, 0, 5), chunk(0, 2, 5, 4, 5)]
    problems = stream_logprob_pairing_problems(chunks, full_response(), "s")
    assert "s chunk 0 choice 0: 4 log-probabilities for 2 token_ids" in problems
    assert "s chunk 2 choice 0: 1 log-probabilities for 3 token_ids" in problems


def test_values_of_other_positions_fail_and_tiny_float_noise_passes():
    chunks = good_stream()
    chunks[3]["choices"][0]["logprobs"]["token_logprobs"] = [v + 1e-5 for v in VALUES[2:5]]
    assert stream_logprob_pairing_problems(chunks, full_response(), "s") == []
    chunks[3]["choices"][0]["logprobs"]["token_logprobs"] = VALUES[1:4]
    problems = stream_logprob_pairing_problems(chunks, full_response(), "s")
    assert len(problems) == 1 and problems[0].startswith("s chunk 3 choice 0: token_logprobs"), problems


def test_other_top_lists_and_missing_entries_fail():
    chunks = good_stream()
    chunks[0]["choices"][0]["logprobs"]["top_logprobs"] = [TOPS[0], {"llo": -1.25, "y": -2.25}]
    problems = stream_logprob_pairing_problems(chunks, full_response(), "s")
    assert problems == ["s chunk 0 choice 0: top_logprobs are not the response's at positions 0..1"]
    chunks = good_stream()[:3]  # choice 0 never gets its last three ids
    problems = stream_logprob_pairing_problems(chunks, full_response(), "s")
    assert problems == ["s choice 0: 2 ids streamed, the response has 5 log-probabilities"]


def test_a_chunk_without_ids_must_carry_no_logprobs():
    chunks = good_stream() + [{"choices": [{"index": 0, "text": "", "logprobs": chunk(0, 4, 5)["choices"][0]["logprobs"]}]}]
    problems = stream_logprob_pairing_problems(chunks, full_response(), "s")
    assert "s chunk 4 choice 0: 1 log-probabilities for 0 token_ids" in problems
