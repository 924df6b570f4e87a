"""Deliberately broken variants of OUR patched files, for the negative controls.

Each variant is made at test time: the real patch set is applied to a copy of the real
v0.5.9 files (scripts/patches-check.sh --out), then ONE targeted textual edit is made in one
patched file of the copy. Every edit asserts that its site was found exactly as expected, so
when the patches change shape the test fails saying which variant needs updating, instead
of silently testing an unbroken file. No SGLang source is kept in this repository.

| variant | edit | the contract rule it breaks | the check that must fail |
| --- | --- | --- | --- |
| drop_held_back_ids | in the streaming loop, right after the text delta is computed, discard the pending ids when the delta is empty (text held back at a word/UTF-8 boundary, or EOS with no text) | every id exactly once: held-back ids move to the next chunk | stream_ids (and cross_mode_identity) |
| repeat_ids_on_tool_call_chunk | the tool-call chunk in _process_tool_call_stream reads the pending ids without taking them, so they go out again on the next chunk (the seed patcher's fault) | every id exactly once | tool_call_ids |
| prompt_ids_on_every_chunk | every chunk yielded by the streaming generator gets prompt_token_ids, not only the role chunk | prompt ids on the first chunk of an index only | stream_ids |
| tool_call_chunk_without_logprobs | the tool-call chunk in _process_tool_call_stream sends no log-probabilities (they stay pending for a later chunk) | log-probabilities 1:1 with ids on every chunk | logprobs_alignment |
| remaining_args_chunk_without_ids | the remaining-arguments chunk of _check_for_unstreamed_tool_args takes no ids (v0.5.9's placement: they land on the finish chunk) | ids ride on the chunk that emits their text | tool_call_ids |
| resend_streamed_text | detokenizer_manager.py: the sent offset follows the printable text back again (stock v0.5.9) | streamed text equals the response text | stream_text_fidelity (interval 3) |
| drop_text_before_tool_call | base_format_detector.py: the normal text in the same piece as a tool-call opener is dropped again (stock v0.5.9) | streamed text equals the response text | stream_text_fidelity (interval 3), while tool_call_ids passes |
| lenient_return_token_ids | protocol.py: return_token_ids typed Any instead of Optional[bool] on chat and completions | strict flag validation | flag_validation |
| repeat_completion_ids | serving_completions.py: the streaming loop never records which cumulative ids it sent, so each chunk repeats them | completions ids streamed once each | completions_ids |
| echo_offset_counts_prompt | serving_completions.py: the stream's text offset counts the echoed prompt again (stock v0.5.9), so each later delta loses as many characters as the prompt has | streamed echo text equals the response text | completions_ids |
| completion_logprobs_run_ahead | serving_completions.py: a chunk's log-probabilities run to the end of the request's live list again (stock v0.5.9), not to the ids it carries | completions log-probabilities 1:1 with each chunk's ids | completions_ids |
| second_tool_call_lost | base_format_detector.py: no bot-token fallback after the separator (stock v0.5.9, before upstream #20004), so a second call never streams | every tool call streamed | stream_text_fidelity ("two tool calls"), while tool_call_ids passes |
| text_after_tool_call_dropped | qwen25_detector.py: detect_and_parse keeps only the text before the first call again (stock) | text after a call on both sides | stream_text_fidelity ("text after a tool call") |
| token_id_strings_off | tokens_as_token_ids.py: the request's return_tokens_as_token_ids is never honoured (the flag read as off) | log-probability tokens `token_id:<id>` when asked | logprob_token_ids, while logprobs_alignment passes |
| tokenize_chat_drops_tools | serving_tokenize.py: the chat form renders the messages without the request's tools | /tokenize tokens equal the chat completion's prompt ids | tokenize_chat, while prompt_matches_chat_template passes |
| think_tag_kept_in_buffer | reasoning_parser.py: <think> stripped from a local copy only (stock v0.5.9) | no <think> in reasoning_content with stream_reasoning false | stream_text_fidelity ("reasoning, stream_reasoning false"), while reasoning_ids passes |

The live-list read of 0.5.23 (ids ahead of their text with n > 1) has no v0.5.9 variant (v0.5.9's
outputs carry copies): test_suite_on_0_5_23.py runs the suite against the 0.5.23 series without
its 0011 instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Tuple

SERVING_CHAT = Path("sglang/srt/entrypoints/openai/serving_chat.py")
SERVING_COMPLETIONS = Path("sglang/srt/entrypoints/openai/serving_completions.py")
PROTOCOL = Path("sglang/srt/entrypoints/openai/protocol.py")
DETOKENIZER = Path("sglang/srt/managers/detokenizer_manager.py")
BASE_DETECTOR = Path("sglang/srt/function_call/base_format_detector.py")
QWEN25_DETECTOR = Path("sglang/srt/function_call/qwen25_detector.py")
REASONING_PARSER = Path("sglang/srt/parser/reasoning_parser.py")
TOKENS_AS_TOKEN_IDS = Path("sglang/srt/entrypoints/openai/tokens_as_token_ids.py")
SERVING_TOKENIZE = Path("sglang/srt/entrypoints/openai/serving_tokenize.py")
# The text defects live at chunk edges that --stream-interval 3 produces.
INTERVAL_3 = ["--server-arg=--stream-interval", "--server-arg=3"]


class EditSiteNotFound(AssertionError):
    pass


def _sub_exactly(pattern: str, repl, text: str, count: int, variant: str) -> str:
    new, n = re.subn(pattern, repl, text, flags=re.MULTILINE)
    if n != count:
        raise EditSiteNotFound(
            f"broken variant {variant!r}: expected {count} edit site(s) for /{pattern}/ in the patched file,"
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


def _in_function(text: str, name: str, edit: Callable[[str], str], variant: str) -> str:
    """Applies `edit` to the body of method `name` only (up to the next method)."""
    found = re.search(rf"^    (async )?def {name}\(", text, flags=re.MULTILINE)
    if found is None:
        raise EditSiteNotFound(f"broken variant {variant!r}: no method {name} in the patched file")
    start = found.start()
    following = re.search(r"^    (async )?def ", text[found.end():], flags=re.MULTILINE)
    end = found.end() + following.start() if following else len(text)
    return text[:start] + edit(text[start:end]) + text[end:]


def tool_call_chunk_without_logprobs(text: str) -> str:
    return _in_function(
        text,
        "_process_tool_call_stream",
        lambda body: _sub_exactly(
            r"(delta=DeltaMessage\(tool_calls=\[tool_call\]\),\s*finish_reason=None,\s*"
            r"token_ids=self\._take_token_ids\(pending_token_ids, index\),\s*)"
            r"logprobs=self\._take_logprobs\(pending_logprobs, index\),",
            r"\1logprobs=None,  # BROKEN VARIANT: the tool-call chunk's log-probabilities stay pending",
            body,
            1,
            "tool_call_chunk_without_logprobs",
        ),
        "tool_call_chunk_without_logprobs",
    )


def remaining_args_chunk_without_ids(text: str) -> str:
    return _in_function(
        text,
        "_check_for_unstreamed_tool_args",
        lambda body: _sub_exactly(
            r"token_ids=self\._take_token_ids\(pending_token_ids, index\),",
            "token_ids=None,  # BROKEN VARIANT: v0.5.9's placement, the ids go to the finish chunk",
            body,
            1,
            "remaining_args_chunk_without_ids",
        ),
        "remaining_args_chunk_without_ids",
    )


def resend_streamed_text(text: str) -> str:
    return _sub_exactly(
        r"s\.sent_offset = max\(s\.sent_offset, len\(output_str\)\)",
        "s.sent_offset = len(output_str)  # BROKEN VARIANT: v0.5.9 moves it back",
        text,
        1,
        "resend_streamed_text",
    )


def drop_text_before_tool_call(text: str) -> str:
    return _sub_exactly(
        r"result\.normal_text = current_text\[:tool_call_pos\] \+ result\.normal_text",
        "result.normal_text = result.normal_text  # BROKEN VARIANT: v0.5.9 drops the text before the opener",
        text,
        1,
        "drop_text_before_tool_call",
    )


def lenient_return_token_ids(text: str) -> str:
    return _sub_exactly(
        r"^(?P<indent>[ \t]+)return_token_ids: Optional\[bool\] = None$",
        lambda m: f"{m.group('indent')}return_token_ids: Optional[Any] = None  # BROKEN VARIANT: any value accepted",
        text,
        2,  # ChatCompletionRequest and CompletionRequest
        "lenient_return_token_ids",
    )


def repeat_completion_ids(text: str) -> str:
    return _sub_exactly(
        r"^(?P<indent>[ \t]+)n_seen_token_ids\[index\] = len\(output_ids\)$",
        lambda m: f"{m.group('indent')}pass  # BROKEN VARIANT: the cumulative ids are sent again on every chunk",
        text,
        1,
        "repeat_completion_ids",
    )


def echo_offset_counts_prompt(text: str) -> str:
    # `text` is the delta's source, echo included on the first chunk; content["text"] is not
    return _sub_exactly(
        r'^(?P<indent>[ \t]+)stream_offsets\[index\] = len\(content\["text"\]\)$',
        lambda m: f"{m.group('indent')}stream_offsets[index] = len(text)  # BROKEN VARIANT: the offset counts the echo",
        text,
        1,
        "echo_offset_counts_prompt",
    )


def completion_logprobs_run_ahead(text: str) -> str:
    return _sub_exactly(
        r"^(?P<indent>[ \t]+)total_output_logprobs = n_prev_token \+ len\(new_token_ids\)$",
        lambda m: f"{m.group('indent')}pass  # BROKEN VARIANT: the slice runs to the end of the live list",
        text,
        1,
        "completion_logprobs_run_ahead",
    )


def second_tool_call_lost(text: str) -> str:
    return _sub_exactly(
        r"if used_separator_branch and self\.bot_token in current_text:",
        "if False:  # BROKEN VARIANT: v0.5.9 parses the next call from the separator on",
        text,
        1,
        "second_tool_call_lost",
    )


def text_after_tool_call_dropped(text: str) -> str:
    return _sub_exactly(
        r"normal_text = \(text\[:idx\] \+ text\[end \+ len\(self\.eot_token\) :\]\)\.strip\(\)",
        "normal_text = text[:idx].strip()  # BROKEN VARIANT: the text after the calls is dropped",
        text,
        1,
        "text_after_tool_call_dropped",
    )


def think_tag_kept_in_buffer(text: str) -> str:
    return _sub_exactly(
        r"^(?P<indent>[ \t]+)self\._buffer = current_text\n(?=(?P=indent)self\.stripped_think_start = True)",
        lambda m: f"{m.group('indent')}pass  # BROKEN VARIANT: <think> stays in the buffer\n",
        text,
        1,
        "think_tag_kept_in_buffer",
    )


def token_id_strings_off(text: str) -> str:
    return _sub_exactly(
        r"^    return default if flag is None else flag$",
        "    return False  # BROKEN VARIANT: return_tokens_as_token_ids never honoured",
        text,
        1,
        "token_id_strings_off",
    )


def tokenize_chat_drops_tools(text: str) -> str:
    return _sub_exactly(
        r'^(?P<head>[ \t]+chat_fields = \{"model", "messages", )"tools", (?P<tail>.*)$',
        lambda m: f"{m.group('head')}{m.group('tail')}  # BROKEN VARIANT: tools not rendered",
        text,
        1,
        "tokenize_chat_drops_tools",
    )


@dataclass(frozen=True)
class Variant:
    name: str
    edit: Callable[[str], str]
    must_fail: List[str]  # checks that must fail against this variant
    must_pass: List[str]  # checks that must still pass (the break is targeted)
    file: Path = SERVING_CHAT
    verify_args: Tuple[str, ...] = ()  # extra verify CLI arguments (e.g. server flags)
    must_say: str = ""  # a problem of a must_fail check contains this (the failure is the one meant)


VARIANTS = [
    Variant("drop_held_back_ids", drop_held_back_ids, ["stream_ids", "cross_mode_identity"], ["nonstream_ids", "opt_out_keys"]),
    Variant("repeat_ids_on_tool_call_chunk", repeat_ids_on_tool_call_chunk, ["tool_call_ids"], ["nonstream_ids", "stream_ids", "cross_mode_identity"]),
    Variant("prompt_ids_on_every_chunk", prompt_ids_on_every_chunk, ["stream_ids"], ["nonstream_ids", "cross_mode_identity"]),
    Variant("tool_call_chunk_without_logprobs", tool_call_chunk_without_logprobs, ["logprobs_alignment"], ["tool_call_ids", "stream_ids"]),
    Variant("remaining_args_chunk_without_ids", remaining_args_chunk_without_ids, ["tool_call_ids"], ["nonstream_ids", "stream_ids"]),
    Variant("resend_streamed_text", resend_streamed_text, ["stream_text_fidelity"], ["nonstream_ids", "tool_call_ids"],
            DETOKENIZER, tuple(INTERVAL_3)),
    Variant("drop_text_before_tool_call", drop_text_before_tool_call, ["stream_text_fidelity"], ["tool_call_ids", "stream_ids"],
            BASE_DETECTOR, tuple(INTERVAL_3)),
    Variant("lenient_return_token_ids", lenient_return_token_ids, ["flag_validation"], ["nonstream_ids", "completions_ids"], PROTOCOL),
    Variant("repeat_completion_ids", repeat_completion_ids, ["completions_ids"], ["nonstream_ids", "stream_ids"], SERVING_COMPLETIONS),
    # serving_completions.py is used by the completions check only: nothing else to keep passing
    Variant("echo_offset_counts_prompt", echo_offset_counts_prompt, ["completions_ids"], [], SERVING_COMPLETIONS,
            must_say="echo: streamed text"),
    Variant("completion_logprobs_run_ahead", completion_logprobs_run_ahead, ["completions_ids"], [], SERVING_COMPLETIONS,
            must_say="log-probabilities for"),
    Variant("second_tool_call_lost", second_tool_call_lost, ["stream_text_fidelity"], ["tool_call_ids"], BASE_DETECTOR,
            must_say="two tool calls choice 0: streamed tool_calls"),
    Variant("text_after_tool_call_dropped", text_after_tool_call_dropped, ["stream_text_fidelity"], ["tool_call_ids"],
            QWEN25_DETECTOR, must_say="text after a tool call choice 0"),
    Variant("think_tag_kept_in_buffer", think_tag_kept_in_buffer, ["stream_text_fidelity"], ["reasoning_ids"],
            REASONING_PARSER, must_say="reasoning, stream_reasoning false choice 0: streamed reasoning_content '<think>"),
    Variant("token_id_strings_off", token_id_strings_off, ["logprob_token_ids"], ["logprobs_alignment"],
            TOKENS_AS_TOKEN_IDS, must_say="token_id strings absent, expected them on"),
    Variant("tokenize_chat_drops_tools", tokenize_chat_drops_tools, ["tokenize_chat"], ["prompt_matches_chat_template"],
            SERVING_TOKENIZE, must_say="tools: /tokenize tokens"),
]


def make_variant(patched_root: Path, out_root: Path, variant: Variant) -> Path:
    """Copies the patched package (patched_root/sglang) to out_root/sglang and applies the
    variant's edit to its file; returns out_root (the PYTHONPATH entry)."""
    import shutil

    shutil.copytree(patched_root / "sglang", out_root / "sglang", symlinks=True)
    target = out_root / variant.file
    original = target.read_text(encoding="utf-8")
    edited = variant.edit(original)
    assert edited != original
    compile(edited, str(target), "exec")  # a variant must be broken in behaviour, not in syntax
    target.write_text(edited, encoding="utf-8")
    for pyc in target.parent.glob(f"__pycache__/{target.stem}*.pyc"):
        pyc.unlink()
    return out_root
