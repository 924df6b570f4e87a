"""SGLang 0.5.13.post1 glue (NeMo-RL's bump from 0.5.12.post1; 0.5.13 has the same serving
code, adapters.SAME_SERVING_CODE): 0.5.15.post1's (v0_5_15.py). Read in the wheel, 0.5.13.post1
already has every internal that adapter calls: the scheduler's _GenerationStreamAccumulator
(scheduler_components/output_streamer.py, the same fields and to_payload), Req's
update_finish_state and req.logprob, the delta-sending DetokenizerManager (no
tool_close_token_ids), a coroutine _handle_batch_output, prompt ids in the ReqState
(return_prompt_token_ids), TemplateManager in sglang.srt.managers.template_manager,
set_global_server_args_for_tokenizer, --incremental-streaming-output, and
to_openai_style_logprobs keeping a top list as a dict by token text. One internal differs:
_GenerationStreamAccumulator.to_payload also takes the scheduler's `load` (a GetLoadsReqOutput
the detokenizer passes through) and `has_reqs` (the batch had requests; 0.5.15.post1 decides
on the accumulated rids), so output() is this module's own. What differs in the serving layer
(not the harness's business): chat streaming puts a step's log-probabilities on the content
chunk only (no remaining_logprobs), the reasoning parser and FunctionCallParser take no
tokenizer, no multimodal token counts in usage.
"""

from sglang_engineless.adapters.v0_5_15 import (  # noqa: F401  (the adapter interface)
    accumulator,
    activate,
    add_logprob,
    deliver,
    init_manager,
    make_detokenizer,
    make_server_args,
    make_template_manager,
    new_req,
    new_state,
    step,
    stream_deltas,
    top_logprobs_view,
    waiter,
)

RELEASE = "0.5.13.post1"
# Server-wide sglext ids (--return-input-ids/--return-output-ids) come with 0.5.20.
SGLEXT_IDS = False
STREAM_OUTPUT_FLAG = "--incremental-streaming-output"


def output(tm, req):
    """The real scheduler output rule and payload (_GenerationStreamAccumulator) for this one
    request, then the real detokenizer; None when the rule sends nothing this step (the real
    scheduler sends an empty batch then, has_reqs being true: nothing for this request)."""
    acc = accumulator(tm, req)
    payload = acc.to_payload(load=None, dp_rank=0, is_idle_batch=False, has_reqs=bool(acc.rids))
    if payload is None:
        return None
    return tm.detokenizer.handle_batch_token_id_out(payload)
