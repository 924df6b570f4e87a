"""/v1/completions ids in vLLM's completions shape: per choice (not top level)
``prompt_token_ids`` and ``token_ids``; streaming puts the prompt ids on the first chunk of
each index only and every generated id on exactly one chunk; with ``echo`` the ids stay the
generated ids and the streamed text is the non-streaming text; a prompt given as ids comes
back as exactly those ids; n > 1 gives each choice its own; with logprobs and ids on, each
streamed chunk carries the log-probabilities of exactly its ids (completion_logprobs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from ..context import CheckContext, fail_if
from ..invariants import is_id_list, text_problems, usage_problems
from ..scenarios import PLAIN_MESSAGES
from ..stock_keys import completion_key_problems
from .completion_logprobs import stream_logprob_pairing_problems
from .core import ids_compare


@dataclass
class CompletionStreamChoice:
    index: int
    first_position: int
    text: str = ""
    token_ids: List[int] = field(default_factory=list)
    finish_reason: Optional[str] = None
    matched_stop: Any = None
    prompt_id_positions: List[int] = field(default_factory=list)
    prompt_token_ids: Any = None


def assemble_completion_stream(chunks: List[Dict[str, Any]], label: str, problems: List[str]) -> Dict[int, CompletionStreamChoice]:
    out: Dict[int, CompletionStreamChoice] = {}
    for pos, chunk in enumerate(chunks):
        if "prompt_token_ids" in chunk:
            problems.append(f"{label}: chunk {pos} has a top-level prompt_token_ids (completions carry them per choice)")
        for c in chunk.get("choices") or []:
            idx = c.get("index", 0)
            sc = out.setdefault(idx, CompletionStreamChoice(index=idx, first_position=pos))
            sc.text += c.get("text") or ""
            if "token_ids" in c:
                if not is_id_list(c["token_ids"]):
                    problems.append(f"{label}: chunk {pos} choice {idx}: token_ids is {c['token_ids']!r} (a chunk with no ids has no key)")
                else:
                    sc.token_ids += c["token_ids"]
            if "prompt_token_ids" in c:
                sc.prompt_id_positions.append(pos)
                if sc.prompt_token_ids is None:
                    sc.prompt_token_ids = c["prompt_token_ids"]
            if c.get("finish_reason") is not None:
                sc.finish_reason = c["finish_reason"]
                sc.matched_stop = c.get("matched_stop")
    return out


def nonstream_completion_problems(ctx: CheckContext, resp: Dict[str, Any], label: str, n: int = 1, echo_prompt: Optional[str] = None) -> List[str]:
    problems: List[str] = []
    if "prompt_token_ids" in resp:
        problems.append(f"{label}: top-level prompt_token_ids (completions carry them per choice)")
    choices = resp.get("choices") or []
    if len(choices) != n:
        problems.append(f"{label}: {len(choices)} choices, expected {n}")
    for choice in choices:
        where = f"{label} choice {choice.get('index')}"
        for key in ("prompt_token_ids", "token_ids"):
            if not is_id_list(choice.get(key)):
                problems.append(f"{where}: {key} is {choice.get(key)!r}, not a non-empty int list")
        if not is_id_list(choice.get("token_ids")):
            continue
        text = choice.get("text") or ""
        if echo_prompt is not None:
            if not text.startswith(echo_prompt):
                problems.append(f"{where}: echo text does not start with the prompt")
            text = text[len(echo_prompt):]
        problems += text_problems(ctx.tokenizer, choice["token_ids"], text, choice.get("finish_reason"), choice.get("matched_stop"), where)
    if choices and all(is_id_list(c.get("token_ids")) and is_id_list(c.get("prompt_token_ids")) for c in choices):
        problems += usage_problems(resp.get("usage"), choices[0]["prompt_token_ids"], [len(c["token_ids"]) for c in choices], label)
    return problems


def stream_completion_problems(ctx: CheckContext, chunks, done: bool, label: str, n: int = 1, echo: Optional[str] = None) -> Dict[str, Any]:
    problems: List[str] = []
    if not done:
        problems.append(f"{label}: stream did not end with data: [DONE]")
    choices = assemble_completion_stream(chunks, label, problems)
    if sorted(choices) != list(range(n)):
        problems.append(f"{label}: chunks for choice indexes {sorted(choices)}, expected {list(range(n))}")
    for idx, sc in sorted(choices.items()):
        where = f"{label} choice {idx}"
        if sc.prompt_id_positions != [sc.first_position]:
            problems.append(
                f"{where}: prompt_token_ids on chunk(s) {sc.prompt_id_positions[:8]}, expected exactly the index's first chunk {sc.first_position}"
            )
        if not is_id_list(sc.prompt_token_ids):
            problems.append(f"{where}: prompt_token_ids is {sc.prompt_token_ids!r}")
        if not sc.token_ids:
            problems.append(f"{where}: no token_ids on any chunk")
            continue
        text = sc.text
        if echo:
            # the ids are the generated ones only: the text after the echoed prompt spells them
            if not text.startswith(echo):
                problems.append(f"{where}: echo text does not start with the prompt")
                continue
            text = text[len(echo):]
        problems += text_problems(ctx.tokenizer, sc.token_ids, text, sc.finish_reason, sc.matched_stop, where)
    return {"problems": problems, "choices": choices}


def completion_prompt(ctx: CheckContext) -> str:
    """The chat prompt rendered as text: a chat model answers it as it answers the chat
    request (and the prompt's special tokens exercise the completions tokenizer call)."""
    return ctx.tokenizer.hf.apply_chat_template(
        PLAIN_MESSAGES, tokenize=False, add_generation_prompt=True, **(ctx.no_thinking_kwargs or {})
    )


def check_completions_ids(ctx: CheckContext) -> Dict[str, Any]:
    prompt = completion_prompt(ctx)
    base = {"prompt": prompt, "max_tokens": ctx.max_tokens, "temperature": 0.0, "return_token_ids": True}
    problems: List[str] = []

    ctx.client.completion(base)  # warm-up: the compared requests then meet the prefix cache alike
    resp = ctx.client.completion(base)
    problems += nonstream_completion_problems(ctx, resp, "text prompt non-stream")
    choice = (resp.get("choices") or [{}])[0]
    want_prompt = ctx.tokenizer.hf(prompt)["input_ids"]
    problems += ids_compare("text prompt: prompt_token_ids vs the tokenizer's ids of the prompt", choice.get("prompt_token_ids"), want_prompt)
    ids = choice.get("token_ids")

    s = ctx.client.completion_stream(base)
    st = stream_completion_problems(ctx, s.chunks, s.sse.done, "text prompt stream")
    problems += st["problems"]
    sc = st["choices"].get(0)
    problems += ids_compare("text prompt: streamed ids vs non-stream", sc.token_ids if sc else None, ids, ctx.tokenizer)
    problems += ids_compare("text prompt: streamed prompt ids vs non-stream", sc.prompt_token_ids if sc else None, choice.get("prompt_token_ids"))

    # A prompt given as ids: the engine consumes exactly those, and answers as to the text.
    id_prompt = list(want_prompt)
    by_ids = ctx.client.completion(dict(base, prompt=id_prompt))
    problems += nonstream_completion_problems(ctx, by_ids, "id prompt non-stream")
    by_ids_choice = (by_ids.get("choices") or [{}])[0]
    problems += ids_compare("id prompt: prompt_token_ids vs the ids sent", by_ids_choice.get("prompt_token_ids"), id_prompt)
    problems += ids_compare("id prompt: token_ids vs the text prompt's", by_ids_choice.get("token_ids"), ids, ctx.tokenizer)
    s = ctx.client.completion_stream(dict(base, prompt=id_prompt))
    st = stream_completion_problems(ctx, s.chunks, s.sse.done, "id prompt stream")
    problems += st["problems"]
    sc = st["choices"].get(0)
    problems += ids_compare("id prompt: streamed prompt ids vs the ids sent", sc.prompt_token_ids if sc else None, id_prompt)

    # echo: the text starts with the prompt, the ids stay the generated ids only
    echo = ctx.client.completion(dict(base, echo=True))
    problems += nonstream_completion_problems(ctx, echo, "echo non-stream", echo_prompt=prompt)
    problems += ids_compare("echo: token_ids vs without echo", ((echo.get("choices") or [{}])[0]).get("token_ids"), ids, ctx.tokenizer)
    s = ctx.client.completion_stream(dict(base, echo=True))
    st = stream_completion_problems(ctx, s.chunks, s.sse.done, "echo stream", echo=prompt)
    # the stock defect shows only past the first chunk of a choice
    echo_text_chunks = sum(1 for chunk in s.chunks for c in chunk.get("choices") or [] if c.get("text"))
    problems += st["problems"]
    sc = st["choices"].get(0)
    problems += ids_compare("echo: streamed ids vs without echo", sc.token_ids if sc else None, ids, ctx.tokenizer)
    # stock v0.5.9 cut each later delta of an echo stream by the prompt's length
    echo_text = ((echo.get("choices") or [{}])[0]).get("text")
    if sc is not None and sc.text != echo_text:
        problems.append(f"echo: streamed text {sc.text[-80:]!r} (last 80 characters) != non-stream {str(echo_text)[-80:]!r}")

    # logprobs with ids on, n = 2 (greedy: both requests answer alike): each streamed chunk
    # carries the log-probabilities of exactly its ids, the response's at those positions
    paired_chunks = 0
    for top in (0, 2):
        body = dict(base, n=2, logprobs=top)
        label = f"logprobs={top} n=2"
        full = ctx.client.completion(body)
        problems += nonstream_completion_problems(ctx, full, f"{label} non-stream", n=2)
        for c in full.get("choices") or []:
            got = len(((c.get("logprobs") or {}).get("tokens")) or [])
            if is_id_list(c.get("token_ids")) and got != len(c["token_ids"]):
                problems.append(f"{label} non-stream choice {c.get('index')}: {got} log-probabilities for {len(c['token_ids'])} token_ids")
        s = ctx.client.completion_stream(body)
        st = stream_completion_problems(ctx, s.chunks, s.sse.done, f"{label} stream", n=2)
        problems += st["problems"]
        if st["choices"] and all(sc.token_ids for sc in st["choices"].values()):  # else: said above
            problems += stream_logprob_pairing_problems(s.chunks, full, f"{label} stream")
            paired_chunks += sum(1 for chunk in s.chunks for c in chunk.get("choices") or [] if c.get("token_ids"))

    # n = 2 (sampled): each choice complete and self-consistent, streamed and not
    n2 = dict(base, n=2, temperature=0.8)
    problems += nonstream_completion_problems(ctx, ctx.client.completion(n2), "n=2 non-stream", n=2)
    s = ctx.client.completion_stream(n2)
    problems += stream_completion_problems(ctx, s.chunks, s.sse.done, "n=2 stream", n=2)["problems"]

    # return_token_ids: false is key-for-key the stock release (with ids off, log-probabilities keep
    # v0.5.9's per-chunk slicing: there are no ids to pair them with, so they are not judged)
    off = dict(base, return_token_ids=False)
    keys = ctx.require_release().stock_keys
    problems += completion_key_problems(keys, ctx.client.completion(off), "return_token_ids=false non-stream", chunk=False)
    for pos, chunk in enumerate(ctx.client.completion_stream(off).chunks):
        problems += completion_key_problems(keys, chunk, f"return_token_ids=false chunk {pos}", chunk=True)
    fail_if(problems)
    return {"prompt_len": len(want_prompt), "completion_len": len(ids) if isinstance(ids, list) else None,
            "echo_text_chunks": echo_text_chunks, "logprob_chunks_paired": paired_chunks}
