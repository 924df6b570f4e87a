"""Fixtures of the cpu_engine area: scripted checkpoints and (engine tests) real SGLang servers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
# scripted_models is a plain folder package (see docs: importable by putting models/ on the path).
sys.path.insert(0, str(REPO / "models"))
# the verify suite's checks and invariants are reused as a library (verify/README.md)
sys.path.insert(0, str(REPO / "verify"))

from scripted_models import Routing, build_checkpoint  # noqa: E402


@pytest.fixture(scope="session")
def plain_default_model(tmp_path_factory):
    return build_checkpoint(tmp_path_factory.mktemp("scripted") / "plain_default", Routing())
