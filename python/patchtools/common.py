"""What the tools share: where things are, releases, fetching a release, applying a series."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Where the series live; SGLANG_PATCHES_DIR lets tests feed fixture series through the scripts.
PATCHES = Path(os.environ.get("SGLANG_PATCHES_DIR", REPO / "patches"))
# The engine-less harness the tools drive (another checkout's with SGLANG_HARNESS_DIR).
HARNESS = Path(os.environ.get("SGLANG_HARNESS_DIR", REPO / "python" / "harness"))
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


def release_order(version: str):
    """Sort key of a release name: 0.5.10rc0 < 0.5.10 < 0.5.10.post1 < 0.5.11 (PEP 440)."""
    from packaging.version import Version

    return Version(version)


def series_releases(folder: Path) -> list[str]:
    """The releases a series covers: patchset.yaml's `releases:` (default [sglangVersion]),
    read as src/patch-set.ts reads it; a list without sglangVersion is an error here too."""
    manifest = folder / "patchset.yaml"
    if not manifest.is_file():
        raise ToolError(f"{folder}: no patchset.yaml")
    data = _manifest(manifest.read_text())
    written_on = str(data.get("sglangVersion", ""))
    listed = data.get("releases", [written_on])
    if not isinstance(listed, list) or not all(isinstance(v, str) for v in listed) or not listed:
        raise ToolError(f"{manifest}: releases: expected a non-empty list of quoted versions, got {listed!r}")
    if written_on not in listed:
        raise ToolError(f"{manifest}: releases: must list sglangVersion {written_on}, got {', '.join(listed)}")
    return list(listed)


def _manifest(text: str) -> dict:
    """patchset.yaml's top-level keys: PyYAML where installed (.venv), else the two keys the
    lookups need, sglangVersion and a flow-style releases: list (a bare python3 has no PyYAML)."""
    try:
        import yaml
    except ImportError:
        data = {}
        for key, value in re.findall(r"^(sglangVersion|releases):[ \t]*(.*?)[ \t]*(?:#.*)?$", text, re.M):
            if key == "releases":
                if not (value.startswith("[") and value.endswith("]")):
                    raise ToolError(f"releases: {value!r}: without PyYAML only a [\"x\", \"y\"] list is read")
                data[key] = [v.strip().strip("'\"") for v in value[1:-1].split(",") if v.strip()]
            else:
                data[key] = value.strip("'\"")
        return data
    return yaml.safe_load(text) or {}


def all_series(patches: Path | None = None) -> dict[Path, list[str]]:
    """Every series folder under patches/ (or `patches`) and the releases it covers, oldest first."""
    found = {p: series_releases(p) for p in (patches or PATCHES).glob("sglang-v*") if p.is_dir()}
    return dict(sorted(found.items(), key=lambda kv: release_order(kv[1][0])))


def covering_series(version: str, known: dict[Path, list[str]] | None = None) -> Path | None:
    """The series folder whose releases: list `version`, or None; two folders listing one
    release is an error (which one a build or check took would depend on the file system)."""
    known = all_series() if known is None else known
    hits = [folder for folder, listed in known.items() if version in listed]
    if len(hits) > 1:
        raise ToolError(f"sglang {version} is listed by more than one series: {', '.join(p.name for p in hits)}")
    return hits[0] if hits else None


def patch_dir(version: str) -> Path:
    """The series that covers `version` (patches/sglang-v0.5.12 for 0.5.12.post1 when it lists
    it), else the folder a series written on `version` would have (new_series_dir)."""
    return covering_series(version) or new_series_dir(version)


def new_series_dir(version: str) -> Path:
    """Where a series written on `version` lives (patches/sglang-v<version>), existing or not."""
    return PATCHES / f"sglang-v{version}"


def releases() -> list[str]:
    """Every release some series covers, oldest first."""
    return sorted({v for listed in all_series().values() for v in listed}, key=release_order)


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
