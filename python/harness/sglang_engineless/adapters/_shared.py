"""Adapter functions that are the same for every release from 0.5.15.post1 on (v0_5_15.py,
v0_5_23.py; the top list by text also for v0_5_9.py): the request state and waiter, Req and its engine step, the log-probability
record, and the hand-over to _handle_batch_output. sglang is imported inside them, so a
release's adapter can import this module whatever else that release lacks."""

import asyncio
from array import array


def new_state(tm, obj, input_ids):
    """TokenizerManager._init_req_state for one request, and what generate_request keeps of
    the tokenized input (prompt ids when return_prompt_token_ids)."""
    from sglang.srt.managers.tokenizer_manager import ReqState
    from sglang.srt.observability.req_time_stats import APIServerReqTimeStats

    state = ReqState([], False, asyncio.Event(), obj,
                     APIServerReqTimeStats(disagg_mode=tm.disaggregation_mode))
    if getattr(obj, "return_prompt_token_ids", False):
        state.prompt_token_ids = list(input_ids)
    tm.rid_to_state[obj.rid] = state
    return state


def waiter(tm, obj, state, request):
    return tm._wait_one_response(obj, request)


def new_req(tm, obj, input_ids, sampling_params):
    from sglang.srt.managers.schedule_batch import Req

    req = Req(
        obj.rid,
        obj.text or "",
        array("q", input_ids),  # as TokenizedGenerateReqInput carries them
        sampling_params,
        return_logprob=bool(obj.return_logprob),
        top_logprobs_num=(obj.top_logprobs_num or 0) if obj.return_logprob else 0,
        stream=bool(obj.stream),
        eos_token_ids={tm.tokenizer.eos_token_id},
        vocab_size=len(tm.tokenizer),
    )
    req.tokenizer = tm.tokenizer
    if req.return_logprob:
        # What the prefill's logprob pass leaves for the output streamer (input logprobs
        # from the last prompt position: its value is None).
        req.logprob.input_token_logprobs_val = [None]
        req.logprob.input_token_logprobs_idx = [req.origin_input_ids[-1]]
        req.logprob.input_top_logprobs_val = [None]
        req.logprob.input_top_logprobs_idx = [None]
        req.logprob.input_token_ids_logprobs_val = []
        req.logprob.input_token_ids_logprobs_idx = []
    return req


def step(req, tokens, record_logprobs) -> None:
    """One engine step of len(tokens) tokens: the decode step appends them (and their
    log-probabilities), then Req.update_finish_state checks the whole step at once (stop
    strings before EOS before length, finished_len capping what a step overshot)."""
    for token in tokens:
        pos = len(req.output_ids)
        req.output_ids.append(token)
        if req.return_logprob:
            record_logprobs(pos, token)
    req.update_finish_state(new_accepted_len=len(tokens))


def add_logprob(req, value, token_id, top_ids=None, top_values=None) -> None:
    lp = req.logprob
    lp.output_token_logprobs_val.append(value)
    lp.output_token_logprobs_idx.append(token_id)
    lp.output_top_logprobs_val.append(top_values if top_ids is not None else [])
    lp.output_top_logprobs_idx.append(top_ids if top_ids is not None else [])
    lp.output_token_ids_logprobs_val.append([])
    lp.output_token_ids_logprobs_idx.append([])


def top_logprobs_view(tokenizer, ids, values):
    """A top list as the client sees it: 0.5.23 renders every entry (TopLogprob list, no
    dict by token text), so equal texts stay separate."""
    return [(tokenizer.decode([i]), v) for i, v in zip(ids, values)]


def top_logprobs_view_by_text(tokenizer, ids, values):
    """A top list as the client sees it on releases whose to_openai_style_logprobs keeps a
    dict by token text (v0.5.9, 0.5.15.post1), so equal texts (e.g. two partial UTF-8 bytes,
    both "\ufffd") collapse."""
    return list({tokenizer.decode([i]): v for i, v in zip(ids, values)}.items())


async def deliver(tm, out) -> None:
    await tm._handle_batch_output(out)

