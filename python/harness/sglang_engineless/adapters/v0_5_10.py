"""SGLang 0.5.10.post1 glue: v0.5.9's serving layer (ServerArgs read from the instance, the
scheduler's output rule inlined in the Scheduler, a synchronous
TokenizerManager._handle_batch_output, _wait_one_response(obj, state, request)), so
everything not listed here is v0_5_9's. What moved since v0.5.9:
- --incremental-streaming-output replaces --stream-output (ServerArgs field
  incremental_streaming_output; --stream-output is a deprecated alias). In that mode the
  TokenizerManager hands a stream output its new ids AND its new text only (v0.5.9: ids only),
  and coalesces queued outputs by concatenating both;
- ReqState carries an APIServerReqTimeStats (positional), which the output path writes to;
- Scheduler.stream_output_generation reports reasoning_tokens and the requests' time stats,
  and sends log-probabilities only up to the output ids through the stop (logprob_end);
- the detokenizer's state capacity is DETOKENIZER_MAX_STATES.
"""

import asyncio

from sglang.srt.disaggregation.utils import DisaggregationMode
from sglang.srt.managers import detokenizer_manager as _detok
from sglang.srt.managers.detokenizer_manager import DetokenizerManager, LimitedCapacityDict
from sglang.srt.managers.io_struct import BatchTokenIDOutput
from sglang.srt.managers.tokenizer_manager import ReqState
from sglang.srt.observability.req_time_stats import APIServerReqTimeStats
from sglang.srt.server_args import ServerArgs

from sglang_engineless.adapters.v0_5_9 import (  # noqa: F401  (the same in 0.5.10.post1)
    DEFAULT_FORCE_STREAM_INTERVAL,
    activate,
    add_logprob,
    deliver,
    init_manager,
    make_template_manager,
    new_req,
    step,
    top_logprobs_view,
    waiter,
)

RELEASE = "0.5.10.post1"
# Server-wide sglext ids (--return-input-ids/--return-output-ids) came in 0.5.20.
SGLEXT_IDS = False
STREAM_OUTPUT_FLAG = "--incremental-streaming-output"
# launch_server still accepts the old spelling (DeprecatedStoreTrueAction, same field).
STREAM_OUTPUT_ALIASES = ("--stream-output",)


def make_server_args(model_path, stream_output=False, stream_interval=1, tool_call_parser=None,
                     reasoning_parser=None, **extra):
    return ServerArgs(
        model_path=model_path,
        device="cpu",
        incremental_streaming_output=stream_output,
        stream_interval=stream_interval,
        tool_call_parser=tool_call_parser,
        reasoning_parser=reasoning_parser,
        **extra,
    )


def stream_deltas(server_args) -> bool:
    return bool(server_args.incremental_streaming_output)


def make_detokenizer(tm):
    detok = DetokenizerManager.__new__(DetokenizerManager)
    detok.tokenizer = tm.tokenizer
    detok.decode_status = LimitedCapacityDict(capacity=_detok.DETOKENIZER_MAX_STATES)
    detok.is_dummy = False
    detok.is_tool_call_parser_gpt_oss = False
    detok.disable_tokenizer_batch_decode = False
    return detok


def new_state(tm, obj, input_ids):
    state = ReqState([], False, asyncio.Event(), obj,
                     APIServerReqTimeStats(disagg_mode=DisaggregationMode.NULL))
    tm.rid_to_state[obj.rid] = state
    return state


def output(tm, req):
    """0.5.10.post1's Scheduler.stream_output_generation for one request (its output rule, as
    v0.5.9's), then the real detokenizer; None when the rule sends nothing this step."""
    if req.finished():
        req.finished_output = True
        if req.finished_len is None:
            req.finished_len = len(req.output_ids)
    elif req.stream:
        interval = req.sampling_params.stream_interval or tm.server_args.stream_interval
        n = len(req.output_ids)
        should_output = n % interval == 1 if interval > 1 else n % interval == 0
        if should_output and req.check_match_stop_str_prefix():
            return None
        if not should_output:
            return None
    elif len(req.output_ids) % DEFAULT_FORCE_STREAM_INTERVAL != 0:
        return None
    decode_ids, read_offset = req.init_incremental_detokenize()
    decode_ids = decode_ids[req.send_decode_id_offset :]
    out_ids = req.output_ids_through_stop
    req.send_decode_id_offset += len(decode_ids)
    new_ids = out_ids[req.send_token_offset :]
    req.send_token_offset = len(out_ids)
    batch = BatchTokenIDOutput(
        rids=[req.rid],
        http_worker_ipcs=None,
        spec_verify_ct=[],
        spec_accepted_tokens=[],
        spec_acceptance_histogram=[],
        time_stats=[req.time_stats],
        finished_reasons=[req.finished_reason.to_json() if req.finished_reason else None],
        decoded_texts=[req.decoded_text],
        decode_ids=[decode_ids],
        read_offsets=[read_offset],
        output_ids=[new_ids],
        skip_special_tokens=[req.sampling_params.skip_special_tokens],
        spaces_between_special_tokens=[req.sampling_params.spaces_between_special_tokens],
        no_stop_trim=[req.sampling_params.no_stop_trim],
        prompt_tokens=[len(req.origin_input_ids)],
        reasoning_tokens=[req.reasoning_tokens],
        completion_tokens=[len(out_ids)],
        cached_tokens=[0],
        cached_tokens_details=[None],
        **_logprob_fields(req, len(out_ids)),
        output_token_entropy_val=None,
        output_hidden_states=None,
        routed_experts=None,
        customized_info={},
        placeholder_tokens_idx=None,
        placeholder_tokens_val=None,
        retraction_counts=[0],
        load=None,
        dp_ranks=None,
    )
    return tm.detokenizer.handle_batch_token_id_out(batch)


def _logprob_fields(req, n_out_ids):
    """The logprob fields of one request's BatchTokenIDOutput as 0.5.10.post1 fills them: all
    None when no request of the batch wants logprobs; input ones sent once; output ones from
    send_output_token_logprobs_offset up to logprob_end = max(len(output_ids_through_stop), 1)."""
    names = [
        f"{io}_{kind}_{part}"
        for io in ("input", "output")
        for kind in ("token_logprobs", "top_logprobs", "token_ids_logprobs")
        for part in ("val", "idx")
    ]
    if not req.return_logprob:
        return dict.fromkeys(names)
    fields = {name: [[]] for name in names}
    if not req.input_logprob_sent:
        fields["input_token_logprobs_val"] = [[None]]
        fields["input_token_logprobs_idx"] = [[req.origin_input_ids[-1]]]
        fields["input_top_logprobs_val"] = [[None]]
        fields["input_top_logprobs_idx"] = [[None]]
        req.input_logprob_sent = True
    start, end = req.send_output_token_logprobs_offset, max(n_out_ids, 1)
    fields["output_token_logprobs_val"] = [req.output_token_logprobs_val[start:end]]
    fields["output_token_logprobs_idx"] = [req.output_token_logprobs_idx[start:end]]
    fields["output_top_logprobs_val"] = [req.output_top_logprobs_val[start:end]]
    fields["output_top_logprobs_idx"] = [req.output_top_logprobs_idx[start:end]]
    req.send_output_token_logprobs_offset = end
    return fields
