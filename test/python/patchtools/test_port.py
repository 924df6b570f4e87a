"""The porting tool (npm run patches:port): a 3-way replay of a release's series onto
another release's real files, conflicts reported per hunk, the output never written over an
existing series without --force."""

import json
import os
import re
import subprocess
import sys

import pytest

from patchtools.common import REPO, fetch, series

SOURCE = REPO / "patches/sglang-v0.5.9"


def port(*args):
    env = dict(os.environ, PYTHONPATH=str(REPO / "python"))
    return subprocess.run([sys.executable, "-m", "patchtools.port", *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)


def diff_body(text):
    """A diff from `diff --git` on, without the index line (blob ids differ by release)."""
    body = text[text.index("diff --git "):]
    return "\n".join(line for line in body.splitlines() if not line.startswith("index "))


def test_port_onto_its_own_release_reproduces_the_series(tmp_path):
    out = tmp_path / "same"
    proc = port("--from", "0.5.9", "--to", "0.5.9", "--out", out, "--no-verify", "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert [d["status"] for d in summary["diffs"]] == ["merged"] * len(series(SOURCE))
    assert all(d["exact"] for d in summary["diffs"])
    ported = series(out)
    assert [p.name for p in ported] == [p.name for p in series(SOURCE)]
    for mine, theirs in zip(ported, series(SOURCE)):
        assert diff_body(mine.read_text()) == diff_body(theirs.read_text()), mine.name
    manifest = (out / "patchset.yaml").read_text()
    assert "sglangVersion: 0.5.9" in manifest and "tag: v0.5.9" in manifest
    # Without --commit the tag's commit is a placeholder the build's schema refuses.
    assert re.search(r"^  commit: FILL-IN$", manifest, re.M)


def test_conflicting_port_reports_each_hunk_and_exits_non_zero(tmp_path):
    """0.5.16 rewrote what 0003 edits in TokenizerManager._wait_one_response: the port names
    that hunk, says what upstream changed there, leaves a marked file for a human, and
    still writes the diffs that merged, which then apply to 0.5.16 without fuzz."""
    out = tmp_path / "port"
    proc = port("--from", "0.5.9", "--to", "0.5.16", "--out", out, "--no-verify", "--json")
    assert proc.returncode == 1, proc.stderr
    summary = json.loads(proc.stdout)
    by_source = {d["source"]: d for d in summary["diffs"]}
    tm = by_source["0003-tokenizer_manager-keep-coalesced-stream-ids.patch"]
    assert tm["status"] == "conflict"
    [hunk] = tm["hunks"]
    assert hunk["file"] == "python/sglang/srt/managers/tokenizer_manager.py"
    assert hunk["hunk"].startswith("@@ -1126,6 +1126,14 @@")
    assert "out = state.out_list[-1]" in hunk["why"]
    assert f"CONFLICT python/sglang/srt/managers/tokenizer_manager.py {hunk['hunk']}" in proc.stderr
    marked = (out / tm["file"]).read_text()
    assert tm["file"].endswith(".patch.conflict") and marked.startswith("CONFLICT: ")
    assert "<<<<<<< HEAD" in marked and "|||||||" in marked and ">>>>>>>" in marked
    # A diff built on one that did not merge says so rather than blaming upstream.
    logprobs = by_source["0004-serving_chat-logprobs-travel-with-ids.patch"]
    assert logprobs["status"] == "conflict"
    assert any("builds on lines an earlier diff adds" in h["why"] for h in logprobs["hunks"])
    merged = [d for d in summary["diffs"] if d["status"] == "merged"]
    assert merged, "no diff merged"
    assert sorted(p.name for p in series(out)) == sorted(d["file"] for d in merged)
    check = subprocess.run(["bash", REPO / "scripts/patches-check.sh", "0.5.16"], capture_output=True, text=True,
                           env=dict(os.environ, SGLANG_PATCH_DIR=str(out)))
    assert check.returncode == 0, check.stderr
    assert str(fetch("0.5.16") / "sglang") in check.stdout
    report = (out / "PORT.md").read_text()
    assert "0003-tokenizer_manager-keep-coalesced-stream-ids.patch | CONFLICT" in report
    assert "@@ -1126,6 +1126,14 @@" in report


def test_an_existing_series_is_not_written_over(tmp_path):
    before = {p.name: p.read_bytes() for p in SOURCE.iterdir()}
    proc = port("--from", "0.5.9", "--to", "0.5.9", "--no-verify")
    assert proc.returncode == 2 and "exists and is not empty" in proc.stderr and "--out" in proc.stderr
    assert {p.name: p.read_bytes() for p in SOURCE.iterdir()} == before
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "0001-mine.patch").write_text("mine")
    assert port("--from", "0.5.9", "--to", "0.5.9", "--out", taken, "--no-verify").returncode == 2
    assert (taken / "0001-mine.patch").read_text() == "mine"
    proc = port("--from", "0.5.9", "--to", "0.5.9", "--out", taken, "--no-verify", "--force")
    assert proc.returncode == 0 and not (taken / "0001-mine.patch").exists()


def test_bad_usage(tmp_path):
    assert port("--from", "latest", "--to", "0.5.9", "--out", tmp_path / "x").returncode == 2
    proc = port("--from", "0.4.0", "--to", "0.5.9", "--out", tmp_path / "x")
    assert proc.returncode == 2 and "no patch series for sglang 0.4.0" in proc.stderr
    proc = port("--from", "0.5.9", "--to", "0.5.9", "--out", SOURCE, "--force", "--no-verify")
    assert proc.returncode == 2 and "holds the series being ported" in proc.stderr
    proc = port("--from", "0.5.9", "--to", "0.5.9", "--out", tmp_path / "x", "--commit", "abc")
    assert proc.returncode == 2 and "40-hex" in proc.stderr


@pytest.mark.skipif(os.environ.get("SGLANG_TEST_MATRIX") != "full",
                    reason="the port's check, matrix and overlap report: SGLANG_TEST_MATRIX=full")
def test_port_verifies_what_it_wrote(tmp_path):
    """Without --no-verify the ported series is checked, the scenario matrix runs on the
    target with it, and the overlap report follows."""
    proc = port("--from", "0.5.9", "--to", "0.5.9", "--out", tmp_path / "same", "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    verify = json.loads(proc.stdout)["verify"]
    assert verify["check"] is True
    assert verify["matrix"]["passed"] == verify["matrix"]["total"] > 0
    assert all(r["with_series"] for r in verify["overlap"]["clauses"])
