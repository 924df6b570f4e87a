"""Upstream's own id fields keep working next to the contract's, on releases that have them
(0.5.23): one request may ask for both shapes and gets both, streaming included.

- chat non-stream, ``return_token_ids: true``: upstream's per-choice ``prompt_token_ids`` and
  ``response_token_ids`` (0.5.18+) equal the contract's top-level ``prompt_token_ids`` and the
  choice's ``token_ids``;
- ``return_input_ids_in_sglext`` / ``return_output_ids_in_sglext`` (0.5.20+): ``sglext.input_ids``
  and ``sglext.output_ids[i]`` equal them too, non-streamed and, streamed, in upstream's one final
  ``choices: []`` chunk, against the ids the stream carried chunk by chunk;
- ``stream=true`` with ``return_token_ids: true`` is answered (stock 0.5.23 refuses it with a 400).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ..context import CheckContext, SkipCheck, fail_if
from ..scenarios import PLAIN_MESSAGES
from ..stream_assembly import assemble_stream
from .core import ids_compare, stream_prompt_ids

SGLEXT_FLAGS = {"return_input_ids_in_sglext": True, "return_output_ids_in_sglext": True}


def _sglext_ids_chunks(chunks: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [c["sglext"] for c in chunks if not c.get("choices") and isinstance(c.get("sglext"), dict)
            and ("input_ids" in c["sglext"] or "output_ids" in c["sglext"])]


def check_upstream_id_fields(ctx: CheckContext) -> Dict[str, Any]:
    release = ctx.require_release()
    if not release.upstream_id_fields:
        raise SkipCheck(f"stock v{release.version} has no id fields of its own on chat completions")
    tok = ctx.tokenizer
    body = ctx.chat_body(PLAIN_MESSAGES, ctx.max_tokens, return_token_ids=True, n=2)
    problems: List[str] = []

    resp = ctx.client.chat(dict(body, **SGLEXT_FLAGS))
    prompt: Optional[List[int]] = resp.get("prompt_token_ids")
    sglext = resp.get("sglext") or {}
    problems += ids_compare("non-stream sglext.input_ids vs prompt_token_ids", sglext.get("input_ids"), prompt)
    out_ids = sglext.get("output_ids") or []
    for i, choice in enumerate(resp.get("choices") or []):
        where = f"non-stream choice {i}"
        problems += ids_compare(f"{where}: upstream prompt_token_ids vs top-level", choice.get("prompt_token_ids"), prompt)
        problems += ids_compare(f"{where}: response_token_ids vs token_ids", choice.get("response_token_ids"), choice.get("token_ids"), tok)
        problems += ids_compare(f"{where}: sglext.output_ids vs token_ids",
                                out_ids[i] if i < len(out_ids) else None, choice.get("token_ids"), tok)
    if len(resp.get("choices") or []) != 2:
        problems.append(f"non-stream: {len(resp.get('choices') or [])} choices for n=2")

    stream = ctx.client.chat_stream(dict(body, **SGLEXT_FLAGS, stream_options={"include_usage": True}))
    asm = assemble_stream(stream.chunks, stream.sse.done)
    if asm.errors:
        problems.append(f"stream with return_token_ids and the sglext flags: error events {asm.errors[:2]!r}")
    finals = _sglext_ids_chunks(stream.chunks)
    if len(finals) != 1:
        problems.append(f"stream: {len(finals)} chunks with sglext ids, expected upstream's one final chunk")
    final = finals[-1] if finals else {}
    problems += ids_compare("stream sglext.input_ids vs the streamed prompt_token_ids", final.get("input_ids"), stream_prompt_ids(asm))
    streamed_out = final.get("output_ids") or []
    for i in range(2):
        got = asm.choices[i].token_ids if i in asm.choices else None
        problems += ids_compare(f"stream choice {i}: sglext.output_ids vs the streamed token_ids",
                                streamed_out[i] if i < len(streamed_out) else None, got, tok)
    fail_if(problems)
    return {"release": release.version, "stream_chunks": asm.chunk_count, "prompt_len": len(prompt or [])}
