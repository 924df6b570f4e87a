"""What the tools share: where things are, releases, fetching a release, applying a series."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PATCHES = REPO / "patches"
# The engine-less harness the tools drive (another checkout's with SGLANG_HARNESS_DIR).
HARNESS = Path(os.environ.get("SGLANG_HARNESS_DIR", REPO / "harness"))
VERSION_RE = re.compile(r"^v?(\d+\.\d+(?:\.\d+)?[.a-z0-9]*)$")
# The project's own Python, when built (scripts/python-env.sh); the tools' subprocesses use it.
PYTHON = str(REPO / ".venv/bin/python") if (REPO / ".venv/bin/python").exists() else sys.executable


class ToolError(Exception):
    """A problem the user can fix (bad arguments, missing folder): exit 2 with the message."""


def version_of(text: str) -> str:
    m = VERSION_RE.match(text)
    if not m:
        raise ToolError(f"{text!r} is not a release version (like 0.5.23)")
    return m.group(1)


def patch_dir(version: str) -> Path:
    return PATCHES / f"sglang-v{version}"


def releases() -> list[str]:
    """Every release with a series folder, oldest first."""
    found = [p.name.removeprefix("sglang-v") for p in PATCHES.glob("sglang-v*") if p.is_dir()]
    return sorted(found, key=lambda v: [int(x) if x.isdigit() else x for x in re.split(r"[.]", v)])


def series(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.patch"))


def run(args, cwd=None, env=None, check=True, timeout=None) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc


def fetch(version: str) -> Path:
    """The release's unpacked wheel (holds sglang/), from scripts/fetch-sglang.sh."""
    proc = run(["bash", REPO / "scripts/fetch-sglang.sh", version], check=False)
    if proc.returncode != 0:
        raise ToolError(f"could not fetch sglang {version}: {proc.stderr.strip()[-500:]}")
    return Path(proc.stdout.strip().splitlines()[-1])


def patched_tree(version: str, patches: list[Path], out: Path, src: Path | None = None) -> Path:
    """The release with exactly `patches` applied in order (scripts/patches-check.sh: no fuzz,
    compiled), in out/sglang. Raises RuntimeError naming the patch that fails."""
    src = src or fetch(version)
    out.mkdir(parents=True, exist_ok=True)
    if not patches:
        shutil.copytree(src / "sglang", out / "sglang", symlinks=True)
        return out
    chosen = out.parent / f"{out.name}.series"
    chosen.mkdir(exist_ok=True)
    for p in patches:
        shutil.copy(p, chosen / p.name)
    env = dict(os.environ, SGLANG_PATCH_DIR=str(chosen))
    proc = run(["bash", REPO / "scripts/patches-check.sh", src, "--out", out], env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip())
    return out


def hunks(patch_text: str):
    """(file, hunk header, hunk lines) for every hunk of a git diff."""
    out, file, header, lines = [], None, None, []
    for line in patch_text.splitlines():
        if line.startswith("diff --git "):
            if header:
                out.append((file, header, lines))
            file, header, lines = line.split(" b/", 1)[1], None, []
        elif line.startswith("@@ ") and file:
            if header:
                out.append((file, header, lines))
            header, lines = line, []
        elif header is not None and line[:1] in (" ", "+", "-", "\\"):
            lines.append(line)
    if header:
        out.append((file, header, lines))
    return out
