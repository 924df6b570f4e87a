"""Log-probabilities travel with the ids: with ``logprobs: true``, ``logprobs.content`` is
1:1 with ``token_ids`` on every streamed chunk that carries ids (held-back text and tool-call
chunks included) and in the non-streaming response. RL stacks pair each id with its
log-probability to compute importance ratios; stock v0.5.9 drops those of held-back text and
of tool-call chunks when streaming."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ..context import CheckContext, fail_if
from ..scenarios import PLAIN_MESSAGES, TOOL_MESSAGES, WEATHER_TOOL
from ..shared_requests import tool_cut_max_tokens
from ..stream_assembly import StreamAssembly, assemble_stream
from .core import ids_compare

# top_logprobs 0, 5 and not sent: v0.5.9 passes `top_logprobs or 0` to the engine, and each
# setting takes its own path through the scheduler's logprob lists.
TOP_LOGPROBS = (0, 5, None)


def _entry_problems(entries: List[Dict[str, Any]], top: Optional[int], where: str) -> List[str]:
    want_top = top or 0
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("logprob"), (int, float)):
            return [f"{where}: logprobs.content[{i}] is {entry!r}, not a log-probability entry"]
        got_top = len(entry.get("top_logprobs") or [])
        # v0.5.9 keys the alternatives by their text, so tokens that decode alike (e.g. lone
        # UTF-8 bytes) collapse into one: fewer than asked is v0.5.9's own shape.
        if not (1 <= got_top <= want_top if want_top else got_top == 0):
            return [f"{where}: logprobs.content[{i}] has {got_top} top_logprobs, expected {want_top or 'none'}"]
    return []


def nonstream_logprob_problems(resp: Dict[str, Any], top: Optional[int], label: str) -> List[str]:
    problems: List[str] = []
    for choice in resp.get("choices") or []:
        where = f"{label} choice {choice.get('index')}"
        ids = choice.get("token_ids")
        entries = ((choice.get("logprobs") or {}).get("content")) if isinstance(choice.get("logprobs"), dict) else None
        if not isinstance(ids, list) or not ids:
            problems.append(f"{where}: no token_ids to pair the log-probabilities with")
            continue
        if entries is None:
            problems.append(f"{where}: no logprobs.content although logprobs=true")
            continue
        if len(entries) != len(ids):
            problems.append(f"{where}: {len(entries)} log-probabilities for {len(ids)} token_ids")
        problems += _entry_problems(entries, top, where)
    return problems


def stream_logprob_problems(asm: StreamAssembly, top: Optional[int], label: str) -> List[str]:
    """Per chunk: as many log-probabilities as ids (none on a chunk without ids)."""
    problems: List[str] = []
    for idx, sc in sorted(asm.choices.items()):
        if not sc.token_ids:
            problems.append(f"{label} choice {idx}: no token_ids on any chunk")
            continue
        for part in sc.parts:
            n_lp = len(part.logprobs or [])
            if n_lp != len(part.token_ids):
                kind = "tool_calls" if part.has_tool_calls else "finish" if part.finish_reason else "text"
                problems.append(
                    f"{label} choice {idx}: chunk {part.position} ({kind}) carries {len(part.token_ids)} token_ids"
                    f" and {n_lp} log-probabilities"
                )
            problems += _entry_problems(part.logprobs or [], top, f"{label} choice {idx} chunk {part.position}")
    return problems


def _tokens(entries: List[Dict[str, Any]]) -> List[Any]:
    return [e.get("token") for e in entries if isinstance(e, dict)]


def _case(ctx: CheckContext, name: str, body: Dict[str, Any], top: Optional[int], problems: List[str], details: Dict[str, Any]) -> None:
    body = dict(body, logprobs=True)
    if top is not None:
        body["top_logprobs"] = top
    label = f"{name} top_logprobs={top if top is not None else 'unset'}"
    resp = ctx.client.chat(body)
    problems += nonstream_logprob_problems(resp, top, f"{label} non-stream")
    sresp = ctx.client.chat_stream(body)
    asm = assemble_stream(sresp.chunks, sresp.sse.done)
    problems += stream_logprob_problems(asm, top, f"{label} stream")
    choice = (resp.get("choices") or [{}])[0]
    sc = asm.choices.get(0)
    problems += ids_compare(f"{label} completion ids stream vs non-stream", sc.token_ids if sc else None, choice.get("token_ids"))
    ns_entries = ((choice.get("logprobs") or {}).get("content") or []) if isinstance(choice.get("logprobs"), dict) else []
    st_entries = [e for p in (sc.parts if sc else []) for e in (p.logprobs or [])]
    if ns_entries and st_entries and _tokens(st_entries) != _tokens(ns_entries):
        problems.append(f"{label}: the streamed log-probabilities are for other tokens than the non-streamed ones (order or count)")
    if sc:
        details["chunks_with_ids"] += sum(1 for p in sc.parts if p.token_ids)
        details["tool_call_chunks_with_logprobs"] += sum(1 for p in sc.parts if p.has_tool_calls and p.logprobs)
        details["streamed_logprobs"] += len(st_entries)


def check_logprobs_alignment(ctx: CheckContext) -> Dict[str, Any]:
    problems: List[str] = []
    details: Dict[str, Any] = {"chunks_with_ids": 0, "tool_call_chunks_with_logprobs": 0, "streamed_logprobs": 0, "cases": []}
    cases = [("plain", ctx.chat_body(PLAIN_MESSAGES, ctx.max_tokens), top) for top in TOP_LOGPROBS]
    if ctx.tool_call_parser:
        tool = ctx.chat_body(TOOL_MESSAGES, max(ctx.max_tokens, 96), tools=[WEATHER_TOOL])
        cases += [("tool", tool, 5), ("tool", tool, None)]
        try:
            cases.append(("tool cut by max_tokens", dict(tool, max_tokens=tool_cut_max_tokens(ctx)), 0))
        except Exception as e:  # no ids to find the cut from: judged by tool_call_ids
            problems.append(f"tool cut by max_tokens: not sent ({e})")
    for name, body, top in cases:
        _case(ctx, name, body, top, problems, details)
        details["cases"].append(f"{name} top_logprobs={top}")
    fail_if(problems)
    return details
