"""The prompt ids SGLang v0.5.9 builds for a chat request, computed with the tokenizer alone.

Mirrors serving_chat._apply_jinja_template for text messages: the chat template with the
generation prompt (tools and chat_template_kwargs passed through), then, with
continue_final_message and a final assistant message, tokenizer.encode(its content) appended.
"""

from __future__ import annotations

from typing import Any


def render_prompt_ids(tokenizer: Any, body: dict) -> list[int]:
    messages = [dict(m) for m in body["messages"]]
    prefix = None
    if messages and messages[-1].get("role") == "assistant":
        if body.get("continue_final_message"):
            prefix = messages.pop()["content"]
        else:
            # v0.5.9 turns a trailing assistant message into a user message
            messages[-1] = {"role": "user", "content": messages[-1]["content"]}
    for m in messages:
        if m.get("content") is None:
            m["content"] = ""
    ids = tokenizer.apply_chat_template(
        messages,
        tokenize=True,
        add_generation_prompt=True,
        tools=body.get("tools"),
        **(body.get("chat_template_kwargs") or {}),
    )
    if prefix:
        ids = list(ids) + tokenizer.encode(prefix)
    return list(ids)
