"""/v1/completions token ids (vLLM's completions shape) through the REAL route and
serving_completions.py, patched and unpatched, on the engine-less harness.

One process per sglang copy runs every scenario (`python -m
sglang_engineless.completions_scenarios`); the tests assert on what the client received
and what the scripted engine consumed and produced.
"""

import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "harness"))
from sglang_engineless.completions_scenarios import (  # noqa: E402  (no sglang import)
    FLAG_GARBAGE,
    FLAG_LAX,
    SERVERS,
)

PATCH = "0008-completions-token-ids.patch"
ID_KEYS = {"token_ids", "prompt_token_ids"}
# Cases built from the tokenizer are only known after the run; these names are fixed.
CASES = ["text", "text_n3", "ids", "ids_n2", "batch_text_n2", "batch_ids", "echo",
         "echo_ids", "stop_string", "max_tokens", "logprobs", "usage"]
SERVER_NAMES = [name for name, _ in SERVERS]
# The negative control runs on fewer servers (one per --stream-output mode) to save time.
CONTROL_SERVERS = ["so0-si3", "so1-si1"]


def run_scenarios(tree, tmp_path_factory, label, servers=None):
    work = tmp_path_factory.mktemp(f"completions-{label}")
    out = work / "results.json"
    env = dict(os.environ, PYTHONPATH=f"{tree}{os.pathsep}{REPO / 'harness'}")
    env.pop("SGLANG_TOKEN_IDS_DEFAULT", None)
    args = [sys.executable, "-W", "ignore", "-m", "sglang_engineless.completions_scenarios",
            str(out), str(work)] + ([",".join(servers)] if servers else [])
    proc = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    data = json.loads(out.read_text())
    assert data["sglang"] == str(tree / "sglang"), "the scenarios did not run the intended copy"
    assert sorted(data["cases"]) == sorted(CASES)
    return data


@pytest.fixture(scope="module")
def patched(patched_release, tmp_path_factory):
    return run_scenarios(patched_release, tmp_path_factory, "patched")


@pytest.fixture(scope="module")
def stock(sglang_release, tmp_path_factory):
    return run_scenarios(sglang_release, tmp_path_factory, "stock")


@pytest.fixture(scope="module")
def without_0008(sglang_release, tmp_path_factory):
    series = tmp_path_factory.mktemp("series-without-0008")
    # The series under test (patches-check.sh reads SGLANG_PATCH_DIR the same way).
    patch_dir = os.environ.get("SGLANG_PATCH_DIR", str(REPO / "patches/sglang-v0.5.9"))
    patches = sorted(Path(patch_dir).glob("*.patch"))
    assert PATCH in [p.name for p in patches]
    for p in patches:
        if p.name != PATCH:
            shutil.copy(p, series / p.name)
    tree = tmp_path_factory.mktemp("without-0008") / "tree"
    proc = subprocess.run(
        ["bash", str(REPO / "scripts/patches-check.sh"), str(sglang_release), "--out", str(tree)],
        env=dict(os.environ, SGLANG_PATCH_DIR=str(series)), capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    return run_scenarios(tree, tmp_path_factory, "without-0008", CONTROL_SERVERS)


@pytest.fixture(scope="module")
def tokenizer(patched):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(patched["model_dir"])


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


def id_keys(obj):
    return {k for k in walk_keys(obj) if k.rsplit(".", 1)[-1] in ID_KEYS}


def body_of(result):
    return result.get("chunks", result.get("response"))


def sent_prompts(body):
    """Per prompt, the ids the client sent; None for text prompts."""
    prompt = body["prompt"]
    if isinstance(prompt, list) and isinstance(prompt[0], int):
        return [prompt]
    if isinstance(prompt, list) and isinstance(prompt[0], list):
        return prompt
    return None


def full_problems(result, body):
    """What is wrong with a non-streaming response that asked for ids (empty: exact)."""
    problems = []
    n = body.get("n", 1)
    resp, engine = result["response"], result["engine"]
    if set(resp) & ID_KEYS:
        problems.append("id keys at the top level (vLLM completions has them per choice)")
    sent = sent_prompts(body)
    for choice in resp["choices"]:
        i = choice["index"]
        if choice.get("token_ids") != engine[i]["output_ids"]:
            problems.append(f"choice {i}: token_ids != the engine's output ids")
        if choice.get("prompt_token_ids") != engine[i]["prompt_ids"]:
            problems.append(f"choice {i}: prompt_token_ids != the ids the engine consumed")
        if sent and choice.get("prompt_token_ids") != sent[i // n]:
            problems.append(f"choice {i}: prompt_token_ids != the ids the client sent")
    if sum(len(c.get("token_ids") or []) for c in resp["choices"]) != resp["usage"]["completion_tokens"]:
        problems.append("token_ids do not add up to usage.completion_tokens")
    return problems


def stream_problems(result, body, full_response):
    """What is wrong with a stream that asked for ids (empty: exact)."""
    problems = []
    n_choices = len(full_response["choices"])
    ids, prompt_on, first_chunk, finish_chunk = defaultdict(list), defaultdict(list), {}, {}
    if not result["done"]:
        problems.append("no [DONE]")
    for pos, chunk in enumerate(result["chunks"]):
        if set(chunk) & ID_KEYS:
            problems.append(f"chunk {pos}: id keys at the top level")
        for choice in chunk["choices"]:
            idx = choice["index"]
            first_chunk.setdefault(idx, pos)
            if choice.get("finish_reason"):
                finish_chunk[idx] = choice
            if "token_ids" in choice:
                if not choice["token_ids"]:
                    problems.append(f"chunk {pos}: empty or null token_ids")
                ids[idx].extend(choice["token_ids"] or [])
            if "prompt_token_ids" in choice:
                prompt_on[idx].append((pos, choice["prompt_token_ids"]))
    for i in range(n_choices):
        want = full_response["choices"][i]
        if ids[i] != result["engine"][i]["output_ids"]:
            problems.append(f"index {i}: streamed token_ids != the engine's output ids")
        if ids[i] != want.get("token_ids"):
            problems.append(f"index {i}: streamed token_ids != the non-streaming token_ids")
        if [pos for pos, _ in prompt_on[i]] != [first_chunk.get(i)]:
            problems.append(f"index {i}: prompt_token_ids on chunks {prompt_on[i]}, "
                            f"want only the first ({first_chunk.get(i)})")
        elif prompt_on[i][0][1] != want.get("prompt_token_ids"):
            problems.append(f"index {i}: streamed prompt_token_ids != non-streaming ones")
        if i not in finish_chunk:
            problems.append(f"index {i}: no finish chunk")
        elif want["finish_reason"] == "stop" and isinstance(want["matched_stop"], int):
            # The stop token (EOS) has no text; its id still rides on the finish chunk.
            if (finish_chunk[i].get("token_ids") or [None])[-1] != want["matched_stop"]:
                problems.append(f"index {i}: the EOS id is not on the finish chunk")
    return problems


def on_runs(data, servers=SERVER_NAMES):
    """(key, case body, stream result, full result) for the runs that ask for ids."""
    for server in servers:
        for case in CASES:
            for flag in ("default", "true"):
                prefix = f"{server}/{case}"
                yield (f"{prefix}/{flag}", data["cases"][case],
                       data["runs"][f"{prefix}/stream-{flag}"], data["runs"][f"{prefix}/full-{flag}"])


def all_problems(data, servers=SERVER_NAMES):
    out = {}
    for key, body, stream, full in on_runs(data, servers):
        problems = full_problems(full, body)
        if not problems:
            problems = stream_problems(stream, body, full["response"])
        out[key] = problems
    return out


@pytest.mark.parametrize("server", SERVER_NAMES)
def test_ids_are_exact(patched, server):
    problems = {k: p for k, p in all_problems(patched, [server]).items() if p}
    assert not problems, json.dumps(problems, indent=1)[:4000]


def test_scenarios_exercise_what_they_claim(patched):
    runs = patched["runs"]
    for server in SERVER_NAMES:
        full = lambda case: runs[f"{server}/{case}/full-default"]["response"]  # noqa: E731
        engine = lambda case: runs[f"{server}/{case}/full-default"]["engine"]  # noqa: E731
        assert len(full("text_n3")["choices"]) == 3
        assert len(full("batch_text_n2")["choices"]) == 4 and len(full("batch_ids")["choices"]) == 2
        # Text prompts reach the engine as text; id prompts as ids, in a spelling the
        # tokenizer would not produce (so re-tokenizing could not pass).
        assert all(e["prompt_was_text"] for e in engine("batch_text_n2"))
        assert not any(e["prompt_was_text"] for e in engine("batch_ids"))
        # Batch prompts: each choice has its own prompt's ids.
        bt = [c["prompt_token_ids"] for c in full("batch_text_n2")["choices"]]
        assert bt[0] == bt[1] != bt[2] == bt[3]
        assert all(c["finish_reason"] == "length" and len(c["token_ids"]) == 9
                   for c in full("max_tokens")["choices"])
        stop = full("stop_string")["choices"][0]
        assert stop["matched_stop"] == "forty" and "forty" not in stop["text"]
        assert full("text")["choices"][0]["matched_stop"] == engine("text")[0]["output_ids"][-1]


def test_ids_prompt_comes_back_as_sent_not_retokenized(patched, tokenizer):
    body = patched["cases"]["ids"]
    sent = body["prompt"]
    assert tokenizer.encode(tokenizer.decode(sent), add_special_tokens=False) != sent
    for server in SERVER_NAMES:
        for run in ("full-default", "full-true"):
            choice = patched["runs"][f"{server}/ids/{run}"]["response"]["choices"][0]
            assert choice["prompt_token_ids"] == sent


def test_echo_keeps_ids_generated_only(patched, tokenizer):
    for server in SERVER_NAMES:
        for case in ("echo", "echo_ids"):
            resp = patched["runs"][f"{server}/{case}/full-default"]["response"]
            choice = resp["choices"][0]
            generated = tokenizer.decode(choice["token_ids"], skip_special_tokens=True)
            assert choice["text"].endswith(generated) and choice["text"] != generated
            assert len(choice["token_ids"]) == resp["usage"]["completion_tokens"]
            chunks = patched["runs"][f"{server}/{case}/stream-default"]["chunks"]
            streamed = [i for c in chunks for ch in c["choices"] for i in ch.get("token_ids", [])]
            assert streamed == choice["token_ids"]


def test_ids_never_lag_the_text(patched, tokenizer):
    """Per chunk, the ids so far spell at least the text so far: held-back text (split
    multi-byte characters) never leaves its ids behind, nor ids their text."""
    split_seen = 0
    for key, body, stream, _ in on_runs(patched):
        if body.get("echo"):
            continue  # v0.5.9 streams echo text with its own offsets (unchanged here)
        text, ids = defaultdict(str), defaultdict(list)
        for chunk in stream["chunks"]:
            for ch in chunk["choices"]:
                i = ch["index"]
                text[i] += ch["text"]
                ids[i] += ch.get("token_ids", [])
                decoded = tokenizer.decode(ids[i], skip_special_tokens=True)
                assert decoded.startswith(text[i]), (key, text[i], decoded)
                split_seen += decoded != text[i] and "\ufffd" in decoded
    assert split_seen, "no chunk ended inside a multi-byte character"


def test_include_usage_chunk_has_no_ids(patched):
    for server in SERVER_NAMES:
        chunks = patched["runs"][f"{server}/usage/stream-default"]["chunks"]
        assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]
        assert not id_keys(chunks[-1])
        assert all(c["usage"] for c in chunks[:-1])  # continuous_usage_stats unchanged


def test_flag_false_is_key_for_key_stock(patched, stock):
    for key, result in patched["runs"].items():
        if key.endswith("-false"):
            body = body_of(result)
            assert body and not id_keys(body), key
            assert walk_keys(body) == walk_keys(body_of(stock["runs"][key])), key
            # Everything but ids is what stock v0.5.9 sends for the same request.
            default = patched["runs"][key.replace("-false", "-default")]
            assert walk_keys(body) == walk_keys(body_of(default)) - {
                k for k in walk_keys(body_of(default)) if k.rsplit(".", 1)[-1] in ID_KEYS}


def test_flag_values_as_pydantic_optional_bool(patched):
    flags = patched["flags"]
    for value, meaning in FLAG_LAX:
        result = flags[f"lax:{json.dumps(value)}"]
        assert result["status"] == 200, (value, result)
        choice = result["response"]["choices"][0]
        want_ids = meaning is not False  # None: the server default (on)
        assert ("token_ids" in choice) == want_ids, value
        assert ("prompt_token_ids" in choice) == want_ids, value
    for value in FLAG_GARBAGE:
        for stream in (False, True):
            result = flags[f"garbage:{json.dumps(value)}:stream={stream}"]
            assert result["status"] == 400, (value, stream, result)
            body = result["body"]
            assert body["object"] == "error" and body["code"] == 400
            assert body["type"] == "Bad Request"
            assert "'return_token_ids'" in body["message"], body["message"]


def test_logprobs_are_stock_v059s(patched, stock):
    """The log-probabilities of a completion are what v0.5.9 sends, chunk for chunk
    (v0.5.9's own per-chunk placement kept), with ids on or off."""
    for server in SERVER_NAMES:
        for run in ("full-default", "full-false", "stream-default", "stream-false"):
            key = f"{server}/logprobs/{run}"
            got, want = body_of(patched["runs"][key]), body_of(stock["runs"][key])
            if run.startswith("full"):
                got, want = [got], [want]
            got_lp = [ch["logprobs"] for c in got for ch in c["choices"]]
            assert got_lp == [ch["logprobs"] for c in want for ch in c["choices"]], key
            assert any(lp and lp["top_logprobs"] for lp in got_lp), key


def test_stock_fails_the_checks(stock):
    """Negative control: stock v0.5.9 returns no ids and ignores garbage flag values."""
    problems = all_problems(stock)
    assert problems and all(problems.values()), "stock v0.5.9 passed an id check"
    assert not any(id_keys(body_of(r)) for r in stock["runs"].values())
    assert all(stock["flags"][f"garbage:{json.dumps(v)}:stream=False"]["status"] == 200
               for v in FLAG_GARBAGE)


def test_series_without_0008_fails_the_checks(without_0008):
    problems = all_problems(without_0008, CONTROL_SERVERS)
    assert problems and all(problems.values()), "the series without 0008 passed an id check"


def test_server_default_from_env_as_for_chat(patched):
    env = patched["env_default"]
    has_ids = {k.split("/")[1]: "token_ids" in r["response"]["choices"][0]
               for k, r in env.items() if k.startswith("0/")}
    assert has_ids == {"default": False, "false": False, "true": True}
    assert "SGLANG_TOKEN_IDS_DEFAULT" in env["invalid"], env["invalid"]
