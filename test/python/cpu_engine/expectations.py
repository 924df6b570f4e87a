"""What the real server must answer for each script, judged exactly: ids from the script,
prompt ids from the tokenizer's chat-template rendering, text as v0.5.9's parsers shape it."""

from __future__ import annotations

import json
from typing import Any

from scripted_models import ScriptedModel
from tokenids_verify.checks.text_fidelity import is_prefix_value
from tokenids_verify.invariants import stream_problems
from tokenids_verify.stream_assembly import StreamAssembly

from real_server import ServerMode


def parser_views(model: ScriptedModel, name: str, mode: ServerMode) -> tuple[bool, bool]:
    """(tool parser acts, reasoning parser acts) for this script's request on this server."""
    script = model.script(name)
    tools = bool(mode.tool_call_parser and script.request.get("tools"))
    text = script.full_text()
    reasoning = bool(mode.reasoning_parser and "<think>" in text)
    return tools, reasoning


def expected_finish(model: ScriptedModel, name: str, mode: ServerMode) -> str:
    tools, _ = parser_views(model, name, mode)
    generated = model.script(name).generated_pieces()
    if len(generated) < len(model.script(name).pieces) and "max_tokens" in model.script(name).request:
        return "length"
    return "tool_calls" if tools else "stop"


def generated_text(model: ScriptedModel, name: str) -> str:
    script = model.script(name)
    return b"".join(script.piece_bytes(p) or b"" for p in script.generated_pieces()).decode("utf-8")


def tool_call_cut(model: ScriptedModel, name: str, mode: ServerMode) -> bool:
    """A tool call that max_tokens cuts before its closing marker."""
    tools, _ = parser_views(model, name, mode)
    return tools and expected_finish(model, name, mode) == "length" and "</tool_call>" not in generated_text(model, name)


def expected_message(model: ScriptedModel, name: str, mode: ServerMode) -> dict[str, Any]:
    """content / reasoning / tool calls, whitespace-stripped where v0.5.9's parsers strip."""
    tools, reasoning = parser_views(model, name, mode)
    text = generated_text(model, name)
    stop = model.script(name).request.get("stop")
    if stop:
        cut = min(text.find(s) for s in stop if s in text)
        text = text[:cut]
    if tool_call_cut(model, name, mode):
        # the non-streaming answer to a cut call is its raw text
        return {"content": text, "reasoning": "", "tool_calls": []}
    if tools:
        head, _, rest = text.partition("<tool_call>")
        payload = json.loads(rest.partition("</tool_call>")[0])
        return {"content": head.strip(), "reasoning": "", "tool_calls": [(payload["name"], payload["arguments"])]}
    if reasoning:
        inner, _, after = text.replace("<think>", "").partition("</think>")
        return {"content": after.strip(), "reasoning": inner.strip(), "tool_calls": []}
    return {"content": text, "reasoning": "", "tool_calls": []}


def _calls(raw: list[dict]) -> list[tuple[str, Any]]:
    return [(c["name"], json.loads(c["arguments"])) for c in raw]


def nonstream_script_problems(model, tokenizer, name, mode, body, resp, n: int = 1) -> list[str]:
    problems = []
    want_prompt = model.prompt_ids(tokenizer, body)
    want_ids = model.expected_ids(name)
    if resp.get("prompt_token_ids") != want_prompt:
        problems.append(f"{name}: prompt_token_ids {resp.get('prompt_token_ids')} != chat template {want_prompt}")
    choices = resp.get("choices") or []
    if len(choices) != n:
        problems.append(f"{name}: {len(choices)} choices, expected {n}")
    want_msg = expected_message(model, name, mode)
    for choice in choices:
        where = f"{name} choice {choice.get('index')}"
        if choice.get("token_ids") != want_ids:
            problems.append(f"{where}: token_ids {choice.get('token_ids')} != script {want_ids}")
        if choice.get("finish_reason") != expected_finish(model, name, mode):
            problems.append(f"{where}: finish_reason {choice.get('finish_reason')!r} != {expected_finish(model, name, mode)!r}")
        msg = choice.get("message") or {}
        got = {
            "content": (msg.get("content") or "").strip() if want_msg["reasoning"] or want_msg["tool_calls"] else msg.get("content") or "",
            "reasoning": (msg.get("reasoning_content") or "").strip(),
            "tool_calls": _calls([tc["function"] for tc in msg.get("tool_calls") or []]),
        }
        if got != want_msg:
            problems.append(f"{where}: message {got} != script {want_msg}")
    usage = resp.get("usage") or {}
    if usage.get("prompt_tokens") != len(want_prompt) or usage.get("completion_tokens") != n * len(want_ids):
        problems.append(f"{name}: usage {usage} does not count {len(want_prompt)} prompt and {n}x{len(want_ids)} completion ids")
    return problems


def stream_script_problems(model, tokenizer, name, mode, body, asm: StreamAssembly, verify_tok, n: int = 1) -> list[str]:
    tools, reasoning = parser_views(model, name, mode)
    text_mode = "tools" if tools else "reasoning" if reasoning else "content"
    want_prompt = model.prompt_ids(tokenizer, body)
    # A request with stop strings holds text back at a stop's prefix and never sends the stop's
    # text, so its ids may spell more than the content (the verify suite's finishes check says so too).
    problems = stream_problems(verify_tok, asm, f"{name} stream", n=n, text_mode=text_mode, expected_prompt_ids=want_prompt,
                               stop_strings=bool(body.get("stop")))
    if not asm.prompt_id_chunks or asm.prompt_id_chunks[0][0] != 0:
        problems.append(f"{name} stream: chunk 0 does not carry prompt_token_ids")
    want_ids = model.expected_ids(name)
    want_msg = expected_message(model, name, mode)
    for idx in range(n):
        sc = asm.choices.get(idx)
        if sc is None:
            continue
        if sc.token_ids != want_ids:
            problems.append(f"{name} stream choice {idx}: ids {sc.token_ids} != script {want_ids}")
        if sc.finish_reason != expected_finish(model, name, mode):
            problems.append(f"{name} stream choice {idx}: finish_reason {sc.finish_reason!r}")
        if tool_call_cut(model, name, mode):
            problems += _cut_stream_problems(model, name, sc, f"{name} stream choice {idx}")
            continue
        got = {
            "content": sc.content.strip() if want_msg["reasoning"] or want_msg["tool_calls"] else sc.content,
            "reasoning": sc.reasoning.strip(),
            "tool_calls": [(c["name"], json.loads(c["arguments"])) for c in sc.tool_calls()],
        }
        if got != want_msg:
            problems.append(f"{name} stream choice {idx}: assembled {got} != script {want_msg}")
    return problems


def _cut_stream_problems(model: ScriptedModel, name: str, sc, where: str) -> list[str]:
    """A cut tool call streams, by design, the normal text and a partial call: the script's
    call name, and arguments that are (once v0.5.9's remaining-arguments chunk closed them) a
    prefix of the full call's, or none yet."""
    full = model.script(name).full_text()
    head, _, rest = full.partition("<tool_call>")
    call = json.loads(rest.partition("</tool_call>")[0])
    problems = []
    if sc.content.strip() != head.strip():
        problems.append(f"{where}: normal text {sc.content!r} != script {head.strip()!r}")
    calls = sc.tool_calls()
    if [c["name"] for c in calls] != [call["name"]]:
        problems.append(f"{where}: tool calls {calls} do not name {call['name']!r} once")
    for c in calls:
        if c["arguments"] and not is_prefix_value(_loads(c["arguments"]), call["arguments"]):
            problems.append(f"{where}: streamed arguments {c['arguments']!r} are not a prefix of {call['arguments']!r}")
    return problems


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text
