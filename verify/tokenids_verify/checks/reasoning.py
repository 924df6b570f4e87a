"""Reasoning chunks carry their ids (the seed patch moved them to later chunks)."""

from __future__ import annotations

from typing import Any, Dict, List

from ..context import CheckContext, SkipCheck, fail_if
from ..invariants import nonstream_problems, stream_problems
from ..scenarios import REASONING_MESSAGES, chat_body
from ..stream_assembly import assemble_stream
from .core import ids_compare, stream_prompt_ids

# Thinking models think at length; enough budget for some reasoning and usually an answer.
REASONING_MAX_TOKENS = 256


def check_reasoning_ids(ctx: CheckContext) -> Dict[str, Any]:
    if not ctx.reasoning_parser:
        raise SkipCheck("the server runs without --reasoning-parser (the model has none; pass --reasoning-parser to enable)")
    body = chat_body(REASONING_MESSAGES, max(ctx.max_tokens, REASONING_MAX_TOKENS), separate_reasoning=True)
    ctx.client.chat(body)  # warm-up: both measured requests then hit the prefix cache alike
    resp = ctx.client.chat(body)
    problems: List[str] = nonstream_problems(ctx.tokenizer, resp, "reasoning non-stream", check_text=False)
    choice = (resp.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    reasoning = message.get("reasoning_content") or ""
    if not reasoning:
        problems.append("reasoning non-stream: no reasoning_content: the reasoning parser did not run")
    ids = choice.get("token_ids")
    if isinstance(ids, list) and ids:
        decoded = ctx.tokenizer.decode(ids)
        for name, text in (("reasoning_content", reasoning), ("content", message.get("content") or "")):
            if text.strip() and text.strip() not in decoded:
                problems.append(f"reasoning non-stream: decode(token_ids) does not contain the {name} {text.strip()[:80]!r}")

    sresp = ctx.client.chat_stream(dict(body, stream_options={"include_usage": True}))
    asm = assemble_stream(sresp.chunks, sresp.sse.done)
    problems += stream_problems(ctx.tokenizer, asm, "reasoning stream", text_mode="reasoning")
    sc = asm.choices.get(0)
    reasoning_chunks = [p for p in sc.parts if p.reasoning] if sc else []
    if not reasoning_chunks:
        problems.append("reasoning stream: no chunk had reasoning_content")
    bare = [p.position for p in reasoning_chunks if not p.token_ids]
    if bare:
        problems.append(f"reasoning stream: {len(bare)} reasoning chunk(s) without token_ids (positions {bare[:8]})")
    problems += ids_compare("reasoning prompt ids stream vs non-stream", stream_prompt_ids(asm), resp.get("prompt_token_ids"))
    problems += ids_compare("reasoning completion ids stream vs non-stream", sc.token_ids if sc else None, ids, ctx.tokenizer)
    if sc and sc.reasoning.strip() != reasoning.strip():
        problems.append(f"reasoning text differs: stream {sc.reasoning[:80]!r}... vs non-stream {reasoning[:80]!r}...")
    fail_if(problems)
    return {
        "reasoning_chunks": len(reasoning_chunks),
        "completion_len": len(ids) if isinstance(ids, list) else None,
        "finish_reason": choice.get("finish_reason"),
    }
