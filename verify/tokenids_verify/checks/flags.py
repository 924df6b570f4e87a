"""return_token_ids is validated like a pydantic ``Optional[bool]`` (as vLLM does), on chat
and on completions: JSON true/false/null and pydantic's lax spellings are accepted and mean
what they say; any other value is a 400 in v0.5.9's error shape that names the field, never a
silent fall-back to the server default."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Tuple

from ..context import CheckContext, fail_if
from ..scenarios import PLAIN_MESSAGES

# (value sent, ids expected: True / False / None = as with the field left out)
ACCEPTED: List[Tuple[Any, Any]] = [
    (True, True), (False, False), (None, None),
    (1, True), (0, False), ("true", True), ("false", False), ("yes", True), ("no", False),
    ("on", True), ("off", False), ("1", True), ("0", False),
]
REJECTED: List[Any] = ["garbage", 2, [], {}]
# Each request only has to reach the serving layer: a few tokens are enough.
MAX_TOKENS = 4


def _has_ids(endpoint: str, data: Dict[str, Any]) -> bool:
    choices = data.get("choices") or [{}]
    if endpoint == "chat":
        return "prompt_token_ids" in data or "token_ids" in choices[0]
    return "token_ids" in choices[0] or "prompt_token_ids" in choices[0]


def _rejection_problems(status: int, text: str, where: str) -> List[str]:
    if status != 400:
        return [f"{where}: HTTP {status}, expected 400 (body {text[:160]!r})"]
    try:
        body = json.loads(text)
    except ValueError:
        return [f"{where}: the 400 body is not JSON: {text[:160]!r}"]
    problems = []
    if not isinstance(body, dict) or body.get("object") != "error" or body.get("code") != 400:
        problems.append(f"{where}: the 400 body is not v0.5.9's error shape (object 'error', code 400): {text[:160]!r}")
    if "return_token_ids" not in str((body or {}).get("message", "")):
        problems.append(f"{where}: the error message does not name return_token_ids: {text[:200]!r}")
    return problems


def check_flag_validation(ctx: CheckContext) -> Dict[str, Any]:
    completion_prompt = ctx.tokenizer.hf.apply_chat_template(
        PLAIN_MESSAGES, tokenize=False, add_generation_prompt=True, **(ctx.no_thinking_kwargs or {})
    )
    endpoints = {
        "chat": ("/v1/chat/completions", ctx.chat_body(PLAIN_MESSAGES, MAX_TOKENS, return_token_ids=None)),
        "completions": ("/v1/completions", {"prompt": completion_prompt, "max_tokens": MAX_TOKENS, "temperature": 0.0}),
    }
    problems: List[str] = []
    counts = {"accepted": 0, "rejected": 0}
    for endpoint, (path, body) in endpoints.items():
        status, text = ctx.client.post_raw(path, body)
        if status != 200:
            problems.append(f"{endpoint}: the request without return_token_ids failed: HTTP {status} {text[:160]!r}")
            continue
        default_on = _has_ids(endpoint, json.loads(text))
        for value, means in ACCEPTED:
            where = f"{endpoint} return_token_ids={json.dumps(value)}"
            status, text = ctx.client.post_raw(path, dict(body, return_token_ids=value))
            if status != 200:
                problems.append(f"{where}: HTTP {status}, expected 200 (a valid boolean spelling): {text[:200]!r}")
                continue
            want = default_on if means is None else means
            if _has_ids(endpoint, json.loads(text)) != want:
                problems.append(f"{where}: ids {'missing' if want else 'present'}, expected them {'on' if want else 'off'}")
            counts["accepted"] += 1
        for value in REJECTED:
            where = f"{endpoint} return_token_ids={json.dumps(value)}"
            status, text = ctx.client.post_raw(path, dict(body, return_token_ids=value))
            found = _rejection_problems(status, text, where)
            problems += found
            counts["rejected"] += 0 if found else 1
    fail_if(problems)
    return counts
