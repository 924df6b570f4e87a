"""/v1/completions on the harness: the REAL OpenAIServingCompletion and route of the sglang
copy on sys.path, on the same scripted engine and templates as the chat serving."""

from fastapi import Depends, FastAPI


def build_serving_completion(tm, serving_chat):
    """OpenAIServingCompletion wired as launch_server wires it (same TemplateManager as chat)."""
    from sglang.srt.entrypoints.openai.serving_completions import OpenAIServingCompletion

    return OpenAIServingCompletion(tm, serving_chat.template_manager)


def add_completions_route(app: FastAPI, tm, serving_chat):
    # The route and the JSON check are the real ones from http_server; request validation
    # errors go through the handler build_app installs (v0.5.9's 400 shape).
    from sglang.srt.entrypoints.http_server import (
        openai_v1_completions,
        validate_json_request,
    )

    app.state.openai_serving_completion = build_serving_completion(tm, serving_chat)
    app.add_api_route(
        "/v1/completions",
        openai_v1_completions,
        methods=["POST"],
        dependencies=[Depends(validate_json_request)],
    )
