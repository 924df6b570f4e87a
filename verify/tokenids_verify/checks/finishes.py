"""Stop-string and max_tokens finishes keep the ids complete (ids are never trimmed)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from ..context import CheckContext, CheckFailed, fail_if
from ..invariants import nonstream_problems, stream_problems
from ..scenarios import LONG_MESSAGES
from ..stream_assembly import assemble_stream
from .core import ids_compare

MAX_TOKENS_CUT = 6


def pick_stop_string(content: str) -> Optional[Tuple[str, int]]:
    """A short stop string that first occurs past the first third of ``content``: the
    model's own greedy answer is then known to run into it."""
    for size in (4, 3, 2):
        for pos in range(max(1, len(content) // 3), len(content) - size):
            candidate = content[pos : pos + size]
            if candidate.strip() == candidate and candidate and content.find(candidate) == pos:
                return candidate, pos
    return None


def _stream(ctx: CheckContext, body: Dict[str, Any]):
    resp = ctx.client.chat_stream(dict(body, stream_options={"include_usage": True}))
    return assemble_stream(resp.chunks, resp.sse.done)


def _length_case(ctx: CheckContext, problems: List[str]) -> Dict[str, Any]:
    body = ctx.chat_body(LONG_MESSAGES, MAX_TOKENS_CUT)
    resp = ctx.client.chat(body)
    problems += nonstream_problems(ctx.tokenizer, resp, "max_tokens non-stream")
    choice = (resp.get("choices") or [{}])[0]
    if choice.get("finish_reason") != "length":
        problems.append(f"max_tokens non-stream: finish_reason {choice.get('finish_reason')!r}, expected 'length'")
    ids = choice.get("token_ids")
    if isinstance(ids, list) and len(ids) != MAX_TOKENS_CUT:
        problems.append(f"max_tokens non-stream: {len(ids)} token_ids, expected all {MAX_TOKENS_CUT} generated ids")
    asm = _stream(ctx, body)
    problems += stream_problems(ctx.tokenizer, asm, "max_tokens stream", text_mode="content")
    sc = asm.choices.get(0)
    problems += ids_compare("max_tokens completion ids stream vs non-stream", sc.token_ids if sc else None, ids, ctx.tokenizer)
    if sc and sc.finish_reason != "length":
        problems.append(f"max_tokens stream: finish_reason {sc.finish_reason!r}, expected 'length'")
    return {"length_ids": ids}


def _stop_case(ctx: CheckContext, problems: List[str]) -> Dict[str, Any]:
    ref = ctx.client.chat(ctx.chat_body(LONG_MESSAGES, ctx.max_tokens))
    ref_choice = (ref.get("choices") or [{}])[0]
    ref_ids = ref_choice.get("token_ids")
    content = (ref_choice.get("message") or {}).get("content") or ""
    picked = pick_stop_string(content)
    if picked is None:
        raise CheckFailed([f"stop: the reference answer {content!r} is too short to pick a stop string from"])
    stop, _ = picked
    body = ctx.chat_body(LONG_MESSAGES, ctx.max_tokens, stop=[stop])
    resp = ctx.client.chat(body)
    problems += nonstream_problems(ctx.tokenizer, resp, f"stop={stop!r} non-stream")
    choice = (resp.get("choices") or [{}])[0]
    if choice.get("finish_reason") != "stop" or choice.get("matched_stop") != stop:
        problems.append(
            f"stop={stop!r} non-stream: finish_reason={choice.get('finish_reason')!r} matched_stop={choice.get('matched_stop')!r},"
            " expected the stop string to match"
        )
    ids = choice.get("token_ids")
    if isinstance(ids, list) and isinstance(ref_ids, list) and ids != ref_ids[: len(ids)]:
        problems.append(f"stop={stop!r} non-stream: token_ids are not a prefix of the same greedy answer without stop")
    asm = _stream(ctx, body)
    problems += stream_problems(ctx.tokenizer, asm, f"stop={stop!r} stream", text_mode="content", stop_strings=True)
    sc = asm.choices.get(0)
    problems += ids_compare(f"stop={stop!r} completion ids stream vs non-stream", sc.token_ids if sc else None, ids, ctx.tokenizer)
    if sc and sc.finish_reason != "stop":
        problems.append(f"stop={stop!r} stream: finish_reason {sc.finish_reason!r}, expected 'stop'")
    return {"stop": stop, "stop_ids": ids, "content": (choice.get("message") or {}).get("content")}


def check_stop_and_length_finishes(ctx: CheckContext) -> Dict[str, Any]:
    problems: List[str] = []
    details = _length_case(ctx, problems)
    details.update(_stop_case(ctx, problems))
    fail_if(problems)
    return details
