"""Fixtures for the patch-set tests: the real v0.5.9 files, and a patched copy of them."""

import os
import subprocess
from pathlib import Path

import pytest

# The default run's release tiers (core-tier releases run only their every_release tests).
from sglang_engineless.test_tiers import pytest_collection_modifyitems, pytest_configure  # noqa: E402,F401
from sglang_engineless.adapters import release_key

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


# Releases whose serving code the harness drives (python/harness/sglang_engineless/adapters).
RELEASES = ("0.5.9", "0.5.10.post1", "0.5.12", "0.5.13.post1", "0.5.15.post1", "0.5.19", "0.5.20", "0.5.23")


# SGLANG_TEST_FILES_OF=0.5.12.post1: the tests of release 0.5.12 (ids keep their name) run on
# 0.5.12.post1's files, stock and patched (0.5.10, 0.5.13 and 0.5.15 stand in for 0.5.10.post1,
# 0.5.13.post1 and 0.5.15.post1 the same way). For a release that a series lists under releases: besides its
# own (patchset.yaml), whose serving code the same harness adapter drives
# (adapters.release_key); patches-check.sh refuses the files if the series does not list them.
FILES_OF = os.environ.get("SGLANG_TEST_FILES_OF", "").lstrip("v")


def files_release(release) -> str:
    """The release whose files stand for `release` in this session (SGLANG_TEST_FILES_OF)."""
    if FILES_OF and release_key(FILES_OF) == release:
        return FILES_OF
    return release


class ReleaseFiles:
    """Per release: the stock files, the patched copy (patches/sglang-vRELEASE/), and the
    Python that runs its serving code (scripts/release-env.sh). Each made once a session."""

    def __init__(self, tmp_path_factory):
        self._tmp = tmp_path_factory
        self._stock, self._patched, self._python = {}, {}, {}

    def stock(self, release) -> Path:
        if release not in self._stock:
            fetched = run_script(REPO / "scripts/fetch-sglang.sh", files_release(release))
            out = fetched.stdout.strip().splitlines()[-1]
            self._stock[release] = Path(out)
        return self._stock[release]

    def has_patches(self, release) -> bool:
        return any((REPO / f"patches/sglang-v{release}").glob("*.patch"))

    def patched(self, release) -> Path:
        if release not in self._patched:
            if not self.has_patches(release):
                # The only skip: a release whose series is not written yet.
                pytest.skip(f"patches/sglang-v{release}/ holds no patches yet: nothing to test patched")
            out = self._tmp.mktemp(f"patched-{release}") / "tree"
            run_script(REPO / "scripts/patches-check.sh", files_release(release), "--out", out)
            self._patched[release] = out
        return self._patched[release]

    def python(self, release) -> str:
        if release not in self._python:
            venv = run_script(REPO / "scripts/release-env.sh", release).stdout.strip().splitlines()[-1]
            self._python[release] = str(Path(venv) / "bin/python")
        return self._python[release]


@pytest.fixture(scope="session")
def release_files(tmp_path_factory) -> ReleaseFiles:
    return ReleaseFiles(tmp_path_factory)
