"""--stream-output (per-chunk output_ids from the engine instead of cumulative) gives the same
ids. Needs a second server started with the flag, so it only runs when the suite launches the
server itself; it runs last because the launcher stops the first server to free the GPU."""

from __future__ import annotations

from typing import Any, Dict, List

from ..context import CheckContext, SkipCheck, fail_if
from ..invariants import nonstream_problems, stream_problems
from ..scenarios import PLAIN_MESSAGES
from ..shared_requests import plain_nonstream, plain_stream, tool_nonstream, tool_stream
from ..stream_assembly import assemble_stream
from .core import ids_compare, stream_prompt_ids


def _ids(resp: Dict[str, Any]):
    return (resp.get("choices") or [{}])[0].get("token_ids")


def check_stream_output_mode(ctx: CheckContext) -> Dict[str, Any]:
    if ctx.stream_output_server is None:
        raise SkipCheck(ctx.stream_output_unavailable_reason)
    # References from the default-mode server, taken before it is stopped.
    ref_plain = plain_nonstream(ctx)
    plain_stream(ctx)
    ref_tool = tool_nonstream(ctx) if ctx.tool_call_parser else None
    if ctx.tool_call_parser:
        tool_stream(ctx)

    problems: List[str] = []
    details: Dict[str, Any] = {}
    with ctx.stream_output_server() as client:
        so = ctx.with_client(client)
        got = plain_nonstream(so)
        problems += nonstream_problems(so.tokenizer, got, "--stream-output plain non-stream")
        problems += ids_compare("--stream-output non-stream ids vs default mode", _ids(got), _ids(ref_plain), so.tokenizer)
        asm = plain_stream(so)
        problems += stream_problems(so.tokenizer, asm, "--stream-output plain stream", text_mode="content")
        sc = asm.choices.get(0)
        problems += ids_compare("--stream-output stream ids vs default mode", sc.token_ids if sc else None, _ids(ref_plain), so.tokenizer)
        problems += ids_compare("--stream-output stream prompt ids vs default mode", stream_prompt_ids(asm), ref_plain.get("prompt_token_ids"))
        details["plain_chunks"] = asm.chunk_count

        if ref_tool is not None:
            tasm = tool_stream(so)
            problems += stream_problems(so.tokenizer, tasm, "--stream-output tool stream", text_mode="tools")
            tsc = tasm.choices.get(0)
            if not tsc or not any(p.has_tool_calls for p in tsc.parts):
                problems.append("--stream-output tool stream: no tool_calls delta")
            problems += ids_compare("--stream-output tool stream ids vs default mode", tsc.token_ids if tsc else None, _ids(ref_tool), so.tokenizer)

        n2 = client.chat_stream(so.chat_body(PLAIN_MESSAGES, so.max_tokens, n=2, temperature=0.8, stream_options={"include_usage": True}))
        problems += stream_problems(so.tokenizer, assemble_stream(n2.chunks, n2.sse.done), "--stream-output n=2 stream", n=2)
    fail_if(problems)
    return details
