"""Builds the REAL OpenAIServingChat (from whichever sglang is on sys.path) around the
scripted engine, and a FastAPI app that serves it like sglang.launch_server does. The
release-specific wiring is the adapter's (adapters/)."""

import time

from sglang_engineless import cpu_shims

cpu_shims.install()

from fastapi import Depends, FastAPI  # noqa: E402
from fastapi.responses import Response  # noqa: E402

from sglang.srt.entrypoints.openai.serving_chat import OpenAIServingChat  # noqa: E402
from sglang.srt.managers.io_struct import GenerateReqInput  # noqa: E402

from sglang_engineless.completions import add_completions_route  # noqa: E402
from sglang_engineless.engine import ScriptedTokenizerManager, adapter  # noqa: E402
from sglang_engineless.tokenize_route import add_tokenize_route  # noqa: E402

RELEASE = adapter.RELEASE


def build_serving(
    model_path,
    stream_output=False,
    stream_interval=1,
    tool_call_parser=None,
    reasoning_parser=None,
    burst=1,
    **extra_server_args,
):
    """(tokenizer_manager, OpenAIServingChat) wired the way launch_server wires them.

    `stream_output` is the release's delta-ids mode: --stream-output on 0.5.9,
    --incremental-streaming-output on 0.5.23."""
    server_args = adapter.make_server_args(
        model_path,
        stream_output=stream_output,
        stream_interval=stream_interval,
        tool_call_parser=tool_call_parser,
        reasoning_parser=reasoning_parser,
        **extra_server_args,
    )
    tm = ScriptedTokenizerManager(server_args, burst=burst)
    return tm, OpenAIServingChat(tm, adapter.make_template_manager(tm))


def build_app(tm, serving_chat) -> FastAPI:
    # The chat route and the JSON check are the real ones from http_server.
    from sglang.srt.entrypoints.http_server import (
        openai_v1_chat_completions,
        validate_json_request,
        validation_exception_handler,
    )
    from fastapi.exceptions import RequestValidationError

    app = FastAPI()
    app.state.openai_serving_chat = serving_chat
    app.add_api_route(
        "/v1/chat/completions",
        openai_v1_chat_completions,
        methods=["POST"],
        dependencies=[Depends(validate_json_request)],
    )
    app.add_exception_handler(RequestValidationError, validation_exception_handler)
    add_completions_route(app, tm, serving_chat)
    add_tokenize_route(app, tm, serving_chat)

    @app.get("/health")
    async def health():
        return Response(status_code=200)

    @app.get("/health_generate")
    async def health_generate():
        # Like v0.5.9's: one token through the whole engine path.
        obj = GenerateReqInput(
            input_ids=[tm.tokenizer.eos_token_id],
            sampling_params={"max_new_tokens": 1, "temperature": 0},
        )
        async for _ in tm.generate_request(obj, None):
            break
        return Response(status_code=200)

    @app.get("/v1/models")
    async def models():
        name = tm.served_model_name
        return {
            "object": "list",
            "data": [
                {
                    "id": name,
                    "object": "model",
                    "created": int(time.time()),
                    "owned_by": "sglang",
                    "root": name,
                    "max_model_len": tm.context_len,
                }
            ],
        }

    return app
