"""Requests several checks judge; each is sent once per context (see CheckContext.memo)."""

from __future__ import annotations

from typing import Any, Dict

from .context import CheckContext
from .scenarios import PLAIN_MESSAGES, TOOL_MESSAGES, WEATHER_TOOL
from .stream_assembly import StreamAssembly, assemble_stream


def plain_body(ctx: CheckContext) -> Dict[str, Any]:
    return ctx.chat_body(PLAIN_MESSAGES, ctx.max_tokens)


def tool_body(ctx: CheckContext) -> Dict[str, Any]:
    # More room: a tool call's JSON is longer than a sentence.
    return ctx.chat_body(TOOL_MESSAGES, max(ctx.max_tokens, 96), tools=[WEATHER_TOOL])


def plain_nonstream(ctx: CheckContext) -> Dict[str, Any]:
    def send():
        # A warm-up first, so that this request and the streamed one that follows both find
        # the prompt in the prefix cache: a GPU engine then computes both the same way.
        ctx.client.chat(plain_body(ctx))
        return ctx.client.chat(plain_body(ctx))

    return ctx.memo("plain_nonstream", send)


def plain_stream(ctx: CheckContext) -> StreamAssembly:
    def send():
        plain_nonstream(ctx)  # keep the order: warm-up, non-stream, stream
        body = plain_body(ctx)
        body["stream_options"] = {"include_usage": True}
        resp = ctx.client.chat_stream(body)
        return assemble_stream(resp.chunks, resp.sse.done)

    return ctx.memo("plain_stream", send)


def tool_nonstream(ctx: CheckContext) -> Dict[str, Any]:
    def send():
        ctx.client.chat(tool_body(ctx))
        return ctx.client.chat(tool_body(ctx))

    return ctx.memo("tool_nonstream", send)


def tool_stream(ctx: CheckContext) -> StreamAssembly:
    def send():
        tool_nonstream(ctx)
        body = tool_body(ctx)
        body["stream_options"] = {"include_usage": True}
        resp = ctx.client.chat_stream(body)
        return assemble_stream(resp.chunks, resp.sse.done)

    return ctx.memo("tool_stream", send)
