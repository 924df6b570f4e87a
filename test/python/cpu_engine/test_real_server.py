"""The REAL SGLang v0.5.9 server on CPU, patched with patches/sglang-v0.5.9, serving scripted
checkpoints: every contract invariant (the verify suite) AND ids equal to the script, in
each server mode; the same requests against unpatched v0.5.9 must fail.

Launch matrix (each launch = one server start, ~1 min on 2 cores; several requests each):
the four combinations of --stream-output on/off x --stream-interval 1/3, with and without
the qwen25 tool parser and qwen3 reasoning parser, plus one unpatched launch.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from transformers import AutoTokenizer

from scripted_models import ALL_SCRIPTS, Routing, build_checkpoint
from tokenids_verify import ChatClient, CheckContext, run_checks
from tokenids_verify.runner import select_checks
from tokenids_verify.stream_assembly import assemble_stream
from tokenids_verify.tokenizer import load_tokenizer

from engine_env import REPO, build_sglang_tree, cpu_engine_python
from expectations import nonstream_script_problems, stream_script_problems
from real_server import RealServer, ServerFailed, ServerMode

TIMINGS_PATH = REPO / ".cache" / "cpu-engine" / "timings.json"
TIMINGS: dict = {"launches": {}}
# The suite's own --stream-output check starts a second server; the matrix below already
# runs every check under both --stream-output settings, so it is left out here.
VERIFY_SKIP = ["stream_output_mode"]


@dataclass(frozen=True)
class Launch:
    name: str
    patched: bool
    mode: ServerMode
    routing: Routing


PATCHED = [
    Launch("cumulative-i1-parsers", True, ServerMode(False, 1, "qwen25", "qwen3"),
           Routing(default_script="plain", thinking_by_default=True)),
    Launch("streamout-i3-parsers", True, ServerMode(True, 3, "qwen25", "qwen3"),
           Routing(default_script="multibyte", thinking_by_default=True)),
    Launch("streamout-i1-noparsers", True, ServerMode(True, 1, None, None),
           Routing(default_script="plain", tool_script=None, thinking_script=None)),
    Launch("cumulative-i3-tools", True, ServerMode(False, 3, "qwen25", None),
           Routing(default_script="stop_string", thinking_script="reasoning")),
]
UNPATCHED = Launch("unpatched-streamout-i1-parsers", False, ServerMode(True, 1, "qwen25", "qwen3"),
                   Routing(default_script="plain", thinking_by_default=True))


@dataclass
class Served:
    launch: Launch
    server: RealServer
    model: object
    tokenizer: object
    verify_tokenizer: object
    client: ChatClient

    def timed(self, label, fn, *args):
        began = time.monotonic()
        out = fn(*args)
        TIMINGS["launches"][self.launch.name]["requests"].append([label, round(time.monotonic() - began, 3)])
        return out


@pytest.fixture(scope="session")
def engine_python():
    return cpu_engine_python()


@pytest.fixture(scope="session")
def trees(tmp_path_factory):
    root = tmp_path_factory.mktemp("sglang-trees")
    return {
        True: build_sglang_tree(root / "patched", with_token_ids_patches=True),
        False: build_sglang_tree(root / "unpatched", with_token_ids_patches=False),
    }


@pytest.fixture(scope="session", autouse=True)
def write_timings():
    yield
    if TIMINGS["launches"]:
        TIMINGS_PATH.parent.mkdir(parents=True, exist_ok=True)
        TIMINGS_PATH.write_text(json.dumps(TIMINGS, indent=2) + "\n")


def _serve(launch: Launch, engine_python, trees, tmp_path_factory):
    work = tmp_path_factory.mktemp(launch.name)
    model = build_checkpoint(work / "model", launch.routing)
    server = RealServer(engine_python, trees[launch.patched], model.path, launch.mode, work / "server.log")
    TIMINGS["launches"][launch.name] = {"mode": launch.mode.label, "requests": []}
    server.start()
    TIMINGS["launches"][launch.name]["startup_s"] = round(server.startup_seconds, 1)
    began = time.monotonic()
    try:
        yield Served(
            launch=launch,
            server=server,
            model=model,
            tokenizer=AutoTokenizer.from_pretrained(model.path),
            verify_tokenizer=load_tokenizer(str(model.path)),
            client=ChatClient(server.url, timeout=120),
        )
    finally:
        TIMINGS["launches"][launch.name]["serving_s"] = round(time.monotonic() - began, 1)
        server.stop()


@pytest.fixture(scope="module", params=PATCHED, ids=lambda l: l.name)
def patched(request, engine_python, trees, tmp_path_factory):
    yield from _serve(request.param, engine_python, trees, tmp_path_factory)


@pytest.fixture(scope="module")
def unpatched(engine_python, trees, tmp_path_factory):
    yield from _serve(UNPATCHED, engine_python, trees, tmp_path_factory)


def _context(served: Served) -> CheckContext:
    mode = served.launch.mode
    return CheckContext(
        client=served.client,
        tokenizer=served.verify_tokenizer,
        tool_call_parser=mode.tool_call_parser,
        reasoning_parser=mode.reasoning_parser,
        strict_concurrency=True,  # a scripted engine is exact: batched == solo
        no_thinking_kwargs={"enable_thinking": False} if served.launch.routing.thinking_script else None,
        stream_output_unavailable_reason="covered by the launch matrix",
    )


def _script_problems(served: Served, name: str, n: int = 1) -> list[str]:
    body = dict(served.model.request(name), n=n, temperature=0.0)
    resp = served.timed(f"{name} n={n}", served.client.chat, body)
    problems = nonstream_script_problems(served.model, served.tokenizer, name, served.launch.mode, body, resp, n=n)
    sresp = served.timed(f"{name} n={n} stream", served.client.chat_stream, dict(body, stream_options={"include_usage": True}))
    asm = assemble_stream(sresp.chunks, sresp.sse.done)
    problems += stream_script_problems(
        served.model, served.tokenizer, name, served.launch.mode, body, asm, served.verify_tokenizer, n=n
    )
    return problems


def test_verify_suite_passes_on_the_patched_server(patched):
    results = run_checks(_context(patched), select_checks(skip=VERIFY_SKIP))
    TIMINGS["launches"][patched.launch.name]["verify_checks_s"] = {r.name: r.seconds for r in results}
    failed = {r.name: r.problems for r in results if r.status != "passed" and r.status != "skipped"}
    assert not failed, failed
    ran = {r.name for r in results if r.status == "passed"}
    assert {"nonstream_ids", "stream_ids", "cross_mode_identity", "usage_counts", "prompt_matches_chat_template",
            "stop_and_length_finishes", "concurrent_streams", "n2_choices", "opt_out_keys"} <= ran
    if patched.launch.mode.tool_call_parser:
        assert "tool_call_ids" in ran
    if patched.launch.mode.reasoning_parser:
        assert "reasoning_ids" in ran


@pytest.mark.parametrize("name", [s.name for s in ALL_SCRIPTS])
def test_ids_equal_the_script(patched, name):
    assert _script_problems(patched, name) == []


@pytest.mark.parametrize("name", ["tool_call", "multibyte", "reasoning"])
def test_two_choices_both_follow_the_script(patched, name):
    assert _script_problems(patched, name, n=2) == []


def test_selector_reaches_the_routed_scripts_too(patched):
    # the same script through continue_final_message: prompt ids then end with the encoded prefix
    body = dict(patched.model.request("plain", via_selector=True), temperature=0.0)
    resp = patched.client.chat(body)
    assert resp["prompt_token_ids"] == patched.model.prompt_ids(patched.tokenizer, body)
    assert resp["choices"][0]["token_ids"] == patched.model.expected_ids("plain")


def test_unpatched_server_runs_the_scripts_but_fails_the_contract(unpatched):
    # the engine itself follows the scripts (the text is right) ...
    body = dict(unpatched.model.request("multibyte"), temperature=0.0)
    resp = unpatched.client.chat(body)
    assert resp["choices"][0]["message"]["content"] == "Café ok 😀 世界"
    assert resp["usage"]["completion_tokens"] == len(unpatched.model.expected_ids("multibyte"))
    # ... but returns no ids: every exact check and the verify suite's id checks fail
    for script in ALL_SCRIPTS:
        problems = _script_problems(unpatched, script.name)
        assert any("prompt_token_ids" in p for p in problems), (script.name, problems)
        assert any("!= script" in p for p in problems), (script.name, problems)
    results = {r.name: r for r in run_checks(_context(unpatched), select_checks(skip=VERIFY_SKIP))}
    for name in ("nonstream_ids", "stream_ids", "usage_counts", "tool_call_ids", "reasoning_ids"):
        assert results[name].status == "failed", (name, results[name].status, results[name].problems)


def test_a_server_that_cannot_start_is_reported_with_its_log(engine_python, trees, tmp_path):
    # no config.json: the real launcher must die, and the failure must say why
    (tmp_path / "empty-model").mkdir()
    server = RealServer(engine_python, trees[True], tmp_path / "empty-model", PATCHED[0].mode, tmp_path / "server.log")
    began = time.monotonic()
    with pytest.raises(ServerFailed, match=r"exited with \d+ before it was ready") as err:
        server.start(timeout=300)
    # the message carries the server's own last log lines (v0.5.9 dies in ServerArgs with a
    # TypeError here rather than naming the missing config.json)
    assert "Traceback" in str(err.value) and "server_args.py" in str(err.value)
    assert time.monotonic() - began < 300
    assert not server._group_alive()
