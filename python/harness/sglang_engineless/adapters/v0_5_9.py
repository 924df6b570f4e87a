"""SGLang v0.5.9 glue: ServerArgs in sglang.srt.server_args (read from the instance), the
scheduler's output rule inlined in the 0.5.9 Scheduler (stream_output_generation, reproduced
here), a synchronous TokenizerManager._handle_batch_output, ids deltas under --stream-output."""

import asyncio
from typing import Any, Dict

from sglang.srt.configs.model_config import ModelConfig
from sglang.srt.managers.detokenizer_manager import DetokenizerManager, LimitedCapacityDict
from sglang.srt.managers.io_struct import BatchTokenIDOutput
from sglang.srt.managers.schedule_batch import Req
from sglang.srt.managers.template_manager import TemplateManager
from sglang.srt.managers.tokenizer_manager import ReqState
from sglang.srt.server_args import ServerArgs
from sglang.srt.utils.hf_transformers_utils import get_tokenizer
from sglang.srt.utils.request_logger import RequestLogger

from sglang_engineless.adapters._shared import (  # noqa: F401
    top_logprobs_view_by_text as top_logprobs_view,  # to_openai_style_logprobs: a dict by text
)

RELEASE = "0.5.9"
# The launch_server flag under which streamed output_ids are deltas (cumulative otherwise).
# Server-wide sglext ids (--return-input-ids/--return-output-ids, from 0.5.20).
SGLEXT_IDS = False
STREAM_OUTPUT_FLAG = "--stream-output"
# v0.5.9 Scheduler: non-streaming requests still flush every 50 tokens.
DEFAULT_FORCE_STREAM_INTERVAL = 50


def make_server_args(model_path, stream_output=False, stream_interval=1, tool_call_parser=None,
                     reasoning_parser=None, **extra):
    return ServerArgs(
        model_path=model_path,
        device="cpu",
        stream_output=stream_output,
        stream_interval=stream_interval,
        tool_call_parser=tool_call_parser,
        reasoning_parser=reasoning_parser,
        **extra,
    )


def activate(server_args) -> None:
    """v0.5.9 reads its settings from the ServerArgs instance: nothing process-wide to set."""


def stream_deltas(server_args) -> bool:
    return bool(server_args.stream_output)


def init_manager(tm, server_args) -> None:
    """What TokenizerManager.__init__ sets that the inherited output path reads (the real
    __init__ starts processes and sockets)."""
    tm.server_args = server_args
    tm.model_config = ModelConfig.from_server_args(server_args)
    tm.tokenizer = get_tokenizer(
        server_args.tokenizer_path,
        tokenizer_mode=server_args.tokenizer_mode,
        trust_remote_code=server_args.trust_remote_code,
    )
    tm.processor = None
    tm.mm_processor = None
    tm.served_model_name = server_args.served_model_name
    tm.context_len = tm.model_config.context_len
    tm.rid_to_state = {}
    tm.enable_metrics = False
    tm.enable_trace = False
    tm.dump_requests_folder = ""
    tm.crash_dump_folder = None
    tm.request_logger = RequestLogger(
        log_requests=False,
        log_requests_level=server_args.log_requests_level,
        log_requests_format=server_args.log_requests_format,
        log_requests_target=server_args.log_requests_target,
    )
    tm.request_metrics_exporter_manager = _NoExporter()


def make_detokenizer(tm):
    detok = DetokenizerManager.__new__(DetokenizerManager)
    detok.tokenizer = tm.tokenizer
    detok.decode_status = LimitedCapacityDict(capacity=1 << 16)
    detok.is_dummy = False
    detok.is_tool_call_parser_gpt_oss = False
    detok.disable_tokenizer_batch_decode = False
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
    state = ReqState([], False, asyncio.Event(), obj, created_time=0.0)
    tm.rid_to_state[obj.rid] = state
    return state


def waiter(tm, obj, state, request):
    return tm._wait_one_response(obj, state, request)


def new_req(tm, obj, input_ids, sampling_params):
    req = Req(
        obj.rid,
        obj.text or "",
        input_ids,
        sampling_params,
        return_logprob=bool(obj.return_logprob),
        top_logprobs_num=(obj.top_logprobs_num or 0) if obj.return_logprob else 0,
        stream=bool(obj.stream),
        eos_token_ids={tm.tokenizer.eos_token_id},
        vocab_size=len(tm.tokenizer),
    )
    req.tokenizer = tm.tokenizer
    return req


def step(req, tokens, record_logprobs) -> None:
    """One engine step: v0.5.9 checks the finish token by token (check_finished), and the
    decode step records log-probabilities after the finish check."""
    for token in tokens:
        pos = len(req.output_ids)
        req.output_ids.append(token)
        req.check_finished()
        if req.return_logprob:
            record_logprobs(pos, token)
        if req.finished():
            break


def add_logprob(req, value, token_id, top_ids=None, top_values=None) -> None:
    req.output_token_logprobs_val.append(value)
    req.output_token_logprobs_idx.append(token_id)
    if top_ids is not None:
        req.output_top_logprobs_val.append(top_values)
        req.output_top_logprobs_idx.append(top_ids)


def output(tm, req):
    """v0.5.9 Scheduler.stream_output_generation for one request (its output rule), then the
    real detokenizer; None when the rule sends nothing this step."""
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
        finished_reasons=[req.finished_reason.to_json() if req.finished_reason else None],
        decoded_texts=[req.decoded_text],
        decode_ids=[decode_ids],
        read_offsets=[read_offset],
        output_ids=[new_ids],
        skip_special_tokens=[req.sampling_params.skip_special_tokens],
        spaces_between_special_tokens=[req.sampling_params.spaces_between_special_tokens],
        no_stop_trim=[req.sampling_params.no_stop_trim],
        prompt_tokens=[len(req.origin_input_ids)],
        completion_tokens=[len(out_ids)],
        cached_tokens=[0],
        **_logprob_fields(req),
        output_token_entropy_val=None,
        output_hidden_states=None,
        routed_experts=None,
        placeholder_tokens_idx=None,
        placeholder_tokens_val=None,
        retraction_counts=[0],
        spec_verify_ct=[0],
        spec_accepted_tokens=[0],
        spec_acceptance_histogram=[None],
        queue_time=[None],
        forward_entry_time=[None],
        prefill_launch_delay=[None],
        prefill_launch_latency=[None],
        prefill_finished_ts=[None],
    )
    return tm.detokenizer.handle_batch_token_id_out(batch)


async def deliver(tm, out) -> None:
    tm._handle_batch_output(out)


def _logprob_fields(req) -> Dict[str, Any]:
    """The logprob fields of one request's BatchTokenIDOutput, as v0.5.9's
    Scheduler.stream_output_generation fills them: all None when no request of the batch
    wants logprobs; otherwise one list per request, output values sliced from
    send_output_token_logprobs_offset, input ones sent once (logprob_start_len -1 -> the last
    prompt position, whose value is None)."""
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
    start = req.send_output_token_logprobs_offset
    fields["output_token_logprobs_val"] = [req.output_token_logprobs_val[start:]]
    fields["output_token_logprobs_idx"] = [req.output_token_logprobs_idx[start:]]
    fields["output_top_logprobs_val"] = [req.output_top_logprobs_val[start:]]
    fields["output_top_logprobs_idx"] = [req.output_top_logprobs_idx[start:]]
    req.send_output_token_logprobs_offset = len(req.output_token_logprobs_val)
    return fields


class _NoExporter:
    """RequestMetricsExporterManager with no exporter configured (v0.5.9's default)."""

    def exporter_enabled(self) -> bool:
        return False
