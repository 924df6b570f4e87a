"""Deliberately broken variants of OUR patched serving_chat.py, for the negative controls.

Each variant is made at test time: the real patch set is applied to a copy of the real
v0.5.9 files (scripts/patches-check.sh --out), then ONE targeted textual edit is made in the
copy's serving_chat.py. Every edit asserts that its site was found exactly as expected, so
when the patches change shape the test fails saying which variant needs updating, instead
of silently testing an unbroken file. No SGLang source is kept in this repository.

| variant | edit | the contract rule it breaks | the check that must fail |
| --- | --- | --- | --- |
| drop_held_back_ids | in the streaming loop, right after the text delta is computed, discard the pending ids when the delta is empty (text held back at a word/UTF-8 boundary, or EOS with no text) | every id exactly once: held-back ids move to the next chunk | stream_ids (and cross_mode_identity) |
| repeat_ids_on_tool_call_chunk | the tool-call chunk in _process_tool_call_stream reads the pending ids without taking them, so they go out again on the next chunk (the seed patcher's fault) | every id exactly once | tool_call_ids |
| prompt_ids_on_every_chunk | every chunk yielded by the streaming generator gets prompt_token_ids, not only the role chunk | prompt ids on the first chunk of an index only | stream_ids |
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List

SERVING_CHAT = Path("sglang/srt/entrypoints/openai/serving_chat.py")


class EditSiteNotFound(AssertionError):
    pass


def _sub_exactly(pattern: str, repl, text: str, count: int, variant: str) -> str:
    new, n = re.subn(pattern, repl, text, flags=re.MULTILINE)
    if n != count:
        raise EditSiteNotFound(
            f"broken variant {variant!r}: expected {count} edit site(s) for /{pattern}/ in the patched serving_chat.py,"
            f" found {n}: the patch changed shape, update test/python/verify/broken_variants.py"
        )
    return new


def drop_held_back_ids(text: str) -> str:
    # `stream_buffers[index] = stream_buffer + delta` is v0.5.9's own line in the streaming
    # loop; `pending_token_ids` is our patch's per-index queue of ids not yet sent.
    if "pending_token_ids" not in text:
        raise EditSiteNotFound("broken variant 'drop_held_back_ids': the patch has no pending_token_ids queue")
    return _sub_exactly(
        r"^(?P<indent>[ \t]+)stream_buffers\[index\] = stream_buffer \+ delta\n",
        lambda m: (
            m.group(0)
            + f"{m.group('indent')}if not delta:  # BROKEN VARIANT: ids of held-back text are lost\n"
            + f"{m.group('indent')}    pending_token_ids[index] = []\n"
        ),
        text,
        1,
        "drop_held_back_ids",
    )


def repeat_ids_on_tool_call_chunk(text: str) -> str:
    return _sub_exactly(
        r"(delta=DeltaMessage\(tool_calls=\[tool_call\]\),\s*finish_reason=None,\s*)"
        r"token_ids=self\._take_token_ids\(pending_token_ids, index\),",
        r"\1token_ids=(list(pending_token_ids.get(index) or []) or None) if pending_token_ids else None,"
        r"  # BROKEN VARIANT: peeked, not taken",
        text,
        1,
        "repeat_ids_on_tool_call_chunk",
    )


def prompt_ids_on_every_chunk(text: str) -> str:
    # Uses our patch's names: the stream's prompt ids and the helper that sends them exactly.
    if "def _exact_prompt_token_ids(" not in text or "prompt_token_ids = (" not in text:
        raise EditSiteNotFound("broken variant 'prompt_ids_on_every_chunk': the patch's prompt-id helpers are missing")
    start = text.find("async def _generate_chat_stream(")
    end = text.find("async def _handle_non_streaming_request(")
    if start < 0 or end < start:
        raise EditSiteNotFound("broken variant 'prompt_ids_on_every_chunk': streaming generator not found")
    body = _sub_exactly(
        r'^(?P<indent>[ \t]+)yield f"data: \{chunk\.model_dump_json\(\)\}\\n\\n"\n',
        lambda m: (
            f"{m.group('indent')}chunk.prompt_token_ids = self._exact_prompt_token_ids(  # BROKEN VARIANT\n"
            f"{m.group('indent')}    prompt_token_ids, content[\"meta_info\"]\n"
            f"{m.group('indent')})\n" + m.group(0)
        ),
        text[start:end],
        3,  # the role chunk, the reasoning chunk and the content chunk
        "prompt_ids_on_every_chunk",
    )
    return text[:start] + body + text[end:]


@dataclass(frozen=True)
class Variant:
    name: str
    edit: Callable[[str], str]
    must_fail: List[str]  # checks that must fail against this variant
    must_pass: List[str]  # checks that must still pass (the break is targeted)


VARIANTS = [
    Variant("drop_held_back_ids", drop_held_back_ids, ["stream_ids", "cross_mode_identity"], ["nonstream_ids", "opt_out_keys"]),
    Variant("repeat_ids_on_tool_call_chunk", repeat_ids_on_tool_call_chunk, ["tool_call_ids"], ["nonstream_ids", "stream_ids", "cross_mode_identity"]),
    Variant("prompt_ids_on_every_chunk", prompt_ids_on_every_chunk, ["stream_ids"], ["nonstream_ids", "cross_mode_identity"]),
]


def make_variant(patched_root: Path, out_root: Path, variant: Variant) -> Path:
    """Copies the patched package (patched_root/sglang) to out_root/sglang and applies the
    variant's edit to serving_chat.py; returns out_root (the PYTHONPATH entry)."""
    import shutil

    shutil.copytree(patched_root / "sglang", out_root / "sglang", symlinks=True)
    target = out_root / SERVING_CHAT
    original = target.read_text(encoding="utf-8")
    edited = variant.edit(original)
    assert edited != original
    compile(edited, str(target), "exec")  # a variant must be broken in behaviour, not in syntax
    target.write_text(edited, encoding="utf-8")
    for pyc in target.parent.glob("__pycache__/serving_chat*.pyc"):
        pyc.unlink()
    return out_root
