"""release:propose end to end through the committed bundle (node dist/...), on real releases' files:
a clean port (a small series of v0.5.9 diffs that 0.5.10.post1's files take as they are) and a
conflicting one (the whole v0.5.9 series onto 0.5.10.post1). The heavy steps (matrix, overlap,
CPU engine) and the registry read are left out here (--skip; their logic is in
test/unit/release-propose.test.ts, the matrix itself in test_serving_matrix.py): about 15 s.
Also patches:port --series (what the proposal and the replay port from) and the ad-hoc CPU-engine
launch the proposal asks release_engine for."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from patchtools.common import REPO, series

RECORDED = REPO / "test/unit/fixtures/pypi/sglang-recorded.json"
V059 = REPO / "patches/sglang-v0.5.9"
# v0.5.9 diffs whose files 0.5.10.post1 ships unchanged around them (patches:port: "applies as is")
CLEAN = ["0006-function_call-keep-normal-text-before-a-tool-call.patch",
         "0007-function_call-stream-arguments-sent-with-the-name.patch",
         "0013-reasoning_parser-strip-think-from-the-buffer.patch"]
HEAVY = ["--skip", "matrix", "--skip", "overlap", "--skip", "cpu-engine", "--skip", "targets"]


def propose(*args):
    env = dict(os.environ, CI="true")
    proc = subprocess.run(["node", "dist/sglang-image-patcher.js", "release-propose", *map(str, args)], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=600)
    return proc, (json.loads(proc.stdout) if proc.stdout.strip() else None)


def small_series(tmp_path) -> Path:
    folder = tmp_path / "series-0.5.9"
    folder.mkdir()
    for name in CLEAN:
        shutil.copy(V059 / name, folder / name)
    shutil.copy(V059 / "patchset.yaml", folder / "patchset.yaml")
    return folder


def test_a_clean_port_merges_every_diff_and_passes_the_check(tmp_path):
    out = tmp_path / "proposal"
    proc, result = propose("0.5.10.post1", "--from-series", small_series(tmp_path), "--out", out,
                           "--pypi-json", RECORDED, *HEAVY)
    # exit 1: a proposal with steps left out is never ok, but it is clean
    assert proc.returncode == 1, proc.stderr
    assert result["clean"] is True and result["ok"] is False
    steps = {s["name"]: s["status"] for s in result["steps"]}
    assert steps == {"port": "passed", "check": "passed", "matrix": "skipped", "overlap": "skipped",
                     "cpu-engine": "skipped", "targets": "skipped"}
    assert [d["status"] for d in result["diffs"]] == ["merged"] * 3
    assert [p.name for p in series(out / "series")] == ["0001-function_call-keep-normal-text-before-a-tool-call.patch",
                                                        "0002-function_call-stream-arguments-sent-with-the-name.patch",
                                                        "0003-reasoning_parser-strip-think-from-the-buffer.patch"]
    assert not list((out / "series").glob("*.conflict"))
    summary = (out / "SUMMARY.md").read_text()
    assert summary.splitlines()[0] == "# SGLang 0.5.10.post1: INCOMPLETE"
    assert "3 diffs: 3 merged (3 as is, 0 by 3-way merge)" in summary
    assert json.loads((out / "proposal.json").read_text())["clean"] is True


def test_a_conflicting_port_writes_its_folder_and_names_every_hunk(tmp_path):
    out = tmp_path / "proposal"
    proc, result = propose("0.5.10.post1", "--newest", "0.5.9", "--out", out, "--pypi-json", RECORDED, *HEAVY)
    assert proc.returncode == 1, proc.stderr
    assert result["clean"] is False
    assert result["from"]["version"] == "0.5.9"
    steps = {s["name"]: s for s in result["steps"]}
    assert steps["port"]["status"] == "failed"
    assert steps["check"]["status"] == "skipped" and "conflicted" in steps["check"]["detail"]
    conflicted = [d for d in result["diffs"] if d["status"] == "conflict"]
    assert conflicted and all(d["hunks"] for d in conflicted)
    # each conflicted diff is a .conflict file with git's markers; the merged ones are diffs
    files = sorted(p.name for p in (out / "series").iterdir())
    for d in conflicted:
        assert d["file"] in files
        assert "<<<<<<< " in (out / "series" / d["file"]).read_text()
    summary = (out / "SUMMARY.md").read_text()
    assert summary.splitlines()[0] == "# SGLang 0.5.10.post1: CONFLICTED"
    assert "`0002-serving_chat-token-ids.patch.conflict`" in summary
    port_md = (out / "PORT.md").read_text()
    assert "| `0002-serving_chat-token-ids.patch` | CONFLICTED |" in port_md
    assert "`python/sglang/srt/entrypoints/openai/serving_chat.py` `@@ " in port_md


def test_an_unknown_release_writes_nothing(tmp_path):
    out = tmp_path / "proposal"
    proc, result = propose("0.5.99", "--out", out, "--pypi-json", RECORDED)
    assert proc.returncode == 2
    assert result["ok"] is False and "0.5.99 is not a release of sglang on PyPI" in result["error"]["message"]
    assert not out.exists()


def test_port_from_a_series_kept_elsewhere(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO / "python"))
    out = tmp_path / "ported"
    proc = subprocess.run([sys.executable, "-m", "patchtools.port", "--from", "0.5.9", "--to", "0.5.10.post1",
                           "--series", small_series(tmp_path), "--out", out, "--no-verify", "--json"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert [d["source"] for d in json.loads(proc.stdout)["diffs"]] == CLEAN


def test_the_adhoc_engine_borrows_the_nearest_registered_release_below():
    sys.path.insert(0, str(REPO / "test/python/cpu_engine"))
    try:
        import release_engine
    except ImportError as e:  # the real-engine helpers need the harness's packages
        pytest.skip(f"release_engine does not import here: {e}")
    spec = release_engine.adhoc_engine("0.5.24=/tmp/x/series")
    assert (spec.version, spec.cpu_enable_of, spec.token_ids_dir) == ("0.5.24", "0.5.23", Path("/tmp/x/series"))
    assert spec.upstream_response_token_ids and spec.upstream_sglext_ids
    assert spec.cpu_enable_dir.name == "cpu_enable-0.5.23"
    # no python/requirements/sglang-0.5.24.txt: the engine runs in the lender's layer (its imports)
    assert spec.env_of == "0.5.23"
    assert release_engine.adhoc_engine("0.5.23=/tmp/x/series").env_of is None
    with pytest.raises(ValueError, match="no registered release at or below 0.5.1"):
        release_engine.adhoc_engine("0.5.1=/tmp/x")
    with pytest.raises(ValueError, match="expected VERSION=SERIES_DIR"):
        release_engine.adhoc_engine("0.5.24")


@pytest.mark.skipif(os.environ.get("SGLANG_TEST_MATRIX") != "full",
                    reason="the core matrix twice per copy, minutes: SGLANG_TEST_MATRIX=full (npm run test:matrix tier)")
def test_core_matrix_and_its_unpatched_control(tmp_path):
    """patchtools.matrix on v0.5.9: the series keeps the contract in every core scenario and stock
    fails some (the control); the series without 0013 (<think> left in streamed reasoning, a file of
    its own that no later diff touches) does not pass."""
    def matrix(folder):
        proc = subprocess.run(["bash", "scripts/patches-matrix.sh", "0.5.9", "--series", folder, "--json"], cwd=REPO,
                              capture_output=True, text=True, timeout=3600)
        return proc.returncode, json.loads(proc.stdout)
    code, report = matrix(V059)
    assert code == 0, report
    assert report["patched"]["passed"] == report["patched"]["total"] > 0
    assert report["stock"]["passed"] < report["stock"]["total"] and report["control_fails"]
    broken = tmp_path / "without-0013"
    broken.mkdir()
    for p in series(V059):
        if not p.name.startswith("0013"):
            shutil.copy(p, broken / p.name)
    code, report = matrix(broken)
    assert code == 1 and "error" not in report["patched"], report
    assert report["patched"]["passed"] < report["patched"]["total"]
    assert report["patched"]["failing_by_check"].get("text_fidelity"), report["patched"]
