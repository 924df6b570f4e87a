"""16 concurrent streams: every stream complete and consistent, none crossed with another."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List

from ..context import CheckContext, fail_if
from ..invariants import stream_problems
from ..scenarios import CONCURRENT_PROMPTS
from ..stream_assembly import assemble_stream


def check_concurrent_streams(ctx: CheckContext) -> Dict[str, Any]:
    bodies = [
        ctx.chat_body([{"role": "user", "content": CONCURRENT_PROMPTS[i % len(CONCURRENT_PROMPTS)]}], ctx.max_tokens // 2 or 1)
        for i in range(ctx.concurrency)
    ]
    # Solo references: the prompt ids each stream must carry (and, when strict, its ids).
    refs = [ctx.client.chat(b) for b in bodies[: len(CONCURRENT_PROMPTS)]]
    barrier = threading.Barrier(ctx.concurrency)

    def one(body):
        barrier.wait(timeout=60)  # start all streams together so they share engine steps
        resp = ctx.client.chat_stream(dict(body, stream_options={"include_usage": True}))
        return assemble_stream(resp.chunks, resp.sse.done)

    with ThreadPoolExecutor(max_workers=ctx.concurrency) as pool:
        futures = [pool.submit(one, b) for b in bodies]
        results = []
        problems: List[str] = []
        for i, f in enumerate(futures):
            try:
                results.append(f.result())
            except Exception as e:  # one broken stream must not hide the others' results
                results.append(None)
                problems.append(f"stream {i}: {type(e).__name__}: {e}")

    matches_solo = 0
    for i, asm in enumerate(results):
        if asm is None:
            continue
        ref = refs[i % len(refs)]
        ref_prompt = ref.get("prompt_token_ids") if isinstance(ref.get("prompt_token_ids"), list) else None
        problems += stream_problems(ctx.tokenizer, asm, f"stream {i}", text_mode="content", expected_prompt_ids=ref_prompt)
        ref_ids = (ref.get("choices") or [{}])[0].get("token_ids")
        sc = asm.choices.get(0)
        if sc is not None and sc.token_ids == ref_ids:
            matches_solo += 1
        elif ctx.strict_concurrency:
            problems.append(f"stream {i}: completion ids differ from the solo request's")
    fail_if(problems)
    return {"streams": len(results), "streams_equal_to_solo_request": matches_solo}
