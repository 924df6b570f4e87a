"""Verify suite for the token-ids contract of patched SGLang (v0.5.9 and 0.5.23; the release
under test picks its server flags and stock keys, see ``releases.py``).

Usable two ways:
- as a program: ``python3 -m tokenids_verify (--model-path M | --server-url URL) ...``
  (see ``cli.py``), which starts or attaches to a server, runs every check and writes a report;
- as a library: build a :class:`CheckContext` around a :class:`ChatClient` and a tokenizer and
  call the check functions in :data:`ALL_CHECKS` (or :func:`run_checks`) from your own tests,
  adding your own expectations on the evidence each check returns.

The contract is docs/token-ids-contract.md in the project's shared docs.
"""

from .client import ChatClient, HttpError
from .context import CheckContext, CheckFailed, SkipCheck
from .runner import ALL_CHECKS, CheckResult, run_checks
from .stream_assembly import StreamAssembly, assemble_stream

__all__ = [
    "ALL_CHECKS",
    "ChatClient",
    "CheckContext",
    "CheckFailed",
    "CheckResult",
    "HttpError",
    "SkipCheck",
    "StreamAssembly",
    "assemble_stream",
    "run_checks",
]
