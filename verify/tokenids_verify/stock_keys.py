"""The JSON keys unpatched SGLang puts on chat and completions responses and stream chunks, per release.

v0.5.9: taken from v0.5.9's protocol.py models (ChatCompletionResponse, ChatCompletionResponseChoice,
ChatMessage, ChatCompletionStreamResponse, ChatCompletionResponseStreamChoice, DeltaMessage,
UsageInfo, ToolCall, FunctionResponse), which serialize every field (None included) except the
ones their serializers drop when None: ``sglext`` and ``hidden_states``. 
v0.5.23: the same models in 0.5.23's protocol.py. Differences: ``UsageInfo`` gained
``completion_tokens_details`` (always serialized, null when unset); ``ChatMessage`` drops
``tool_calls`` when None, and so does ``ChatCompletionResponseStreamChoice`` for its delta;
the per-choice id fields upstream added (chat ``prompt_token_ids``/``response_token_ids``/
``meta_info``, completions ``prompt_token_ids``/``token_ids``) are dropped when None, so a
request that does not ask for them (as the opt-out checks here) never carries them.
v0.5.15.post1: its protocol.py models are v0.5.9's (``ChatMessage`` always sends ``tool_calls``,
``UsageInfo`` has no ``completion_tokens_details``; the choice's ``prompt_token_ids``/``meta_info``
are dropped when None), but its text and reasoning chunks already go through ``sse_utils.py``'s
msgspec structs as 0.5.23's do, so its chunk and delta tables are 0.5.23's.
v0.5.13.post1 (and 0.5.13, the same serving code): 0.5.15.post1's response models and
``sse_utils.py`` (its ``PromptTokensDetails`` lacks 0.5.15's multimodal counts, which 0.5.15
drops when None), so 0.5.15's tables.
Stream chunks with text or reasoning no longer go through those models: ``sse_utils.py``
encodes them with msgspec structs (``StreamChunk``/``StreamDelta`` with ``omit_defaults``), so
``usage`` is left out unless set and a delta always has ``reasoning_content`` but ``role`` and
``content`` only when set; tool-call and final chunks still come from the pydantic models. The
0.5.23 chunk and delta tables therefore require only what both encodings always send.
v0.5.12: the models are v0.5.9's (``ChatMessage`` serializes ``tool_calls``, ``UsageInfo`` has
no ``completion_tokens_details``), but text, reasoning and finish chunks are already encoded
with msgspec structs (``_StreamChunk``/``_StreamDelta`` in serving_chat.py, ``omit_defaults``),
so its chunk and delta tables are 0.5.23's.

v0.5.19: between the two. Its chat and completions models are v0.5.9's (``ChatMessage`` keeps
``tool_calls``, null included; ``UsageInfo`` has no ``completion_tokens_details``; the stream
choice has no serializer, so a pydantic delta keeps ``tool_calls``), but its text and reasoning
chunks already go through 0.5.23's msgspec ``sse_utils.py``: chunk and delta tables as 0.5.23's.
v0.5.20: 0.5.19's response models and ``sse_utils.py`` unchanged (its protocol.py adds
``SglExt.input_ids``/``output_ids``, dropped when None as the rest of ``sglext``): 0.5.19's table.

With ``return_token_ids: false`` the patched server must answer key-for-key like its release.
"""

from __future__ import annotations

from typing import Any, Dict, FrozenSet, List, Tuple

Shapes = Dict[str, Tuple[FrozenSet[str], FrozenSet[str]]]

# name -> (keys always present, keys present only when set)
V0_5_9: Shapes = {
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

V0_5_23: Shapes = dict(
    V0_5_9,
    message=(frozenset({"role", "content", "reasoning_content"}), frozenset({"tool_calls"})),
    chunk=(frozenset({"id", "object", "created", "model", "choices"}), frozenset({"usage", "sglext"})),
    delta=(frozenset({"reasoning_content"}), frozenset({"role", "content", "tool_calls", "hidden_states"})),
    usage=(
        frozenset({"prompt_tokens", "total_tokens", "completion_tokens", "prompt_tokens_details", "reasoning_tokens",
                   "completion_tokens_details"}),
        frozenset(),
    ),
)

# 0.5.10.post1: its response models (and UsageInfo) serialize exactly v0.5.9's keys; it has no
# msgspec chunk encoder (no sse_utils.py). Its protocol.py changes are request fields
# (routed_dp_rank, parallel_tool_calls, reasoning_effort "none") and transcription models.
V0_5_10_POST1: Shapes = dict(V0_5_9)

# 0.5.12, 0.5.13(.post1), 0.5.15(.post1), 0.5.19, 0.5.20: v0.5.9's response models, 0.5.23's
# msgspec text chunks.
V0_5_12: Shapes = dict(V0_5_9, chunk=V0_5_23["chunk"], delta=V0_5_23["delta"])
V0_5_13: Shapes = dict(V0_5_12)
V0_5_15: Shapes = dict(V0_5_12)
V0_5_19: Shapes = dict(V0_5_12)
V0_5_20: Shapes = dict(V0_5_19)

SHAPES_BY_RELEASE: Dict[str, Shapes] = {"0.5.9": V0_5_9, "0.5.10.post1": V0_5_10_POST1, "0.5.12": V0_5_12,
                                        "0.5.13": V0_5_13, "0.5.15": V0_5_15, "0.5.19": V0_5_19, "0.5.20": V0_5_20,
                                        "0.5.23": V0_5_23}


class KeyTable:
    """One release's stock keys; ``release`` names it in the messages."""

    def __init__(self, release: str, shapes: Shapes):
        self.release = release
        self.shapes = shapes


def _shape(table: KeyTable, name: str, obj: Any, where: str, out: List[str]) -> None:
    if not isinstance(obj, dict):
        return
    required, optional = table.shapes[name]
    keys = set(obj)
    extra = sorted(keys - required - optional)
    missing = sorted(required - keys)
    if extra:
        out.append(f"{where}: keys not in stock v{table.release}: {extra}")
    if missing:
        out.append(f"{where}: keys stock v{table.release} always sends are missing: {missing}")


def _tool_calls(table: KeyTable, calls: Any, where: str, out: List[str]) -> None:
    for i, call in enumerate(calls or []):
        _shape(table, "tool_call", call, f"{where}.tool_calls[{i}]", out)
        _shape(table, "function", (call or {}).get("function"), f"{where}.tool_calls[{i}].function", out)


def response_key_problems(table: KeyTable, resp: Dict[str, Any], label: str) -> List[str]:
    out: List[str] = []
    _shape(table, "response", resp, label, out)
    _shape(table, "usage", resp.get("usage"), f"{label}.usage", out)
    for i, choice in enumerate(resp.get("choices") or []):
        _shape(table, "choice", choice, f"{label}.choices[{i}]", out)
        message = (choice or {}).get("message")
        _shape(table, "message", message, f"{label}.choices[{i}].message", out)
        _tool_calls(table, (message or {}).get("tool_calls"), f"{label}.choices[{i}].message", out)
    return out


def chunk_key_problems(table: KeyTable, chunk: Dict[str, Any], label: str) -> List[str]:
    out: List[str] = []
    if "error" in chunk and "choices" not in chunk:
        return [f"{label}: error event {chunk['error']!r}"]
    _shape(table, "chunk", chunk, label, out)
    if chunk.get("usage") is not None:
        _shape(table, "usage", chunk["usage"], f"{label}.usage", out)
    for i, choice in enumerate(chunk.get("choices") or []):
        _shape(table, "stream_choice", choice, f"{label}.choices[{i}]", out)
        delta = (choice or {}).get("delta")
        _shape(table, "delta", delta, f"{label}.choices[{i}].delta", out)
        _tool_calls(table, (delta or {}).get("tool_calls"), f"{label}.choices[{i}].delta", out)
    return out


def completion_key_problems(table: KeyTable, obj: Dict[str, Any], label: str, chunk: bool) -> List[str]:
    """A /v1/completions response (chunk=False) or stream chunk (chunk=True) against the release's stock keys."""
    out: List[str] = []
    if "error" in obj and "choices" not in obj:
        return [f"{label}: error event {obj['error']!r}"]
    _shape(table, "completion_chunk" if chunk else "completion", obj, label, out)
    if obj.get("usage") is not None:
        _shape(table, "usage", obj["usage"], f"{label}.usage", out)
    for i, choice in enumerate(obj.get("choices") or []):
        _shape(table, "completion_choice", choice, f"{label}.choices[{i}]", out)
    return out
