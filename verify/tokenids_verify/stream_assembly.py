"""Folds the chunks of one streamed chat completion into per-choice results.

Keeps, per choice index, what a contract reader (e.g. rllm's gateway) would collect:
the concatenated ``token_ids``, content, reasoning content and tool-call deltas, plus where
``prompt_token_ids`` appeared and any malformed id keys, so the checks can judge the stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple


@dataclass
class ChunkIds:
    """One chunk's contribution to a choice, in stream order."""

    position: int  # index of the chunk in the stream
    token_ids: List[int]
    content: str
    reasoning: str
    has_tool_calls: bool
    finish_reason: Optional[str]
    # the tool calls' names and argument text this chunk emitted, in order
    tool_text: str = ""
    # choices[i].logprobs.content of this chunk (None: no logprobs object or no content)
    logprobs: Optional[List[Dict[str, Any]]] = None


@dataclass
class StreamChoice:
    index: int
    token_ids: List[int] = field(default_factory=list)
    content: str = ""
    reasoning: str = ""
    tool_call_deltas: List[Dict[str, Any]] = field(default_factory=list)
    finish_reason: Optional[str] = None
    matched_stop: Any = None
    first_position: Optional[int] = None  # position of the choice's first (role) chunk
    parts: List[ChunkIds] = field(default_factory=list)

    def tool_calls(self) -> List[Dict[str, Any]]:
        """Merges tool-call deltas by tool index: name from the first, arguments concatenated."""
        merged: Dict[int, Dict[str, Any]] = {}
        for delta in self.tool_call_deltas:
            idx = delta.get("index") or 0
            call = merged.setdefault(idx, {"name": None, "arguments": ""})
            fn = delta.get("function") or {}
            if fn.get("name"):
                call["name"] = fn["name"]
            if isinstance(fn.get("arguments"), str):
                call["arguments"] += fn["arguments"]
        return [merged[k] for k in sorted(merged)]


@dataclass
class StreamAssembly:
    choices: Dict[int, StreamChoice] = field(default_factory=dict)
    # (chunk position, choice indexes on that chunk, the ids) for every chunk with prompt ids
    prompt_id_chunks: List[Tuple[int, List[int], Any]] = field(default_factory=list)
    usage: Optional[Dict[str, Any]] = None
    errors: List[Any] = field(default_factory=list)  # in-stream error events
    malformed: List[str] = field(default_factory=list)  # id keys that break the contract's shape
    chunk_count: int = 0
    done: bool = False

    def choice(self, index: int = 0) -> StreamChoice:
        if index not in self.choices:
            raise KeyError(f"the stream has no chunk for choice index {index}")
        return self.choices[index]


def _is_id_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(x, int) and not isinstance(x, bool) for x in value)


def _tool_delta_text(delta: Any) -> str:
    fn = (delta or {}).get("function") or {}
    return (fn.get("name") or "") + (fn.get("arguments") if isinstance(fn.get("arguments"), str) else "")


def assemble_stream(chunks: List[Dict[str, Any]], done: bool = True) -> StreamAssembly:
    out = StreamAssembly(chunk_count=len(chunks), done=done)
    for pos, chunk in enumerate(chunks):
        if "error" in chunk and "choices" not in chunk:
            out.errors.append(chunk["error"])
            continue
        choices = chunk.get("choices") or []
        if "prompt_token_ids" in chunk:
            ids = chunk["prompt_token_ids"]
            if not _is_id_list(ids) or not ids:
                out.malformed.append(f"chunk {pos}: prompt_token_ids is {ids!r} (must be a non-empty int list or absent)")
            out.prompt_id_chunks.append((pos, [c.get("index", 0) for c in choices], ids))
        if chunk.get("usage"):
            out.usage = chunk["usage"]
        for c in choices:
            idx = c.get("index", 0)
            sc = out.choices.get(idx)
            if sc is None:
                sc = out.choices[idx] = StreamChoice(index=idx, first_position=pos)
            ids: List[int] = []
            if "token_ids" in c:
                raw = c["token_ids"]
                if not _is_id_list(raw) or not raw:
                    out.malformed.append(
                        f"chunk {pos} choice {idx}: token_ids is {raw!r} (a chunk with no ids must have no token_ids key)"
                    )
                if _is_id_list(raw):
                    ids = list(raw)
            delta = c.get("delta") or {}
            content = delta.get("content") or ""
            reasoning = delta.get("reasoning_content") or ""
            tool_calls = delta.get("tool_calls") or []
            sc.token_ids.extend(ids)
            sc.content += content
            sc.reasoning += reasoning
            sc.tool_call_deltas.extend(tool_calls)
            if c.get("finish_reason") is not None:
                sc.finish_reason = c["finish_reason"]
                sc.matched_stop = c.get("matched_stop")
            logprobs = c.get("logprobs")
            sc.parts.append(
                ChunkIds(
                    position=pos,
                    token_ids=ids,
                    content=content,
                    reasoning=reasoning,
                    has_tool_calls=bool(tool_calls),
                    finish_reason=c.get("finish_reason"),
                    tool_text="".join(_tool_delta_text(t) for t in tool_calls),
                    logprobs=logprobs.get("content") if isinstance(logprobs, dict) else None,
                )
            )
    return out
