"""SGLang 0.5.20 glue: 0.5.19's (v0_5_19.py), whose serving layer 0.5.20 keeps (no
sglang.srt.parser.response_template, so no tool_close_token_ids in the detokenizer; the
_GenerationStreamAccumulator without is_request_level_customized_info_key/rust_server_mode;
chat log-probabilities through utils.to_openai_style_logprobs, a top list by token text). What
0.5.20 adds, read in the wheel: the server-wide sglext ids (--return-input-ids /
--return-output-ids, ServerArgs.return_input_ids/return_output_ids, read through get_serving())
and the request's return_input_ids_in_sglext / return_output_ids_in_sglext, as 0.5.23 has them;
its serving_completions reads get_serving() too (0.5.19 read the manager's server_args).
"""

from sglang_engineless.adapters.v0_5_19 import (  # noqa: F401  (the adapter interface)
    activate,
    add_logprob,
    deliver,
    init_manager,
    make_detokenizer,
    make_server_args,
    make_template_manager,
    new_req,
    new_state,
    output,
    step,
    stream_deltas,
    top_logprobs_view,
    waiter,
)

RELEASE = "0.5.20"
# Server-wide sglext ids (--return-input-ids/--return-output-ids) came in 0.5.20.
SGLEXT_IDS = True
STREAM_OUTPUT_FLAG = "--incremental-streaming-output"
