"""/tokenize and /v1/tokenize on the harness: the REAL OpenAIServingTokenize and route of the
sglang copy on sys.path, on the same tokenizer and templates as the chat serving (vLLM
clients such as NeMo-Gym's vllm_model post the chat form to /tokenize, without /v1)."""

import inspect

from fastapi import Depends, FastAPI


def build_serving_tokenize(tm, serving_chat):
    """OpenAIServingTokenize wired as launch_server wires it: 0.5.23 takes the
    TemplateManager (its chat form renders messages itself), 0.5.9 only the tokenizer
    manager (a patched 0.5.9 renders the chat form through app.state.openai_serving_chat)."""
    from sglang.srt.entrypoints.openai.serving_tokenize import OpenAIServingTokenize

    if "template_manager" in inspect.signature(OpenAIServingTokenize.__init__).parameters:
        return OpenAIServingTokenize(tm, serving_chat.template_manager)
    return OpenAIServingTokenize(tm)


def add_tokenize_route(app: FastAPI, tm, serving_chat):
    from sglang.srt.entrypoints.http_server import openai_v1_tokenize, validate_json_request

    app.state.openai_serving_tokenize = build_serving_tokenize(tm, serving_chat)
    for path in ("/v1/tokenize", "/tokenize"):
        app.add_api_route(
            path,
            openai_v1_tokenize,
            methods=["POST"],
            dependencies=[Depends(validate_json_request)],
        )
