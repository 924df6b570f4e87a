"""What the real-engine tests of the LATER releases (every release after v0.5.9) need: a registry
of their launches (ENGINES: release -> EngineSpec), each release's CPU environment, its release
files, runnable sglang trees (patched or not), its server flags and the server fixture.

The patched launch of every release in ENGINES runs in every test run (one real start of each
release's engine, test_real_server_later.py), on the harness's layered environment
(scripts/release-env.sh: a small layer over .venv, so .venv's torch 2.9.0, not the torch the
release pins). A release's own environment, with its torch pin, is a second torch of about
6 GB, which CI machines cannot spare; where one is written (EngineSpec.own_env),
SGLANG_TEST_RELEASE_ENGINES=1 or SGLANG_TEST_MATRIX=full switch to it and add the unpatched
control (test_real_server_later_unpatched.py). A missing piece fails under CI=true and skips
elsewhere (engine_env.unavailable), as for v0.5.9.

Adding a release: one ENGINES entry (and test/python/cpu_engine/cpu_enable-RELEASE/ when its
engine needs CPU enablement diffs, as 0.5.23 does).

An ad-hoc release (`npm run release:propose` starts a proposed series once):
SGLANG_TEST_RELEASE_ENGINE=VERSION=SERIES_DIR makes ENGINES that one release alone, patched with
the series in SERIES_DIR and the CPU enablement diffs of the nearest registered release at or
below it (adhoc_engine); unset, ENGINES is the registry below, unchanged.
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

# The unpatched control and a release's own ~6 GB environment are opt-in.
ENABLED = os.environ.get("SGLANG_TEST_RELEASE_ENGINES") == "1" or os.environ.get("SGLANG_TEST_MATRIX") == "full"
OPT_IN = ("the unpatched control on a later release's real engine runs with that release's own ~6 GB "
          "environment: SGLANG_TEST_RELEASE_ENGINES=1 or SGLANG_TEST_MATRIX=full")


@dataclass(frozen=True)
class ReleaseServerMode(ServerMode):
    """ServerMode with the release's own spelling of the delta-streaming flag: 0.5.23 has only
    --incremental-streaming-output (--stream-output is an argparse error there)."""

    version: str = "0.5.23"

    def flags(self) -> list[str]:
        return [stream_output_flag(self.version) if f == "--stream-output" else f for f in super().flags()]


@dataclass(frozen=True)
class EngineSpec:
    """One later release's real-engine launch and what its stock server has of its own."""

    version: str
    # The series that patches it (a series may cover several releases: patchset.yaml releases).
    series: str
    # Deltas at interval 3 with the qwen25 tool and qwen3 reasoning parsers: the multi-byte
    # characters of multibyte_edge fall on chunk edges at interval 3.
    stream_output: bool = True
    stream_interval: int = 3
    # Chat's own return_token_ids with choices[].response_token_ids (0.5.18+), and sglext
    # input_ids/output_ids at the end of a stream (0.5.20+).
    upstream_response_token_ids: bool = False
    upstream_sglext_ids: bool = False
    # The release's own CPU environment with its torch pin (opt-in), or None: layered only.
    own_env: tuple[str, ...] | None = None
    # A tool call cut by max_tokens (expectations.py's model is v0.5.9's raw text; later
    # releases drop the incomplete call and keep the text before it).
    cut: str = "tool_call_cut"
    # The suite's own delta-streaming check starts a second server; this launch already streams.
    verify_skip: tuple[str, ...] = ("stream_output_mode",)
    # An ad-hoc launch's series folder (anywhere) and the release whose CPU enablement diffs it
    # borrows; None: patches/<series> and cpu_enable-<version>.
    series_dir: Path | None = None
    cpu_enable_of: str | None = None
    # The release whose Python layer (scripts/release-env.sh) runs it; None: its own. An ad-hoc
    # release without python/requirements/sglang-VERSION.txt borrows the lender's (0.5.12.post1
    # in .venv lacks 0.5.12's soundfile: http_server does not import).
    env_of: str | None = None

    @property
    def mode(self) -> ReleaseServerMode:
        return ReleaseServerMode(stream_output=self.stream_output, stream_interval=self.stream_interval,
                                 tool_call_parser="qwen25", reasoning_parser="qwen3", version=self.version)

    @property
    def routing(self) -> Routing:
        # multibyte_edge answers a plain conversation; thinking on by default (qwen3 parser)
        return Routing(default_script="multibyte_edge", thinking_by_default=True)

    @property
    def cpu_enable_dir(self) -> Path:
        return HERE / f"cpu_enable-{self.cpu_enable_of or self.version}"

    @property
    def token_ids_dir(self) -> Path:
        return self.series_dir or REPO / "patches" / self.series

    @property
    def label(self) -> str:
        return f"v{self.version}"


ENGINES: dict[str, EngineSpec] = {
    # AReaL's pin: no id fields of its own, no own environment written (the layered one only);
    # v0.5.9's cut tool call (raw text); cpu_enable-0.5.10.post1/ (sgl_kernel-free host pool).
    "0.5.10.post1": EngineSpec("0.5.10.post1", "sglang-v0.5.10.post1"),
    # verl's pin; the series covers 0.5.12.post1 too (its engine files differ only in DeepSeek-V4
    # code). No own environment written: the layered one (soundfile & co. over .venv).
    "0.5.12": EngineSpec("0.5.12", "sglang-v0.5.12"),
    # NeMo-RL's bump from 0.5.12.post1 (the series covers 0.5.13 too): return_prompt_token_ids
    # (non-streamed) as 0.5.15.post1; no CPU enablement diffs (its memory_pool_host imports
    # sgl_kernel only on CUDA/HIP, as 0.5.15.post1's); the layered environment only.
    "0.5.13.post1": EngineSpec("0.5.13.post1", "sglang-v0.5.13.post1"),
    # slime's pin: no id fields of its own on chat but return_prompt_token_ids (non-streamed).
    "0.5.15.post1": EngineSpec("0.5.15.post1", "sglang-v0.5.15.post1"),
    # 0.5.19: response_token_ids (0.5.18), no sglext ids yet; CPU enablement as 0.5.23's
    # (cpu_enable-0.5.19: the same diffs on 0.5.19's lines, without spec_tree.py, which has no
    # CPU sgl_kernel import there); no own environment written: the layered one only.
    "0.5.19": EngineSpec("0.5.19", "sglang-v0.5.19", upstream_response_token_ids=True),
    # 0.5.20 (miles' bump): response_token_ids and sglext ids (0.5.20); CPU enablement as
    # 0.5.19's (cpu_enable-0.5.20: the same diffs on 0.5.20's lines); the layered env only.
    "0.5.20": EngineSpec("0.5.20", "sglang-v0.5.20", upstream_response_token_ids=True, upstream_sglext_ids=True),
    "0.5.23": EngineSpec("0.5.23", "sglang-v0.5.23", upstream_response_token_ids=True, upstream_sglext_ids=True,
                         own_env=("bash", "scripts/cpu-engine-env-0.5.23.sh")),
}
# The registry above; SGLANG_TEST_RELEASE_ENGINE=VERSION=DIR replaces ENGINES by one ad-hoc launch.
REGISTERED: dict[str, EngineSpec] = dict(ENGINES)


def _release_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else -1 for p in version.replace("post", "").split("."))


def adhoc_engine(text: str, registered: dict[str, EngineSpec] = REGISTERED) -> EngineSpec:
    """The launch SGLANG_TEST_RELEASE_ENGINE=VERSION=SERIES_DIR names: the registered release at
    or below VERSION nearest to it lends its CPU enablement diffs, what its stock has of its own
    (a release between two registered ones serves like the older one until registered) and,
    while VERSION has no requirements file of its own, its Python layer."""
    version, sep, folder = text.partition("=")
    if not sep or not version or not folder:
        raise ValueError(f"SGLANG_TEST_RELEASE_ENGINE={text!r}: expected VERSION=SERIES_DIR")
    older = [v for v in registered if _release_key(v) <= _release_key(version)]
    if not older:
        raise ValueError(f"SGLANG_TEST_RELEASE_ENGINE: no registered release at or below {version} ({sorted(registered)})")
    near = registered[max(older, key=_release_key)]
    return EngineSpec(version, Path(folder).name, upstream_response_token_ids=near.upstream_response_token_ids,
                      upstream_sglext_ids=near.upstream_sglext_ids, series_dir=Path(folder).resolve(),
                      cpu_enable_of=near.version,
                      env_of=None if (REPO / f"python/requirements/sglang-{version}.txt").exists() else near.version)


if os.environ.get("SGLANG_TEST_RELEASE_ENGINE"):
    _adhoc = adhoc_engine(os.environ["SGLANG_TEST_RELEASE_ENGINE"])
    ENGINES = {_adhoc.version: _adhoc}


def engine_env(spec: EngineSpec) -> str:
    """Which environment runs the engine: "own" (the release's CPU set with its torch pin, where
    one is written; the default when the opt-in above is on) or "layered" (the harness's layer
    over .venv: the same server on .venv's torch 2.9.0, no second torch; it starts and serves
    the same ids). SGLANG_TEST_RELEASE_ENGINE_ENV names one."""
    default = "own" if ENABLED and spec.own_env else "layered"
    return os.environ.get("SGLANG_TEST_RELEASE_ENGINE_ENV", default)


def engine_python(spec: EngineSpec) -> Path:
    scripts = {"layered": ["bash", "scripts/release-env.sh", spec.env_of or spec.version]}
    if spec.own_env:
        scripts["own"] = list(spec.own_env)
    env = engine_env(spec)
    if env not in scripts:
        pytest.fail(f"SGLANG_TEST_RELEASE_ENGINE_ENV={env!r}: {spec.version} has {sorted(scripts)}")
    script = scripts[env]
    venv = _run_script(script, 3600, " ".join(script[1:]))
    return Path(venv) / "bin" / "python"


def release_dir(spec: EngineSpec) -> Path:
    v = spec.version
    return Path(_run_script(["bash", "scripts/fetch-sglang.sh", v], 600, f"scripts/fetch-sglang.sh {v}"))


def build_release_tree(spec: EngineSpec, dest: Path, with_token_ids_patches: bool) -> Path:
    """dest/python laid out like the repository, with the release's CPU enablement diffs and,
    if asked, the token-ids series applied (engine_env.build_sglang_tree, on this release's
    files and folders). Returns the folder to put on PYTHONPATH."""
    return build_sglang_tree(dest, with_token_ids_patches, release=release_dir(spec), version=spec.version,
                             cpu_enable_dir=spec.cpu_enable_dir, token_ids_dir=spec.token_ids_dir, missing_patches=pytest.fail)


@dataclass
class ReleaseServed:
    name: str
    spec: EngineSpec
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


def serve_release(spec: EngineSpec, patched: bool, tmp_path_factory):
    """Generator for a fixture: one started server of spec's release, patched or stock."""
    name = f"{spec.label}-{'patched' if patched else 'unpatched'}-{spec.mode.label}"
    tree = build_release_tree(spec, tmp_path_factory.mktemp(f"sglang-{spec.version}-{'patched' if patched else 'stock'}"),
                              with_token_ids_patches=patched)
    engine_py = engine_python(spec)
    mode = spec.mode
    work = tmp_path_factory.mktemp(name)
    model = build_checkpoint(work / "model", spec.routing)
    server = RealServer(engine_py, tree, model.path, mode, work / "server.log")
    record = TIMINGS["launches"][name] = {"release": spec.version, "engine_env": engine_env(spec), "patched": patched,
                                          "mode": mode.label, "requests": []}
    server.start()
    record["startup_s"] = round(server.startup_seconds, 1)
    began = time.monotonic()
    try:
        yield ReleaseServed(
            name=name,
            spec=spec,
            release=release_for(spec.version),
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
