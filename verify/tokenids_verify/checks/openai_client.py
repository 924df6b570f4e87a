"""The official ``openai`` Python client parses every kind of response, and the id fields
are reachable through it (vLLM-style clients read them as extra fields)."""

from __future__ import annotations

from typing import Any, Dict, List

from ..context import CheckContext, SkipCheck, fail_if
from ..scenarios import PLAIN_MESSAGES, TOOL_MESSAGES, WEATHER_TOOL
from ..shared_requests import plain_nonstream, plain_stream, tool_stream
from .core import ids_compare, stream_prompt_ids


def _extra(obj: Any, name: str) -> Any:
    value = getattr(obj, name, None)
    if value is None:
        value = (getattr(obj, "model_extra", None) or {}).get(name)
    return value


def _collect_stream(stream) -> Dict[str, Any]:
    ids: List[int] = []
    prompt_ids = None
    tool_deltas = 0
    chunks = 0
    for chunk in stream:
        chunks += 1
        if prompt_ids is None:
            prompt_ids = _extra(chunk, "prompt_token_ids")
        for choice in chunk.choices:
            ids += _extra(choice, "token_ids") or []
            if choice.delta is not None and choice.delta.tool_calls:
                tool_deltas += 1
    return {"ids": ids, "prompt_ids": prompt_ids, "tool_deltas": tool_deltas, "chunks": chunks}


def check_openai_client(ctx: CheckContext) -> Dict[str, Any]:
    try:
        import openai
    except ImportError as e:
        raise SkipCheck(f"the openai package is not importable here ({e})")
    client = openai.OpenAI(base_url=ctx.client.base_url + "/v1", api_key="unused", max_retries=0, timeout=ctx.client.timeout)
    model = ctx.client.model

    def extra(flag: bool) -> Dict[str, Any]:
        body: Dict[str, Any] = {"return_token_ids": flag}
        if ctx.no_thinking_kwargs:
            body["chat_template_kwargs"] = dict(ctx.no_thinking_kwargs)
        return body

    common = {"model": model, "temperature": 0.0, "max_tokens": ctx.max_tokens}
    problems: List[str] = []

    raw = plain_nonstream(ctx)
    resp = client.chat.completions.create(messages=PLAIN_MESSAGES, extra_body=extra(True), **common)
    problems += ids_compare("openai non-stream prompt_token_ids vs raw HTTP", _extra(resp, "prompt_token_ids"), raw.get("prompt_token_ids"))
    problems += ids_compare(
        "openai non-stream token_ids vs raw HTTP", _extra(resp.choices[0], "token_ids"), (raw.get("choices") or [{}])[0].get("token_ids")
    )

    raw_stream = plain_stream(ctx)
    got = _collect_stream(
        client.chat.completions.create(
            messages=PLAIN_MESSAGES, stream=True, stream_options={"include_usage": True}, extra_body=extra(True), **common
        )
    )
    problems += ids_compare("openai stream prompt_token_ids vs raw HTTP", got["prompt_ids"], stream_prompt_ids(raw_stream))
    sc = raw_stream.choices.get(0)
    problems += ids_compare("openai stream token_ids vs raw HTTP", got["ids"], sc.token_ids if sc else None)

    parsed = 3
    if ctx.tool_call_parser:
        raw_tool = tool_stream(ctx)
        tool_common = dict(common, max_tokens=max(ctx.max_tokens, 96))
        tool_got = _collect_stream(
            client.chat.completions.create(
                messages=TOOL_MESSAGES, tools=[WEATHER_TOOL], stream=True, extra_body=extra(True), **tool_common
            )
        )
        if tool_got["tool_deltas"] == 0:
            problems.append("openai tool stream: the client saw no tool_calls deltas")
        tsc = raw_tool.choices.get(0)
        problems += ids_compare("openai tool stream token_ids vs raw HTTP", tool_got["ids"], tsc.token_ids if tsc else None)
        client.chat.completions.create(messages=TOOL_MESSAGES, tools=[WEATHER_TOOL], extra_body=extra(True), **tool_common)
        parsed += 2

    # Opted out: still parses (the ids are simply not there).
    off = client.chat.completions.create(messages=PLAIN_MESSAGES, extra_body=extra(False), **common)
    if _extra(off, "prompt_token_ids") is not None:
        problems.append("openai non-stream with return_token_ids=false still has prompt_token_ids")
    fail_if(problems)
    return {"openai_version": getattr(openai, "__version__", "?"), "responses_parsed": parsed + 1}
