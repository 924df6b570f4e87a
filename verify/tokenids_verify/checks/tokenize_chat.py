"""The chat form of /tokenize (vLLM's TokenizeChatRequest): NeMo-Gym's vllm_model takes the
prompt ids of its training data from it (``model``, ``messages``, ``tools``,
``chat_template_kwargs``), so its ``tokens`` must equal the ``prompt_token_ids`` the chat
completion of the same messages, tools and template arguments reports. The answer has vLLM's
``count``, ``max_model_len``, ``tokens``, ``token_strs`` (the tokenizer's token strings when
``return_token_strs`` asks for them); a per-request ``chat_template``, which chat completions
cannot use here, is a 400 naming it; the ``prompt`` form answers as the stock release."""

from __future__ import annotations

import json
from typing import Any, Dict, List

from ..context import CheckContext, fail_if
from ..scenarios import PLAIN_MESSAGES, TOOL_MESSAGES, WEATHER_TOOL

PROMPT_FORM_KEYS = ["count", "max_model_len", "tokens"]


def _case_problems(ctx: CheckContext, label: str, fields: Dict[str, Any]) -> List[str]:
    if ctx.no_thinking_kwargs:
        fields = dict(fields, chat_template_kwargs=dict(ctx.no_thinking_kwargs))
    status, text = ctx.client.post_raw("/tokenize", dict(fields, model=ctx.client.model))
    if status != 200:
        return [f"{label}: /tokenize chat form answered HTTP {status}: {text[:200]!r}"]
    got = json.loads(text)
    problems = []
    if set(got) != {"count", "max_model_len", "tokens", "token_strs"}:
        problems.append(f"{label}: keys {sorted(got)}, expected vLLM's count, max_model_len, tokens, token_strs")
    chat = ctx.client.chat(ctx.chat_body(fields["messages"], 1, return_token_ids=True,
                                         **({"tools": fields["tools"]} if "tools" in fields else {})))
    # vLLM's top-level prompt ids; a release's own per-choice ones (0.5.17+ with
    # return_token_ids) where they are missing, so stock's chat form is judged on its ids too.
    want = chat.get("prompt_token_ids") or (chat.get("choices") or [{}])[0].get("prompt_token_ids")
    if got.get("tokens") != want:
        problems.append(f"{label}: /tokenize tokens {got.get('tokens')} differ from the chat completion's "
                        f"prompt_token_ids {want}")
    if got.get("count") != len(got.get("tokens") or []):
        problems.append(f"{label}: count {got.get('count')} for {len(got.get('tokens') or [])} tokens")
    return problems


def check_tokenize_chat(ctx: CheckContext) -> Dict[str, Any]:
    problems = _case_problems(ctx, "plain", {"messages": PLAIN_MESSAGES})
    problems += _case_problems(ctx, "tools", {"messages": TOOL_MESSAGES, "tools": [WEATHER_TOOL]})
    status, text = ctx.client.post_raw("/tokenize", {"messages": PLAIN_MESSAGES, "return_token_strs": True})
    if status == 200:
        got = json.loads(text)
        want = ctx.tokenizer.hf.convert_ids_to_tokens(got.get("tokens") or [])
        if got.get("token_strs") != want:
            problems.append(f"return_token_strs: token_strs {got.get('token_strs')!r} are not the tokenizer's {want!r}")
    else:
        problems.append(f"return_token_strs: HTTP {status}: {text[:160]!r}")
    status, text = ctx.client.post_raw("/tokenize", {"messages": PLAIN_MESSAGES, "chat_template": "{{ 1 }}"})
    if status != 400 or "chat_template" not in text:
        problems.append(f"chat_template: HTTP {status}, expected a 400 naming it (never silently ignored): {text[:160]!r}")
    status, text = ctx.client.post_raw("/tokenize", {"prompt": "hello world"})
    if status != 200 or sorted(json.loads(text)) != PROMPT_FORM_KEYS:
        problems.append(f"prompt form: HTTP {status} {text[:160]!r}, expected the stock keys {PROMPT_FORM_KEYS}")
    if problems:
        release = ctx.require_release()
        problems.append(
            f"(stock {release.version}: " + ("its /tokenize has a chat form of its own, without vLLM's token_strs "
                                             "and chat_template refusal)" if release.stock_tokenize_chat_form
                                             else "its /tokenize takes only `prompt`)"))
    fail_if(problems)
    return {"cases": ["plain", "tools"], "stock_chat_form": ctx.require_release().stock_tokenize_chat_form}
