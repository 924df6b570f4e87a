"""The JSON keys unpatched SGLang v0.5.9 puts on chat and completions responses and stream chunks.

Taken from v0.5.9's protocol.py models (ChatCompletionResponse, ChatCompletionResponseChoice,
ChatMessage, ChatCompletionStreamResponse, ChatCompletionResponseStreamChoice, DeltaMessage,
UsageInfo, ToolCall, FunctionResponse), which serialize every field (None included) except the
ones their serializers drop when None: ``sglext`` and ``hidden_states``. With
``return_token_ids: false`` the patched server must answer key-for-key like that.
"""

from __future__ import annotations

from typing import Any, Dict, FrozenSet, List, Tuple

# name -> (keys always present, keys present only when set)
SHAPES: Dict[str, Tuple[FrozenSet[str], FrozenSet[str]]] = {
    "response": (frozenset({"id", "object", "created", "model", "choices", "usage", "metadata"}), frozenset({"sglext"})),
    "choice": (frozenset({"index", "message", "logprobs", "finish_reason", "matched_stop"}), frozenset({"hidden_states"})),
    "message": (frozenset({"role", "content", "reasoning_content", "tool_calls"}), frozenset()),
    "chunk": (frozenset({"id", "object", "created", "model", "choices", "usage"}), frozenset({"sglext"})),
    "stream_choice": (frozenset({"index", "delta", "logprobs", "finish_reason", "matched_stop"}), frozenset()),
    "delta": (frozenset({"role", "content", "reasoning_content", "tool_calls"}), frozenset({"hidden_states"})),
    "usage": (
        frozenset({"prompt_tokens", "total_tokens", "completion_tokens", "prompt_tokens_details", "reasoning_tokens"}),
        frozenset(),
    ),
    "tool_call": (frozenset({"id", "index", "type", "function"}), frozenset()),
    # /v1/completions: CompletionResponse(+Choice), CompletionStreamResponse(+StreamChoice)
    "completion": (frozenset({"id", "object", "created", "model", "choices", "usage", "metadata"}), frozenset({"sglext"})),
    "completion_chunk": (frozenset({"id", "object", "created", "model", "choices", "usage"}), frozenset({"sglext"})),
    "completion_choice": (frozenset({"index", "text", "logprobs", "finish_reason", "matched_stop"}), frozenset({"hidden_states"})),
    "function": (frozenset({"name", "arguments"}), frozenset()),
}


def _shape(name: str, obj: Any, where: str, out: List[str]) -> None:
    if not isinstance(obj, dict):
        return
    required, optional = SHAPES[name]
    keys = set(obj)
    extra = sorted(keys - required - optional)
    missing = sorted(required - keys)
    if extra:
        out.append(f"{where}: keys not in v0.5.9: {extra}")
    if missing:
        out.append(f"{where}: keys v0.5.9 always sends are missing: {missing}")


def _tool_calls(calls: Any, where: str, out: List[str]) -> None:
    for i, call in enumerate(calls or []):
        _shape("tool_call", call, f"{where}.tool_calls[{i}]", out)
        _shape("function", (call or {}).get("function"), f"{where}.tool_calls[{i}].function", out)


def response_key_problems(resp: Dict[str, Any], label: str) -> List[str]:
    out: List[str] = []
    _shape("response", resp, label, out)
    _shape("usage", resp.get("usage"), f"{label}.usage", out)
    for i, choice in enumerate(resp.get("choices") or []):
        _shape("choice", choice, f"{label}.choices[{i}]", out)
        message = (choice or {}).get("message")
        _shape("message", message, f"{label}.choices[{i}].message", out)
        _tool_calls((message or {}).get("tool_calls"), f"{label}.choices[{i}].message", out)
    return out


def chunk_key_problems(chunk: Dict[str, Any], label: str) -> List[str]:
    out: List[str] = []
    if "error" in chunk and "choices" not in chunk:
        return [f"{label}: error event {chunk['error']!r}"]
    _shape("chunk", chunk, label, out)
    if chunk.get("usage") is not None:
        _shape("usage", chunk["usage"], f"{label}.usage", out)
    for i, choice in enumerate(chunk.get("choices") or []):
        _shape("stream_choice", choice, f"{label}.choices[{i}]", out)
        delta = (choice or {}).get("delta")
        _shape("delta", delta, f"{label}.choices[{i}].delta", out)
        _tool_calls((delta or {}).get("tool_calls"), f"{label}.choices[{i}].delta", out)
    return out


def completion_key_problems(obj: Dict[str, Any], label: str, chunk: bool) -> List[str]:
    """A /v1/completions response (chunk=False) or stream chunk (chunk=True) against v0.5.9's keys."""
    out: List[str] = []
    if "error" in obj and "choices" not in obj:
        return [f"{label}: error event {obj['error']!r}"]
    _shape("completion_chunk" if chunk else "completion", obj, label, out)
    if obj.get("usage") is not None:
        _shape("usage", obj["usage"], f"{label}.usage", out)
    for i, choice in enumerate(obj.get("choices") or []):
        _shape("completion_choice", choice, f"{label}.choices[{i}]", out)
    return out
