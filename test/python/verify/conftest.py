"""Fixtures for the verify suite's tests.

- ``byte_tokenizer``: a small byte-level tokenizer with a ChatML template, built here (nothing
  downloaded), for unit tests on streams and responses constructed from the contract.
- ``build_stream`` / ``build_response``: turn a list of per-step id lists into the chunks and
  the non-streaming body a contract-following server would send, with knobs to break it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

ROOT = Path(__file__).resolve().parents[3]

from scripted_models.byte_level import byte_to_char  # noqa: E402  (the byte alphabet)
from tokenids_verify.tokenizer import ModelTokenizer, load_tokenizer  # noqa: E402

# The default run's release tiers (core-tier releases run only their every_release tests).
from sglang_engineless.test_tiers import pytest_collection_modifyitems, pytest_configure  # noqa: E402,F401

CHATML = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# Whole-word tokens so that tests can build ids that decode to words; the multi-byte "é" is
# split in two byte tokens (0xC3, 0xA9) by the byte alphabet itself.
WORDS = ["Hello", "Ġworld", "Ġthe", "Ġsea", "Ġis", "Ġblue", ".", "Ġcaf"]


@pytest.fixture(scope="session")
def byte_tokenizer_dir(tmp_path_factory) -> Path:
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab: Dict[str, int] = {}
    for b, ch in sorted(byte_to_char().items()):
        vocab[ch] = b
    for w in WORDS:
        vocab.setdefault(w, len(vocab))
    core = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    core.decoder = decoders.ByteLevel()
    core.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in SPECIALS])
    fast = PreTrainedTokenizerFast(
        tokenizer_object=core, eos_token="<|im_end|>", pad_token="<|endoftext|>", chat_template=CHATML,
        clean_up_tokenization_spaces=False,
    )
    out = tmp_path_factory.mktemp("byte-tokenizer")
    fast.save_pretrained(str(out))
    (out / "config.json").write_text('{"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"]}')
    return out


@pytest.fixture(scope="session")
def byte_tokenizer(byte_tokenizer_dir) -> ModelTokenizer:
    return load_tokenizer(str(byte_tokenizer_dir))


class Builder:
    """Builds what a contract-following server sends for scripted engine steps."""

    def __init__(self, tok: ModelTokenizer):
        self.tok = tok
        self.eos = tok.hf.convert_tokens_to_ids("<|im_end|>")

    def ids(self, text: str) -> List[int]:
        return self.tok.hf.encode(text, add_special_tokens=False)

    def prompt_ids(self, messages=None) -> List[int]:
        return self.tok.render_chat(messages or [{"role": "user", "content": "hi"}])

    def stream(
        self,
        steps: List[List[int]],
        *,
        prompt_ids: Optional[List[int]] = None,
        finish_reason: str = "stop",
        matched_stop: Any = None,
        prompt_on_every_chunk: bool = False,
        usage: bool = True,
        index: int = 0,
    ) -> List[Dict[str, Any]]:
        """Chunks for one choice: a role chunk, then per step a content chunk with the step's
        ids when the text so far grew (held-back text keeps its ids pending, as the contract
        says), then the finish chunk with what is left."""
        prompt_ids = prompt_ids if prompt_ids is not None else self.prompt_ids()
        base = {"id": "chatcmpl-x", "object": "chat.completion.chunk", "created": 1, "model": "m", "usage": None}
        chunks = [dict(base, prompt_token_ids=prompt_ids, choices=[{"index": index, "delta": {"role": "assistant", "content": ""}, "logprobs": None, "finish_reason": None, "matched_stop": None}])]
        all_ids: List[int] = []
        sent_text = ""
        pending: List[int] = []
        for step in steps:
            all_ids += step
            pending += step
            text = self.tok.decode(all_ids)
            # held back: incomplete UTF-8 at the end, like v0.5.9's detokenizer
            visible = text.rstrip("\ufffd")
            delta = visible[len(sent_text):]
            if delta:
                choice = {"index": index, "delta": {"role": None, "content": delta}, "logprobs": None, "finish_reason": None, "matched_stop": None, "token_ids": pending}
                chunks.append(dict(base, choices=[choice]))
                sent_text = visible
                pending = []
        final = {"index": index, "delta": {"role": None, "content": None}, "logprobs": None, "finish_reason": finish_reason, "matched_stop": matched_stop}
        if pending:
            final["token_ids"] = pending
        chunks.append(dict(base, choices=[final]))
        if prompt_on_every_chunk:
            for c in chunks:
                c["prompt_token_ids"] = prompt_ids
        if usage:
            chunks.append(dict(base, choices=[], usage={"prompt_tokens": len(prompt_ids), "completion_tokens": len(all_ids), "total_tokens": len(prompt_ids) + len(all_ids), "prompt_tokens_details": None, "reasoning_tokens": 0}))
        return chunks

    def response(self, ids: List[int], *, prompt_ids=None, content=None, finish_reason="stop", matched_stop=None):
        prompt_ids = prompt_ids if prompt_ids is not None else self.prompt_ids()
        content = self.tok.decode(ids) if content is None else content
        return {
            "id": "chatcmpl-x", "object": "chat.completion", "created": 1, "model": "m",
            "prompt_token_ids": prompt_ids,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "reasoning_content": None, "tool_calls": None},
                         "logprobs": None, "finish_reason": finish_reason, "matched_stop": matched_stop, "token_ids": ids}],
            "usage": {"prompt_tokens": len(prompt_ids), "completion_tokens": len(ids), "total_tokens": len(prompt_ids) + len(ids), "prompt_tokens_details": None, "reasoning_tokens": 0},
            "metadata": {"weight_version": "default"},
        }


@pytest.fixture
def builder(byte_tokenizer) -> Builder:
    return Builder(byte_tokenizer)


# ---- live runs against the engine-less harness (issue 3) --------------------------------

import json  # noqa: E402
import subprocess  # noqa: E402
from dataclasses import dataclass  # noqa: E402

HARNESS = ROOT / "python" / "harness"
VERIFY = ROOT / "verify"


def _run_script(*args: str) -> str:
    proc = subprocess.run(["bash", *args], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"{args} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc.stdout


@pytest.fixture(scope="session")
def sglang_release() -> Path:
    """The real, unpatched v0.5.9 package folder (holds sglang/), fetched from PyPI once.
    No skip: without PyPI this fails, as the team rules require under CI."""
    return Path(_run_script(str(ROOT / "scripts/fetch-sglang.sh")).strip().splitlines()[-1])


@pytest.fixture(scope="session")
def patched_release(sglang_release, tmp_path_factory) -> Path:
    """v0.5.9 with our whole patch set applied (holds sglang/)."""
    out = tmp_path_factory.mktemp("verify-patched") / "tree"
    _run_script(str(ROOT / "scripts/patches-check.sh"), str(sglang_release), "--out", str(out))
    return out


def _require_harness() -> None:
    if not (HARNESS / "sglang_engineless" / "serve.py").is_file():
        raise AssertionError(f"the engine-less harness is missing: {HARNESS / 'sglang_engineless'} (issue 3)")


def harness_env(sglang_root: Path) -> Dict[str, str]:
    """Which sglang copy runs is decided by PYTHONPATH: the copy under test, the harness, verify."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(sglang_root), str(HARNESS), str(VERIFY)])
    env.pop("SGLANG_TOKEN_IDS_DEFAULT", None)
    return env


@pytest.fixture(scope="session")
def harness_reasoning_tokenizer_dir(sglang_release, tmp_path_factory) -> Path:
    _require_harness()
    out = tmp_path_factory.mktemp("harness-tokenizer-reasoning") / "tok"
    proc = subprocess.run([sys.executable, "-m", "sglang_engineless.make_tokenizer", str(out), "--reasoning"],
                          env=harness_env(sglang_release), capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


@dataclass
class VerifyRun:
    returncode: int
    report: Dict[str, Any]
    stdout: str
    stderr: str

    def status(self, name: str) -> str:
        for c in self.report.get("checks", []):
            if c["name"] == name:
                return c["status"]
        raise KeyError(f"check {name} is not in the report")

    def problems(self, name: str) -> List[str]:
        return next(c["problems"] for c in self.report["checks"] if c["name"] == name)

    def explain(self) -> str:
        lines = [f"exit {self.returncode}; error={self.report.get('error')}"]
        for c in self.report.get("checks", []):
            lines.append(f"{c['status']:8} {c['name']}: {c.get('skip_reason') or ''} {c['problems'][:3]}")
        return "\n".join(lines) + "\n--- stdout ---\n" + self.stdout[-3000:] + "\n--- stderr ---\n" + self.stderr[-3000:]


# Each live run's JSON report is also kept here (git-ignored), to quote in notes.
RUNS_DIR = ROOT / ".cache" / "verify-tests"


def run_verify(sglang_root: Path, args: List[str], tmp_path: Path, label: str, timeout: float = 600,
               python: str = sys.executable) -> VerifyRun:
    """Runs `python -m tokenids_verify ARGS` with the harness of `sglang_root` on PYTHONPATH
    (`python`: the interpreter of that release's dependency set; it also runs the harness)."""
    report = tmp_path / f"report-{label}.json"
    proc = subprocess.run([python, "-m", "tokenids_verify", *args, "--report", str(report)],
                          env=harness_env(sglang_root), capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    data = json.loads(report.read_text()) if report.exists() else {}
    if data:
        RUNS_DIR.mkdir(parents=True, exist_ok=True)
        (RUNS_DIR / f"{label}.json").write_text(json.dumps(dict(data, returncode=proc.returncode), indent=2))
    return VerifyRun(proc.returncode, data, proc.stdout, proc.stderr)


def harness_args(tokenizer_dir: Path) -> List[str]:
    """The harness tokenizer with Qwen3-style thinking, and the reasoning parser switched on by
    flag (its config says qwen2, so detection alone picks only the qwen25 tool parser): one
    server then exercises plain answers (thinking off), tool calls and reasoning."""
    return ["--model-path", str(tokenizer_dir), "--launcher", "engineless", "--reasoning-parser", "qwen3",
            "--startup-timeout", "240"]


@pytest.fixture(scope="module")
def patched_run(patched_release, harness_reasoning_tokenizer_dir, tmp_path_factory) -> VerifyRun:
    """One full CLI run against our patched copy (two harness starts: default and --stream-output)."""
    return run_verify(patched_release, harness_args(harness_reasoning_tokenizer_dir), tmp_path_factory.mktemp("patched-run"), "patched")


# The unpatched control leaves out stream_output_mode (a second server start that adds nothing
# to a server without ids); every other check runs. The broken variants run only the checks
# they are about (broken_variants.py).
NEGATIVE_SKIP = ["--skip-check", "stream_output_mode"]


@pytest.fixture(scope="module")
def unpatched_run(sglang_release, harness_reasoning_tokenizer_dir, tmp_path_factory) -> VerifyRun:
    return run_verify(sglang_release, harness_args(harness_reasoning_tokenizer_dir) + NEGATIVE_SKIP, tmp_path_factory.mktemp("unpatched-run"), "unpatched")


# --stream-interval 3: the chunk edges where v0.5.9's streamed-text defects live; only the
# checks that judge what happens at those edges.
INTERVAL_3_EDGE_ARGS = ["--server-arg=--stream-interval", "--server-arg=3", "--check", "stream_ids", "--check", "tool_call_ids",
                        "--check", "logprobs_alignment", "--check", "stream_text_fidelity"]


@pytest.fixture(scope="module")
def patched_edge_run(patched_release, harness_reasoning_tokenizer_dir, tmp_path_factory) -> VerifyRun:
    return run_verify(patched_release, harness_args(harness_reasoning_tokenizer_dir) + INTERVAL_3_EDGE_ARGS,
                      tmp_path_factory.mktemp("patched-edge-run"), "patched-interval3")


@pytest.fixture(scope="module")
def unpatched_edge_run(sglang_release, harness_reasoning_tokenizer_dir, tmp_path_factory) -> VerifyRun:
    return run_verify(sglang_release, harness_args(harness_reasoning_tokenizer_dir) + ["--server-arg=--stream-interval", "--server-arg=3",
                      "--check", "stream_text_fidelity"], tmp_path_factory.mktemp("unpatched-edge-run"), "unpatched-interval3")


# --- Later releases (0.5.12, 0.5.23): their files, our series applied, and the interpreter of
# their dependency set, each made once a session on first use ---

class LaterRelease:
    """One release's stock files (holds sglang/ and its dist-info), the copy with
    patches/sglang-vRELEASE applied (holds sglang/; its version from _version.py), the Python
    that runs its serving code (scripts/release-env.sh: a layered environment where the
    release needs newer libraries than .venv, e.g. 0.5.23's transformers), and the harness
    tokenizer made with it."""

    def __init__(self, version: str, tmp_path_factory):
        self.version, self._tmp, self._made = version, tmp_path_factory, {}

    def _once(self, key, make):
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    @property
    def stock(self) -> Path:
        return self._once("stock", lambda: Path(_run_script(
            str(ROOT / "scripts/fetch-sglang.sh"), self.version).strip().splitlines()[-1]))

    @property
    def patched(self) -> Path:
        def make():
            out = self._tmp.mktemp(f"verify-patched-{self.version}") / "tree"
            _run_script(str(ROOT / "scripts/patches-check.sh"), self.version, "--out", str(out))
            return out
        return self._once("patched", make)

    @property
    def python(self) -> str:
        return self._once("python", lambda: str(Path(_run_script(
            str(ROOT / "scripts/release-env.sh"), self.version).strip().splitlines()[-1]) / "bin" / "python"))

    @property
    def tokenizer(self) -> Path:
        def make():
            _require_harness()
            out = self._tmp.mktemp(f"harness-tokenizer-{self.version}") / "tok"
            proc = subprocess.run([self.python, "-m", "sglang_engineless.make_tokenizer", str(out), "--reasoning"],
                                  env=harness_env(self.stock), capture_output=True, text=True, cwd=ROOT)
            assert proc.returncode == 0, proc.stdout + proc.stderr
            return out
        return self._once("tokenizer", make)


@pytest.fixture(scope="session")
def later_releases(tmp_path_factory):
    """version -> LaterRelease, made on first use."""
    made: Dict[str, LaterRelease] = {}

    def get(version: str) -> LaterRelease:
        if version not in made:
            made[version] = LaterRelease(version, tmp_path_factory)
        return made[version]

    return get
