"""What the suite must know per SGLang release: the server flags it launches with and the
stock response keys ``return_token_ids: false`` must reproduce.

The release comes from ``--sglang-version`` (build-image passes the patch set's version;
verify-image the image's label), else from the server (``/get_server_info``'s ``version``
with ``--server-url``), else from the installed ``sglang`` distribution's metadata (read
without importing sglang).

Flags, from each release's own argument definitions:
- 0.5.9 ``server_args.py``: ``--stream-output`` (field ``stream_output``).
- 0.5.10.post1 ``server_args.py``: already field ``incremental_streaming_output``, registered
  as ``--incremental-streaming-output``, with ``--stream-output`` a deprecated alias of it
  (``DeprecatedStoreTrueAction``), as in 0.5.16.
- 0.5.12, 0.5.13.post1 (l.5059), 0.5.15.post1 and 0.5.16 ``server_args.py``: the same.
- 0.5.19 ``server_args.py`` l.3855: ``--stream-output`` still the deprecated alias of
  ``--incremental-streaming-output``.
- 0.5.20 ``arg_groups/fields/serving.py``: ``incremental_streaming_output`` only, as 0.5.23
  (the arg groups came in 0.5.20; ``--stream-output`` is not registered).
- 0.5.23 ``arg_groups/fields/serving.py``: ``incremental_streaming_output`` only;
  ``--stream-output`` is not registered any more, so launching with it is an argparse error.
Releases between 0.5.9 and 0.5.10, and 0.5.11, were not read: ``--stream-output`` is
the spelling every read release before 0.5.23 accepts, so it is used below 0.5.12 except on
the releases read to have the new flag (INCREMENTAL_STREAMING_RELEASES).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from . import stock_keys

_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:[.+-]?(.*))?$")

# First release whose own name for the flag is --incremental-streaming-output...
INCREMENTAL_STREAMING_SINCE = (0, 5, 12)
# ...and earlier releases read to register it already (0.5.10.post1 server_args.py l.4139;
# 0.5.10's server_args.py is the same file).
INCREMENTAL_STREAMING_RELEASES = {"0.5.10", "0.5.10.post1"}
# Releases judged by another's key table because their serving code is that release's byte
# for byte (diff -r of the unpacked wheels: 0.5.10 and 0.5.10.post1 differ only in _version.py
# and the flashinfer version engine.py and utils/common.py ask for).
SAME_SERVING_CODE = {"0.5.10": "0.5.10.post1"}
# Releases whose stock /tokenize already renders `messages` (0.5.23 protocol.py TokenizeRequest:
# messages, tools, chat_template_kwargs, add_generation_prompt; no return_token_strs/token_strs);
# v0.5.9's and 0.5.10.post1's (the same serving_tokenize.py) take only `prompt`; 0.5.12's,
# 0.5.13.post1's, 0.5.15.post1's, 0.5.19's and 0.5.20's (0.5.19's serving_tokenize.py) render `messages` (tools, continue_final_message,
# chat_template_kwargs; no add_generation_prompt field, always rendered as a chat completion; no
# return_token_strs/token_strs). Other releases were not read. The tokenize_chat check judges
# all the same way (vLLM's fields); this only tells its report what stock lacks. Keyed by the
# key table's release (0.5.15 for 0.5.15.post1).
STOCK_TOKENIZE_CHAT_FORM = {"0.5.12", "0.5.13", "0.5.15", "0.5.19", "0.5.20", "0.5.23"}
# Releases whose non-streamed answer to a tool call cut by max_tokens is the raw text as
# content: 0.5.9, 0.5.10.post1, 0.5.12, 0.5.13(.post1) and 0.5.15(.post1) (FunctionCallParser.parse_non_stream
# returns the full text when no call parsed; no incomplete-call drop yet; read). 0.5.19's,
# 0.5.20's and 0.5.23's _process_tool_calls drop the incomplete call and keep the normal text only.
CUT_TOOL_CALL_KEEPS_RAW_TEXT = {"0.5.9", "0.5.10.post1", "0.5.12", "0.5.13", "0.5.15"}
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
    if version.strip().lstrip("v") in INCREMENTAL_STREAMING_RELEASES:
        return "--incremental-streaming-output"
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
    # A tool call cut by max_tokens, non-streamed: v0.5.9 (and 0.5.10.post1, 0.5.12,
    # 0.5.15.post1: CUT_TOOL_CALL_KEEPS_RAW_TEXT) answers the raw text as content; 0.5.23's
    # _process_tool_calls drops the incomplete call and keeps the normal text only
    # (parse_non_stream's `or has_tool_call`).
    cut_tool_call_keeps_raw_text: bool

    def template_tools(self, tools: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """The tool dicts this release's server hands the chat template for ``tools`` as sent
        (``[tool.model_dump() for tool in request.tools]``), so the suite renders the prompt the
        server renders. v0.5.9: ``Tool`` is type + function (scenarios.py writes tools in that
        full shape); 0.5.10.post1's ``Tool`` and ``Function`` are v0.5.9's. 0.5.12: as v0.5.9
        (``Function`` dumps ``strict`` and drops an unset ``defer_loading``), and ``Tool`` dumps
        ``defer_loading``, null included, after ``function``. 0.5.23: ``Function`` keeps the
        client's keys and order and drops unset
        ``strict``/``defer_loading``, but ``Tool`` gained ``defer_loading`` and dumps it, null
        included, after ``function``. 0.5.15.post1 (and 0.5.13.post1: the same models): ``Function`` dumps its own fields in its
        order (description, name, parameters, strict; ``defer_loading`` only when set) and
        ``Tool`` adds ``defer_loading`` as 0.5.23's. 0.5.19: the same, the tool's
        ``defer_loading`` copied into the function when it has none
        (``Tool._propagate_defer_loading``); 0.5.20's ``Tool``/``Function`` are 0.5.19's."""
        if self.stock_keys.release in ("0.5.9", "0.5.10.post1"):
            return [dict(t) for t in tools]
        if self.stock_keys.release == "0.5.12":
            return [{**dict(t), "defer_loading": t.get("defer_loading")} for t in tools]
        if self.stock_keys.release in ("0.5.13", "0.5.15"):
            return [_tool_with_own_function(t, tool_defer_fills_in=False) for t in tools]
        if self.stock_keys.release in ("0.5.19", "0.5.20"):
            return [_tool_with_own_function(t, tool_defer_fills_in=True) for t in tools]
        return [{"type": t.get("type", "function"), "function": t["function"], "defer_loading": t.get("defer_loading")} for t in tools]


def _tool_with_own_function(tool: Dict[str, Any], tool_defer_fills_in: bool) -> Dict[str, Any]:
    """``Tool.model_dump()`` of 0.5.15.post1 and 0.5.19 (protocol.py Function/Tool): ``Function``
    dumps every field in declaration order, ``defer_loading`` only when set (its serializer drops
    a None); ``Tool`` adds its own ``defer_loading`` after ``function``. 0.5.19 also copies the
    tool's ``defer_loading`` into a function that has none (``Tool._propagate_defer_loading``)."""
    fn = tool["function"]
    out = {"description": fn.get("description"), "name": fn["name"], "parameters": fn.get("parameters"),
           "strict": fn.get("strict", False)}
    defer = fn.get("defer_loading")
    if defer is None and tool_defer_fills_in:
        defer = tool.get("defer_loading")
    if defer is not None:
        out["defer_loading"] = defer
    return {"type": tool.get("type", "function"), "function": out, "defer_loading": tool.get("defer_loading")}


def release_for(version: str) -> Release:
    """The release profile for an SGLang version; a post release (0.5.9.post1) uses its base
    release's key table. Unknown releases are refused rather than judged by another's keys."""
    base = ".".join(str(x) for x in parse_version(version))
    # A post release with a key table of its own (0.5.10.post1) is its own base.
    if version.strip().lstrip("v") in stock_keys.SHAPES_BY_RELEASE:
        base = version.strip().lstrip("v")
    base = SAME_SERVING_CODE.get(base, base)
    shapes = stock_keys.SHAPES_BY_RELEASE.get(base)
    if shapes is None:
        known = ", ".join(sorted(stock_keys.SHAPES_BY_RELEASE, key=parse_version))
        raise UnknownRelease(f"SGLang {version}: the verify suite knows the stock response keys of {known} only")
    return Release(version=version, stream_output_flag=stream_output_flag(version), stock_keys=stock_keys.KeyTable(base, shapes),
                   upstream_id_fields=parse_version(version) >= UPSTREAM_ID_FIELDS_SINCE,
                   stock_tokenize_chat_form=base in STOCK_TOKENIZE_CHAT_FORM,
                   cut_tool_call_keeps_raw_text=base in CUT_TOOL_CALL_KEEPS_RAW_TEXT)


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
