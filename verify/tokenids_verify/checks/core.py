"""Ids on plain (no tools) greedy requests: present, streamed, identical across modes,
counted by usage, and equal to the tokenizer's own rendering of the prompt."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ..context import CheckContext, fail_if
from ..invariants import nonstream_problems, stream_problems, usage_problems
from ..scenarios import PLAIN_MESSAGES, TOOL_MESSAGES, WEATHER_TOOL
from ..shared_requests import plain_nonstream, plain_stream, tool_nonstream
from ..stream_assembly import StreamAssembly
from ..tokenizer import ModelTokenizer


def first_difference(a: List[int], b: List[int]) -> str:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"first difference at position {i}: {x} vs {y}"
    return f"one is a prefix of the other (lengths {len(a)} and {len(b)})"


def ids_compare(label: str, got: Any, want: Any, tok: Optional[ModelTokenizer] = None) -> List[str]:
    missing = [side for side, ids in (("left", got), ("right", want)) if not isinstance(ids, list) or not ids]
    if missing:
        return [f"{label}: cannot compare, no ids on the {' and '.join(missing)} side"]
    if got == want:
        return []
    msg = f"{label}: ids differ, {first_difference(got, want)}"
    if tok is not None:
        msg += f"; decoded {tok.decode(got, False)[-120:]!r} vs {tok.decode(want, False)[-120:]!r}"
    return [msg]


def stream_prompt_ids(asm: StreamAssembly) -> Optional[List[int]]:
    return asm.prompt_id_chunks[0][2] if asm.prompt_id_chunks else None


def held_back_chunks(tok: ModelTokenizer, asm: StreamAssembly, index: int = 0) -> int:
    """How many chunks carried ids whose text was not (fully) emitted yet: evidence that the
    stream exercised the held-back path."""
    sc = asm.choices.get(index)
    if sc is None:
        return 0
    ids: List[int] = []
    text = ""
    count = 0
    for part in sc.parts:
        ids += part.token_ids
        text += part.content
        if part.token_ids and tok.decode(ids) != text:
            count += 1
    return count


def check_nonstream_ids(ctx: CheckContext) -> Dict[str, Any]:
    resp = plain_nonstream(ctx)
    fail_if(nonstream_problems(ctx.tokenizer, resp, "plain non-stream"))
    choice = resp["choices"][0]
    return {
        "prompt_len": len(resp["prompt_token_ids"]),
        "completion_len": len(choice["token_ids"]),
        "finish_reason": choice.get("finish_reason"),
        "content_head": (choice["message"].get("content") or "")[:80],
    }


def check_stream_ids(ctx: CheckContext) -> Dict[str, Any]:
    asm = plain_stream(ctx)
    fail_if(stream_problems(ctx.tokenizer, asm, "plain stream", text_mode="content"))
    sc = asm.choice(0)
    return {
        "chunks": asm.chunk_count,
        "chunks_with_ids": sum(1 for p in sc.parts if p.token_ids),
        "chunks_with_held_back_text": held_back_chunks(ctx.tokenizer, asm),
        "completion_len": len(sc.token_ids),
    }


def check_cross_mode_identity(ctx: CheckContext) -> Dict[str, Any]:
    resp = plain_nonstream(ctx)
    asm = plain_stream(ctx)
    problems = ids_compare("prompt ids stream vs non-stream", stream_prompt_ids(asm), resp.get("prompt_token_ids"))
    choice = (resp.get("choices") or [{}])[0]
    sc = asm.choices.get(0)
    problems += ids_compare(
        "completion ids stream vs non-stream", sc.token_ids if sc else None, choice.get("token_ids"), ctx.tokenizer
    )
    if sc and sc.finish_reason != choice.get("finish_reason"):
        problems.append(f"finish_reason stream {sc.finish_reason!r} vs non-stream {choice.get('finish_reason')!r}")
    fail_if(problems)
    return {"completion_ids": choice["token_ids"], "prompt_len": len(resp["prompt_token_ids"])}


def check_usage_counts(ctx: CheckContext) -> Dict[str, Any]:
    resp = plain_nonstream(ctx)
    asm = plain_stream(ctx)
    choices = resp.get("choices") or []
    problems = []
    if not all("token_ids" in c for c in choices) or "prompt_token_ids" not in resp:
        problems.append("non-stream: ids missing, nothing to count against usage")
    else:
        problems += usage_problems(resp.get("usage"), resp["prompt_token_ids"], [len(c["token_ids"]) for c in choices], "non-stream")
    if asm.usage is None:
        problems.append("stream: no usage chunk although stream_options.include_usage was set")
    elif not asm.prompt_id_chunks or not all(sc.token_ids for sc in asm.choices.values()):
        problems.append("stream: ids missing, nothing to count against usage")
    else:
        lengths = [len(asm.choices[i].token_ids) for i in sorted(asm.choices)]
        problems += usage_problems(asm.usage, stream_prompt_ids(asm), lengths, "stream")
    fail_if(problems)
    return {"usage": resp["usage"], "stream_usage": asm.usage}


def check_prompt_matches_chat_template(ctx: CheckContext) -> Dict[str, Any]:
    tok = ctx.tokenizer
    plain_want = ctx.render_chat(PLAIN_MESSAGES)
    tool_want = ctx.render_chat(TOOL_MESSAGES, tools=[WEATHER_TOOL])
    resp = plain_nonstream(ctx)
    asm = plain_stream(ctx)
    tool_resp = tool_nonstream(ctx)
    problems = ids_compare("plain non-stream prompt ids vs apply_chat_template", resp.get("prompt_token_ids"), plain_want, tok)
    problems += ids_compare("plain stream prompt ids vs apply_chat_template", stream_prompt_ids(asm), plain_want, tok)
    problems += ids_compare(
        "tool request prompt ids vs apply_chat_template(tools=...)", tool_resp.get("prompt_token_ids"), tool_want, tok
    )
    fail_if(problems)
    return {"plain_prompt_len": len(plain_want), "tool_prompt_len": len(tool_want), "tokenizer": tok.source}
