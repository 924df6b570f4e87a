"""/v1/completions log-probabilities travel with the ids: with ``return_token_ids`` on, each
streamed chunk's ``logprobs`` are those of exactly the ``token_ids`` it carries (1:1, in
order), equal to the non-streaming response's at those positions. RL stacks pair each id
with its log-probability chunk by chunk; stock v0.5.9 took a chunk's log-probabilities from
the request's live list, which with n > 1 or a batch already held later ones (only the
totals matched)."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, Dict, List

# The stream and the non-streaming response are two requests: a real engine batches them
# differently, so floating-point sums may differ in the last digits. Entries that belong to
# other positions differ by far more than this.
LOGPROB_ABS_TOL = 1e-3

_EMPTY = {"tokens": [], "token_logprobs": [], "top_logprobs": []}


def _close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=0.0, abs_tol=LOGPROB_ABS_TOL)


def _top_equal(got: Any, want: Any) -> bool:
    # v0.5.9 keys each position's alternatives by their text
    if not isinstance(got, dict) or not isinstance(want, dict):
        return got == want
    return got.keys() == want.keys() and all(_close(got[k], want[k]) for k in want)


def stream_logprob_pairing_problems(chunks: List[Dict[str, Any]], full: Dict[str, Any], label: str) -> List[str]:
    """Per chunk and choice: as many log-probabilities as ids, and they are the non-streaming
    response's at the positions of those ids; per choice the counts add up."""
    problems: List[str] = []
    want = {c.get("index"): (c.get("logprobs") or _EMPTY) for c in full.get("choices") or []}
    sent: Dict[int, int] = defaultdict(int)
    for pos, chunk in enumerate(chunks):
        for c in chunk.get("choices") or []:
            idx = c.get("index", 0)
            where = f"{label} chunk {pos} choice {idx}"
            ids = c.get("token_ids") or []
            lp = c.get("logprobs") or _EMPTY
            tokens = lp.get("tokens") or []
            start = sent[idx]
            sent[idx] += len(ids)
            if len(tokens) != len(ids):
                problems.append(f"{where}: {len(tokens)} log-probabilities for {len(ids)} token_ids")
                continue
            if idx not in want:
                problems.append(f"{where}: no such choice in the non-streaming response")
                continue
            end = start + len(ids)
            if tokens != (want[idx].get("tokens") or [])[start:end]:
                problems.append(f"{where}: logprobs.tokens {tokens!r} are not the response's at positions {start}..{end - 1}")
            got_vals, want_vals = lp.get("token_logprobs") or [], (want[idx].get("token_logprobs") or [])[start:end]
            if len(got_vals) != len(want_vals) or not all(_close(g, w) for g, w in zip(got_vals, want_vals)):
                problems.append(f"{where}: token_logprobs {got_vals!r} are not the response's {want_vals!r} (positions {start}..{end - 1})")
            got_top, want_top = lp.get("top_logprobs") or [], (want[idx].get("top_logprobs") or [])[start:end]
            if len(got_top) != len(want_top) or not all(_top_equal(g, w) for g, w in zip(got_top, want_top)):
                problems.append(f"{where}: top_logprobs are not the response's at positions {start}..{end - 1}")
    for idx, lp in sorted(want.items(), key=lambda kv: str(kv[0])):
        total = len(lp.get("tokens") or [])
        if sent[idx] != total:
            problems.append(f"{label} choice {idx}: {sent[idx]} ids streamed, the response has {total} log-probabilities")
    return problems
