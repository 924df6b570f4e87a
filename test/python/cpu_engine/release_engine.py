"""What the real-engine tests of a LATER release (0.5.23) need: that release's own CPU
environment (scripts/cpu-engine-env-0.5.23.sh), its release files, runnable sglang trees
(patched or not), its server flags and the server fixture.

The patched launch runs in every test run: one real start of the 0.5.23 engine, on the
harness's layered environment (scripts/release-env.sh: about 160 MB over .venv, so .venv's torch
2.9.0, not the 2.14.1 that 0.5.23 pins). Its own environment, with its torch pin, is a second
torch of about 6 GB, which CI machines cannot spare; SGLANG_TEST_RELEASE_ENGINES=1 or
SGLANG_TEST_MATRIX=full switch to it and add the unpatched control. A missing piece fails under
CI=true and skips elsewhere (engine_env.unavailable), as for v0.5.9.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from transformers import AutoTokenizer

from scripted_models import Routing, build_checkpoint
from tokenids_verify import ChatClient, CheckContext, run_checks
from tokenids_verify.releases import Release, release_for, stream_output_flag
from tokenids_verify.runner import select_checks
from tokenids_verify.tokenizer import load_tokenizer

from engine_env import HERE, REPO, _run_script, build_sglang_tree
from launches import TIMINGS
from real_server import RealServer, ServerMode

VERSION = "0.5.23"
# The unpatched control and the release's own ~6 GB environment are opt-in.
ENABLED = os.environ.get("SGLANG_TEST_RELEASE_ENGINES") == "1" or os.environ.get("SGLANG_TEST_MATRIX") == "full"
OPT_IN = ("the unpatched 0.5.23 control on the real engine runs with its own ~6 GB environment: "
          "SGLANG_TEST_RELEASE_ENGINES=1 or SGLANG_TEST_MATRIX=full")
CPU_ENABLE_DIR = HERE / f"cpu_enable-{VERSION}"
TOKEN_IDS_PATCH_DIR = REPO / "patches" / f"sglang-v{VERSION}"


@dataclass(frozen=True)
class ReleaseServerMode(ServerMode):
    """ServerMode with the release's own spelling of the delta-streaming flag: 0.5.23 has only
    --incremental-streaming-output (--stream-output is an argparse error there)."""

    version: str = VERSION

    def flags(self) -> list[str]:
        return [stream_output_flag(self.version) if f == "--stream-output" else f for f in super().flags()]


# The launch of both 0.5.23 modules: deltas (--incremental-streaming-output) at interval 3 with
# the qwen25 tool and qwen3 reasoning parsers, multibyte_edge answering a plain conversation
# (its multi-byte characters fall on the chunk edges at interval 3).
MODE = ReleaseServerMode(stream_output=True, stream_interval=3, tool_call_parser="qwen25", reasoning_parser="qwen3")
ROUTING = Routing(default_script="multibyte_edge", thinking_by_default=True)
# The suite's own delta-streaming check starts a second server; this launch already streams deltas.
VERIFY_SKIP = ("stream_output_mode",)
# 0.5.23 answers a tool call cut by max_tokens differently from v0.5.9 (expectations.py's
# model: the raw text): it drops the incomplete call and keeps the text before it.
CUT = "tool_call_cut"


# Which environment runs the engine. "own": 0.5.23's own CPU set with its torch pin,
# requirements/cpu-engine-0.5.23.txt (~6 GB; the default when the opt-in above is on).
# "layered" (the default otherwise): .venv-sglang-0.5.23 (scripts/release-env.sh, the harness's
# ~160 MB layer over .venv), i.e. the same 0.5.23 server on .venv's torch 2.9.0 and no second
# torch: not the release's pin, but it starts and serves the same ids.
ENGINE_ENV = os.environ.get("SGLANG_TEST_RELEASE_ENGINE_ENV", "own" if ENABLED else "layered")
ENV_SCRIPTS = {
    "own": ["bash", "scripts/cpu-engine-env-0.5.23.sh"],
    "layered": ["bash", "scripts/release-env.sh", VERSION],
}


def engine_python() -> Path:
    if ENGINE_ENV not in ENV_SCRIPTS:
        pytest.fail(f"SGLANG_TEST_RELEASE_ENGINE_ENV={ENGINE_ENV!r}: expected one of {sorted(ENV_SCRIPTS)}")
    script = ENV_SCRIPTS[ENGINE_ENV]
    venv = _run_script(script, 3600, " ".join(script[1:]))
    return Path(venv) / "bin" / "python"


def release_dir() -> Path:
    return Path(_run_script(["bash", "scripts/fetch-sglang.sh", VERSION], 600, f"scripts/fetch-sglang.sh {VERSION}"))


def build_release_tree(dest: Path, with_token_ids_patches: bool) -> Path:
    """dest/python laid out like the repository, with the release's CPU enablement diffs and,
    if asked, the token-ids series applied (engine_env.build_sglang_tree, on this release's
    files and folders). Returns the folder to put on PYTHONPATH."""
    return build_sglang_tree(dest, with_token_ids_patches, release=release_dir(), version=VERSION,
                             cpu_enable_dir=CPU_ENABLE_DIR, token_ids_dir=TOKEN_IDS_PATCH_DIR, missing_patches=pytest.fail)


@dataclass
class ReleaseServed:
    name: str
    release: Release
    mode: ReleaseServerMode
    server: RealServer
    model: object  # scripted_models.ScriptedModel
    tokenizer: object  # transformers tokenizer of the checkpoint
    verify_tokenizer: object
    client: ChatClient

    def body(self, name: str, **extra) -> dict:
        return dict(self.model.request(name), temperature=0.0, **extra)

    def prompt_ids(self, body: dict) -> list[int]:
        """The chat template's ids for body, with the tools rendered as this release's server
        hands them to the template (0.5.23 adds `defer_loading: null` to each tool)."""
        if body.get("tools"):
            body = dict(body, tools=self.release.template_tools(body["tools"]))
        return self.model.prompt_ids(self.tokenizer, body)

    def run_verify_suite(self, skip: tuple = ()):
        context = CheckContext(
            client=self.client,
            tokenizer=self.verify_tokenizer,
            tool_call_parser=self.mode.tool_call_parser,
            reasoning_parser=self.mode.reasoning_parser,
            strict_concurrency=True,  # a scripted engine is exact: batched == solo
            no_thinking_kwargs={"enable_thinking": False},
            release=self.release,
        )
        results = run_checks(context, select_checks(skip=list(skip)))
        TIMINGS["launches"][self.name]["verify_checks_s"] = {r.name: r.seconds for r in results}
        TIMINGS["launches"][self.name]["verify_status"] = {r.name: r.status for r in results}
        return results


def serve_release(name: str, patched: bool, mode: ReleaseServerMode, routing: Routing, engine_py: Path, tree: Path,
                  tmp_path_factory):
    """Generator for a module-scoped fixture: one started 0.5.23 server."""
    work = tmp_path_factory.mktemp(name)
    model = build_checkpoint(work / "model", routing)
    server = RealServer(engine_py, tree, model.path, mode, work / "server.log")
    record = TIMINGS["launches"][name] = {"release": VERSION, "engine_env": ENGINE_ENV, "patched": patched, "mode": mode.label,
                                          "requests": []}
    server.start()
    record["startup_s"] = round(server.startup_seconds, 1)
    began = time.monotonic()
    try:
        yield ReleaseServed(
            name=name,
            release=release_for(VERSION),
            mode=mode,
            server=server,
            model=model,
            tokenizer=AutoTokenizer.from_pretrained(model.path),
            verify_tokenizer=load_tokenizer(str(model.path)),
            client=ChatClient(server.url, timeout=120),
        )
    finally:
        record["serving_s"] = round(time.monotonic() - began, 1)
        server.stop()
