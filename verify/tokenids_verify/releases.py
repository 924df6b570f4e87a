"""What the suite must know per SGLang release: the server flags it launches with and the
stock response keys ``return_token_ids: false`` must reproduce.

The release comes from ``--sglang-version`` (build-image passes the patch set's version;
verify-image the image's label), else from the server (``/get_server_info``'s ``version``
with ``--server-url``), else from the installed ``sglang`` distribution's metadata (read
without importing sglang).

Flags, from each release's own argument definitions:
- 0.5.9 ``server_args.py``: ``--stream-output`` (field ``stream_output``).
- 0.5.16 ``server_args.py``: field ``incremental_streaming_output`` and ``--stream-output``
  kept as a deprecated alias of it (``DeprecatedStoreTrueAction``).
- 0.5.19 ``server_args.py`` l.3855: ``--stream-output`` still the deprecated alias of
  ``--incremental-streaming-output``.
- 0.5.23 ``arg_groups/fields/serving.py``: ``incremental_streaming_output`` only;
  ``--stream-output`` is not registered any more, so launching with it is an argparse error.
Releases between 0.5.9 and 0.5.16 were not read: ``--stream-output`` is the spelling every
read release before 0.5.23 accepts, so it is used below 0.5.16.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from . import stock_keys

_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:[.+-]?(.*))?$")

# First release whose own name for the flag is --incremental-streaming-output.
INCREMENTAL_STREAMING_SINCE = (0, 5, 16)
# Releases whose stock /tokenize already renders `messages` (0.5.23 protocol.py TokenizeRequest:
# messages, tools, chat_template_kwargs, add_generation_prompt; no return_token_strs/token_strs;
# 0.5.19's: the same without add_generation_prompt, always rendered as a chat completion);
# v0.5.9's takes only `prompt`. Other releases were not read. The tokenize_chat check judges
# both the same way (vLLM's fields); this only tells its report what stock lacks.
STOCK_TOKENIZE_CHAT_FORM = {"0.5.19", "0.5.23"}
# First release with upstream's own chat ids in both places the upstream_id_fields check reads:
# choices[].response_token_ids (0.5.18) and sglext.input_ids/output_ids (0.5.20).
UPSTREAM_ID_FIELDS_SINCE = (0, 5, 20)


class UnknownRelease(ValueError):
    """A version the suite has no key table for, or a string that is not a version."""


def parse_version(version: str) -> Tuple[int, int, int]:
    m = _VERSION.match(version.strip())
    if not m:
        raise UnknownRelease(f"{version!r} is not an SGLang version (like 0.5.9 or 0.5.10.post1)")
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def stream_output_flag(version: str) -> str:
    """The launch_server flag that makes the engine stream output ids as deltas."""
    return "--incremental-streaming-output" if parse_version(version) >= INCREMENTAL_STREAMING_SINCE else "--stream-output"


@dataclass(frozen=True)
class Release:
    version: str
    stream_output_flag: str
    # The stock response keys ``return_token_ids: false`` must give (stock_keys.py).
    stock_keys: stock_keys.KeyTable
    # Whether stock chat has its own id fields (response_token_ids, sglext ids) to keep working.
    upstream_id_fields: bool
    # Whether stock /tokenize has a chat form of its own (STOCK_TOKENIZE_CHAT_FORM).
    stock_tokenize_chat_form: bool
    # A tool call cut by max_tokens, non-streamed: v0.5.9 answers the raw text as content;
    # 0.5.19's and 0.5.23's _process_tool_calls drop the incomplete call and keep the normal
    # text only.
    cut_tool_call_keeps_raw_text: bool

    def template_tools(self, tools: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """The tool dicts this release's server hands the chat template for ``tools`` as sent
        (``[tool.model_dump() for tool in request.tools]``), so the suite renders the prompt the
        server renders. v0.5.9: ``Tool`` is type + function (scenarios.py writes tools in that
        full shape). 0.5.23: ``Function`` keeps the client's keys and order and drops unset
        ``strict``/``defer_loading``, but ``Tool`` gained ``defer_loading`` and dumps it, null
        included, after ``function``. 0.5.19: ``Tool`` as 0.5.23's, but ``Function`` dumps its
        own fields in its own order (``description``, ``name``, ``parameters``, ``strict``
        (default false), then ``defer_loading`` only when set, the tool's copied in when the
        function has none: ``Tool._propagate_defer_loading``)."""
        if self.stock_keys.release == "0.5.9":
            return [dict(t) for t in tools]
        if self.stock_keys.release == "0.5.19":
            return [_v0_5_19_template_tool(t) for t in tools]
        return [{"type": t.get("type", "function"), "function": t["function"], "defer_loading": t.get("defer_loading")} for t in tools]


def _v0_5_19_template_tool(tool: Dict[str, Any]) -> Dict[str, Any]:
    """0.5.19's ``Tool.model_dump()`` of a tool sent as ``tool`` (protocol.py Function/Tool)."""
    fn = tool["function"]
    out = {"description": fn.get("description"), "name": fn["name"], "parameters": fn.get("parameters"),
           "strict": fn.get("strict", False)}
    defer = fn.get("defer_loading")
    if defer is None:
        defer = tool.get("defer_loading")
    if defer is not None:
        out["defer_loading"] = defer
    return {"type": tool.get("type", "function"), "function": out, "defer_loading": tool.get("defer_loading")}


def release_for(version: str) -> Release:
    """The release profile for an SGLang version; a post release (0.5.9.post1) uses its base
    release's key table. Unknown releases are refused rather than judged by another's keys."""
    base = ".".join(str(x) for x in parse_version(version))
    shapes = stock_keys.SHAPES_BY_RELEASE.get(base)
    if shapes is None:
        known = ", ".join(sorted(stock_keys.SHAPES_BY_RELEASE, key=parse_version))
        raise UnknownRelease(f"SGLang {version}: the verify suite knows the stock response keys of {known} only")
    return Release(version=version, stream_output_flag=stream_output_flag(version), stock_keys=stock_keys.KeyTable(base, shapes),
                   upstream_id_fields=parse_version(version) >= UPSTREAM_ID_FIELDS_SINCE,
                   stock_tokenize_chat_form=base in STOCK_TOKENIZE_CHAT_FORM,
                   cut_tool_call_keeps_raw_text=base == "0.5.9")


def installed_sglang_version() -> Optional[str]:
    """The version of the ``sglang`` this interpreter sees, without importing it (importing
    sglang takes seconds and may need a GPU): the distribution's metadata, else the
    ``__version__`` that setuptools-scm wrote into ``sglang/_version.py`` of the package
    PYTHONPATH finds first (a patched copy of the files has no metadata; metadata found
    elsewhere on the path could be another copy's). None if there is no sglang."""
    from importlib.metadata import PackageNotFoundError, version
    from importlib.util import find_spec

    try:
        spec = find_spec("sglang")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            m = _VERSION_PY.search(_read(os.path.join(folder, "_version.py")))
            if m:
                return m.group(1)
    try:
        return version("sglang")
    except PackageNotFoundError:
        return None


# setuptools-scm: `__version__ = version = '0.5.9'`
_VERSION_PY = re.compile(r"""^__version__\s*=\s*(?:version\s*=\s*)?["']([^"']+)["']""", re.M)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return ""
