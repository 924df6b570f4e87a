"""Requests several checks judge; each is sent once per context (see CheckContext.memo)."""

from __future__ import annotations

import json
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


def tool_cut_max_tokens(ctx: CheckContext) -> int:
    """A max_tokens that cuts the greedy tool answer inside its first string argument (after
    the value's last token, before its closing quote where the tokens allow): v0.5.9 then
    streams a partial call plus one chunk with the remaining arguments, and answers the
    non-streaming request with the raw text as content."""

    def compute() -> int:
        choice = (tool_nonstream(ctx).get("choices") or [{}])[0]
        ids = choice.get("token_ids")
        if not isinstance(ids, list) or len(ids) < 3:
            raise ValueError("the tool answer has no token_ids to cut (see tool_call_ids)")
        return cut_inside_first_argument(ctx.tokenizer, ids, (choice.get("message") or {}).get("tool_calls") or [])

    return ctx.memo("tool_cut_max_tokens", compute)


def cut_inside_first_argument(tok, ids, tool_calls) -> int:
    decoded = [tok.decode(ids[:k], skip_special_tokens=True) for k in range(len(ids) + 1)]
    full = decoded[-1]
    value = None
    for call in tool_calls:
        try:
            args = json.loads((call.get("function") or {}).get("arguments") or "")
        except (TypeError, ValueError):
            continue
        value = next((v for v in (args.values() if isinstance(args, dict) else []) if isinstance(v, str) and v), None)
        if value:
            break
    start = full.rfind('"' + value) if value else -1
    if start < 0:
        return len(ids) - 3  # no string argument found: cut a few tokens before the end
    value_end = start + 1 + len(value)
    # the last prefix that holds some of the value but not its closing quote
    inside = [k for k, text in enumerate(decoded) if start + 1 < len(text) <= value_end]
    return inside[-1] if inside else next(k for k, text in enumerate(decoded) if len(text) > start + 1)


def tool_cut_body(ctx: CheckContext) -> Dict[str, Any]:
    return ctx.chat_body(TOOL_MESSAGES, tool_cut_max_tokens(ctx), tools=[WEATHER_TOOL])


def tool_cut_nonstream(ctx: CheckContext) -> Dict[str, Any]:
    return ctx.memo("tool_cut_nonstream", lambda: ctx.client.chat(tool_cut_body(ctx)))


def tool_cut_stream(ctx: CheckContext) -> StreamAssembly:
    def send():
        tool_cut_nonstream(ctx)
        resp = ctx.client.chat_stream(dict(tool_cut_body(ctx), stream_options={"include_usage": True}))
        return assemble_stream(resp.chunks, resp.sse.done)

    return ctx.memo("tool_cut_stream", send)
