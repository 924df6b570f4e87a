"""The scripts: what each scripted checkpoint answers, token by token.

A script is the exact sequence of tokens greedy decoding produces after the prompt. Each
piece is one token:
  - a `str` that names a fixed token (tokens.py: EOS, tool-call and think markers) is that
    token;
  - any other `str` is one vocabulary token spelled by its UTF-8 bytes;
  - a `bytes` piece is one vocabulary token spelled by exactly those bytes, which may be an
    incomplete UTF-8 sequence (how a multi-byte character gets split across tokens).

The model maps each token to its successor, so a token may appear at most once in all the
scripts of one checkpoint (except EOS, which ends every script and is never followed).
build_plan() checks this and names the clashing token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union

from .tokens import EOS, MARKER_TOKENS, SPECIAL_TOKENS, THINK_END, THINK_START, TOOL_CALL_END, TOOL_CALL_START

Piece = Union[str, bytes]


@dataclass(frozen=True)
class Script:
    name: str
    pieces: tuple[Piece, ...]
    # Request fields a scenario needs to show its behaviour (stop, max_tokens, tools).
    request: dict = field(default_factory=dict)
    description: str = ""
    # Another script whose tokens this one repeats exactly: a different request (e.g. a
    # max_tokens cut) over the same answer. The model maps each token to ONE successor, so
    # the same answer cannot be two scripts' own tokens; this one only adds its selector.
    same_answer_as: Optional[str] = None

    def piece_bytes(self, piece: Piece) -> Optional[bytes]:
        """The bytes a piece contributes to the decoded text (None: a special token)."""
        if isinstance(piece, bytes):
            return piece
        if piece in SPECIAL_TOKENS:
            return None
        return piece.encode("utf-8")

    def generated_pieces(self) -> tuple[Piece, ...]:
        """The pieces a request with this script's `request` fields makes the engine emit.

        max_tokens cuts the script; a stop string ends it at the token that completes the
        stop string (the engine keeps that token's id, the text is cut before the match).
        """
        out: list[Piece] = []
        text = b""
        stop = self.request.get("stop")
        stops = [stop] if isinstance(stop, str) else list(stop or [])
        limit = self.request.get("max_tokens")
        for piece in self.pieces:
            if limit is not None and len(out) >= limit:
                break
            out.append(piece)
            text += self.piece_bytes(piece) or b""
            decoded = text.decode("utf-8", errors="replace")
            if any(s in decoded for s in stops):
                break
        return tuple(out)

    def full_text(self) -> str:
        """The whole script's text (special tokens skipped)."""
        return b"".join(self.piece_bytes(p) or b"" for p in self.pieces).decode("utf-8")


# In the exact shape v0.5.9's Tool.model_dump() hands the chat template (type, then function
# with description/name/parameters/strict in that order), so a test's own rendering of the
# prompt matches the server's byte for byte.
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "description": "Current weather in a city.",
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
        "strict": False,
    },
}

PLAIN = Script(
    name="plain",
    description="Plain text, then EOS.",
    pieces=("Hello", " from", " a", " scripted", " model", "!", EOS),
)

# The emoji (🗼, 4 bytes) is split over three byte tokens and completed by the token right
# before <tool_call>. At --stream-interval 3 the detokenizer holds its first bytes back at
# one output and releases 🗼 in the same output as <tool_call>: stock v0.5.9's qwen25
# parser then drops the text in front of the marker (streams "Let me check in 東京 "
# where the response says "Let me check in 東京 🗼").
TOOL_CALL = Script(
    name="tool_call",
    description="Text ending in an emoji split over byte tokens, then one qwen25-format tool call, then EOS.",
    pieces=(
        "Let",
        " me",
        " check",
        " in",
        " 東京",
        b" \xf0",
        b"\x9f\x97",
        b"\xbc",
        TOOL_CALL_START,
        '\n{"name": "',
        "get_weather",
        '", "arguments": {"city": "',
        "Paris",
        '"}}\n',
        TOOL_CALL_END,
        EOS,
    ),
    request={"tools": [WEATHER_TOOL]},
)

# The same answer cut by max_tokens inside the arguments (after "Paris", before the closing
# quote): v0.5.9 streams a partial call and then one extra tool_calls chunk with the rest of
# the arguments (_check_for_unstreamed_tool_args), while the non-streaming answer returns the
# raw text as content.
TOOL_CALL_CUT = Script(
    name="tool_call_cut",
    description="The tool_call answer cut by max_tokens inside the arguments (finish_reason length).",
    pieces=TOOL_CALL.pieces,
    request={"tools": [WEATHER_TOOL], "max_tokens": 13},
    same_answer_as="tool_call",
)

REASONING = Script(
    name="reasoning",
    description="A <think> block, then the answer (qwen3 reasoning parser).",
    pieces=(
        THINK_START,
        "\nThe",
        " user",
        " wants",
        " 6*7",
        ".\n",
        THINK_END,
        "\n\n",
        "It",
        " is",
        " 42",
        "!!",
        EOS,
    ),
)

MULTIBYTE = Script(
    name="multibyte",
    description="Multi-byte characters split across byte tokens (é, 😀 and 世 each split over two tokens).",
    pieces=(
        "Caf",
        b"\xc3",
        b"\xa9",
        " ok",
        " ",
        b"\xf0\x9f",
        b"\x98\x80",
        b" \xe4",  # a space plus the first byte of 世
        b"\xb8\x96",
        "界",
        EOS,
    ),
)

# A multi-byte edge at --stream-interval 3 (outputs after tokens 1, 4, 7, ...): after token 4
# the text ends in 你 plus the first byte of 🙂, after token 7 in 🙂 plus the first bytes of 好.
# v0.5.9's detokenizer sends the printable part of held-back text and keeps no record of it;
# the second time it prints less (up to the last space) than it sent the first time, and
# at the next complete output it sends the difference again: stock v0.5.9 streams
# "The answer你answer你🙂好" where the response says "The answer你🙂好".
MULTIBYTE_EDGE = Script(
    name="multibyte_edge",
    description="你 then 🙂 and 好 split over byte tokens so that interval-3 outputs end inside a character twice.",
    pieces=(
        "The",
        " answer",
        "你",
        b"\xf0",
        b"\x9f\x99\x82",
        b"\xe5",
        b"\xa5",
        b"\xbd",
        EOS,
    ),
)

STOP_STRING = Script(
    name="stop_string",
    description="A stop string ('STOP') spelled across two tokens in the middle of the answer.",
    pieces=("Count", ":", " one,", " two,", " ST", "OP", " three", " four", EOS),
    request={"stop": ["STOP"]},
)

LONG_ANSWER = Script(
    name="long_answer",
    description="An answer longer than the request's max_tokens (finish_reason length).",
    pieces=(
        "Numbers",
        "=",
        "1",
        "+",
        "2",
        "*",
        "3",
        "-",
        "4",
        "/",
        "5",
        "%",
        "6",
        "^",
        "7",
        "&",
        EOS,
    ),
    request={"max_tokens": 6},
)

ALL_SCRIPTS: tuple[Script, ...] = (
    PLAIN, TOOL_CALL, TOOL_CALL_CUT, REASONING, MULTIBYTE, MULTIBYTE_EDGE, STOP_STRING, LONG_ANSWER,
)


def script_by_name(name: str) -> Script:
    for script in ALL_SCRIPTS:
        if script.name == name:
            return script
    known = ", ".join(s.name for s in ALL_SCRIPTS)
    raise KeyError(f"unknown script {name!r} (known: {known})")


__all__ = [
    "ALL_SCRIPTS",
    "LONG_ANSWER",
    "MULTIBYTE",
    "MULTIBYTE_EDGE",
    "MARKER_TOKENS",
    "PLAIN",
    "REASONING",
    "STOP_STRING",
    "Script",
    "TOOL_CALL",
    "TOOL_CALL_CUT",
    "WEATHER_TOOL",
    "script_by_name",
]
