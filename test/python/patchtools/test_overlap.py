"""The overlap report (npm run patches:overlap): per contract clause, whether the stock
release satisfies it and which diff of a series adds it, measured on the engine-less
harness with the series applied one diff at a time.

The default run measures two clauses on the plain-answer scenarios of a deliberately
broken two-diff series (about 40 s); SGLANG_TEST_MATRIX=full measures every clause of the
real v0.5.9 series (about 10 min)."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from patchtools.common import REPO
from patchtools.overlap import CLAUSE_IDS, CLAUSES, markdown

SOURCE = REPO / "patches/sglang-v0.5.9"
FULL = os.environ.get("SGLANG_TEST_MATRIX") == "full"


def overlap(*args):
    env = dict(os.environ, PYTHONPATH=str(REPO / "python"))
    env.pop("SGLANG_TOKEN_IDS_DEFAULT", None)
    return subprocess.run([sys.executable, "-m", "patchtools.overlap", *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=3000)


def test_clauses_have_stable_unique_ids_and_one_line_texts():
    assert len(set(CLAUSE_IDS)) == len(CLAUSE_IDS) == len(CLAUSES)
    for cid, text, fn, part in CLAUSES:
        assert cid == cid.lower() and " " not in cid and "\n" not in text and callable(fn)
        assert part in ("chat", "completions", "probe", "dialects")


def test_a_broken_series_does_not_satisfy_its_clause(tmp_path):
    """0002 that re-sends each chunk's last id on the next one: the non-streaming ids come
    from 0002 as before, the streamed ids never become exact, and the tool says so (exit 1)."""
    broken = tmp_path / "series"
    broken.mkdir()
    shutil.copy(SOURCE / "0001-protocol-token-id-fields.patch", broken)
    text = (SOURCE / "0002-serving_chat-token-ids.patch").read_text()
    bad = text.replace("+        pending_token_ids[index] = []\n", "+        pending_token_ids[index] = ids[-1:]\n", 1)
    assert bad != text
    (broken / "0002-serving_chat-token-ids.patch").write_text(bad)
    proc = overlap("0.5.9", "--series", broken, "--json", "--kinds", "plain", "--modes", "one",
                   "--clauses", "chat.nonstream-ids,chat.stream-ids")
    assert proc.returncode == 1, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    rows = {r["id"]: r for r in report["clauses"]}
    assert report["series"] == ["0001-protocol-token-id-fields.patch", "0002-serving_chat-token-ids.patch"]
    assert rows["chat.nonstream-ids"]["stock"] is False
    assert rows["chat.nonstream-ids"]["added_by"] == "0002-serving_chat-token-ids.patch"
    stream = rows["chat.stream-ids"]
    assert stream["stock"] is False and stream["with_series"] is False and stream["added_by"] is None
    assert "streamed ids" in stream["series_example"]
    assert "NOT SATISFIED" in markdown(report)


def test_unknown_clause_is_bad_usage():
    proc = overlap("0.5.9", "--clauses", "chat.nonsense")
    assert proc.returncode == 2 and "unknown clauses" in proc.stderr


@pytest.mark.skipif(not FULL, reason="every clause on the real series: SGLANG_TEST_MATRIX=full")
def test_every_clause_of_the_v059_series(tmp_path):
    proc = overlap("0.5.9", "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {r["id"]: r for r in json.loads(proc.stdout)["clauses"]}
    assert set(rows) == set(CLAUSE_IDS)
    # Stock v0.5.9 has no ids at all; its "false" responses are itself.
    assert {cid for cid, r in rows.items() if r["stock"]} == {"chat.flag-false-stock", "completions.flag-false-stock"}
    assert all(r["with_series"] for r in rows.values())
    added = {cid: r["added_by"] for cid, r in rows.items()}
    assert added["chat.request-flag"].startswith("0001")
    assert added["chat.stream-output-ids"].startswith("0003")
    assert added["chat.logprobs-with-ids"].startswith("0004")
    assert added["completions.ids"].startswith("0008")
    assert added["completions.echo-stream-text"].startswith("0009")
    assert added["completions.logprobs-with-ids"].startswith("0010")
    # v0.5.9's outputs carry copies: its placement holds with lagging readers from 0002 on
    assert added["chat.ids-placement-live-list"].startswith("0002")
    assert added["completions.ids-placement"].startswith("0008")
    assert added["chat.every-tool-call"].startswith("0011")
    assert added["chat.text-after-tool-call"].startswith("0012")
    assert added["chat.reasoning-markup"].startswith("0013")
    assert added["chat.stream-text"].startswith("0013")
