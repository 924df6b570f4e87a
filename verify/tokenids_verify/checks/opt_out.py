"""return_token_ids: false gives exactly the unpatched release's keys, streamed and not."""

from __future__ import annotations

from typing import Any, Dict, List

from ..context import CheckContext, fail_if
from ..scenarios import PLAIN_MESSAGES, TOOL_MESSAGES, WEATHER_TOOL
from ..stock_keys import chunk_key_problems, response_key_problems


def _stream_key_problems(ctx: CheckContext, body: Dict[str, Any], label: str) -> List[str]:
    resp = ctx.client.chat_stream(body)
    problems: List[str] = []
    for pos, chunk in enumerate(resp.chunks):
        problems += chunk_key_problems(ctx.require_release().stock_keys, chunk, f"{label} chunk {pos}")
    if not resp.sse.done:
        problems.append(f"{label}: stream did not end with data: [DONE]")
    return problems


def check_opt_out_keys(ctx: CheckContext) -> Dict[str, Any]:
    plain = ctx.chat_body(PLAIN_MESSAGES, ctx.max_tokens, return_token_ids=False)
    tool = ctx.chat_body(TOOL_MESSAGES, max(ctx.max_tokens, 96), tools=[WEATHER_TOOL], return_token_ids=False)
    keys = ctx.require_release().stock_keys
    problems = response_key_problems(keys, ctx.client.chat(plain), "plain non-stream")
    problems += _stream_key_problems(ctx, dict(plain, stream_options={"include_usage": True}), "plain stream")
    problems += response_key_problems(keys, ctx.client.chat(tool), "tool non-stream")
    problems += _stream_key_problems(ctx, tool, "tool stream")
    fail_if(problems)
    return {"requests": 4, "stock_keys_of": keys.release}
