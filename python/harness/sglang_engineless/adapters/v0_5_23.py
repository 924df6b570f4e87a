"""SGLang 0.5.23 glue. What moved since v0.5.9:
- server args: one ServerArgs record (fields grouped under sglang/srt/arg_groups) PUBLISHED
  process-wide (runtime_context.publish); the serving code reads get_serving() etc., not the
  instance, so a process hosting several harness servers re-publishes before each request;
- --incremental-streaming-output replaces --stream-output (streamed output_ids are deltas);
- the scheduler's output rule is a class of its own, _GenerationStreamAccumulator
  (managers/scheduler_components/output_streamer.py), so the real one builds the
  BatchTokenIDOutput here (0.5.9's was inlined in the Scheduler and is reproduced);
- Req: update_finish_state(k) after a step of k tokens (was check_finished per token),
  log-probabilities under req.logprob;
- DetokenizerManager sends text deltas, keeps tool_close_token_ids; TokenizerManager's
  _handle_batch_output is a coroutine, its waiter takes the state from rid_to_state and
  coalesces queued incremental chunks; prompt ids travel in the state (return_prompt_token_ids);
- TemplateManager lives in sglang.srt.parser.template_manager.
The functions 0.5.15.post1 shares (request state, Req and its step, logprob records, the
hand-over) are in _shared.py.
"""

from sglang.srt.disaggregation.utils import DisaggregationMode
from sglang.srt.managers import detokenizer_manager as _detok
from sglang.srt.managers.detokenizer_manager import DetokenizerManager, LimitedCapacityDict
from sglang.srt.managers.scheduler_components import output_streamer
from sglang.srt.managers.tokenizer_manager import TokenizerManager
from sglang.srt.parser.template_manager import TemplateManager
from sglang.srt.runtime_context import get_serving, publish
from sglang.srt.server_args import ServerArgs
from sglang.srt.speculative.spec_info import SpeculativeAlgorithm

from sglang_engineless.adapters._shared import (  # noqa: F401  (the adapter interface)
    add_logprob,
    deliver,
    new_req,
    new_state,
    step,
    top_logprobs_view,
    waiter,
)

RELEASE = "0.5.23"
# Server-wide sglext ids (--return-input-ids/--return-output-ids, from 0.5.20).
SGLEXT_IDS = True
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
    """Publish `server_args` as the process's config, as launch_server does in the tokenizer
    process (re-publishing is last-publish-wins, by design)."""
    publish(server_args, role="tokenizer")


def stream_deltas(server_args) -> bool:
    return bool(server_args.incremental_streaming_output)


def init_manager(tm, server_args) -> None:
    """TokenizerManager.__init__ without the processes, sockets and services: its argument
    parsing, then the real init_* steps that only set state (model config, tokenizer, running
    status, request logging, weight-update lock, LoRA registry)."""
    activate(server_args)
    tm.server_args = server_args
    tm.startup_time = None
    tm.elastic_worker_count = 1
    tm.attn_replica_size = 1
    tm.enable_metrics = False
    tm.incremental_streaming_output = get_serving().incremental_streaming_output
    tm.enable_lora = False
    tm.enable_trace = False
    tm.allow_auto_truncate = get_serving().allow_auto_truncate
    tm.skip_tokenizer_init = get_serving().skip_tokenizer_init
    tm.preferred_sampling_params = get_serving().preferred_sampling_params
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
    """DetokenizerManager's state (init_tokenizer / init_running_status without the watchdog
    thread and sockets)."""
    # Imported here: 0.5.19 (whose adapter reuses this module) has no response_template.
    from sglang.srt.parser.response_template import tool_close_token_ids

    detok = DetokenizerManager.__new__(DetokenizerManager)
    detok.tokenizer = tm.tokenizer
    detok.vocab_size = len(tm.tokenizer)
    detok.decode_status = LimitedCapacityDict(capacity=_detok.DETOKENIZER_MAX_STATES)
    detok.disable_tokenizer_batch_decode = get_serving().disable_tokenizer_batch_decode
    detok.is_tool_call_parser_gpt_oss = get_serving().tool_call_parser == "gpt-oss"
    detok.tool_close_token_ids = tool_close_token_ids(get_serving().tool_call_parser, tm.tokenizer)
    return detok


def make_template_manager(tm):
    serving = get_serving()
    template_manager = TemplateManager()
    template_manager.initialize_templates(
        tokenizer_manager=tm,
        model_path=tm.model_path,
        chat_template=serving.chat_template,
        completion_template=serving.completion_template,
    )
    return template_manager








def output(tm, req):
    """The real scheduler output rule and payload (_GenerationStreamAccumulator) for this one
    request, then the real detokenizer; None when the rule sends nothing this step."""
    serving = get_serving()
    acc = output_streamer._GenerationStreamAccumulator(
        return_logprob=bool(req.return_logprob),
        return_hidden_states=False,
        return_routed_experts=False,
        return_indexer_topk=False,
        return_sampling_mask=False,
        spec_algorithm=SpeculativeAlgorithm.NONE,
        disaggregation_mode=DisaggregationMode.NULL,
        default_stream_interval=serving.stream_interval,
        default_force_stream_interval=output_streamer.DEFAULT_FORCE_STREAM_INTERVAL,
        get_cached_tokens_details=lambda r: None,
        is_request_level_customized_info_key=lambda key: False,
        rust_server_mode=False,
        current_weight_version=serving.weight_version,
    )
    acc.accept(req=req)
    payload = acc.to_payload(dp_rank=0, is_idle_batch=False)
    if payload is None:
        return None
    return tm.detokenizer.handle_batch_token_id_out(payload)
