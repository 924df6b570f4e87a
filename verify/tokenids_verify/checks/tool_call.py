"""Tool call: the streamed ids equal the non-streamed ids with the tool parser really active.

The earlier verifier started its server without --tool-call-parser, so the streaming tool
branch of serving_chat.py never ran; this check fails unless the stream has tool_calls deltas.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List

from ..context import CheckContext, SkipCheck, fail_if
from ..invariants import nonstream_problems, stream_problems
from ..scenarios import WEATHER_TOOL
from ..shared_requests import tool_nonstream, tool_stream
from .core import ids_compare, stream_prompt_ids


def _parse_args(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def check_tool_call_ids(ctx: CheckContext) -> Dict[str, Any]:
    if not ctx.tool_call_parser:
        raise SkipCheck("the server runs without --tool-call-parser (none known for this model; pass --tool-call-parser)")
    tool_name = WEATHER_TOOL["function"]["name"]
    resp = tool_nonstream(ctx)
    asm = tool_stream(ctx)
    problems: List[str] = []

    problems += nonstream_problems(ctx.tokenizer, resp, "tool non-stream", check_text=False)
    choice = (resp.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    ns_calls = [
        {"name": (c.get("function") or {}).get("name"), "arguments": _parse_args((c.get("function") or {}).get("arguments"))}
        for c in message.get("tool_calls") or []
    ]
    if not ns_calls:
        problems.append(
            f"tool non-stream: no tool_calls in the message (content={message.get('content')!r}): the tool parser did not run"
            " or the model did not call the tool"
        )

    problems += stream_problems(ctx.tokenizer, asm, "tool stream", text_mode="tools")
    sc = asm.choices.get(0)
    tool_chunks = sum(1 for p in sc.parts if p.has_tool_calls) if sc else 0
    if tool_chunks == 0:
        problems.append("tool stream: no chunk had a tool_calls delta: the streaming tool-call branch did not run")
    st_calls = [{"name": c["name"], "arguments": _parse_args(c["arguments"])} for c in sc.tool_calls()] if sc else []
    if ns_calls and tool_chunks and st_calls != ns_calls:
        problems.append(f"tool calls differ: stream {st_calls!r} vs non-stream {ns_calls!r}")

    problems += ids_compare("tool prompt ids stream vs non-stream", stream_prompt_ids(asm), resp.get("prompt_token_ids"))
    problems += ids_compare(
        "tool completion ids stream vs non-stream", sc.token_ids if sc else None, choice.get("token_ids"), ctx.tokenizer
    )
    # v0.5.9's non-streaming parser strips the normal text; the stream sends it as generated.
    if sc and (sc.content or "").strip() != (message.get("content") or "").strip():
        problems.append(f"tool normal text differs: stream {sc.content!r} vs non-stream {message.get('content')!r}")
    if sc and sc.finish_reason != choice.get("finish_reason"):
        problems.append(f"finish_reason stream {sc.finish_reason!r} vs non-stream {choice.get('finish_reason')!r}")
    if isinstance(choice.get("token_ids"), list) and choice["token_ids"]:
        decoded = ctx.tokenizer.decode(choice["token_ids"], skip_special_tokens=False)
        if tool_name not in decoded:
            problems.append(f"tool non-stream: decode(token_ids) does not mention {tool_name!r}: {decoded[:160]!r}")
    fail_if(problems)
    return {
        "tool_calls": ns_calls,
        "tool_call_chunks": tool_chunks,
        "stream_chunks": asm.chunk_count,
        "completion_len": len(choice["token_ids"]),
        "finish_reason": choice.get("finish_reason"),
    }
