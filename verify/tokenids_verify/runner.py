"""Runs checks in order and records each one's outcome; one check's failure never stops the
others (a report should name every broken part of the contract at once)."""

from __future__ import annotations

import time
import traceback
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional

from .checks.choices import check_n2_choices
from .checks.completions import check_completions_ids
from .checks.concurrency import check_concurrent_streams
from .checks.core import (
    check_cross_mode_identity,
    check_nonstream_ids,
    check_prompt_matches_chat_template,
    check_stream_ids,
    check_usage_counts,
)
from .checks.finishes import check_stop_and_length_finishes
from .checks.flags import check_flag_validation
from .checks.logprobs import check_logprobs_alignment
from .checks.openai_client import check_openai_client
from .checks.opt_out import check_opt_out_keys
from .checks.reasoning import check_reasoning_ids
from .checks.stream_output import check_stream_output_mode
from .checks.upstream_fields import check_upstream_id_fields
from .checks.text_fidelity import check_stream_text_fidelity
from .checks.token_id_logprobs import check_logprob_token_ids
from .checks.tokenize_chat import check_tokenize_chat
from .checks.tool_call import check_tool_call_ids
from .client import HttpError
from .context import CheckContext, CheckFailed, SkipCheck


@dataclass(frozen=True)
class Check:
    name: str
    description: str
    run: Callable[[CheckContext], Optional[Dict[str, Any]]]


ALL_CHECKS: List[Check] = [
    Check("nonstream_ids", "non-streaming: prompt ids and token ids present; decode(token_ids) gives the content", check_nonstream_ids),
    Check("stream_ids", "streaming: prompt ids on the first chunk only; decode(concatenated ids) gives the content; ids never lag their text", check_stream_ids),
    Check("cross_mode_identity", "greedy: prompt ids and completion ids identical streamed and not", check_cross_mode_identity),
    Check("usage_counts", "usage.prompt_tokens / completion_tokens equal the id lengths (streamed and not)", check_usage_counts),
    Check("prompt_matches_chat_template", "prompt ids equal the tokenizer's own apply_chat_template rendering (with and without tools)", check_prompt_matches_chat_template),
    Check("tool_call_ids", "tool call with the tool parser active (and cut by max_tokens inside its arguments): stream has tool_calls deltas; stream ids == non-stream ids; ids ride on the tool_calls chunk that emits their text", check_tool_call_ids),
    Check("n2_choices", "n=2: each choice complete and self-consistent, streamed and not", check_n2_choices),
    Check("opt_out_keys", "return_token_ids=false: no key beyond the unpatched release's, streamed and not", check_opt_out_keys),
    Check("stop_and_length_finishes", "stop-string and max_tokens finishes keep every generated id", check_stop_and_length_finishes),
    Check("concurrent_streams", "16 concurrent streams, each complete and consistent", check_concurrent_streams),
    Check("openai_client", "the official openai client parses every response and sees the ids", check_openai_client),
    Check("reasoning_ids", "reasoning chunks carry their ids (reasoning parser active)", check_reasoning_ids),
    Check("logprobs_alignment", "logprobs=true: logprobs.content 1:1 with token_ids on every chunk and in the response (top_logprobs 0/5/unset; tool-call and held-back chunks)", check_logprobs_alignment),
    Check("logprob_token_ids", "return_tokens_as_token_ids (vLLM): every log-probability token is token_id:<id> of the chunk's token_ids, 1:1, vLLM's bytes, top_logprobs 0 one entry per token; completions tokens and top keys; the flag validated", check_logprob_token_ids),
    Check("tokenize_chat", "the chat form of /tokenize (vLLM's TokenizeChatRequest): tokens equal the chat completion's prompt_token_ids (plain, tools), vLLM's keys, token_strs, chat_template refused; the prompt form stock", check_tokenize_chat),
    Check("stream_text_fidelity", "streamed content / reasoning / tool calls equal the non-streaming message (a tool call cut by max_tokens: as designed)", check_stream_text_fidelity),
    Check("completions_ids", "/v1/completions: per-choice prompt_token_ids and token_ids, streamed once each; echo; id prompts; n=2; false = the stock release's keys", check_completions_ids),
    Check("flag_validation", "return_token_ids validated as Optional[bool] on chat and completions: lax spellings accepted, others a 400 naming the field", check_flag_validation),
    Check("upstream_id_fields", "releases with chat ids of their own (0.5.20+): response_token_ids and sglext ids equal the contract's ids in the same request, streamed and not (skipped on v0.5.9)", check_upstream_id_fields),
    Check("stream_output_mode", "a server streaming output ids as deltas (the release's --stream-output / --incremental-streaming-output) gives the same ids", check_stream_output_mode),
]

CHECK_NAMES = [c.name for c in ALL_CHECKS]


@dataclass
class CheckResult:
    name: str
    description: str
    status: str  # "passed" | "failed" | "skipped"
    seconds: float
    problems: List[str] = field(default_factory=list)
    skip_reason: Optional[str] = None
    details: Dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> Dict[str, Any]:
        return asdict(self)


def run_one(check: Check, ctx: CheckContext) -> CheckResult:
    start = time.monotonic()

    def result(status: str, **kw) -> CheckResult:
        return CheckResult(check.name, check.description, status, round(time.monotonic() - start, 3), **kw)

    try:
        details = check.run(ctx) or {}
        return result("passed", details=details)
    except SkipCheck as e:
        return result("skipped", skip_reason=str(e))
    except CheckFailed as e:
        return result("failed", problems=e.problems)
    except HttpError as e:
        return result("failed", problems=[str(e)])
    except Exception as e:  # a crash inside a check (KeyError on a missing field, a dropped connection) is a failure
        tb = traceback.format_exception_only(type(e), e)[-1].strip()
        return result("failed", problems=[f"error while checking: {tb}"])


def select_checks(only: Optional[Iterable[str]] = None, skip: Optional[Iterable[str]] = None) -> List[Check]:
    only = list(only or [])
    skip = list(skip or [])
    unknown = [n for n in only + skip if n not in CHECK_NAMES]
    if unknown:
        raise ValueError(f"unknown check name(s) {unknown}; known: {', '.join(CHECK_NAMES)}")
    return [c for c in ALL_CHECKS if (not only or c.name in only) and c.name not in skip]


def run_checks(
    ctx: CheckContext,
    checks: Optional[List[Check]] = None,
    on_result: Optional[Callable[[CheckResult], None]] = None,
) -> List[CheckResult]:
    results = []
    for check in checks if checks is not None else ALL_CHECKS:
        r = run_one(check, ctx)
        results.append(r)
        if on_result:
            on_result(r)
    return results
