"""(c)/(d) The scenario matrix through the REAL serving code, patched and unpatched.

Each copy runs in its own process (`python -m sglang_engineless.scenarios`), importing
sglang once; the tests assert the token-ids contract (stream_checks) on what the client
received against what the engine did. Negative controls: stock v0.5.9 fails the checks,
and so does the series without each diff, on the scenarios that diff is for.

The default matrix is bounded for CI; SGLANG_TEST_MATRIX=full (`npm run test:matrix`) runs
n 1 and 2 under every delivery mode.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from stream_checks import CHECKS, stream_ids, violations, walk_keys

from sglang_engineless.scenarios import matrix  # noqa: E402  (no sglang import)

FULL = os.environ.get("SGLANG_TEST_MATRIX") == "full"
SCENARIOS = matrix(full=FULL)
SPECS = dict(SCENARIOS)
NAMES = [name for name, _ in SCENARIOS]
ID_KEYS = {"token_ids", "prompt_token_ids"}
PATCH_DIR = REPO / "patches/sglang-v0.5.9"
RUN_NAMES = ("stream-default", "stream-false", "full-default", "full-false")


def run_matrix(tree, tmp_path_factory, label, kinds=()):
    work = tmp_path_factory.mktemp(f"matrix-{label}")
    out = work / "results.json"
    env = dict(os.environ, PYTHONPATH=f"{tree}{os.pathsep}{REPO / 'harness'}")
    env.pop("SGLANG_TOKEN_IDS_DEFAULT", None)
    args = [sys.executable, "-W", "ignore", "-m", "sglang_engineless.scenarios", str(out), str(work)]
    if FULL:
        args.append("--full")
    if kinds:
        args += ["--kinds", ",".join(kinds)]
    proc = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-4000:]
    data = json.loads(out.read_text())
    assert data["sglang"] == str(tree / "sglang"), "the matrix did not run the intended copy"
    return data["scenarios"]


def series_tree(sglang_release, tmp_path_factory, label, leave_out=None, edit=None):
    """v0.5.9 with the patch series applied, leaving out the patch whose name starts with
    `leave_out`, then `edit(tree)` applied to the patched files."""
    series = tmp_path_factory.mktemp(f"series-{label}")
    kept = [p for p in sorted(PATCH_DIR.glob("*.patch")) if not (leave_out and p.name.startswith(leave_out))]
    assert len(kept) == len(list(PATCH_DIR.glob("*.patch"))) - bool(leave_out), f"no patch {leave_out}"
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


@pytest.fixture(scope="session")
def patched_results(patched_release, tmp_path_factory):
    return run_matrix(patched_release, tmp_path_factory, "patched")


@pytest.fixture(scope="session")
def unpatched_results(sglang_release, tmp_path_factory):
    return run_matrix(sglang_release, tmp_path_factory, "unpatched")


def find_id_keys(obj):
    return {k for k in walk_keys(obj) if k.rsplit(".", 1)[-1] in ID_KEYS}


def body(result):
    return result.get("chunks", result.get("response"))


@pytest.mark.parametrize("name", NAMES)
def test_patched_keeps_the_contract(patched_results, name):
    assert violations(patched_results[name], SPECS[name]) == {}


@pytest.mark.parametrize("name", NAMES)
def test_patched_scenario_ran_its_code_path(patched_results, name):
    """The scenario really exercised what it is named for (so its checks mean something)."""
    runs, spec = patched_results[name], SPECS[name]
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
            # Token by token the partial arguments stream; in larger pieces v0.5.9's parser
            # may stream only the name of a call cut inside its arguments.
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
    if spec["delivery"] == "whole":
        reads = [e for e in runs["stream-default"]["events"] if e[0] == "read"]
        assert len(reads) == n, f"whole answer delivered in {len(reads)} reads"


@pytest.mark.parametrize("name", NAMES)
def test_patched_flag_false_is_key_for_key_unpatched(patched_results, unpatched_results, name):
    for run in ("stream-false", "full-false"):
        got = body(patched_results[name][run])
        want = body(unpatched_results[name][run])
        assert not find_id_keys(got), f"{run}: id keys with return_token_ids false"
        assert walk_keys(got) == walk_keys(want)


@pytest.mark.parametrize("name", NAMES)
def test_unpatched_has_no_id_fields_and_fails_the_id_checks(unpatched_results, name):
    runs = unpatched_results[name]
    for run in RUN_NAMES:
        assert body(runs[run]), run
        assert not find_id_keys(body(runs[run])), f"{run}: unpatched v0.5.9 returned id fields"
        # ...while the engine did produce ids: the harness drove the real code.
        assert all(e["output_ids"] for e in runs[run]["engine"])
    found = violations(runs, SPECS[name])
    assert "ids_exact" in found and "ids_placement" in found


# What each diff fixes, as (check, kinds whose scenarios show it). Stock v0.5.9 fails each
# of these, and so does the series without that diff (controls below).
DEFECTS = {
    "0002": ("ids_placement", ("tool_cut_auto", "tool_cut_required", "tool_cut_named")),
    "0003": ("ids_exact", ("plain", "tool_call", "reasoning_then_content", "n3_tools")),
    "0004": ("logprobs_alignment", ("logprobs_top0", "logprobs_top5", "logprobs_unset")),
    "0005": ("text_fidelity", ("multibyte_edge", "logprobs_unset")),
    "0006": ("text_fidelity", ("text_before_tool_call", "tool_call", "reasoning_tool")),
    "0007": ("text_fidelity", ("text_and_tool_call_one_step", "tool_call")),
}


@pytest.mark.parametrize("diff", sorted(DEFECTS))
def test_stock_fails_what_each_diff_fixes(unpatched_results, diff):
    check, kinds = DEFECTS[diff]
    failing = [
        name for name, spec in SCENARIOS
        if spec["kind"] in kinds and CHECKS[check](unpatched_results[name], spec)
    ]
    assert failing, f"stock v0.5.9 passes {check} on {kinds}"


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


CONTROLS = {
    # label: (diff it shows, leave_out, edit)
    "0002-placement": ("0002", None, remove_remaining_arguments_ids),
    "without-0003": ("0003", "0003", None),
    "without-0004": ("0004", "0004", None),
    "without-0005": ("0005", "0005", None),
    "without-0006": ("0006", "0006", None),
    "without-0007": ("0007", "0007", None),
}


@pytest.mark.parametrize("label", sorted(CONTROLS))
def test_series_without_a_diff_fails_its_scenarios(sglang_release, tmp_path_factory, label):
    """Negative control per diff: the series without it (or, for 0002's remaining-arguments
    placement, without that one line) breaks exactly the check that diff is for."""
    diff, leave_out, edit = CONTROLS[label]
    check, kinds = DEFECTS[diff]
    tree = series_tree(sglang_release, tmp_path_factory, label, leave_out, edit)
    results = run_matrix(tree, tmp_path_factory, label, kinds)
    broken = {}
    for name, runs in results.items():
        found = violations(runs, SPECS[name])
        if found:
            broken[name] = sorted(found)
    assert any(check in found for found in broken.values()), f"{label}: {check} never failed"
    assert all(found == [check] for found in broken.values()), broken
    if diff == "0003":
        # v0.5.9 loses coalesced ids only under --stream-output.
        assert all(SPECS[name]["stream_output"] for name in broken), sorted(broken)
    if diff == "0005":
        # The repeated text needs several tokens per output (--stream-interval 3 or
        # several tokens per engine step).
        assert all(
            SPECS[name]["interval"] > 1 or SPECS[name]["delivery"] == "step3" for name in broken
        ), sorted(broken)
