"""Fixtures of the cpu_engine area: scripted checkpoints and (engine tests) real SGLang servers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]

from scripted_models import Routing, build_checkpoint  # noqa: E402

# The default run's release tiers (core-tier releases run only their every_release tests).
from sglang_engineless.test_tiers import pytest_collection_modifyitems, pytest_configure  # noqa: E402,F401


@pytest.fixture(scope="session")
def plain_default_model(tmp_path_factory):
    return build_checkpoint(tmp_path_factory.mktemp("scripted") / "plain_default", Routing())


# --- real-engine fixtures (test_real_server*.py) ---------------------------------------


@pytest.fixture(scope="session")
def engine_python():
    from engine_env import cpu_engine_python

    return cpu_engine_python()


@pytest.fixture(scope="session")
def trees(tmp_path_factory):
    """PYTHONPATH folders of the v0.5.9 release: patched (True) and unpatched (False)."""
    from engine_env import build_sglang_tree

    root = tmp_path_factory.mktemp("sglang-trees")
    return {
        True: build_sglang_tree(root / "patched", with_token_ids_patches=True),
        False: build_sglang_tree(root / "unpatched", with_token_ids_patches=False),
    }


@pytest.fixture(scope="session", autouse=True)
def _write_engine_timings():
    yield
    if "launches" in sys.modules:
        sys.modules["launches"].write_timings()
