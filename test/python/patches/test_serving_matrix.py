"""(c)/(d) The scenario matrix through the REAL serving code, patched and unpatched, per release.

Each copy runs in its own process (`python -m sglang_engineless.scenarios`, with the
release's Python), importing sglang once; the tests assert the token-ids contract
(stream_checks) on what the client received against what the engine did. Negative controls:
stock releases fail the checks and ship only their own id fields (0.5.23: upstream's
per-choice ids non-streamed, a 400 for return_token_ids with stream=true, sglext ids at the
end of a stream), and on v0.5.9 the series without each diff fails the scenarios that diff
is for.

Tiers (sglang_engineless.adapters.tier_of): the default release (v0.5.9) and the newest run the
default matrix and every diff's negative control; the releases between run their core subset
(every kind under four server modes, scenarios.CORE_MODES), patched and stock, to keep CI
within its budget as releases are added; SGLANG_TEST_MATRIX=full (`npm run test:matrix`) runs
n 1 and 2 under every delivery mode, and every control, for every release.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import RELEASES, REPO
from stream_checks import CHECKS, stream_ids, violations, walk_keys

from sglang_engineless.adapters import RELEASE_FLAGS, tier_of  # noqa: E402  (no sglang import)
from sglang_engineless.scenarios import (  # noqa: E402  (no sglang import)
    BASE_RUNS,
    PROMPT_IDS_RUNS_RELEASES,
    UPSTREAM_RUNS_RELEASES,
    matrix,
)

FULL = os.environ.get("SGLANG_TEST_MATRIX") == "full"
# The matrix tiers itself (scenarios_of, the controls below), so every release keeps it.
pytestmark = pytest.mark.every_release
FIRST = RELEASES[0]


def scenarios_of(release):
    return matrix(full=FULL, core=tier_of(release) == "core")


SPECS = {release: dict(scenarios_of(release)) for release in RELEASES}
CASES = [(release, name) for release in RELEASES for name, _ in scenarios_of(release)]
UPSTREAM_CASES = [(r, n) for r, n in CASES if r in UPSTREAM_RUNS_RELEASES]
PROMPT_IDS_CASES = [(r, n) for r, n in CASES if r in PROMPT_IDS_RUNS_RELEASES]
# Keys that carry ids: vLLM's shape, 0.5.17+'s per-choice response_token_ids, 0.5.20+'s sglext.
ID_KEYS = {"token_ids", "prompt_token_ids", "response_token_ids", "sglext"}
RUN_NAMES = tuple(BASE_RUNS)
STREAM_TRUE_400 = "return_token_ids is not supported with streaming on /v1/chat/completions"
PROMPT_IDS_STREAM_400 = "return_prompt_token_ids is not supported with streaming"


def start_matrix(tree, python, tmp_path_factory, label, release, kinds=()):
    """The matrix process for one copy, started (finish_matrix waits for it)."""
    work = tmp_path_factory.mktemp(f"matrix-{label}")
    out = work / "results.json"
    env = dict(os.environ, PYTHONPATH=f"{tree}{os.pathsep}{REPO / 'python' / 'harness'}")
    env.pop("SGLANG_TOKEN_IDS_DEFAULT", None)
    args = [python, "-W", "ignore", "-m", "sglang_engineless.scenarios", str(out), str(work)]
    if FULL:
        args.append("--full")
    elif tier_of(release) == "core":
        args.append("--core")
    if kinds:
        args += ["--kinds", ",".join(kinds)]
    log = open(work / "stderr.log", "w+")
    proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True)
    return proc, log, out, tree, release


def finish_matrix(started):
    proc, log, out, tree, release = started
    try:
        proc.wait(timeout=1800)
    finally:
        if proc.poll() is None:
            proc.kill()
    log.seek(0)
    assert proc.returncode == 0, log.read()[-4000:]
    data = json.loads(out.read_text())
    assert data["sglang"] == str(tree / "sglang"), "the matrix did not run the intended copy"
    assert data["release"] == release, "the harness picked another release's adapter"
    return data["scenarios"]


def run_matrix(tree, python, tmp_path_factory, label, release, kinds=()):
    return finish_matrix(start_matrix(tree, python, tmp_path_factory, label, release, kinds))


def series_tree(sglang_release, tmp_path_factory, label, leave_out=None, edit=None,
                release=FIRST):
    """`release` (its stock files in `sglang_release`) with its patch series applied, leaving
    out the patches whose names start with `leave_out` (one prefix or several), then
    `edit(tree)` applied to the patched files."""
    patch_dir = REPO / f"patches/sglang-v{release}"
    series = tmp_path_factory.mktemp(f"series-{label}")
    leave_out = (leave_out,) if isinstance(leave_out, str) else tuple(leave_out or ())
    kept = [p for p in sorted(patch_dir.glob("*.patch")) if not p.name.startswith(leave_out)]
    assert len(kept) == len(list(patch_dir.glob("*.patch"))) - len(leave_out), f"no patch {leave_out}"
    for p in kept:
        shutil.copy(p, series / p.name)
    tree = tmp_path_factory.mktemp(label) / "tree"
    proc = subprocess.run(
        ["bash", str(REPO / "scripts/patches-check.sh"), str(sglang_release), "--out", str(tree)],
        env=dict(os.environ, SGLANG_PATCH_DIR=str(series)), capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    if edit:
        edit(tree)
    return tree


class MatrixResults:
    """The matrix of each (release, patched or not), run once a session on first use; a
    release's stock and patched runs go side by side (two processes), to keep CI fast."""

    def __init__(self, release_files, tmp_path_factory):
        self.files, self.tmp, self.cache, self.started = release_files, tmp_path_factory, {}, {}

    def _start(self, release, patched):
        if (release, patched) not in self.started and (release, patched) not in self.cache:
            tree = self.files.patched(release) if patched else self.files.stock(release)
            label = f"{'patched' if patched else 'unpatched'}-{release}"
            self.started[release, patched] = start_matrix(
                tree, self.files.python(release), self.tmp, label, release)

    def opt_out_baseline(self, release):
        """What `return_token_ids: false` must equal key for key: stock, or on a release
        listed in OPT_OUT_BASELINE stock with only that diff (a deliberate fix of stock's
        streamed text that changes which keys a stream has)."""
        if release not in OPT_OUT_BASELINE:
            return self.get(release, False)
        key = (release, "baseline")
        if key not in self.cache:
            fix = OPT_OUT_BASELINE[release]
            others = tuple(p.name[:4] for p in sorted((REPO / f"patches/sglang-v{release}").glob("*.patch"))
                           if not p.name.startswith(fix))
            tree = series_tree(self.files.stock(release), self.tmp, f"baseline-{release}", others,
                               release=release)
            self.cache[key] = run_matrix(tree, self.files.python(release), self.tmp,
                                         f"baseline-{release}", release)
        return self.cache[key]

    def get(self, release, patched):
        key = (release, patched)
        if key not in self.cache:
            self._start(release, patched)
            if self.files.has_patches(release) or patched:
                self._start(release, not patched)
            try:
                self.cache[key] = finish_matrix(self.started.pop(key))
            except BaseException as e:  # a failed run fails every test of it, once
                self.cache[key] = e
        if isinstance(self.cache[key], BaseException):
            raise self.cache[key]
        return self.cache[key]


@pytest.fixture(scope="session")
def results(release_files, tmp_path_factory):
    return MatrixResults(release_files, tmp_path_factory)


@pytest.fixture(scope="session")
def patched_results(results):
    return results.get(FIRST, True)


@pytest.fixture(scope="session")
def unpatched_results(results):
    return results.get(FIRST, False)


def find_id_keys(obj):
    return {k for k in walk_keys(obj) if k.rsplit(".", 1)[-1] in ID_KEYS}


def body(result):
    return result.get("chunks", result.get("response"))


@pytest.mark.parametrize("release,name", CASES)
def test_patched_keeps_the_contract(results, release, name):
    assert violations(results.get(release, True)[name], SPECS[release][name]) == {}


@pytest.mark.parametrize("release,name", CASES)
def test_patched_scenario_ran_its_code_path(results, release, name):
    """The scenario really exercised what it is named for (so its checks mean something)."""
    runs, spec = results.get(release, True)[name], SPECS[release][name]
    kind, n = spec["kind"], spec["n"]
    chunks = runs["stream-default"]["chunks"]
    resp = runs["full-default"]["response"]
    ids = stream_ids(chunks)
    deltas = [ch["choices"][0]["delta"] for ch in chunks if ch["choices"]]
    if kind == "max_tokens":
        assert all(len(ids[i]) == 7 for i in range(n))
        assert all(c["finish_reason"] == "length" for c in resp["choices"])
    if kind == "stop_string":
        for c in resp["choices"]:
            assert c["matched_stop"] == "forty" and "forty" not in (c["message"]["content"] or "")
    if kind in ("tool_call", "text_and_tool_call_one_step", "text_before_tool_call", "n3_tools",
                "reasoning_tool", "logprobs_top0", "logprobs_top5"):
        assert all(c["message"]["tool_calls"] for c in resp["choices"])
        assert any(d.get("tool_calls") for d in deltas), "the streaming tool-call branch did not run"
    if kind.startswith("tool_cut_"):
        assert all(c["finish_reason"] == "length" for c in resp["choices"])
        args = "".join(
            tc["function"].get("arguments") or "" for d in deltas for tc in d.get("tool_calls") or []
        )
        assert any(tc["function"].get("name") for d in deltas for tc in d.get("tool_calls") or [])
        if spec["delivery"] == "each" and spec["interval"] == 1:
            # Token by token the partial arguments stream; in larger pieces the parser may
            # stream only the name of a call cut inside its arguments.
            assert '"Pa' in args, "the call was not cut inside its arguments"
    if kind in ("reasoning_then_content", "reasoning_tool", "logprobs_top5"):
        assert all(c["message"]["reasoning_content"] for c in resp["choices"])
        assert any(
            ch["choices"] and ch["choices"][0]["delta"].get("reasoning_content")
            and "token_ids" in ch["choices"][0]
            for ch in chunks
        ), "no reasoning chunk carried ids"
    if kind.startswith("logprobs_"):
        assert resp["choices"][0]["logprobs"]["content"], "no log-probabilities"
    if kind in ("two_tool_calls", "required_two_calls"):
        assert all(len(c["message"]["tool_calls"]) == 2 for c in resp["choices"])
    if kind == "text_after_tool_call":
        assert all("Done, anything else?" in c["message"]["content"] for c in resp["choices"])
    if kind == "reasoning_not_streamed":
        # Not streamed: the reasoning goes out in one piece, at </think>.
        for i in range(n):
            pieces = [ch for ch in chunks if ch["choices"] and ch["choices"][0]["index"] == i
                      and ch["choices"][0]["delta"].get("reasoning_content")]
            assert len(pieces) == 1, f"index {i}: reasoning streamed in {len(pieces)} pieces"
    reads = [e for e in runs["stream-default"]["events"] if e[0] == "read"]
    if spec["delivery"] == "whole":
        assert len(reads) == n, f"whole answer delivered in {len(reads)} reads"
    finals = [len(e["output_ids"]) for e in runs["stream-default"]["engine"]]
    some_read_before_the_end = any(reported < finals[i] for _, i, reported, _ in reads)
    if spec["delivery"] == "lag" and not spec["stream_output"] and some_read_before_the_end:
        # The serving layer found output_ids longer than their output reports (the engine
        # ran ahead in the live list) exactly on the releases that hand out the live list.
        # (Only where some output was read before the end: a choice read once got only its
        # final output, a copy. 0.5.12's waiter wakes through asyncio.wait_for, turns later than
        # 0.5.23's, and 0.5.15.post1's 4-token stop_string answer coalesces, so they may be
        # read only once, finished.)
        ran_ahead = any(found > reported for _, _, reported, found in reads)
        # (0.5.19 delivers a short stop-string answer as one final output per choice, a
        # copy: with no intermediate read nothing can run ahead.)
        if release not in LIVE_LIST_RELEASES:
            assert not ran_ahead, reads
        elif len(reads) > n:
            assert ran_ahead, reads


# Release -> the diff whose fix of stock's streamed text changes a stream's keys: the opt-out is
# compared with stock plus that diff. 0.5.10.post1's --incremental-streaming-output cut the text
# of every chunk after the first, so stock never streamed the tool calls of such a stream; its
# 0001 (first in the series, on stock's lines) restores the text, and the tool-call keys with it.
OPT_OUT_BASELINE = {"0.5.10.post1": "0001"}


@pytest.mark.parametrize("release,name", CASES)
def test_patched_flag_false_is_key_for_key_unpatched(results, release, name):
    for run in ("stream-false", "full-false"):
        got = body(results.get(release, True)[name][run])
        want = body(results.opt_out_baseline(release)[name][run])
        assert not find_id_keys(got), f"{run}: id keys with return_token_ids false"
        assert walk_keys(got) == walk_keys(want)


@pytest.mark.parametrize("release,name", CASES)
def test_unpatched_has_no_id_fields_and_fails_the_id_checks(results, release, name):
    runs = results.get(release, False)[name]
    for run in RUN_NAMES:
        assert body(runs[run]), run
        assert not find_id_keys(body(runs[run])), f"{run}: unpatched {release} returned id fields"
        # ...while the engine did produce ids: the harness drove the real code.
        assert all(e["output_ids"] for e in runs[run]["engine"])
    found = violations(runs, SPECS[release][name])
    assert "ids_exact" in found and "ids_placement" in found


def sglext_chunks(chunks):
    return [(pos, c) for pos, c in enumerate(chunks) if "sglext" in c]


@pytest.mark.parametrize("release,name", UPSTREAM_CASES)
def test_unpatched_ships_upstreams_own_ids(results, release, name):
    """What stock 0.5.23 does with its own id requests, measured on the harness: chat
    return_token_ids -> per-choice prompt_token_ids + response_token_ids non-streamed and a
    400 streamed; sglext flags -> input/output ids once, in a choice-less chunk at the end
    of the stream (before the usage chunk), and in the non-streamed response's sglext."""
    runs, spec = results.get(release, False)[name], SPECS[release][name]
    n = spec["n"]
    assert ("stream-sglext" in runs) == RELEASE_FLAGS[release].SGLEXT_IDS
    refused = runs["stream-true"]
    assert refused["status"] == 400 and STREAM_TRUE_400 in refused["error"]["message"]
    full = runs["full-true"]
    resp, engine = full["response"], full["engine"]
    assert "prompt_token_ids" not in resp and "sglext" not in resp
    for choice in resp["choices"]:
        i = choice["index"]
        assert choice["prompt_token_ids"] == engine[i]["prompt_ids"]
        assert choice["response_token_ids"] == engine[i]["output_ids"]
        assert "token_ids" not in choice
    if not RELEASE_FLAGS[release].SGLEXT_IDS:
        return  # sglext ids from 0.5.20 on
    stream = runs["stream-sglext"]
    chunks, engine = stream["chunks"], stream["engine"]
    assert stream["done"]
    found = sglext_chunks(chunks)
    assert len(found) == 1, [pos for pos, _ in found]
    pos, chunk = found[0]
    assert chunk["choices"] == []
    after = chunks[pos + 1:]
    assert all(c.get("usage") and not c["choices"] for c in after), "only the usage chunk may follow"
    assert chunk["sglext"]["input_ids"] == engine[0]["prompt_ids"]
    assert chunk["sglext"]["output_ids"] == [engine[i]["output_ids"] for i in range(n)]
    assert not {k for c in chunks for k in walk_keys(c) if k.rsplit(".", 1)[-1] in
                {"token_ids", "prompt_token_ids", "response_token_ids"}}
    full = runs["full-sglext"]
    assert full["response"]["sglext"]["input_ids"] == full["engine"][0]["prompt_ids"]
    assert full["response"]["sglext"]["output_ids"] == [e["output_ids"] for e in full["engine"]]


@pytest.mark.parametrize("release,name", UPSTREAM_CASES)
def test_patched_answers_both_shapes(results, release, name):
    """Upstream's own requests on the patched release: upstream's fields exactly as stock
    ships them, vLLM's shape next to them, and stream=true with return_token_ids answered
    (vLLM's shape), not refused."""
    patched, stock = results.get(release, True)[name], results.get(release, False)[name]
    spec = SPECS[release][name]
    stream = patched["stream-true"]
    assert "chunks" in stream, f"stream=true with return_token_ids refused: {stream.get('error')}"
    as_default = dict(patched, **{"stream-default": stream})
    assert CHECKS["ids_exact"](as_default, spec) == []
    full, full_stock = patched["full-true"]["response"], stock["full-true"]["response"]
    engine = patched["full-true"]["engine"]
    for choice, stock_choice in zip(full["choices"], full_stock["choices"]):
        i = choice["index"]
        assert choice["response_token_ids"] == engine[i]["output_ids"]
        assert choice["prompt_token_ids"] == engine[i]["prompt_ids"]
        assert choice["token_ids"] == engine[i]["output_ids"]
        assert set(stock_choice) <= set(choice)
    assert full["prompt_token_ids"] == engine[0]["prompt_ids"]
    for run in ("stream-sglext", "full-sglext") if RELEASE_FLAGS[release].SGLEXT_IDS else ():
        got, want = patched[run], stock[run]
        got_ext = [c["sglext"] for c in got.get("chunks", [got.get("response")]) if "sglext" in c]
        want_ext = [c["sglext"] for c in want.get("chunks", [want.get("response")]) if "sglext" in c]
        assert len(got_ext) == len(want_ext) == 1
        assert got_ext[0]["output_ids"] == [e["output_ids"] for e in got["engine"]]
        assert set(got_ext[0]) == set(want_ext[0])


@pytest.mark.parametrize("release,name", PROMPT_IDS_CASES)
@pytest.mark.parametrize("patched", [False, True], ids=["stock", "patched"])
def test_return_prompt_token_ids_as_the_release_ships_it(results, release, name, patched):
    """0.5.15.post1's own id request, measured on the harness, stock and (unchanged) patched:
    chat return_prompt_token_ids -> per-choice prompt_token_ids non-streamed (the engine's
    prompt ids), a 400 streamed. The patched release adds vLLM's fields next to it (default
    on), never upstream's per-choice field without the flag."""
    runs = results.get(release, patched)[name]
    refused = runs["stream-prompt-ids"]
    assert refused["status"] == 400 and PROMPT_IDS_STREAM_400 in refused["error"]["message"]
    full = runs["full-prompt-ids"]
    resp, engine = full["response"], full["engine"]
    for choice in resp["choices"]:
        assert choice["prompt_token_ids"] == engine[choice["index"]]["prompt_ids"]
        assert ("token_ids" in choice) == patched
    assert ("prompt_token_ids" in resp) == patched
    if patched:
        assert resp["prompt_token_ids"] == engine[0]["prompt_ids"]
        assert all(c["token_ids"] == engine[c["index"]]["output_ids"] for c in resp["choices"])
    for choice in runs["full-default"]["response"]["choices"]:
        assert "prompt_token_ids" not in choice, "upstream's per-choice field without its flag"


# Releases whose TokenizerManager hands intermediate cumulative outputs the request's live
# output_ids list (no copy).
LIVE_LIST_RELEASES = {"0.5.12", "0.5.13.post1", "0.5.15.post1", "0.5.19", "0.5.20", "0.5.23"}
# Per release: the diff that bounds stream ids by the output (the live list) and the one that
# streams every tool call of one piece; their controls assert where the defect shows.
LIVE_LIST_DIFF = {"0.5.12": "0011", "0.5.13.post1": "0011", "0.5.15.post1": "0011", "0.5.19": "0011",
                  "0.5.20": "0011", "0.5.23": "0011"}
EVERY_CALL_DIFF = {"0.5.13.post1": "0009", "0.5.15.post1": "0009", "0.5.19": "0009", "0.5.20": "0009",
                   "0.5.23": "0009"}
# ...and the deliveries whose pieces hold a whole call and more without it, measured (token by
# token they stream the second call; 0.5.15.post1 and 0.5.19 also lose it at 3 tokens per engine
# step, a piece that holds the end of one call and the start of the next).
EVERY_CALL_DELIVERIES = {"0.5.13.post1": ("whole", "lag", "bunched", "step3"),
                         "0.5.15.post1": ("whole", "lag", "bunched", "step3"),
                         "0.5.19": ("whole", "lag", "bunched", "step3"),
                         "0.5.20": ("whole", "lag", "bunched", "step3"),
                         "0.5.23": ("whole", "lag", "bunched")}
# Defects a stock later release still ships, measured on its core matrix: check -> kinds
# each of which fails it in at least one scenario (function_call's lost text and arguments,
# the second call of one piece and text after a call, the detokenizer re-sending text;
# log-probabilities cannot travel with ids it never sends).
STOCK_DEFECTS = {
    # measured: every text kind but max_tokens, stop_string, tool_cut_named/_required (which
    # stock 0.5.10.post1 streams right in every core mode); the first four only through the
    # incremental-streaming text cut (0001), the rest also with it fixed.
    "0.5.10.post1": {
        "text_fidelity": ("plain", "multibyte_split", "include_usage", "reasoning_then_content",
                          "tool_call", "text_before_tool_call", "multibyte_edge",
                          "text_and_tool_call_one_step", "reasoning_tool", "two_tool_calls",
                          "required_two_calls", "text_after_tool_call", "reasoning_not_streamed",
                          "n3_tools", "tool_cut_auto"),
        "logprobs_alignment": ("logprobs_top0", "logprobs_top5", "logprobs_unset"),
        "logprob_token_ids": ("logprobs_top0", "logprobs_top5", "logprobs_unset"),
    },
    # 0.5.12 also keeps <think> in the reasoning parser's buffer (v0.5.9's 0013; fixed by 0.5.23).
    "0.5.12": {
        "text_fidelity": ("tool_call", "text_before_tool_call", "multibyte_edge",
                          "text_and_tool_call_one_step", "reasoning_tool", "two_tool_calls",
                          "required_two_calls", "text_after_tool_call", "reasoning_not_streamed"),
        "logprobs_alignment": ("logprobs_top0", "logprobs_top5", "logprobs_unset"),
        "logprob_token_ids": ("logprobs_top0", "logprobs_top5", "logprobs_unset"),
    },
    # 0.5.13.post1: 0.5.15.post1's tool-call parsers and reasoning parser byte for byte.
    "0.5.13.post1": {
        "text_fidelity": ("tool_call", "text_before_tool_call", "multibyte_edge",
                          "text_and_tool_call_one_step", "reasoning_tool", "two_tool_calls",
                          "required_two_calls", "text_after_tool_call", "reasoning_not_streamed"),
        "logprobs_alignment": ("logprobs_top0", "logprobs_top5", "logprobs_unset"),
        "logprob_token_ids": ("logprobs_top0", "logprobs_top5", "logprobs_unset"),
    },
    "0.5.15.post1": {
        # 0.5.23's, and the reasoning markup v0.5.9's 0013 (0.5.15.post1's 0012) strips.
        "text_fidelity": ("tool_call", "text_before_tool_call", "multibyte_edge",
                          "text_and_tool_call_one_step", "reasoning_tool", "two_tool_calls",
                          "required_two_calls", "text_after_tool_call", "reasoning_not_streamed"),
        "logprobs_alignment": ("logprobs_top0", "logprobs_top5", "logprobs_unset"),
        "logprob_token_ids": ("logprobs_top0", "logprobs_top5", "logprobs_unset"),
    },
    # measured on its core matrix: every one of its 106 scenarios fails some check
    "0.5.19": {
        "text_fidelity": ("tool_call", "text_before_tool_call", "multibyte_edge",
                          "text_and_tool_call_one_step", "reasoning_tool", "two_tool_calls",
                          "required_two_calls", "text_after_tool_call", "n3_tools",
                          "logprobs_top0", "logprobs_top5", "logprobs_unset"),
        "logprobs_alignment": ("logprobs_top0", "logprobs_top5", "logprobs_unset"),
        "logprob_token_ids": ("logprobs_top0", "logprobs_top5", "logprobs_unset"),
    },
    # measured on its core matrix: 0.5.19's defects (same serving layer)
    "0.5.20": {
        "text_fidelity": ("tool_call", "text_before_tool_call", "multibyte_edge",
                          "text_and_tool_call_one_step", "reasoning_tool", "two_tool_calls",
                          "required_two_calls", "text_after_tool_call", "n3_tools",
                          "logprobs_top0", "logprobs_top5", "logprobs_unset"),
        "logprobs_alignment": ("logprobs_top0", "logprobs_top5", "logprobs_unset"),
        "logprob_token_ids": ("logprobs_top0", "logprobs_top5", "logprobs_unset"),
    },
    "0.5.23": {
        "text_fidelity": ("tool_call", "text_before_tool_call", "multibyte_edge",
                          "text_and_tool_call_one_step", "reasoning_tool", "two_tool_calls",
                          "required_two_calls", "text_after_tool_call"),
        "logprobs_alignment": ("logprobs_top0", "logprobs_top5", "logprobs_unset"),
        # no return_tokens_as_token_ids: the logprob tokens stay text.
        "logprob_token_ids": ("logprobs_top0", "logprobs_top5", "logprobs_unset"),
    },
}


@pytest.mark.parametrize("release,check", [(r, c) for r in STOCK_DEFECTS for c in STOCK_DEFECTS[r]])
def test_stock_later_release_still_has_the_defects(results, release, check):
    stock = results.get(release, False)
    failing = {spec["kind"] for name, spec in scenarios_of(release)
               if CHECKS[check](stock[name], spec)}
    missing = set(STOCK_DEFECTS[release][check]) - failing
    assert not missing, f"stock {release} passes {check} on every scenario of {sorted(missing)}"


# What each diff fixes, per release, as (check, kinds whose scenarios show it). The stock
# release fails each of these, and so does the series without that diff (controls below).
DEFECTS = {
    "0.5.9": {
        "0002": ("ids_placement", ("tool_cut_auto", "tool_cut_required", "tool_cut_named")),
        "0003": ("ids_exact", ("plain", "tool_call", "reasoning_then_content", "n3_tools")),
        "0004": ("logprobs_alignment", ("logprobs_top0", "logprobs_top5", "logprobs_unset")),
        "0005": ("text_fidelity", ("multibyte_edge", "logprobs_unset")),
        "0006": ("text_fidelity", ("text_before_tool_call", "tool_call", "reasoning_tool")),
        "0007": ("text_fidelity", ("text_and_tool_call_one_step", "tool_call")),
        "0011": ("text_fidelity", ("two_tool_calls", "required_two_calls")),
        "0012": ("text_fidelity", ("text_after_tool_call",)),
        "0013": ("text_fidelity", ("reasoning_not_streamed",)),
        "0014": ("logprob_token_ids", ("logprobs_top0", "logprobs_top5", "logprobs_unset")),
    },
    # 0.5.10.post1's series: v0.5.9's less 0003 and 0010 (upstream has them), its own 0001 first.
    "0.5.10.post1": {
        # --incremental-streaming-output: every chunk after the first lost text.
        "0001": ("text_fidelity", ("plain", "multibyte_split", "include_usage", "reasoning_then_content")),
        "0003": ("ids_placement", ("tool_cut_auto", "tool_cut_required", "tool_cut_named")),
        "0004": ("logprobs_alignment", ("logprobs_top0", "logprobs_top5", "logprobs_unset")),
        "0005": ("text_fidelity", ("multibyte_edge", "logprobs_unset")),
        "0006": ("text_fidelity", ("text_before_tool_call", "tool_call", "reasoning_tool")),
        "0007": ("text_fidelity", ("text_and_tool_call_one_step", "tool_call")),
        "0010": ("text_fidelity", ("two_tool_calls", "required_two_calls")),
        "0011": ("text_fidelity", ("text_after_tool_call",)),
        "0012": ("text_fidelity", ("reasoning_not_streamed",)),
        "0013": ("logprob_token_ids", ("logprobs_top0", "logprobs_top5", "logprobs_unset")),
    },
    "0.5.12": {
        "0003": ("logprobs_alignment", ("logprobs_top0", "logprobs_top5", "logprobs_unset")),
        "0004": ("text_fidelity", ("multibyte_edge", "logprobs_unset")),
        "0006": ("text_fidelity", ("text_before_tool_call", "tool_call", "reasoning_tool")),
        "0007": ("text_fidelity", ("text_and_tool_call_one_step", "tool_call")),
        "0009": ("text_fidelity", ("two_tool_calls", "required_two_calls")),
        "0010": ("text_fidelity", ("text_after_tool_call",)),
        "0011": ("ids_placement", ("plain", "stop_string", "two_tool_calls", "logprobs_unset")),
        "0012": ("text_fidelity", ("reasoning_not_streamed",)),
        "0013": ("logprob_token_ids", ("logprobs_top0", "logprobs_top5", "logprobs_unset")),
    },
    "0.5.13.post1": {
        "0003": ("logprobs_alignment", ("logprobs_top0", "logprobs_top5", "logprobs_unset")),
        "0004": ("text_fidelity", ("multibyte_edge", "logprobs_unset")),
        "0006": ("text_fidelity", ("text_before_tool_call", "tool_call", "reasoning_tool")),
        "0007": ("text_fidelity", ("text_and_tool_call_one_step", "tool_call")),
        "0009": ("text_fidelity", ("two_tool_calls", "required_two_calls")),
        "0010": ("text_fidelity", ("text_after_tool_call",)),
        "0011": ("ids_placement", ("plain", "stop_string", "two_tool_calls", "logprobs_unset")),
        # v0.5.9's 0013: 0.5.13.post1 still keeps <think> in the buffer it sends at </think>.
        "0012": ("text_fidelity", ("reasoning_not_streamed",)),
        "0013": ("logprob_token_ids", ("logprobs_top0", "logprobs_top5", "logprobs_unset")),
    },
    "0.5.15.post1": {
        "0009": ("text_fidelity", ("two_tool_calls", "required_two_calls")),
        "0010": ("text_fidelity", ("text_after_tool_call",)),
        "0011": ("ids_placement", ("plain", "stop_string", "two_tool_calls", "logprobs_unset")),
        # v0.5.9's 0013: 0.5.15.post1 still keeps <think> in the buffer it sends at </think>.
        "0012": ("text_fidelity", ("reasoning_not_streamed",)),
        "0013": ("logprob_token_ids", ("logprobs_top0", "logprobs_top5", "logprobs_unset")),
    },
    "0.5.19": {
        "0003": ("logprobs_alignment", ("logprobs_top0", "logprobs_top5", "logprobs_unset")),
        "0004": ("text_fidelity", ("multibyte_edge", "logprobs_unset")),
        "0006": ("text_fidelity", ("text_before_tool_call", "tool_call", "reasoning_tool")),
        "0007": ("text_fidelity", ("text_and_tool_call_one_step", "tool_call")),
        "0009": ("text_fidelity", ("two_tool_calls", "required_two_calls")),
        "0010": ("text_fidelity", ("text_after_tool_call",)),
        "0011": ("ids_placement", ("plain", "stop_string", "two_tool_calls", "logprobs_unset")),
        "0012": ("logprob_token_ids", ("logprobs_top0", "logprobs_top5", "logprobs_unset")),
    },
    "0.5.20": {
        "0003": ("logprobs_alignment", ("logprobs_top0", "logprobs_top5", "logprobs_unset")),
        "0004": ("text_fidelity", ("multibyte_edge", "logprobs_unset")),
        "0006": ("text_fidelity", ("text_before_tool_call", "tool_call", "reasoning_tool")),
        "0007": ("text_fidelity", ("text_and_tool_call_one_step", "tool_call")),
        "0009": ("text_fidelity", ("two_tool_calls", "required_two_calls")),
        "0010": ("text_fidelity", ("text_after_tool_call",)),
        "0011": ("ids_placement", ("plain", "stop_string", "two_tool_calls", "logprobs_unset")),
        "0012": ("logprob_token_ids", ("logprobs_top0", "logprobs_top5", "logprobs_unset")),
    },
    "0.5.23": {
        "0009": ("text_fidelity", ("two_tool_calls", "required_two_calls")),
        "0010": ("text_fidelity", ("text_after_tool_call",)),
        # The live list: the ids of a chunk run ahead of its text (stock sends no vLLM ids,
        # so only the controls show it; the kinds are those whose answers are long enough).
        "0011": ("ids_placement", ("plain", "stop_string", "two_tool_calls", "logprobs_unset")),
        "0012": ("logprob_token_ids", ("logprobs_top0", "logprobs_top5", "logprobs_unset")),
    },
}
# Diffs whose defect stock shows through the check (a stock release without vLLM's ids fails
# every id check anyway, so an id diff is shown by its control only).
STOCK_SHOWS = [(r, d) for r in DEFECTS for d in DEFECTS[r]
               if DEFECTS[r][d][0] not in ("ids_exact", "ids_placement") or r == FIRST]


@pytest.mark.parametrize("release,diff", STOCK_SHOWS)
def test_stock_fails_what_each_diff_fixes(results, release, diff):
    check, kinds = DEFECTS[release][diff]
    stock = results.get(release, False)
    failing = [
        name for name, spec in scenarios_of(release)
        if spec["kind"] in kinds and CHECKS[check](stock[name], spec)
    ]
    assert failing, f"stock {release} passes {check} on {kinds}"


def remove_remaining_arguments_ids(tree: Path):
    """0002 without its remaining-arguments placement: the chunk
    _check_for_unstreamed_tool_args sends takes no ids (they fall to the finish chunk)."""
    path = tree / "sglang/srt/entrypoints/openai/serving_chat.py"
    src = path.read_text()
    site = src.index("finish_reason=None,  # Don't send finish_reason with this chunk\n")
    line = "                token_ids=self._take_token_ids(pending_token_ids, index),\n"
    at = src.index(line, site)
    assert at - site < 200, "the remaining-arguments chunk no longer takes ids where expected"
    path.write_text(src[:at] + src[at + len(line):])


def tokens_as_token_ids_off(tree: Path):
    """return_tokens_as_token_ids never honoured (its flag read as off; v0.5.9's 0014, 0.5.23's
    0012): the tokenize and prompt_logprobs diffs after it build on its protocol lines, so the
    control is this edit, not leaving the diff out."""
    path = tree / "sglang/srt/entrypoints/openai/tokens_as_token_ids.py"
    src = path.read_text()
    line = "    return default if flag is None else flag\n"
    assert src.count(line) == 1, "the flag reading of tokens_as_token_ids.py moved"
    path.write_text(src.replace(line, "    return False\n"))


def cut_incremental_text(tree: Path):
    """0.5.10.post1's 0001 undone in chat: under --incremental-streaming-output the new text of
    each output is cut at the length streamed so far again, as stock does. (Leaving 0001 out
    is no control: the completions diffs after it are written on its lines.)"""
    path = tree / "sglang/srt/entrypoints/openai/serving_chat.py"
    src = path.read_text()
    fixed = "                    delta = content[\"text\"]\n                else:\n"
    assert src.count(fixed) == 1, "0001's chat branch moved"
    path.write_text(src.replace(fixed, "                    delta = content[\"text\"][len(stream_buffer) :]\n                else:\n"))


CONTROLS = {
    # (release, label): (diff it shows, leave_out, edit)
    ("0.5.9", "0002-placement"): ("0002", None, remove_remaining_arguments_ids),
    ("0.5.9", "without-0003"): ("0003", "0003", None),
    # 0014 (return_tokens_as_token_ids) is written on 0004's lines and 0016 on 0014's: they go
    # too; the 0004 kinds below never ask for token_id strings.
    ("0.5.9", "without-0004"): ("0004", ("0004", "0014", "0016"), None),
    ("0.5.9", "without-0005"): ("0005", "0005", None),
    ("0.5.9", "without-0006"): ("0006", "0006", None),
    # 0011's parse-on sends the arguments of a call that came whole with its name too (what
    # 0007 fixes), so 0007's defect shows only without both.
    ("0.5.9", "without-0007"): ("0007", ("0007", "0011"), None),
    ("0.5.9", "without-0011"): ("0011", "0011", None),
    ("0.5.9", "without-0012"): ("0012", "0012", None),
    ("0.5.9", "without-0013"): ("0013", "0013", None),
    ("0.5.10.post1", "incremental-text-cut"): ("0001", None, cut_incremental_text),
    ("0.5.10.post1", "0003-placement"): ("0003", None, remove_remaining_arguments_ids),
    # 0013 (return_tokens_as_token_ids) is written on 0004's lines and 0015 on 0013's.
    ("0.5.10.post1", "without-0004"): ("0004", ("0004", "0013", "0015"), None),
    ("0.5.10.post1", "without-0005"): ("0005", "0005", None),
    ("0.5.10.post1", "without-0006"): ("0006", "0006", None),
    # As on v0.5.9: 0010's parse-on also sends the arguments of a call that came whole.
    ("0.5.10.post1", "without-0007"): ("0007", ("0007", "0010"), None),
    ("0.5.10.post1", "without-0010"): ("0010", "0010", None),
    ("0.5.10.post1", "without-0011"): ("0011", "0011", None),
    ("0.5.10.post1", "without-0012"): ("0012", "0012", None),
    ("0.5.10.post1", "tokens-as-token-ids-off"): ("0013", None, tokens_as_token_ids_off),
    # 0.5.12: 0013 (return_tokens_as_token_ids) is written on 0003's lines and 0015 on 0013's.
    ("0.5.12", "without-0003"): ("0003", ("0003", "0013", "0015"), None),
    ("0.5.12", "without-0004"): ("0004", "0004", None),
    ("0.5.12", "without-0006"): ("0006", "0006", None),
    # As on v0.5.9: 0009's parse-on also sends the arguments of a call that came whole.
    ("0.5.12", "without-0007"): ("0007", ("0007", "0009"), None),
    ("0.5.12", "without-0009"): ("0009", "0009", None),
    ("0.5.12", "without-0010"): ("0010", "0010", None),
    ("0.5.12", "without-0011"): ("0011", "0011", None),
    ("0.5.12", "without-0012"): ("0012", "0012", None),
    ("0.5.12", "tokens-as-token-ids-off"): ("0013", None, tokens_as_token_ids_off),
    # 0.5.13.post1: 0013 (return_tokens_as_token_ids) is written on 0003's lines and 0015 on
    # 0013's; 0009's parse-on sends the arguments 0007 is for, as on v0.5.9.
    ("0.5.13.post1", "without-0003"): ("0003", ("0003", "0013", "0015"), None),
    ("0.5.13.post1", "without-0004"): ("0004", "0004", None),
    ("0.5.13.post1", "without-0006"): ("0006", "0006", None),
    ("0.5.13.post1", "without-0007"): ("0007", ("0007", "0009"), None),
    ("0.5.13.post1", "without-0009"): ("0009", "0009", None),
    ("0.5.13.post1", "without-0010"): ("0010", "0010", None),
    ("0.5.13.post1", "without-0011"): ("0011", "0011", None),
    ("0.5.13.post1", "without-0012"): ("0012", "0012", None),
    ("0.5.13.post1", "tokens-as-token-ids-off"): ("0013", None, tokens_as_token_ids_off),
    ("0.5.15.post1", "without-0009"): ("0009", "0009", None),
    ("0.5.15.post1", "without-0010"): ("0010", "0010", None),
    ("0.5.15.post1", "without-0011"): ("0011", "0011", None),
    ("0.5.15.post1", "without-0012"): ("0012", "0012", None),
    # 0.5.19: 0012 builds on 0003's lines and 0014 on 0012's, so they go with 0003; 0009's
    # parse-on sends the arguments 0007 is for, as on v0.5.9.
    ("0.5.19", "without-0003"): ("0003", ("0003", "0012", "0014"), None),
    ("0.5.19", "without-0004"): ("0004", "0004", None),
    ("0.5.19", "without-0006"): ("0006", "0006", None),
    ("0.5.19", "without-0007"): ("0007", ("0007", "0009"), None),
    ("0.5.19", "without-0009"): ("0009", "0009", None),
    ("0.5.19", "without-0010"): ("0010", "0010", None),
    ("0.5.19", "without-0011"): ("0011", "0011", None),
    ("0.5.19", "tokens-as-token-ids-off"): ("0012", None, tokens_as_token_ids_off),
    # 0.5.20: 0.5.19's series on 0.5.19's serving layer, the same controls.
    ("0.5.20", "without-0003"): ("0003", ("0003", "0012", "0014"), None),
    ("0.5.20", "without-0004"): ("0004", "0004", None),
    ("0.5.20", "without-0006"): ("0006", "0006", None),
    ("0.5.20", "without-0007"): ("0007", ("0007", "0009"), None),
    ("0.5.20", "without-0009"): ("0009", "0009", None),
    ("0.5.20", "without-0010"): ("0010", "0010", None),
    ("0.5.20", "without-0011"): ("0011", "0011", None),
    ("0.5.20", "tokens-as-token-ids-off"): ("0012", None, tokens_as_token_ids_off),
    ("0.5.23", "without-0009"): ("0009", "0009", None),
    ("0.5.23", "without-0010"): ("0010", "0010", None),
    ("0.5.23", "without-0011"): ("0011", "0011", None),
    # The diffs after return_tokens_as_token_ids build on its protocol lines: its control is
    # an edit (flag never read).
    ("0.5.9", "tokens-as-token-ids-off"): ("0014", None, tokens_as_token_ids_off),
    ("0.5.15.post1", "tokens-as-token-ids-off"): ("0013", None, tokens_as_token_ids_off),
    ("0.5.23", "tokens-as-token-ids-off"): ("0012", None, tokens_as_token_ids_off),
}


# Checks a control may break besides its own, because it leaves out a later diff as well.
ALSO_BROKEN = {("0.5.9", "without-0004"): {"logprob_token_ids"},
               ("0.5.10.post1", "without-0004"): {"logprob_token_ids"},
               ("0.5.12", "without-0003"): {"logprob_token_ids"},
               ("0.5.13.post1", "without-0003"): {"logprob_token_ids"},
               ("0.5.19", "without-0003"): {"logprob_token_ids"},
               ("0.5.20", "without-0003"): {"logprob_token_ids"}}


# A core-tier release's controls run under SGLANG_TEST_MATRIX=full (each is a matrix run).
@pytest.mark.parametrize("release,label", sorted(k for k in CONTROLS if tier_of(k[0]) == "full"))
def test_series_without_a_diff_fails_its_scenarios(release_files, tmp_path_factory, release, label):
    """Negative control per diff: the series without it (or, for 0002's remaining-arguments
    placement, without that one line) breaks exactly the check that diff is for."""
    diff, leave_out, edit = CONTROLS[release, label]
    check, kinds = DEFECTS[release][diff]
    tree = series_tree(release_files.stock(release), tmp_path_factory, f"{label}-{release}",
                       leave_out, edit, release)
    results = run_matrix(tree, release_files.python(release), tmp_path_factory,
                         f"{label}-{release}", release, kinds)
    specs = SPECS[release]
    broken = {}
    for name, runs in results.items():
        found = violations(runs, specs[name])
        if found:
            broken[name] = sorted(found)
    assert any(check in found for found in broken.values()), f"{label}: {check} never failed"
    # A control that must leave out later diffs written on the one it shows may break their
    # checks too (without 0004 there is no 0014, so no token_id:<id> strings), nothing else.
    allowed = {check} | ALSO_BROKEN.get((release, label), set())
    assert all(set(found) <= allowed for found in broken.values()), broken
    if (release, diff) == ("0.5.9", "0003"):
        # v0.5.9 loses coalesced ids only under --stream-output.
        assert all(specs[name]["stream_output"] for name in broken), sorted(broken)
    if (release, diff) == ("0.5.9", "0005"):
        # The repeated text needs several tokens per output (--stream-interval 3 or
        # several tokens per engine step).
        assert all(
            specs[name]["interval"] > 1 or specs[name]["delivery"] == "step3"
            for name in broken
        ), sorted(broken)
    if (release, diff) == ("0.5.10.post1", "0001"):
        # The cut text: only where the TokenizerManager hands text deltas.
        assert all(specs[name]["stream_output"] for name in broken), sorted(broken)
    if diff == LIVE_LIST_DIFF.get(release):
        # The live list: only in cumulative mode, and with the readers lagging (n = 2) too.
        assert not any(specs[name]["stream_output"] for name in broken), sorted(broken)
        assert any(specs[name]["delivery"] == "lag" for name in broken), sorted(broken)
    if diff == EVERY_CALL_DIFF.get(release):
        # 0.5.15.post1 and 0.5.23 stream a second call token by token; they lose it from a piece
        # holding both.
        deliveries = EVERY_CALL_DELIVERIES[release]
        assert all(specs[name]["delivery"] in deliveries for name in broken), sorted(broken)
