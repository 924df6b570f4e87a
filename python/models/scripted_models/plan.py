"""From scripts to a vocabulary and a next-token table (no torch, no tokenizers here).

Token ids: 0-255 are the 256 single bytes (id = byte value), then every multi-byte script
piece in order of first use, then the added tokens (specials, tool-call/think markers, one
selector per script). The hidden size equals the vocabulary size rounded up to a multiple of
64 (so attention heads split it evenly); ids past the tokenizer's last token are unused
padding rows, as in real checkpoints.
"""

from __future__ import annotations

from dataclasses import dataclass

from .byte_level import spell
from .scripts import Piece, Script
from .tokens import EOS, MARKER_TOKENS, SPECIAL_TOKENS, selector_token

# The chat template's generation prompt ends with "<|im_start|>assistant\n": with no merges
# in the vocabulary the newline is its own byte token, and it starts the default script.
DEFAULT_START = b"\n"
PAD_MULTIPLE = 64


class ScriptConflict(ValueError):
    """Two scripts (or one script twice) need one token to have two different successors."""


@dataclass(frozen=True)
class AddedToken:
    content: str
    id: int
    special: bool


@dataclass(frozen=True)
class Plan:
    bpe_vocab: dict[str, int]  # byte-level spelling -> id
    added_tokens: tuple[AddedToken, ...]
    vocab_size: int  # padded; also the hidden size
    next_token: dict[int, int]  # token id -> the id greedy decoding must emit after it
    eos_id: int
    default_script: str
    script_ids: dict[str, tuple[int, ...]]  # script name -> its generated ids, in order
    start_ids: dict[str, tuple[int, ...]]  # script name -> prompt-end ids that start it

    def token_id(self, piece: Piece) -> int:
        if isinstance(piece, str) and piece in self._added_by_content():
            return self._added_by_content()[piece]
        data = piece if isinstance(piece, bytes) else piece.encode("utf-8")
        return self.bpe_vocab[spell(data)]

    def _added_by_content(self) -> dict[str, int]:
        return {t.content: t.id for t in self.added_tokens}


def _is_added(piece: Piece) -> bool:
    return isinstance(piece, str) and (piece in SPECIAL_TOKENS or piece in MARKER_TOKENS)


def _piece_label(piece: Piece) -> str:
    return repr(piece)


def build_plan(scripts: tuple[Script, ...], default_script: str) -> Plan:
    names = [s.name for s in scripts]
    if len(set(names)) != len(names):
        raise ScriptConflict(f"script names repeat: {names}")
    if default_script not in names:
        raise ScriptConflict(f"default script {default_script!r} is not one of {names}")
    for script in scripts:
        if not script.pieces:
            raise ScriptConflict(f"script {script.name!r} is empty")
        if EOS in script.pieces[:-1]:
            raise ScriptConflict(f"script {script.name!r}: EOS may only be the last piece")

    bpe_vocab: dict[str, int] = {spell(bytes([b])): b for b in range(256)}
    for script in scripts:
        for piece in script.pieces:
            if _is_added(piece):
                continue
            data = piece if isinstance(piece, bytes) else piece.encode("utf-8")
            if not data:
                raise ScriptConflict(f"script {script.name!r} has an empty piece")
            bpe_vocab.setdefault(spell(data), len(bpe_vocab))

    added: list[AddedToken] = []
    for content in SPECIAL_TOKENS:
        added.append(AddedToken(content, len(bpe_vocab) + len(added), True))
    for content in MARKER_TOKENS:
        added.append(AddedToken(content, len(bpe_vocab) + len(added), False))
    for script in scripts:
        added.append(AddedToken(selector_token(script.name), len(bpe_vocab) + len(added), True))
    total = len(bpe_vocab) + len(added)
    vocab_size = -(-total // PAD_MULTIPLE) * PAD_MULTIPLE

    by_content = {t.content: t.id for t in added}

    def tid(piece: Piece) -> int:
        if _is_added(piece):
            return by_content[piece]
        data = piece if isinstance(piece, bytes) else piece.encode("utf-8")
        return bpe_vocab[spell(data)]

    eos_id = by_content[EOS]
    next_token: dict[int, int] = {}
    owner: dict[int, str] = {}

    def link(src: int, dst: int, where: str, label: str) -> None:
        if src in next_token:
            raise ScriptConflict(
                f"token {label} (id {src}) is used by {owner[src]} and again by {where}: "
                "each token may appear once across the scripts of one checkpoint"
            )
        next_token[src] = dst
        owner[src] = where

    by_name = {s.name: s for s in scripts}
    start_ids: dict[str, tuple[int, ...]] = {}
    script_ids: dict[str, tuple[int, ...]] = {}
    for script in scripts:
        ids = tuple(tid(p) for p in script.pieces)
        script_ids[script.name] = ids
        starts = [by_content[selector_token(script.name)]]
        if script.name == default_script:
            starts.append(bpe_vocab[spell(DEFAULT_START)])
        start_ids[script.name] = tuple(starts)
        for start in starts:
            link(start, ids[0], f"the start of script {script.name!r}", f"start {start}")
        if script.same_answer_as is not None:
            # Its tokens are the other script's: only the selector above is its own.
            base = by_name.get(script.same_answer_as)
            if base is None or base.same_answer_as is not None or base.pieces != script.pieces:
                raise ScriptConflict(
                    f"script {script.name!r} repeats the answer of {script.same_answer_as!r}, which must be another"
                    " script of this checkpoint with exactly the same pieces (and not itself a repeat)"
                )
            continue
        for i, (piece, src) in enumerate(zip(script.pieces, ids)):
            if i + 1 < len(ids):
                link(src, ids[i + 1], f"script {script.name!r} piece {i}", _piece_label(piece))
            elif src != eos_id:
                # A script that does not end in EOS would run on into whatever its last
                # token maps to; only max_tokens could end it, and only by accident.
                raise ScriptConflict(f"script {script.name!r} must end with EOS ({EOS})")

    return Plan(
        bpe_vocab=bpe_vocab,
        added_tokens=tuple(added),
        vocab_size=vocab_size,
        next_token=next_token,
        eos_id=eos_id,
        default_script=default_script,
        script_ids=script_ids,
        start_ids=start_ids,
    )
