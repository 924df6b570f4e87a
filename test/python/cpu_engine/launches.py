"""The launch matrix of the real-engine tests and what each test gets from a launch.

Each launch is one `sglang.launch_server` start (about a minute on 2 shared cores, mostly
importing torch and sglang in three processes), so the matrix is small and each launch
serves many requests: the four combinations of --stream-output on/off x --stream-interval
1/3, with and without the qwen25 tool parser and qwen3 reasoning parser, plus one unpatched
(at interval 3, where stock v0.5.9's streamed-text defects show).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Any

from transformers import AutoTokenizer

from scripted_models import Routing, ScriptedModel, build_checkpoint
from tokenids_verify import ChatClient, CheckContext, run_checks
from tokenids_verify.releases import release_for
from tokenids_verify.runner import select_checks
from tokenids_verify.stream_assembly import assemble_stream
from tokenids_verify.tokenizer import load_tokenizer

from engine_env import REPO
from expectations import nonstream_script_problems, stream_script_problems
from real_server import RealServer, ServerMode

TIMINGS_PATH = REPO / ".cache" / "cpu-engine" / "timings.json"
TIMINGS: dict = {"launches": {}}
# The suite's own --stream-output check starts a second server; the matrix already runs
# every check under both --stream-output settings, so it is left out here. flag_validation
# (about 40 short requests) is judged by the request model before any server mode matters,
# so it runs on the first launch only.
VERIFY_SKIP = ["stream_output_mode"]
ONCE_ONLY_CHECKS = ["flag_validation"]


@dataclass(frozen=True)
class Launch:
    name: str
    patched: bool
    mode: ServerMode
    routing: Routing
    verify_skip: tuple = tuple(VERIFY_SKIP + ONCE_ONLY_CHECKS)


# Interval 1 puts v0.5.9's remaining-arguments chunk of the cut tool call (tool_call_cut) on
# its own chunk; interval 3 puts multibyte_edge's and tool_call's characters across the
# chunk edges where v0.5.9 repeats and loses streamed text (see scripts.py).
PATCHED = [
    Launch("cumulative-i1-parsers", True, ServerMode(False, 1, "qwen25", "qwen3"),
           Routing(default_script="plain", thinking_by_default=True), tuple(VERIFY_SKIP)),
    Launch("streamout-i3-parsers", True, ServerMode(True, 3, "qwen25", "qwen3"),
           Routing(default_script="multibyte_edge", thinking_by_default=True)),
    Launch("streamout-i1-noparsers", True, ServerMode(True, 1, None, None),
           Routing(default_script="multibyte", tool_script=None, thinking_script=None)),
    Launch("cumulative-i3-tools", True, ServerMode(False, 3, "qwen25", None),
           Routing(default_script="stop_string", thinking_script="reasoning")),
]
# The default run starts the first two (both --stream-output settings, both intervals, both
# parsers: every code path the other two take, which the harness matrix runs in every mode
# anyway); SGLANG_TEST_MATRIX=full (`npm run test:matrix`) all four. Each start costs about
# 1.5 minutes of CI, and every later release adds a real start of its own (release_engine.py).
PATCHED_ALL = PATCHED
PATCHED = PATCHED_ALL if os.environ.get("SGLANG_TEST_MATRIX") == "full" else PATCHED_ALL[:2]
UNPATCHED = Launch("unpatched-streamout-i3-parsers", False, ServerMode(True, 3, "qwen25", "qwen3"),
                   Routing(default_script="multibyte_edge", thinking_by_default=True), tuple(VERIFY_SKIP))


@dataclass
class Served:
    launch: Launch
    server: RealServer
    model: ScriptedModel
    tokenizer: Any  # transformers tokenizer of the checkpoint
    verify_tokenizer: Any  # the verify suite's wrapper around it
    client: ChatClient

    def timed(self, label, fn, *args):
        began = time.monotonic()
        out = fn(*args)
        TIMINGS["launches"][self.launch.name]["requests"].append([label, round(time.monotonic() - began, 3)])
        return out

    def context(self) -> CheckContext:
        mode = self.launch.mode
        return CheckContext(
            client=self.client,
            tokenizer=self.verify_tokenizer,
            tool_call_parser=mode.tool_call_parser,
            reasoning_parser=mode.reasoning_parser,
            strict_concurrency=True,  # a scripted engine is exact: batched == solo
            no_thinking_kwargs={"enable_thinking": False} if self.launch.routing.thinking_script else None,
            # These launches serve the v0.5.9 release files (engine_env.release_dir); the suite
            # judges return_token_ids=false against that release's stock keys.
            release=release_for("0.5.9"),
        )

    def run_verify_suite(self):
        results = run_checks(self.context(), select_checks(skip=self.launch.verify_skip))
        TIMINGS["launches"][self.launch.name]["verify_checks_s"] = {r.name: r.seconds for r in results}
        return results

    def script_problems(self, name: str, n: int = 1) -> list[str]:
        """Non-streaming and streaming request for one script, judged exactly."""
        body = dict(self.model.request(name), n=n, temperature=0.0)
        resp = self.timed(f"{name} n={n}", self.client.chat, body)
        problems = nonstream_script_problems(self.model, self.tokenizer, name, self.launch.mode, body, resp, n=n)
        sresp = self.timed(f"{name} n={n} stream", self.client.chat_stream, dict(body, stream_options={"include_usage": True}))
        asm = assemble_stream(sresp.chunks, sresp.sse.done)
        problems += stream_script_problems(
            self.model, self.tokenizer, name, self.launch.mode, body, asm, self.verify_tokenizer, n=n
        )
        return problems


def serve(launch: Launch, engine_python, trees, tmp_path_factory):
    """Generator for a module-scoped fixture: one started server for the launch."""
    work = tmp_path_factory.mktemp(launch.name)
    model = build_checkpoint(work / "model", launch.routing)
    server = RealServer(engine_python, trees[launch.patched], model.path, launch.mode, work / "server.log")
    record = TIMINGS["launches"][launch.name] = {"mode": launch.mode.label, "requests": []}
    server.start()
    record["startup_s"] = round(server.startup_seconds, 1)
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
        record["serving_s"] = round(time.monotonic() - began, 1)
        server.stop()


def write_timings() -> None:
    if TIMINGS["launches"]:
        TIMINGS_PATH.parent.mkdir(parents=True, exist_ok=True)
        TIMINGS_PATH.write_text(json.dumps(TIMINGS, indent=2) + "\n")
