"""vLLM's ``return_tokens_as_token_ids`` (docs/token-ids-contract.md, "vLLM's other id
dialects"): with it, every log-probability token is ``token_id:<id>``. Clients written for
vLLM (NeMo-Gym's vllm_model, AReaL's vllm_remote) take the generated ids from these strings,
so each must be the id at that position of the same chunk's ``token_ids``. Chat: the entry's
``bytes`` are the UTF-8 of the token decoded alone (vLLM's ``decoded_token``), each top entry
``token_id:<id>`` with the bytes of that string; ``top_logprobs: 0`` gives one entry per token
and no alternatives. Completions: ``logprobs.tokens`` and the ``top_logprobs`` keys. The flag
is validated like ``return_token_ids``; absent, the image's default (off unless
SGLANG_RETURN_TOKENS_AS_TOKEN_IDS is set) applies."""

from __future__ import annotations

import json
from typing import Any, Dict, List

from ..client import HttpError
from ..context import CheckContext, fail_if
from ..scenarios import PLAIN_MESSAGES, TOOL_MESSAGES, WEATHER_TOOL

FLAG = "return_tokens_as_token_ids"
REJECTED: List[Any] = ["garbage", 2, [], {}]


def _token(token_id: int) -> str:
    return f"token_id:{token_id}"


def _chat_entry_problems(ctx: CheckContext, entries, ids, top: int, where: str) -> List[str]:
    if len(entries) != len(ids):
        return [f"{where}: {len(entries)} log-probability entries for {len(ids)} token_ids"]
    for k, (entry, token_id) in enumerate(zip(entries, ids)):
        if entry.get("token") != _token(token_id):
            return [f"{where}: entry {k} token {entry.get('token')!r}, expected {_token(token_id)!r}"]
        want_bytes = list(ctx.tokenizer.hf.decode([token_id]).encode("utf-8", errors="replace"))
        if entry.get("bytes") != want_bytes:
            return [f"{where}: entry {k} bytes {entry.get('bytes')} are not those of the token "
                    f"decoded alone {want_bytes} (vLLM's decoded_token)"]
        tops = entry.get("top_logprobs") or []
        if len(tops) != top or not all(
                str(t.get("token", "")).startswith("token_id:")
                and t.get("bytes") == list(str(t["token"]).encode("utf-8")) for t in tops):
            return [f"{where}: entry {k} top_logprobs {tops!r}: expected {top} token_id entries "
                    "with their strings' bytes"]
    return []


def _chat_problems(ctx: CheckContext, messages, tools, top: int, label: str) -> List[str]:
    extra = {"tools": tools} if tools else {}
    body = ctx.chat_body(messages, ctx.max_tokens, return_token_ids=True, logprobs=True,
                         top_logprobs=top, **{FLAG: True}, **extra)
    problems: List[str] = []
    resp = ctx.client.chat(body)
    for choice in resp.get("choices") or []:
        problems += _chat_entry_problems(ctx, ((choice.get("logprobs") or {}).get("content") or []),
                                         choice.get("token_ids") or [], top,
                                         f"{label} top_logprobs={top} choice {choice.get('index')}")
    streamed: List[int] = []
    try:
        chunks = ctx.client.chat_stream(dict(body, stream=True)).chunks
    except HttpError as e:  # e.g. stock 0.5.17+: streamed return_token_ids is a 400
        return problems + [f"{label} top_logprobs={top} stream: {e}"]
    for n, chunk in enumerate(chunks):
        for choice in chunk.get("choices") or []:
            ids = choice.get("token_ids") or []
            entries = (choice.get("logprobs") or {}).get("content") or []
            if ids or entries:
                problems += _chat_entry_problems(ctx, entries, ids, top,
                                                 f"{label} stream chunk {n} top_logprobs={top}")
            streamed += ids
    full_ids = (resp.get("choices") or [{}])[0].get("token_ids") or []
    if streamed != full_ids:
        problems.append(f"{label} top_logprobs={top}: streamed ids {streamed} differ from the response's {full_ids}")
    return problems


def _completion_problems(ctx: CheckContext) -> List[str]:
    prompt = ctx.render_chat(PLAIN_MESSAGES)
    body = {"prompt": prompt, "max_tokens": ctx.max_tokens, "temperature": 0.0, "logprobs": 2,
            "return_token_ids": True, FLAG: True}
    problems: List[str] = []
    chunks = [ctx.client.completion(body)] + list(ctx.client.completion_stream(dict(body, stream=True)).chunks)
    for n, chunk in enumerate(chunks):
        for choice in chunk.get("choices") or []:
            ids, lp = choice.get("token_ids") or [], choice.get("logprobs") or {}
            where = "completions response" if n == 0 else f"completions stream chunk {n}"
            if lp.get("tokens", []) != [_token(i) for i in ids]:
                problems.append(f"{where}: logprobs.tokens {lp.get('tokens')} for token_ids {ids}")
            tops = lp.get("top_logprobs") or []
            if len(tops) != len(ids) or not all(
                    isinstance(t, dict) and t and all(k.startswith("token_id:") for k in t) for t in tops):
                problems.append(f"{where}: top_logprobs keys are not token_id strings: {tops!r}")
    return problems


def _validation_problems(ctx: CheckContext) -> List[str]:
    problems: List[str] = []
    base = ctx.chat_body(PLAIN_MESSAGES, 4, logprobs=True)
    status, text = ctx.client.post_raw("/v1/chat/completions", base)
    if status != 200:
        return [f"chat without {FLAG}: HTTP {status} {text[:160]!r}"]
    default_on = str(json.loads(text)["choices"][0]["logprobs"]["content"][0]["token"]).startswith("token_id:")
    for value, want in ((False, False), ("yes", True), (0, False), (None, default_on)):
        status, text = ctx.client.post_raw("/v1/chat/completions", dict(base, **{FLAG: value}))
        got = status == 200 and str(json.loads(text)["choices"][0]["logprobs"]["content"][0]["token"]).startswith("token_id:")
        if status != 200 or got != want:
            problems.append(f"chat {FLAG}={json.dumps(value)}: HTTP {status}, token_id strings "
                            f"{'present' if got else 'absent'}, expected them {'on' if want else 'off'}")
    for path, body in (("/v1/chat/completions", base),
                       ("/v1/completions", {"prompt": "hi", "max_tokens": 2, "logprobs": 0})):
        for value in REJECTED:
            status, text = ctx.client.post_raw(path, dict(body, **{FLAG: value}))
            if status != 400 or FLAG not in text:
                problems.append(f"{path} {FLAG}={json.dumps(value)}: HTTP {status}, expected a 400 naming "
                                f"the field (stock silently ignores it): {text[:120]!r}")
    return problems


def check_logprob_token_ids(ctx: CheckContext) -> Dict[str, Any]:
    problems = _validation_problems(ctx)
    for top in (0, 2):
        problems += _chat_problems(ctx, PLAIN_MESSAGES, None, top, "chat plain")
    if ctx.tool_call_parser:
        problems += _chat_problems(ctx, TOOL_MESSAGES, [WEATHER_TOOL], 0, "chat tool")
    problems += _completion_problems(ctx)
    fail_if(problems)
    return {"top_logprobs": [0, 2], "tool": bool(ctx.tool_call_parser)}
