"""Fixtures for the patch-set tests: the real v0.5.9 files, and a patched copy of them."""

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def run_script(*args, env=None, check=True):
    proc = subprocess.run(
        ["bash", *map(str, args)], cwd=REPO, capture_output=True, text=True, env=env
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{args} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
    return proc


@pytest.fixture(scope="session")
def sglang_release() -> Path:
    """Folder holding the unpatched v0.5.9 package (sglang/); fetched from PyPI once."""
    # No skip: without PyPI this fails, as the team rules require under CI.
    out = run_script(REPO / "scripts/fetch-sglang.sh").stdout.strip().splitlines()[-1]
    return Path(out)


@pytest.fixture(scope="session")
def patched_release(sglang_release, tmp_path_factory) -> Path:
    """Folder holding v0.5.9 with the whole patch set applied (sglang/)."""
    out = tmp_path_factory.mktemp("patched") / "tree"
    run_script(REPO / "scripts/patches-check.sh", sglang_release, "--out", out)
    return out
