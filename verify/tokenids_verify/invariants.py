"""Contract invariants as functions that return a list of problems (empty = holds).

Checks combine these; other test suites (e.g. the CPU real-engine tests) can call them on
their own responses and add their own expectations on top.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from .stream_assembly import StreamAssembly, StreamChoice
from .tokenizer import ModelTokenizer

REPLACEMENT_CHAR = "\ufffd"


def _short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_id_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(x, int) and not isinstance(x, bool) for x in value)


def text_problems(
    tok: ModelTokenizer,
    ids: List[int],
    content: Optional[str],
    finish_reason: Optional[str],
    matched_stop: Any,
    label: str,
) -> List[str]:
    """decode(ids) against the content the server sent for a plain-text answer.

    Contract: ids are never trimmed like text. A matched stop STRING leaves ids that spell it
    (and possibly more), so decode(ids) only starts with the content; a stop TOKEN (EOS) is the
    last id and has no text (skip_special_tokens drops it); otherwise decode(ids) == content.
    """
    content = content or ""
    decoded = tok.decode(ids, skip_special_tokens=True)
    if finish_reason == "stop" and isinstance(matched_stop, str):
        if not decoded.startswith(content):
            return [f"{label}: decode(token_ids)={_short(decoded)} does not start with content={_short(content)}"]
        # A stream may already have sent the first characters of the stop string before the
        # match completed, so the stop string may start up to len(stop)-1 chars inside content.
        if decoded.find(matched_stop, max(0, len(content) - len(matched_stop) + 1)) < 0:
            return [
                f"{label}: ids after the content do not spell the matched stop string {matched_stop!r}: "
                f"decode tail={_short(decoded[len(content):])}"
            ]
        return []
    if decoded == content:
        return []
    # A generation cut by max_tokens may end inside a multi-byte character.
    if finish_reason == "length" and decoded.rstrip(REPLACEMENT_CHAR) == content.rstrip(REPLACEMENT_CHAR):
        return []
    return [f"{label}: decode(token_ids)={_short(decoded)} != content={_short(content)}"]


def usage_problems(usage: Any, prompt_ids: Any, completion_lengths: List[int], label: str) -> List[str]:
    if not isinstance(usage, dict):
        return [f"{label}: no usage object ({_short(usage)})"]
    problems = []
    if isinstance(prompt_ids, list) and usage.get("prompt_tokens") != len(prompt_ids):
        problems.append(f"{label}: usage.prompt_tokens={usage.get('prompt_tokens')} != len(prompt_token_ids)={len(prompt_ids)}")
    if usage.get("completion_tokens") != sum(completion_lengths):
        problems.append(
            f"{label}: usage.completion_tokens={usage.get('completion_tokens')} != total len(token_ids)={sum(completion_lengths)}"
            f" (per choice {completion_lengths})"
        )
    return problems


def nonstream_problems(
    tok: ModelTokenizer,
    resp: Dict[str, Any],
    label: str,
    *,
    n: int = 1,
    check_text: bool = True,
) -> List[str]:
    """Ids present and well-formed on a non-streaming response; text matches when asked."""
    problems: List[str] = []
    if "prompt_token_ids" not in resp:
        problems.append(f"{label}: no top-level prompt_token_ids (keys: {sorted(resp)})")
    elif not is_id_list(resp["prompt_token_ids"]):
        problems.append(f"{label}: prompt_token_ids is {_short(resp['prompt_token_ids'])}, not a non-empty int list")
    choices = resp.get("choices") or []
    if len(choices) != n:
        problems.append(f"{label}: {len(choices)} choices, expected {n}")
    for pos, choice in enumerate(choices):
        where = f"{label} choice {choice.get('index', pos)}"
        if "token_ids" not in choice:
            problems.append(f"{where}: no token_ids (keys: {sorted(choice)})")
            continue
        ids = choice["token_ids"]
        if not is_id_list(ids):
            problems.append(f"{where}: token_ids is {_short(ids)}, not a non-empty int list")
            continue
        if check_text:
            msg = choice.get("message") or {}
            problems += text_problems(tok, ids, msg.get("content"), choice.get("finish_reason"), choice.get("matched_stop"), where)
    return problems


def _lag_problems(tok: ModelTokenizer, sc: StreamChoice, label: str, field: str) -> List[str]:
    """Ids ride on the chunk that emits their text: after every chunk, the ids so far must
    already spell the text so far (they may run ahead when text is held back, never behind)."""
    ids: List[int] = []
    text = ""
    for part in sc.parts:
        ids += part.token_ids
        text += part.content if field == "content" else part.reasoning
        if not text:
            continue
        decoded = tok.decode(ids, skip_special_tokens=True)
        ok = decoded.startswith(text) if field == "content" else text.strip() in decoded
        if not ok:
            return [
                f"{label}: chunk {part.position} emitted {field} before its ids: {field} so far={_short(text)}, "
                f"decode(ids so far)={_short(decoded)}"
            ]
    return []


def _ahead_problems(tok: ModelTokenizer, sc: StreamChoice, label: str) -> List[str]:
    """...and never ahead of it: after every chunk that emits content, what the ids so far
    spell beyond the content so far can only be text still held back for an incomplete
    UTF-8 character (it decodes with U+FFFD) or none (EOS). Catches ids taken from a
    still-growing list (0.5.23's live output_ids with n > 1) whose text comes on a later
    chunk. Not for streams with stop strings, whose text is held back at a stop's prefix."""
    ids: List[int] = []
    text = ""
    for part in sc.parts:
        ids += part.token_ids
        text += part.content
        if not part.content:
            continue
        decoded = tok.decode(ids, skip_special_tokens=True)
        if not decoded.startswith(text):
            continue  # ids behind their text: _lag_problems says so
        surplus = decoded[len(text):]
        if surplus.strip() and "\ufffd" not in surplus:
            return [
                f"{label}: chunk {part.position} carries ids ahead of its content: content so far={_short(text)}, "
                f"decode(ids so far)={_short(decoded)}"
            ]
    return []


_JSON_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def word_chars(text: str) -> str:
    """Letters and digits only: what survives a tool parser's re-serialization of the
    model's text (quotes, spacing and markup may change; the words may not)."""
    text = _JSON_UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return "".join(ch for ch in text if ch.isalnum())


def _is_subsequence(small: str, big: str) -> bool:
    it = iter(big)
    return all(ch in it for ch in small)


def _tool_lag_problems(tok: ModelTokenizer, sc: StreamChoice, label: str) -> List[str]:
    """Ids ride on the chunk that emits their text, tool calls included: after every chunk,
    the words emitted so far (content, reasoning, tool names and arguments, in order) must
    already be spelled by the ids so far. Catches a tool_calls chunk whose ids arrive on a
    later chunk (e.g. v0.5.9's remaining-arguments chunk with its ids on the finish chunk)."""
    ids: List[int] = []
    emitted = ""
    for part in sc.parts:
        ids += part.token_ids
        emitted += part.reasoning + part.content + part.tool_text
        words = word_chars(emitted)
        if not words:
            continue
        decoded = tok.decode(ids, skip_special_tokens=True)
        if not _is_subsequence(words, word_chars(decoded)):
            return [
                f"{label}: chunk {part.position} emitted text before its ids: emitted so far={_short(emitted)}, "
                f"decode(ids so far)={_short(decoded)}"
            ]
    return []


def stream_problems(
    tok: ModelTokenizer,
    asm: StreamAssembly,
    label: str,
    *,
    n: int = 1,
    text_mode: str = "content",
    expected_prompt_ids: Optional[List[int]] = None,
    stop_strings: bool = False,
) -> List[str]:
    """The streaming contract for one stream.

    text_mode: "content" (plain answer: decode(ids) vs content, per chunk and in total),
    "reasoning" (reasoning text must be spelled by the ids so far), "tools" (the tool parser
    turns the ids' text into structured deltas, so only the words emitted so far must be
    spelled by the ids so far). stop_strings: the request has some (content may then be held
    back at a stop string's prefix, so ids may run ahead of it).
    """
    problems: List[str] = []
    if not asm.done:
        problems.append(f"{label}: stream did not end with data: [DONE]")
    if asm.errors:
        problems.append(f"{label}: error events in the stream: {_short(asm.errors)}")
    problems += [f"{label}: {m}" for m in asm.malformed]
    missing = [i for i in range(n) if i not in asm.choices]
    if missing:
        problems.append(f"{label}: no chunks for choice index(es) {missing}")

    # prompt ids: exactly on the first chunk of each index, nowhere else
    firsts = {sc.first_position: idx for idx, sc in asm.choices.items()}
    carried = {pos for pos, _, _ in asm.prompt_id_chunks}
    if not asm.prompt_id_chunks:
        problems.append(f"{label}: no chunk carries prompt_token_ids")
    extra = sorted(carried - set(firsts))
    if extra:
        problems.append(
            f"{label}: prompt_token_ids on {len(extra)} chunk(s) that are not an index's first chunk (positions {extra[:8]})"
        )
    lacking = sorted(firsts[p] for p in set(firsts) - carried)
    if asm.prompt_id_chunks and lacking:
        problems.append(f"{label}: the first chunk of choice index(es) {lacking} has no prompt_token_ids")
    distinct = {tuple(ids) for _, _, ids in asm.prompt_id_chunks if isinstance(ids, list)}
    if len(distinct) > 1:
        problems.append(f"{label}: different prompt_token_ids on different chunks")
    prompt_ids = list(next(iter(distinct))) if len(distinct) == 1 else None
    if expected_prompt_ids is not None and prompt_ids is not None and prompt_ids != expected_prompt_ids:
        problems.append(
            f"{label}: stream prompt_token_ids (len {len(prompt_ids)}) != expected (len {len(expected_prompt_ids)})"
        )

    for idx in sorted(asm.choices):
        sc = asm.choices[idx]
        where = f"{label} choice {idx}"
        if sc.finish_reason is None:
            problems.append(f"{where}: no finish_reason chunk")
        if not sc.token_ids:
            problems.append(f"{where}: no token_ids on any chunk")
            continue
        if text_mode == "content":
            problems += text_problems(tok, sc.token_ids, sc.content, sc.finish_reason, sc.matched_stop, where)
            problems += _lag_problems(tok, sc, where, "content")
            if not stop_strings:
                problems += _ahead_problems(tok, sc, where)
        elif text_mode == "reasoning":
            problems += _lag_problems(tok, sc, where, "reasoning")
        elif text_mode == "tools":
            problems += _tool_lag_problems(tok, sc, where)

    if asm.usage is not None:
        lengths = [len(asm.choices[i].token_ids) for i in sorted(asm.choices)]
        problems += usage_problems(asm.usage, prompt_ids, lengths, f"{label} usage chunk")
    return problems
