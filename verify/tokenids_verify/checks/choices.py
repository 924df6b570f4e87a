"""n = 2: every choice carries its own complete, self-consistent ids (streams interleave)."""

from __future__ import annotations

from typing import Any, Dict

from ..context import CheckContext, fail_if
from ..invariants import nonstream_problems, stream_problems, usage_problems
from ..scenarios import PLAIN_MESSAGES
from ..stream_assembly import assemble_stream


def check_n2_choices(ctx: CheckContext) -> Dict[str, Any]:
    # Sampled, so the two choices may differ; each must be consistent on its own.
    body = ctx.chat_body(PLAIN_MESSAGES, ctx.max_tokens, n=2, temperature=0.8)
    resp = ctx.client.chat(body)
    problems = nonstream_problems(ctx.tokenizer, resp, "n=2 non-stream", n=2)
    choices = resp.get("choices") or []
    indexes = sorted(c.get("index") for c in choices)
    if indexes != [0, 1]:
        problems.append(f"n=2 non-stream: choice indexes {indexes}, expected [0, 1]")
    if not problems:
        problems += usage_problems(resp.get("usage"), resp["prompt_token_ids"], [len(c["token_ids"]) for c in choices], "n=2 non-stream")

    stream_body = dict(body, stream_options={"include_usage": True})
    sresp = ctx.client.chat_stream(stream_body)
    asm = assemble_stream(sresp.chunks, sresp.sse.done)
    problems += stream_problems(
        ctx.tokenizer,
        asm,
        "n=2 stream",
        n=2,
        text_mode="content",
        expected_prompt_ids=resp.get("prompt_token_ids") if isinstance(resp.get("prompt_token_ids"), list) else None,
    )
    if len(asm.prompt_id_chunks) != 2 and asm.prompt_id_chunks:
        problems.append(f"n=2 stream: prompt_token_ids on {len(asm.prompt_id_chunks)} chunks, expected 2 (one per index)")
    fail_if(problems)
    return {
        "nonstream_completion_lens": [len(c["token_ids"]) for c in choices],
        "stream_completion_lens": {i: len(sc.token_ids) for i, sc in asm.choices.items()},
        "stream_chunks": asm.chunk_count,
    }
