"""What every check receives: the client, the model's tokenizer, the server's parsers, and
memoized shared requests (several checks judge the same greedy request from different sides;
sending it once keeps a GPU run short and makes the checks compare the very same responses).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, ContextManager, Dict, List, Optional

from .client import ChatClient
from .releases import Release, installed_sglang_version, release_for
from .scenarios import chat_body
from .tokenizer import ModelTokenizer


class CheckFailed(AssertionError):
    """A contract violation. ``problems`` lists every violation the check found."""

    def __init__(self, problems: List[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class SkipCheck(Exception):
    """The check cannot run here; the message is the stated reason."""


def fail_if(problems: List[str]) -> None:
    if problems:
        raise CheckFailed(problems)


# Starts a server like the one under test but streaming output ids as deltas (--stream-output,
# or --incremental-streaming-output from 0.5.16) and yields a client for it; the CLI provides
# one when it launched the server itself.
StreamOutputServerFactory = Callable[[], ContextManager[ChatClient]]


@dataclass
class CheckContext:
    client: ChatClient
    tokenizer: ModelTokenizer
    tool_call_parser: Optional[str] = None
    reasoning_parser: Optional[str] = None
    # max_tokens of the shared greedy requests: long enough for real text, short enough for a
    # quick GPU run.
    max_tokens: int = 48
    concurrency: int = 16
    # With a real GPU engine, batched greedy decoding may pick different tokens than a solo
    # request (numerics); the concurrent check then only demands self-consistency. Scripted
    # engines are exact and may set this to also demand identity with the solo request.
    strict_concurrency: bool = False
    # chat_template_kwargs that switch thinking off, for the requests whose text is compared
    # with their ids (a thinking model would otherwise put <think>...</think> in every answer;
    # reasoning_ids checks thinking itself). None: send no chat_template_kwargs.
    no_thinking_kwargs: Optional[Dict[str, Any]] = None
    # The SGLang release under test: its stock keys are what return_token_ids=false must give.
    # None (library use): the installed sglang distribution's version, else an error.
    release: Optional[Release] = None
    stream_output_server: Optional[StreamOutputServerFactory] = None
    stream_output_unavailable_reason: str = "no way to start a --stream-output server was given"
    _memo: Dict[str, Any] = field(default_factory=dict)
    _memo_lock: threading.Lock = field(default_factory=threading.Lock)

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """Computes once per key; a failure is remembered and re-raised to every caller."""
        with self._memo_lock:
            if key in self._memo:
                ok, value = self._memo[key]
                if ok:
                    return value
                raise value
        try:
            value = compute()
        except Exception as e:  # re-raised to each check that depends on this request
            with self._memo_lock:
                self._memo[key] = (False, e)
            raise
        with self._memo_lock:
            self._memo[key] = (True, value)
        return value

    def require_release(self) -> Release:
        if self.release is None:
            installed = installed_sglang_version()
            if installed is None:
                raise CheckFailed(["the SGLang release under test is unknown: set CheckContext.release "
                                   "(tokenids_verify.releases.release_for(VERSION)) or pass --sglang-version"])
            self.release = release_for(installed)
        return self.release

    def chat_body(self, messages: List[Dict[str, Any]], max_tokens: int, **kw: Any) -> Dict[str, Any]:
        """A request body for the non-reasoning checks (see no_thinking_kwargs)."""
        if self.no_thinking_kwargs:
            kw.setdefault("chat_template_kwargs", dict(self.no_thinking_kwargs))
        return chat_body(messages, max_tokens, **kw)

    def render_chat(self, messages: List[Dict[str, Any]], tools: Optional[List[Dict[str, Any]]] = None) -> List[int]:
        """The tokenizer's own rendering of a chat_body() request's prompt."""
        # The server renders the tools as its release dumps them (Release.template_tools).
        rendered = self.require_release().template_tools(tools) if tools else tools
        return self.tokenizer.render_chat(messages, rendered, **(self.no_thinking_kwargs or {}))

    def with_client(self, client: ChatClient) -> "CheckContext":
        """The same settings against another server (fresh memo)."""
        return CheckContext(
            client=client,
            tokenizer=self.tokenizer,
            tool_call_parser=self.tool_call_parser,
            reasoning_parser=self.reasoning_parser,
            max_tokens=self.max_tokens,
            concurrency=self.concurrency,
            strict_concurrency=self.strict_concurrency,
            no_thinking_kwargs=self.no_thinking_kwargs,
            release=self.release,
        )
