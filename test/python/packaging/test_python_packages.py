"""Each of the project's Python packages installs on its own from its folder's pyproject.toml
and imports from the install alone (not from the checkout), data files included."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]

PACKAGES = [
    # folder, import name, a file the package needs at run time besides its modules
    ("verify", "tokenids_verify", "checks/core.py"),
    ("python/models", "scripted_models", "chat_template.jinja"),
    ("python/harness", "sglang_engineless", "_cpu_shims/sgl_kernel/__init__.py"),
]


@pytest.mark.parametrize("folder,name,needed", PACKAGES, ids=[p[0] for p in PACKAGES])
def test_installs_and_imports_from_the_install(tmp_path, folder, name, needed):
    target = tmp_path / "site"
    # Built from a copy: setuptools writes build/ and *.egg-info next to the sources, and the
    # checkout's folders go into image build contexts as they are.
    source = shutil.copytree(REPO / folder, tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    # pip builds it the way a user's pip would (an isolated build env with setuptools from PyPI);
    # --no-deps: the packages declare none that the import needs.
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--target", str(target), str(source)],
        check=True, cwd=tmp_path, capture_output=True, text=True,
    )
    assert (target / name / needed).is_file(), f"{needed} is missing from the installed {name}"
    # -I: isolated mode, so neither the checkout nor PYTHONPATH can supply the package.
    probe = f"import sys; sys.path.insert(0, {str(target)!r}); import {name}; print({name}.__file__)"
    out = subprocess.run([sys.executable, "-I", "-c", probe], check=True, cwd=tmp_path,
                         capture_output=True, text=True).stdout.strip()
    assert out.startswith(str(target)), f"{name} was imported from {out}, not from the install"
