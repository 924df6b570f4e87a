"""(c)/(d) The scenario matrix through the REAL serving_chat.py, patched and unpatched.

Each copy runs in its own process (`python -m sglang_engineless.scenarios`), importing
sglang once; the tests assert on what the client received and what the engine did.
"""

import json
import os
import subprocess
import sys
from collections import defaultdict

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "harness"))
from sglang_engineless.scenarios import matrix  # noqa: E402  (no sglang import)

SCENARIOS = matrix()
NAMES = [name for name, _ in SCENARIOS]
ID_KEYS = {"token_ids", "prompt_token_ids"}


def run_matrix(tree, tmp_path_factory, label):
    work = tmp_path_factory.mktemp(f"matrix-{label}")
    out = work / "results.json"
    env = dict(os.environ, PYTHONPATH=f"{tree}{os.pathsep}{REPO / 'harness'}")
    env.pop("SGLANG_TOKEN_IDS_DEFAULT", None)
    proc = subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "sglang_engineless.scenarios", str(out), str(work)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    data = json.loads(out.read_text())
    assert data["sglang"] == str(tree / "sglang"), "the matrix did not run the intended copy"
    return data["scenarios"]


@pytest.fixture(scope="session")
def patched_results(patched_release, tmp_path_factory):
    return run_matrix(patched_release, tmp_path_factory, "patched")


@pytest.fixture(scope="session")
def unpatched_results(sglang_release, tmp_path_factory):
    return run_matrix(sglang_release, tmp_path_factory, "unpatched")


def walk_keys(obj, path=""):
    """Every key path in a JSON value (list positions collapsed)."""
    keys = set()
    if isinstance(obj, dict):
        for k, v in obj.items():
            keys.add(f"{path}.{k}")
            keys |= walk_keys(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for v in obj:
            keys |= walk_keys(v, f"{path}[]")
    return keys


def find_id_keys(obj):
    return {k for k in walk_keys(obj) if k.rsplit(".", 1)[-1] in ID_KEYS}


def per_index_stream(chunks):
    ids, prompt_on, first_chunk = defaultdict(list), defaultdict(list), {}
    for pos, chunk in enumerate(chunks):
        for choice in chunk["choices"]:
            idx = choice["index"]
            first_chunk.setdefault(idx, pos)
            if "token_ids" in choice:
                assert choice["token_ids"], f"chunk {pos}: empty or null token_ids"
                ids[idx].extend(choice["token_ids"])
        if "prompt_token_ids" in chunk:
            assert chunk["prompt_token_ids"], f"chunk {pos}: empty or null prompt_token_ids"
            assert len(chunk["choices"]) == 1
            prompt_on[chunk["choices"][0]["index"]].append((pos, chunk["prompt_token_ids"]))
    return ids, prompt_on, first_chunk


@pytest.mark.parametrize("name", NAMES)
def test_patched_ids_are_exact(patched_results, name):
    runs = patched_results[name]
    spec = dict(SCENARIOS)[name]
    n = spec["n"]

    stream = runs["stream-default"]
    assert stream["done"]
    engine = stream["engine"]
    assert len(engine) == n
    ids, prompt_on, first_chunk = per_index_stream(stream["chunks"])
    assert sorted(first_chunk) == list(range(n))
    for i in range(n):
        assert ids[i] == engine[i]["output_ids"], f"index {i}: streamed ids != engine ids"
        assert len(prompt_on[i]) == 1, f"index {i}: prompt ids on {len(prompt_on[i])} chunks"
        pos, prompt = prompt_on[i][0]
        assert pos == first_chunk[i], "prompt ids not on the index's first chunk"
        assert prompt == engine[i]["prompt_ids"]

    full = runs["full-default"]
    resp = full["response"]
    assert resp["prompt_token_ids"] == full["engine"][0]["prompt_ids"]
    assert len(resp["prompt_token_ids"]) == resp["usage"]["prompt_tokens"] // 1
    for choice in resp["choices"]:
        i = choice["index"]
        assert choice["token_ids"] == full["engine"][i]["output_ids"]
        # Greedy scripted model: the streamed and the non-streamed run agree.
        assert choice["token_ids"] == ids[i]
    total = sum(len(c["token_ids"]) for c in resp["choices"])
    assert total == resp["usage"]["completion_tokens"]

    if spec["kind"] == "max_tokens":
        assert all(len(ids[i]) == 7 for i in range(n))
        assert all(c["finish_reason"] == "length" for c in resp["choices"])
    if spec["kind"] == "stop_string":
        for c in resp["choices"]:
            assert c["matched_stop"] == "forty" and "forty" not in (c["message"]["content"] or "")
    if spec["kind"] in ("tool_call", "text_and_tool_call_one_step"):
        assert all(c["message"]["tool_calls"] for c in resp["choices"])
        assert any(
            ch["choices"] and ch["choices"][0]["delta"].get("tool_calls")
            for ch in stream["chunks"]
        ), "the streaming tool-call branch did not run"
    if spec["kind"] == "reasoning_then_content":
        assert all(c["message"]["reasoning_content"] for c in resp["choices"])
        assert any(
            ch["choices"] and ch["choices"][0]["delta"].get("reasoning_content")
            and "token_ids" in ch["choices"][0]
            for ch in stream["chunks"]
        ), "no reasoning chunk carried ids"


@pytest.mark.parametrize("name", NAMES)
def test_patched_flag_false_is_key_for_key_unpatched(patched_results, unpatched_results, name):
    for run in ("stream-false", "full-false"):
        got = patched_results[name][run]
        want = unpatched_results[name][run]
        body = got.get("chunks", got.get("response"))
        assert not find_id_keys(body), f"{run}: id keys with return_token_ids false"
        assert walk_keys(body) == walk_keys(want.get("chunks", want.get("response")))


@pytest.mark.parametrize("name", NAMES)
def test_unpatched_has_no_id_fields(unpatched_results, name):
    for run, result in unpatched_results[name].items():
        body = result.get("chunks", result.get("response"))
        assert body, run
        assert not find_id_keys(body), f"{run}: unpatched v0.5.9 returned id fields"
        # ...while the engine did produce ids: the harness drove the real code.
        assert all(e["output_ids"] for e in result["engine"])


def test_matrix_catches_a_missing_patch(sglang_release, tmp_path_factory):
    """Negative control: without 0003, --stream-output loses ids when outputs coalesce."""
    import shutil

    series = tmp_path_factory.mktemp("series-without-0003")
    for p in sorted((REPO / "patches/sglang-v0.5.9").glob("*.patch")):
        if not p.name.startswith("0003"):
            shutil.copy(p, series / p.name)
    tree = tmp_path_factory.mktemp("without-0003") / "tree"
    env = dict(os.environ, SGLANG_PATCH_DIR=str(series))
    proc = subprocess.run(
        ["bash", str(REPO / "scripts/patches-check.sh"), str(sglang_release), "--out", str(tree)],
        env=env, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    results = run_matrix(tree, tmp_path_factory, "without-0003")
    broken = set()
    for name, spec in SCENARIOS:
        stream = results[name]["stream-default"]
        ids, _, _ = per_index_stream(stream["chunks"])
        if any(ids[i] != e["output_ids"] for i, e in enumerate(stream["engine"])):
            broken.add((spec["stream_output"], name))
    assert broken, "the matrix did not notice ids lost under --stream-output"
    assert all(stream_output for stream_output, _ in broken), broken
