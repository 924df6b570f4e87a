"""SGLang 0.5.15.post1 glue (slime's pin). Its output path is 0.5.23's (v0_5_23.py): Req's
update_finish_state(k) and req.logprob, the scheduler's _GenerationStreamAccumulator, the
delta-sending DetokenizerManager, a coroutine _handle_batch_output whose waiter coalesces
queued incremental chunks, prompt ids in the ReqState (return_prompt_token_ids),
--incremental-streaming-output. What is older than 0.5.23 (so this module cannot import
v0_5_23, whose module-level imports name 0.5.16+ modules):
- server args are read from the instance (tokenizer_manager.server_args) and the process-wide
  ones are set with set_global_server_args_for_tokenizer (runtime_context has no
  publish/get_serving yet);
- TemplateManager lives in sglang.srt.managers.template_manager (as in v0.5.9);
- the DetokenizerManager has no tool_close_token_ids (sglang.srt.parser.response_template
  is 0.5.16+);
- _GenerationStreamAccumulator takes no sampling-mask, rust-server or weight-version fields;
- to_openai_style_logprobs still keeps a top list as a dict by token text (as v0.5.9).
The functions that are the same in both releases come from _shared.py, which imports
sglang only inside them.
"""

from sglang.srt.disaggregation.utils import DisaggregationMode
from sglang.srt.managers import detokenizer_manager as _detok
from sglang.srt.managers.detokenizer_manager import DetokenizerManager, LimitedCapacityDict
from sglang.srt.managers.scheduler_components import output_streamer
from sglang.srt.managers.template_manager import TemplateManager
from sglang.srt.managers.tokenizer_manager import TokenizerManager
from sglang.srt.server_args import ServerArgs, set_global_server_args_for_tokenizer
from sglang.srt.speculative.spec_info import SpeculativeAlgorithm

from sglang_engineless.adapters._shared import (  # noqa: F401  (the adapter interface)
    add_logprob,
    deliver,
    new_req,
    new_state,
    step,
)
from sglang_engineless.adapters._shared import (  # noqa: F401
    top_logprobs_view_by_text as top_logprobs_view,  # its top lists are still dicts by text
)

RELEASE = "0.5.15.post1"
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
    """Set `server_args` process-wide, as TokenizerManager.__init__ does (Req and the
    scheduler's helpers read get_global_server_args())."""
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


def make_detokenizer(tm):
    """DetokenizerManager's state (its __init__ without the watchdog thread and sockets)."""
    server_args = tm.server_args
    detok = DetokenizerManager.__new__(DetokenizerManager)
    detok.tokenizer = tm.tokenizer
    detok.decode_status = LimitedCapacityDict(capacity=_detok.DETOKENIZER_MAX_STATES)
    detok.disable_tokenizer_batch_decode = server_args.disable_tokenizer_batch_decode
    detok.is_tool_call_parser_gpt_oss = server_args.tool_call_parser == "gpt-oss"
    return detok


def waiter(tm, obj, state, request):
    """0.5.15.post1's _wait_one_response is an async generator that looks the state up in
    rid_to_state on its first step (0.5.23 looks it up when the waiter is built). A real
    scheduler's answer cannot come before that step; the harness's engine, in the same event
    loop, can finish a request first (non-streamed: no output until the end) and
    _handle_batch_output has then removed the state. So the state is put back for that one
    lookup (a finished request gets no more outputs) and taken out when the waiter ends."""

    async def wait():
        put_back = obj.rid not in tm.rid_to_state
        if put_back:
            tm.rid_to_state[obj.rid] = state
        try:
            async for out in tm._wait_one_response(obj, request):
                yield out
        finally:
            if put_back:
                tm.rid_to_state.pop(obj.rid, None)

    return wait()


def make_template_manager(tm):
    server_args = tm.server_args
    template_manager = TemplateManager()
    template_manager.initialize_templates(
        tokenizer_manager=tm,
        model_path=tm.model_path,
        chat_template=server_args.chat_template,
        completion_template=server_args.completion_template,
    )
    return template_manager


def accumulator(tm, req):
    """The real scheduler's _GenerationStreamAccumulator holding this one request (0.5.13.post1's
    adapter takes it too: only its to_payload arguments differ)."""
    acc = output_streamer._GenerationStreamAccumulator(
        return_logprob=bool(req.return_logprob),
        return_hidden_states=False,
        return_routed_experts=False,
        return_indexer_topk=False,
        spec_algorithm=SpeculativeAlgorithm.NONE,
        disaggregation_mode=DisaggregationMode.NULL,
        default_stream_interval=tm.server_args.stream_interval,
        default_force_stream_interval=output_streamer.DEFAULT_FORCE_STREAM_INTERVAL,
        get_cached_tokens_details=lambda r: None,
    )
    acc.accept(req=req)
    return acc


def output(tm, req):
    """The real scheduler output rule and payload (_GenerationStreamAccumulator) for this one
    request, then the real detokenizer; None when the rule sends nothing this step."""
    payload = accumulator(tm, req).to_payload(dp_rank=0, is_idle_batch=False)
    if payload is None:
        return None
    return tm.detokenizer.handle_batch_token_id_out(payload)
