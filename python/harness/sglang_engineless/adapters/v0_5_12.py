"""SGLang 0.5.12 glue (0.5.12.post1 too: its serving, scheduler-output, detokenizer and
tokenizer-manager files are 0.5.12's byte for byte). 0.5.12 sits between the two other
adapters:
- like 0.5.9: ServerArgs read from the instance (sglang.srt.server_args; no runtime_context
  to publish), TemplateManager in sglang.srt.managers.template_manager, the scheduler's
  output rule inlined in the Scheduler (SchedulerOutputProcessorMixin.stream_output_generation,
  called here for real on a stand-in scheduler), log-probabilities on the Req itself,
  Req.check_finished (with new_accepted_len for a multi-token step);
- like 0.5.23: --incremental-streaming-output (streamed output_ids are deltas), a
  coroutine TokenizerManager._handle_batch_output whose waiter takes the state from
  rid_to_state and coalesces queued incremental chunks, ReqState carrying
  APIServerReqTimeStats, and an intermediate cumulative output's output_ids being the
  request's live list.
"""

import asyncio
from types import SimpleNamespace

from sglang.srt.disaggregation.utils import DisaggregationMode
from sglang.srt.managers import detokenizer_manager as _detok
from sglang.srt.managers.detokenizer_manager import DetokenizerManager, LimitedCapacityDict
from sglang.srt.managers.schedule_batch import Req
from sglang.srt.managers.scheduler_output_processor_mixin import (
    SchedulerOutputProcessorMixin,
)
from sglang.srt.managers.template_manager import TemplateManager
from sglang.srt.managers.tokenizer_manager import ReqState, TokenizerManager
from sglang.srt.observability.req_time_stats import APIServerReqTimeStats
from sglang.srt.server_args import ServerArgs, set_global_server_args_for_tokenizer
from sglang.srt.speculative.spec_info import SpeculativeAlgorithm

RELEASE = "0.5.12"
# Server-wide sglext ids (--return-input-ids/--return-output-ids) come with 0.5.20.
SGLEXT_IDS = False
STREAM_OUTPUT_FLAG = "--incremental-streaming-output"


def make_server_args(model_path, stream_output=False, stream_interval=1, tool_call_parser=None,
                     reasoning_parser=None, **extra):
    server_args = ServerArgs(
        model_path=model_path,
        device="cpu",
        incremental_streaming_output=stream_output,
        stream_interval=stream_interval,
        tool_call_parser=tool_call_parser,
        reasoning_parser=reasoning_parser,
        **extra,
    )
    activate(server_args)
    return server_args


def activate(server_args) -> None:
    """What TokenizerManager.__init__ sets process-wide (the tokenizer side's global args)."""
    set_global_server_args_for_tokenizer(server_args)


def stream_deltas(server_args) -> bool:
    return bool(server_args.incremental_streaming_output)


def init_manager(tm, server_args) -> None:
    """TokenizerManager.__init__ without the processes, sockets and services: its argument
    parsing, then the real init_* steps that only set state."""
    activate(server_args)
    tm.server_args = server_args
    tm.enable_metrics = False
    tm.preferred_sampling_params = server_args.preferred_sampling_params
    tm.crash_dump_folder = None
    TokenizerManager.init_model_config(tm)
    TokenizerManager.init_tokenizer_and_processor(tm)
    TokenizerManager.init_running_status(tm)
    TokenizerManager.init_request_logging_and_dumping(tm)
    TokenizerManager.init_weight_update(tm)
    TokenizerManager.init_lora(tm)
    tm.disaggregation_mode = DisaggregationMode.NULL
    tm.max_req_input_len = tm.context_len
    tm.enable_trace = False


def make_detokenizer(tm):
    """DetokenizerManager's state (its __init__ without the sockets and the watchdog)."""
    server_args = tm.server_args
    detok = DetokenizerManager.__new__(DetokenizerManager)
    detok.tokenizer = tm.tokenizer
    detok.decode_status = LimitedCapacityDict(capacity=_detok.DETOKENIZER_MAX_STATES)
    detok.disable_tokenizer_batch_decode = server_args.disable_tokenizer_batch_decode
    detok.is_tool_call_parser_gpt_oss = server_args.tool_call_parser == "gpt-oss"
    return detok


def make_template_manager(tm):
    template_manager = TemplateManager()
    template_manager.initialize_templates(
        tokenizer_manager=tm,
        model_path=tm.server_args.model_path,
        chat_template=tm.server_args.chat_template,
        completion_template=tm.server_args.completion_template,
    )
    return template_manager


def new_state(tm, obj, input_ids):
    state = ReqState([], False, asyncio.Event(), obj,
                     APIServerReqTimeStats(disagg_mode=tm.disaggregation_mode))
    tm.rid_to_state[obj.rid] = state
    return state


def waiter(tm, obj, state, request):
    return _waiter(tm, obj, state, request)


async def _waiter(tm, obj, state, request):
    """0.5.12's _wait_one_response takes its state from rid_to_state when it first runs. A
    real server runs it before any output can arrive (generate_request iterates it right
    after sending the request); the harness's engine task may run first and finish the
    request, and _handle_batch_output drops a finished request's state. Put the state back
    for that first read only, as the real order would have found it (0.5.23 binds the
    state when the waiter is made, for the same reason in its batch path)."""
    restored = obj.rid not in tm.rid_to_state
    if restored:
        tm.rid_to_state[obj.rid] = state
    try:
        async for out in tm._wait_one_response(obj, request):
            if restored:
                tm.rid_to_state.pop(obj.rid, None)
                restored = False
            yield out
    finally:
        if restored:
            tm.rid_to_state.pop(obj.rid, None)


def new_req(tm, obj, input_ids, sampling_params):
    req = Req(
        obj.rid,
        obj.text or "",
        list(input_ids),
        sampling_params,
        return_logprob=bool(obj.return_logprob),
        top_logprobs_num=(obj.top_logprobs_num or 0) if obj.return_logprob else 0,
        stream=bool(obj.stream),
        eos_token_ids={tm.tokenizer.eos_token_id},
        vocab_size=len(tm.tokenizer),
    )
    req.tokenizer = tm.tokenizer
    if req.return_logprob:
        # What the prefill's logprob pass leaves for the output rule (input logprobs from
        # the last prompt position: its value is None).
        req.input_token_logprobs_val = [None]
        req.input_token_logprobs_idx = [req.origin_input_ids[-1]]
        req.input_top_logprobs_val = [None]
        req.input_top_logprobs_idx = [None]
        req.input_token_ids_logprobs_val = []
        req.input_token_ids_logprobs_idx = []
    return req


def step(req, tokens, record_logprobs) -> None:
    """One engine step of len(tokens) tokens, as 0.5.12's process_batch_result_decode: the
    step's ids appended (several at once under speculative v2), then
    Req.check_finished(new_accepted_len) over the whole step, then its log-probabilities."""
    start = len(req.output_ids)
    req.output_ids.extend(tokens)
    req.check_finished(len(tokens))
    if req.return_logprob:
        for pos, token in enumerate(tokens, start):
            record_logprobs(pos, token)


def add_logprob(req, value, token_id, top_ids=None, top_values=None) -> None:
    """As 0.5.12's decode step records them on the Req (as 0.5.9: a top list only when the
    request asked for one)."""
    req.output_token_logprobs_val.append(value)
    req.output_token_logprobs_idx.append(token_id)
    if top_ids is not None:
        req.output_top_logprobs_val.append(top_values)
        req.output_top_logprobs_idx.append(top_ids)


def top_logprobs_view(tokenizer, ids, values):
    """A top list as the client sees it: 0.5.12 still builds it through
    to_openai_style_logprobs, a dict by token text (as 0.5.9), so equal texts collapse."""
    return list({tokenizer.decode([i]): v for i, v in zip(ids, values)}.items())


class _SchedulerStandIn(SimpleNamespace):
    """What Scheduler.stream_output_generation reads of the scheduler for one request: no
    speculative decoding, no disaggregation, no data parallelism; the batch it builds is
    caught instead of sent to the detokenizer process."""

    def get_loads(self, _req):
        return None

    def _get_cached_tokens_details(self, _req):
        return None


def output(tm, req):
    """The real scheduler output rule and payload (stream_output_generation) for this one
    request, then the real detokenizer; None when the rule sends nothing this step."""
    sent = []
    scheduler = _SchedulerStandIn(
        stream_interval=tm.server_args.stream_interval,
        spec_algorithm=SpeculativeAlgorithm.NONE,
        disaggregation_mode=DisaggregationMode.NULL,
        attn_tp_rank=0,
        dp_rank=None,
        server_args=tm.server_args,
        send_to_detokenizer=SimpleNamespace(send_output=sent.append),
    )
    SchedulerOutputProcessorMixin.stream_output_generation(
        scheduler, [req], bool(req.return_logprob)
    )
    if not sent or not sent[0].rids:
        return None
    return tm.detokenizer.handle_batch_token_id_out(sent[0])


async def deliver(tm, out) -> None:
    await tm._handle_batch_output(out)
