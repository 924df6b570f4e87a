"""The suite's per-release knowledge, checked against the releases' own files (fetched from
PyPI by scripts/fetch-sglang.sh): the stream-output flag each release's argument parser
registers, and the stock response keys its protocol models serialize."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, Set, Tuple

import pytest

from tokenids_verify.releases import UnknownRelease, parse_version, release_for, stream_output_flag
from tokenids_verify.server import server_argv
from tokenids_verify.stock_keys import SHAPES_BY_RELEASE, chunk_key_problems, response_key_problems

ROOT = Path(__file__).resolve().parents[3]
# Cheap reads of each release's wheel: every release runs them (test_tiers).
pytestmark = pytest.mark.every_release
RELEASES = sorted(SHAPES_BY_RELEASE, key=parse_version)
# Key table -> the wheel it was read from, where that is a post release (slime pins 0.5.15.post1,
# NeMo-RL's bump 0.5.13.post1).
WHEELS = {"0.5.13": "0.5.13.post1", "0.5.15": "0.5.15.post1"}


def fetch(version: str) -> Path:
    """The unpacked wheel of an SGLang release. No skip: without PyPI this fails (team rules)."""
    version = WHEELS.get(version, version)
    out = subprocess.run(["bash", str(ROOT / "scripts/fetch-sglang.sh"), version], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip().splitlines()[-1]) / "sglang"


@pytest.fixture(scope="module", params=RELEASES)
def release_tree(request) -> Tuple[str, Path]:
    return request.param, fetch(request.param)


def test_the_patched_releases_are_known():
    assert RELEASES == ["0.5.9", "0.5.10.post1", "0.5.12", "0.5.13", "0.5.15", "0.5.19", "0.5.20", "0.5.23"]


@pytest.mark.parametrize("version,flag", [
    ("0.5.9", "--stream-output"),
    # read: 0.5.10.post1 registers --incremental-streaming-output (--stream-output its alias)
    ("0.5.10.post1", "--incremental-streaming-output"),
    ("v0.5.10.post1", "--incremental-streaming-output"),
    # read: 0.5.10's server_args.py is 0.5.10.post1's
    ("0.5.10", "--incremental-streaming-output"),
    # not read: 0.5.11 gets the old spelling, which every read release before 0.5.23 accepts
    ("0.5.11", "--stream-output"),
    ("0.5.12", "--incremental-streaming-output"),
    ("0.5.12.post1", "--incremental-streaming-output"),
    ("0.5.13", "--incremental-streaming-output"),
    ("0.5.13.post1", "--incremental-streaming-output"),
    ("0.5.14", "--incremental-streaming-output"),
    ("0.5.15", "--incremental-streaming-output"),
    ("0.5.15.post1", "--incremental-streaming-output"),
    ("0.5.16", "--incremental-streaming-output"),
    ("0.5.19", "--incremental-streaming-output"),
    ("0.5.20", "--incremental-streaming-output"),
    ("0.5.23", "--incremental-streaming-output"),
    ("v0.6.0", "--incremental-streaming-output"),
])
def test_stream_output_flag_by_version(version, flag):
    assert stream_output_flag(version) == flag


def test_unknown_release_and_garbage_are_refused():
    with pytest.raises(UnknownRelease, match="0.5.9, 0.5.10.post1, 0.5.12, 0.5.13, 0.5.15, 0.5.19, 0.5.20, 0.5.23"):
        release_for("0.5.17")
    with pytest.raises(UnknownRelease, match="not an SGLang version"):
        release_for("latest")
    assert release_for("0.5.9.post1").stock_keys.release == "0.5.9"
    # a post release with a table of its own is judged by it
    assert release_for("0.5.10.post1").stock_keys.release == "0.5.10.post1"
    # 0.5.10's serving code is 0.5.10.post1's byte for byte (SAME_SERVING_CODE)
    assert release_for("0.5.10").stock_keys.release == "0.5.10.post1"
    assert release_for("0.5.10").stream_output_flag == "--incremental-streaming-output"
    # NeMo-RL's pin: 0.5.12's tables (its serving files are 0.5.12's byte for byte)
    assert release_for("0.5.12.post1").stock_keys.release == "0.5.12"
    assert release_for("0.5.15.post1").stock_keys.release == "0.5.15"
    # NeMo-RL's bump: 0.5.13.post1 and 0.5.13 (the same serving code) are judged by 0.5.13's
    assert release_for("0.5.13.post1").stock_keys.release == "0.5.13"
    assert release_for("0.5.13").stock_keys.release == "0.5.13"


def test_server_argv_uses_the_release_flag():
    argv = server_argv("sglang", "/m", "127.0.0.1", 1, stream_output_flag=release_for("0.5.23").stream_output_flag)
    assert argv[-1] == "--incremental-streaming-output" and "--stream-output" not in argv
    assert "--stream-output" in server_argv("sglang", "/m", "127.0.0.1", 1, stream_output_flag=release_for("0.5.9").stream_output_flag)
    plain = server_argv("sglang", "/m", "127.0.0.1", 1)
    assert not any("stream" in a for a in plain)


def _registered_flags(tree: Path) -> Set[str]:
    """Every "--flag" string literal in the release's argument definitions, plus the flags its
    dataclass fields become (0.5.16+ declares fields and derives --kebab-case names)."""
    files = [tree / "srt/server_args.py", *sorted((tree / "srt/arg_groups").rglob("*.py"))]
    flags: Set[str] = set()
    for f in files:
        if not f.exists():
            continue
        text = f.read_text()
        flags |= set(re.findall(r'"(--[a-z0-9-]+)"', text))
        if "arg_groups/fields" in str(f) or f.name == "server_args.py":
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    flags.add("--" + node.target.id.replace("_", "-"))
    return flags


def test_the_flag_is_what_the_release_registers(release_tree):
    version, tree = release_tree
    flags = _registered_flags(tree)
    assert release_for(version).stream_output_flag in flags
    if version in ("0.5.20", "0.5.23"):
        # removed there (0.5.20's arg groups): launching with it would be an argparse error
        assert "--stream-output" not in flags
    if version == "0.5.15":
        # its own name, with --stream-output kept as a deprecated alias
        assert {"--incremental-streaming-output", "--stream-output"} <= flags
    if version == "0.5.19":
        # still registered there, as the deprecated alias (the suite launches with the new name)
        assert "--stream-output" in flags


# table name -> protocol.py class
CLASSES = {
    "response": "ChatCompletionResponse", "choice": "ChatCompletionResponseChoice", "message": "ChatMessage",
    "chunk": "ChatCompletionStreamResponse", "stream_choice": "ChatCompletionResponseStreamChoice", "delta": "DeltaMessage",
    "usage": "UsageInfo", "tool_call": "ToolCall", "function": "FunctionResponse", "completion": "CompletionResponse",
    "completion_chunk": "CompletionStreamResponse", "completion_choice": "CompletionResponseChoice",
}
# Dropped-when-None fields a request without ids never sets (the opt-out checks ask for none).
ASKED_FOR_ONLY = {"prompt_token_ids", "response_token_ids", "token_ids", "meta_info"}


def _model_fields(protocol: Path) -> Dict[str, Tuple[Set[str], Set[str], Set[str]]]:
    """class -> (fields, fields its serializer drops when None, fields it drops from data["delta"])."""
    out = {}
    for node in ast.parse(protocol.read_text()).body:
        if not isinstance(node, ast.ClassDef):
            continue
        fields = {s.target.id for s in node.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)}
        popped, delta_popped = set(), set()
        for call in ast.walk(node):
            if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "pop"
                    and call.args and isinstance(call.args[0], ast.Constant)):
                owner = call.func.value
                if isinstance(owner, ast.Subscript):
                    delta_popped.add(call.args[0].value)
                else:
                    popped.add(call.args[0].value)
        out[node.name] = (fields, popped, delta_popped)
    return out


# table name -> msgspec struct that encodes text and reasoning chunks: 0.5.23's sse_utils.py
# StreamChunk..., 0.5.12's serving_chat.py _StreamChunk... (file -> prefix of the names)
# Releases with such an encoder (0.5.9 and 0.5.10.post1 have none).
MSGSPEC_CHUNK_RELEASES = {"0.5.12", "0.5.13", "0.5.15", "0.5.19", "0.5.20", "0.5.23"}
STRUCTS = {"chunk": "StreamChunk", "stream_choice": "StreamChoice", "delta": "StreamDelta"}
STRUCT_FILES = {"sse_utils.py": "", "serving_chat.py": "_"}


def _msgspec_shapes(sse_utils: Path) -> Dict[str, Tuple[Set[str], Set[str]]]:
    """struct -> (keys always encoded, every key): with omit_defaults=True a field that has a
    default is left out when it holds it."""
    out = {}
    for node in ast.parse(sse_utils.read_text()).body:
        if not isinstance(node, ast.ClassDef):
            continue
        omit = any(k.arg == "omit_defaults" and isinstance(k.value, ast.Constant) and k.value.value for k in node.keywords)
        fields = [s for s in node.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)]
        always = {f.target.id for f in fields if not omit or f.value is None}
        out[node.name] = (always, {f.target.id for f in fields})
    return out


def test_stock_key_tables_match_the_release_models(release_tree):
    """Every encoding of a response part the release has (pydantic models; 0.5.23 also msgspec
    structs for stream chunks): the table requires what all of them always send and allows
    what any of them may send, except the ids a request must ask for."""
    version, tree = release_tree
    models = _model_fields(tree / "srt/entrypoints/openai/protocol.py")
    structs = {}
    for name, prefix in STRUCT_FILES.items():
        found = _msgspec_shapes(tree / "srt/entrypoints/openai" / name) if (tree / "srt/entrypoints/openai" / name).exists() else {}
        structs.update({k.removeprefix(prefix): v for k, v in found.items() if k.removeprefix(prefix) in STRUCTS.values()})
    assert bool(structs) == (version in MSGSPEC_CHUNK_RELEASES), "a msgspec chunk encoder where (and only where) read"
    table = SHAPES_BY_RELEASE[version]
    delta_dropped = models[CLASSES["stream_choice"]][2]
    for name, cls in CLASSES.items():
        fields, popped, _ = models[cls]
        if name == "delta":
            popped = popped | delta_dropped
        always, every = fields - popped, set(fields)
        if name in STRUCTS and STRUCTS[name] in structs:
            s_always, s_every = structs[STRUCTS[name]]
            always, every = always & s_always, every | s_every
        required, optional = table[name]
        assert set(required) == always, (version, name)
        assert set(optional) <= every - always, (version, name)
        assert every - always - set(optional) <= ASKED_FOR_ONLY, (version, name, every - always - set(optional))


def _stock_response(release: str) -> dict:
    usage = {"prompt_tokens": 3, "total_tokens": 5, "completion_tokens": 2, "prompt_tokens_details": None, "reasoning_tokens": 0}
    message = {"role": "assistant", "content": "hi", "reasoning_content": None}
    if release == "0.5.23":
        usage["completion_tokens_details"] = None
    else:
        message["tool_calls"] = None
    return {"id": "x", "object": "chat.completion", "created": 1, "model": "m", "metadata": None, "usage": usage,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": "stop", "matched_stop": None}]}


RESPONSE_TABLES = ("response", "choice", "message", "usage")


@pytest.mark.parametrize("release", RELEASES)
def test_opt_out_tables_tell_the_releases_apart(release):
    # (0.5.10.post1's tables are v0.5.9's, and 0.5.12's and 0.5.15.post1's non-streamed response
    # tables too: only their chunks tell them apart) the other release is one whose response
    # tables differ.
    other = next(r for r in RELEASES if any(
        SHAPES_BY_RELEASE[r][t] != SHAPES_BY_RELEASE[release][t] for t in RESPONSE_TABLES))
    resp = _stock_response(release)
    assert response_key_problems(release_for(release).stock_keys, resp, "r") == []
    problems = response_key_problems(release_for(other).stock_keys, resp, "r")
    assert problems and all(f"v{other}" in p for p in problems), problems
    # upstream's own per-choice ids (0.5.23) are not stock keys of a request that did not ask for them
    resp["choices"][0]["response_token_ids"] = [1, 2]
    assert any("response_token_ids" in p for p in response_key_problems(release_for(release).stock_keys, resp, "r"))


def test_msgspec_text_chunk_is_stock_only_from_0_5_12():
    """0.5.12's, 0.5.15.post1's, 0.5.19's and 0.5.23's text chunks (msgspec, omit_defaults): no
    usage, no role, no tool_calls."""
    chunk = {"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m",
             "choices": [{"index": 0, "delta": {"reasoning_content": None, "content": "a"},
                          "logprobs": None, "finish_reason": None, "matched_stop": None}]}
    assert chunk_key_problems(release_for("0.5.23").stock_keys, chunk, "c") == []
    assert chunk_key_problems(release_for("0.5.12").stock_keys, chunk, "c") == []
    assert chunk_key_problems(release_for("0.5.15.post1").stock_keys, chunk, "c") == []
    assert chunk_key_problems(release_for("0.5.19").stock_keys, chunk, "c") == []
    assert chunk_key_problems(release_for("0.5.20").stock_keys, chunk, "c") == []
    assert chunk_key_problems(release_for("0.5.9").stock_keys, chunk, "c") == [
        "c: keys stock v0.5.9 always sends are missing: ['usage']",
        "c.choices[0].delta: keys stock v0.5.9 always sends are missing: ['role', 'tool_calls']"]
    # a key of neither encoding is still caught
    chunk["choices"][0]["token_ids"] = [5]
    for release in ("0.5.19", "0.5.20", "0.5.23"):
        assert chunk_key_problems(release_for(release).stock_keys, chunk, "c") == [
            f"c.choices[0]: keys not in stock v{release}: ['token_ids']"]


def test_template_tools_are_what_each_release_dumps():
    from tokenids_verify.scenarios import WEATHER_TOOL
    assert release_for("0.5.9").template_tools([WEATHER_TOOL]) == [WEATHER_TOOL]
    for release in ("0.5.12", "0.5.23"):
        (t,) = release_for(release).template_tools([WEATHER_TOOL])
        assert list(t) == ["type", "function", "defer_loading"] and t["defer_loading"] is None
        assert t["function"] == WEATHER_TOOL["function"]
    (t,) = release_for("0.5.15.post1").template_tools([WEATHER_TOOL])
    assert list(t) == ["type", "function", "defer_loading"] and t["defer_loading"] is None
    # its Function dumps every field in declaration order, whatever the client sent
    assert list(t["function"]) == ["description", "name", "parameters", "strict"]
    assert t["function"]["name"] == WEATHER_TOOL["function"]["name"]
    # 0.5.19's (and 0.5.20's) Function dumps its own fields in its own order, strict false by default
    for release in ("0.5.19", "0.5.20"):
        (t,) = release_for(release).template_tools([WEATHER_TOOL])
        assert list(t) == ["type", "function", "defer_loading"] and t["defer_loading"] is None
        assert list(t["function"]) == ["description", "name", "parameters", "strict"]
        assert t["function"]["strict"] is False
        assert {k: t["function"][k] for k in WEATHER_TOOL["function"]} == WEATHER_TOOL["function"]
        (t,) = release_for(release).template_tools([dict(WEATHER_TOOL, defer_loading=True)])
        assert t["defer_loading"] is True and t["function"]["defer_loading"] is True


def test_installed_version_is_read_from_the_copy_on_the_path_first(tmp_path):
    """A patched copy of the files has no metadata: its _version.py says the release, even when
    another copy's metadata is on the path too."""
    pkg = tmp_path / "sglang"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("raise RuntimeError('not imported')\n")
    (pkg / "_version.py").write_text("__version__ = version = '0.5.23'\n")
    code = "from tokenids_verify.releases import installed_sglang_version as f; print(f())"
    env = {"PYTHONPATH": f"{ROOT / 'verify'}:{tmp_path}:{fetch('0.5.9').parent}", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0.5.23"
    env["PYTHONPATH"] = f"{ROOT / 'verify'}:{fetch('0.5.9').parent}"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0.5.9"


# --- upstream_id_fields: a scripted client answering as a patched 0.5.23 would, or not ---

class _Sse:
    def __init__(self, events):
        self.events, self.done = events, True


class _Stream:
    def __init__(self, events):
        self.status, self.sse = 200, _Sse(events)

    @property
    def chunks(self):
        return self.sse.events


class Patched0523:
    """Both shapes in one request: the contract's ids and upstream's own, equal."""

    PROMPT, OUT = [1, 2, 3], [[7, 8, 9], [7, 8, 9]]

    def __init__(self, break_what=None):
        self.break_what = break_what
        self.bodies = []

    def chat(self, body):
        self.bodies.append(body)
        out = [list(o) for o in self.OUT]
        response_ids = [list(o) for o in out]
        if self.break_what == "response_token_ids":
            response_ids[1] = response_ids[1][:-1]
        return {"prompt_token_ids": self.PROMPT, "sglext": {"input_ids": self.PROMPT, "output_ids": out},
                "choices": [{"index": i, "token_ids": out[i], "prompt_token_ids": self.PROMPT, "response_token_ids": response_ids[i]}
                            for i in range(2)]}

    def chat_stream(self, body):
        self.bodies.append(body)
        events = [{"choices": [{"index": i, "delta": {"role": "assistant"}}], "prompt_token_ids": self.PROMPT} for i in range(2)]
        events += [{"choices": [{"index": i, "delta": {"content": "x"}, "token_ids": [t]}]} for i in range(2) for t in self.OUT[i]]
        final_out = [list(o) for o in self.OUT]
        if self.break_what == "stream_sglext":
            final_out[0] = final_out[0][:1]
        if self.break_what != "no_final_chunk":
            events.append({"choices": [], "sglext": {"input_ids": self.PROMPT, "output_ids": final_out}})
        events.append({"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 6}})
        return _Stream(events)


def _ctx(client, tok, version):
    from tokenids_verify.context import CheckContext
    return CheckContext(client=client, tokenizer=tok, release=release_for(version))


def test_upstream_id_fields_passes_on_a_patched_0_5_23(byte_tokenizer):
    from tokenids_verify.checks.upstream_fields import check_upstream_id_fields
    client = Patched0523()
    assert check_upstream_id_fields(_ctx(client, byte_tokenizer, "0.5.23"))["release"] == "0.5.23"
    assert all(b["return_token_ids"] is True and b["return_output_ids_in_sglext"] is True and b["n"] == 2 for b in client.bodies)


@pytest.mark.parametrize("break_what,needle", [
    ("response_token_ids", "non-stream choice 1: response_token_ids vs token_ids"),
    ("stream_sglext", "stream choice 0: sglext.output_ids vs the streamed token_ids"),
    ("no_final_chunk", "0 chunks with sglext ids"),
])
def test_upstream_id_fields_fails_when_upstream_ids_disagree(byte_tokenizer, break_what, needle):
    from tokenids_verify.checks.upstream_fields import check_upstream_id_fields
    from tokenids_verify.context import CheckFailed
    with pytest.raises(CheckFailed) as e:
        check_upstream_id_fields(_ctx(Patched0523(break_what), byte_tokenizer, "0.5.23"))
    assert any(needle in p for p in e.value.problems), e.value.problems


def test_upstream_id_fields_is_skipped_with_its_reason_on_0_5_9(byte_tokenizer):
    from tokenids_verify.checks.upstream_fields import check_upstream_id_fields
    from tokenids_verify.context import SkipCheck
    client = Patched0523()
    with pytest.raises(SkipCheck, match="stock v0.5.9 has no id fields of its own"):
        check_upstream_id_fields(_ctx(client, byte_tokenizer, "0.5.9"))
    assert client.bodies == []
    assert release_for("0.5.23").upstream_id_fields and not release_for("0.5.9").upstream_id_fields
    # 0.5.19 has response_token_ids but no sglext ids yet (0.5.20): nothing to compare both with
    assert not release_for("0.5.19").upstream_id_fields
    # 0.5.20: both (sglext input_ids/output_ids came in 0.5.20)
    assert release_for("0.5.20").upstream_id_fields


def test_template_tool_keys_are_the_release_tool_model_dump(release_tree):
    """Tool.model_dump() of each release (what its server hands the chat template): its fields in
    order, none dropped by a serializer, the function as sent (0.5.23's Function keeps the sent
    keys; v0.5.9's tools are written in its full dump shape)."""
    from tokenids_verify.scenarios import WEATHER_TOOL
    version, tree = release_tree
    tool = next(n for n in ast.parse((tree / "srt/entrypoints/openai/protocol.py").read_text()).body
                if isinstance(n, ast.ClassDef) and n.name == "Tool")
    fields = [s.target.id for s in tool.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)]
    assert not any(isinstance(n, ast.FunctionDef) and n.name == "_serialize" for n in tool.body)
    (rendered,) = release_for(version).template_tools([WEATHER_TOOL])
    assert list(rendered) == fields
    if version in ("0.5.19", "0.5.20"):
        # its Function's fields in order, defer_loading dropped when None by its serializer
        function = next(n for n in ast.parse((tree / "srt/entrypoints/openai/protocol.py").read_text()).body
                        if isinstance(n, ast.ClassDef) and n.name == "Function")
        fn_fields = [s.target.id for s in function.body if isinstance(s, ast.AnnAssign)]
        assert list(rendered["function"]) == [f for f in fn_fields if f != "defer_loading"]


def test_cut_tool_call_content_follows_the_release(release_tree):
    """0.5.19's, 0.5.20's and 0.5.23's non-streaming tool handling drops an incomplete call (content = the
    normal text): their serving_chat drops it and their parse_non_stream returns the normal
    text for a call marker without a complete call. v0.5.9, 0.5.10.post1, 0.5.12 and
    0.5.15.post1 have neither and answer the raw text (measured on the real 0.5.15.post1
    engine: the verify suite's cut check)."""
    version, tree = release_tree
    source = (tree / "srt/entrypoints/openai/serving_chat.py").read_text()
    parser = (tree / "srt/function_call/function_call_parser.py").read_text()
    drops = "dropping the incomplete call" in source and "if tool_call_list or has_tool_call:" in parser
    assert release_for(version).cut_tool_call_keeps_raw_text is not drops
    assert drops == (version in ("0.5.19", "0.5.20", "0.5.23"))
