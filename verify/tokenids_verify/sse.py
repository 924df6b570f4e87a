"""Server-sent events parsing for the chat endpoint's streaming responses.

Own parser (not a client library) so that the suite sees exactly what went over the wire:
every ``data:`` event, in order, and whether the stream was closed by ``data: [DONE]``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, List


class SseProtocolError(ValueError):
    """The byte stream is not the SSE shape the chat endpoint promises."""


@dataclass
class SseStream:
    events: List[Any] = field(default_factory=list)  # parsed JSON payloads, in order
    done: bool = False  # a `data: [DONE]` event closed the stream
    raw_events: List[str] = field(default_factory=list)


def parse_sse_lines(lines: Iterable[bytes | str]) -> SseStream:
    """Parses SSE lines (with or without line endings) into JSON events.

    An event is one or more ``data:`` lines ended by a blank line (multi-line data is joined
    with newlines, as the SSE spec says). Comment lines (``:``) and other fields are ignored.
    Anything after ``[DONE]`` is a protocol error: the contract keeps v0.5.9's stream shape.
    """
    out = SseStream()
    data_lines: List[str] = []

    def flush() -> None:
        if not data_lines:
            return
        payload = "\n".join(data_lines)
        data_lines.clear()
        if out.done:
            raise SseProtocolError(f"event after [DONE]: {payload[:200]!r}")
        out.raw_events.append(payload)
        if payload.strip() == "[DONE]":
            out.done = True
            return
        try:
            out.events.append(json.loads(payload))
        except json.JSONDecodeError as e:
            raise SseProtocolError(f"event is not JSON ({e}): {payload[:200]!r}") from e

    for raw in lines:
        line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        line = line.rstrip("\r\n")
        if line == "":
            flush()
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            data_lines.append(value)
    flush()
    return out
