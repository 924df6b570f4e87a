"""What the real-engine tests need on this machine: the cpu-engine virtualenv, the v0.5.9
release files, and runnable sglang trees (patched or not) built from them.

Missing pieces (PyPI unreachable, a patch that no longer applies) fail the tests under
CI=true and skip them elsewhere, always saying what is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
CPU_ENABLE_DIR = HERE / "cpu_enable"
TOKEN_IDS_PATCH_DIR = REPO / "patches" / "sglang-v0.5.9"


def unavailable(reason: str) -> None:
    """Fail under CI (the environment must provide it), skip on a developer machine."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


def _run_script(args: list[str], timeout: float, what: str) -> str:
    try:
        done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        unavailable(f"{what} did not finish within {timeout:.0f}s")
    if done.returncode != 0:
        unavailable(f"{what} failed (exit {done.returncode}): {done.stderr.strip()[-1500:]}")
    return done.stdout.strip().splitlines()[-1]


def cpu_engine_python() -> Path:
    """The interpreter of the project's .venv (scripts/python-env.sh), which carries the CPU engine's set."""
    venv = _run_script(["bash", "scripts/python-env.sh"], 3600, "scripts/python-env.sh")
    return Path(venv) / "bin" / "python"


def release_dir() -> Path:
    """The unpacked sglang==0.5.9 wheel (sglang/ and its dist-info)."""
    return Path(_run_script(["bash", "scripts/fetch-sglang.sh"], 600, "scripts/fetch-sglang.sh"))


def _patches(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.patch"))


def build_sglang_tree(dest: Path, with_token_ids_patches: bool, *, release: Path | None = None,
                      version: str = "0.5.9", cpu_enable_dir: Path = CPU_ENABLE_DIR,
                      token_ids_dir: Path = TOKEN_IDS_PATCH_DIR, missing_patches=unavailable) -> Path:
    """Copies a release (default: v0.5.9's, release_dir()) into dest/python (laid out like the
    repository, so git-format patches with a/python/sglang/... paths apply), applies its CPU
    enablement diffs and, if asked, its token-ids patch set. Returns the folder to put on
    PYTHONPATH. missing_patches says what an empty token-ids folder is (default: unavailable)."""
    release = release or release_dir()
    py = dest / "python"
    py.mkdir(parents=True)
    shutil.copytree(release / "sglang", py / "sglang")
    for info in release.glob("sglang-*.dist-info"):
        # importlib.metadata.version("sglang") must still answer the release's version
        shutil.copytree(info, py / info.name)
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    series = _patches(cpu_enable_dir)
    if with_token_ids_patches:
        token_ids = _patches(token_ids_dir)
        if not token_ids:
            missing_patches(f"no token-ids patches in {token_ids_dir}")
        series += token_ids
    for patch in series:
        done = subprocess.run(["git", "apply", str(patch)], cwd=dest, capture_output=True, text=True)
        if done.returncode != 0:
            # a patch that stops applying is a real failure everywhere, not a missing tool
            pytest.fail(f"{patch.name} does not apply to the v{version} release: {done.stderr.strip()}")
    return py
