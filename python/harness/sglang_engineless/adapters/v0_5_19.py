"""SGLang 0.5.19 glue: 0.5.23's (v0_5_23.py), whose serving layer it already has (published
ServerArgs read through get_serving(), --incremental-streaming-output, the scheduler's
_GenerationStreamAccumulator, Req.update_finish_state, ReqState with prompt ids,
TemplateManager in sglang.srt.parser). What 0.5.19 lacks:
- DetokenizerManager has no tool_close_token_ids (sglang.srt.parser.response_template came
  later), so the detokenizer state is built without it;
- _GenerationStreamAccumulator takes no is_request_level_customized_info_key/rust_server_mode;
- no server-wide sglext ids (--return-input-ids/--return-output-ids came in 0.5.20);
- chat log-probabilities go through utils.to_openai_style_logprobs (0.5.23 builds them from
  the raw triples), whose top list is a dict by token text, as v0.5.9's.
"""

from sglang.srt.disaggregation.utils import DisaggregationMode
from sglang.srt.managers import detokenizer_manager as _detok
from sglang.srt.managers.detokenizer_manager import DetokenizerManager, LimitedCapacityDict
from sglang.srt.managers.scheduler_components import output_streamer
from sglang.srt.runtime_context import get_serving
from sglang.srt.speculative.spec_info import SpeculativeAlgorithm

from sglang_engineless.adapters.v0_5_23 import (  # noqa: F401  (the adapter interface)
    activate,
    add_logprob,
    deliver,
    init_manager,
    make_server_args,
    make_template_manager,
    new_req,
    new_state,
    step,
    stream_deltas,
    waiter,
)

RELEASE = "0.5.19"
SGLEXT_IDS = False
STREAM_OUTPUT_FLAG = "--incremental-streaming-output"


def top_logprobs_view(tokenizer, ids, values):
    """A top list as the client sees it: 0.5.19's to_openai_style_logprobs keeps a dict by
    token text (as v0.5.9's), so equal texts (e.g. two partial UTF-8 bytes) collapse."""
    return list({tokenizer.decode([i]): v for i, v in zip(ids, values)}.items())


def make_detokenizer(tm):
    """DetokenizerManager's state (init_tokenizer / init_running_status without the watchdog
    thread and sockets); 0.5.19's has no tool-close ids."""
    detok = DetokenizerManager.__new__(DetokenizerManager)
    detok.tokenizer = tm.tokenizer
    detok.vocab_size = len(tm.tokenizer)
    detok.decode_status = LimitedCapacityDict(capacity=_detok.DETOKENIZER_MAX_STATES)
    detok.disable_tokenizer_batch_decode = get_serving().disable_tokenizer_batch_decode
    detok.is_tool_call_parser_gpt_oss = get_serving().tool_call_parser == "gpt-oss"
    return detok


def output(tm, req):
    """The real scheduler output rule and payload (_GenerationStreamAccumulator, 0.5.19's
    fields) for this one request, then the real detokenizer; None when nothing is sent."""
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
        current_weight_version=serving.weight_version,
    )
    acc.accept(req=req)
    payload = acc.to_payload(dp_rank=0, is_idle_batch=False)
    if payload is None:
        return None
    return tm.detokenizer.handle_batch_token_id_out(payload)
