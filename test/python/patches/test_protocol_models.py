"""(b) The real patched protocol.py models against v0.5.9's, each copy in its own process."""

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO


def probe(tree):
    env = dict(os.environ, PYTHONPATH=f"{tree}{os.pathsep}{REPO / 'python' / 'harness'}")
    proc = subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "sglang_engineless.protocol_probe"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def patched(patched_release):
    return probe(patched_release)


@pytest.fixture(scope="module")
def unpatched(sglang_release):
    return probe(sglang_release)


def test_request_flag_parsing(patched):
    """A pydantic Optional[bool], as vLLM declares it: true/false/null and pydantic's lax
    spellings; nothing falls back to the server default silently."""
    flags = patched["flags"]
    assert flags["absent"] == {"value": None}
    assert flags["null"] == {"value": None}
    for label in ("true", "str_true", "str_yes", "int_1"):
        assert flags[label] == {"value": True}, label
    for label in ("false", "str_off", "str_0", "int_0", "float_0"):
        assert flags[label] == {"value": False}, label


@pytest.mark.parametrize(
    "label", ["invalid", "garbage", "int_2", "empty_str", "float_half", "list", "dict"]
)
def test_invalid_flag_is_an_error_naming_the_field(patched, label):
    assert patched["flags"][label] == {"error": [["return_token_ids"]]}


def test_unpatched_has_no_flag(unpatched):
    assert all(v == {"value": "<no field>"} for v in unpatched["flags"].values())


def test_ids_present_when_set(patched):
    assert patched["full_ids"]["prompt_token_ids"] == [1, 2, 3]
    assert patched["full_ids"]["choices"][0]["token_ids"] == [5, 6]
    assert patched["chunk_ids"]["prompt_token_ids"] == [1, 2]
    assert patched["chunk_ids"]["choices"][0]["token_ids"] == [7]


@pytest.mark.parametrize("case", ["full_none", "chunk_none", "chunk_empty", "full_plain", "chunk_plain"])
def test_no_null_or_empty_id_keys(patched, case):
    body = patched[case]
    assert "prompt_token_ids" not in body
    assert all("token_ids" not in c for c in body["choices"])


@pytest.mark.parametrize("case", ["full", "chunk"])
def test_without_ids_key_set_equals_unpatched(patched, unpatched, case):
    assert patched[f"{case}_none"] == unpatched[f"{case}_plain"]
    assert patched[f"{case}_plain"] == unpatched[f"{case}_plain"]
