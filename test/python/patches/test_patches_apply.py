"""(a) Every release's patch series applies in order, without fuzz, to that release's real
files and compiles; the per-release check and regen tooling."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, run_script

PATCH_DIR = REPO / "patches/sglang-v0.5.9"
CHECK = REPO / "scripts/patches-check.sh"
REGEN = REPO / "scripts/patches-regen.sh"
# Every release the project carries a series for (patches/sglang-vVERSION/).
RELEASES = sorted(p.name.removeprefix("sglang-v") for p in (REPO / "patches").glob("sglang-v*") if p.is_dir())


def patch_files(patch_dir=PATCH_DIR):
    return sorted(patch_dir.glob("*.patch"))


def release_files(version) -> Path:
    """The unpacked wheel of that release (sglang/), fetched from PyPI once."""
    return Path(run_script(REPO / "scripts/fetch-sglang.sh", version).stdout.strip().splitlines()[-1])


def test_releases_found():
    assert "0.5.9" in RELEASES


@pytest.mark.parametrize("version", RELEASES)
def test_series_is_ordered_git_format_against_python_sglang(version):
    files = patch_files(REPO / f"patches/sglang-v{version}")
    assert files, "no patches"
    assert [p.name[:4] for p in files] == [f"{i:04d}" for i in range(1, len(files) + 1)]
    for p in files:
        text = p.read_text()
        paths = re.findall(r"^diff --git a/(\S+) b/(\S+)$", text, re.M)
        assert paths, p.name
        for a, b in paths:
            assert a == b and a.startswith("python/sglang/"), (p.name, a, b)
            # Only Python sources: a compiled file (__pycache__/*.pyc) is machine-specific
            # and once slipped into the series through the regen work tree.
            assert a.endswith(".py") and "__pycache__" not in a, (p.name, a)
        assert "GIT binary patch" not in text, f"{p.name} carries a binary hunk"
        assert "Copyright 20" not in "".join(
            line for line in text.splitlines(True) if line.startswith("+")
        ), f"{p.name} adds a copyright line"


# Releases whose every patched module imports here (.venv or the release's layer; measured):
# a patched module failing to import there is the patch's fault, not the environment's.
FULL_IMPORT_RELEASES = {"0.5.9", "0.5.10.post1"}


@pytest.mark.parametrize("version", RELEASES)
def test_each_release_series_applies_without_fuzz_compiles_and_imports(version, tmp_path):
    files = release_files(version)
    names = [p.name for p in patch_files(REPO / f"patches/sglang-v{version}")]
    patched = sorted({m for p in names for m in re.findall(
        r"^\+\+\+ b/python/(sglang/\S+)\.py$", (REPO / f"patches/sglang-v{version}" / p).read_text(), re.M)})
    assert patched
    # (A module a diff creates is not in the release.)
    release_before = {m: (files / f"{m}.py").read_bytes() for m in patched if (files / f"{m}.py").exists()}
    out = tmp_path / "out"
    proc = run_script(CHECK, version, "--out", out)
    assert [line[3:] for line in proc.stdout.splitlines() if line.startswith("ok ")] == names
    assert f"apply without fuzz to {files / 'sglang'}" in proc.stdout
    # Every patched module is really different from the release's and imports in a fresh
    # interpreter as the release's own module does (a patch can compile yet break an
    # import: a name it uses that the release does not define at import time).
    for mod in patched:
        assert (out / f"{mod}.py").read_bytes() != release_before.get(mod), mod
    modules = [m.replace("/", ".") for m in patched]
    probe = ("import importlib, sys\nfor m in sys.argv[1:]:\n"
             "    try:\n        importlib.import_module(m); print('ok', m)\n"
             "    except Exception as e:\n        print('fail', m, type(e).__name__, e)\n")

    # The release's own environment where one is built (scripts/release-env.sh), else .venv.
    release_python = REPO / f".venv-sglang-{version}/bin/python"
    python = str(release_python) if release_python.exists() else sys.executable

    def imports(tree):
        env = dict(os.environ, PYTHONPATH=f"{tree}{os.pathsep}{REPO / 'python' / 'harness'}")
        code = "from sglang_engineless import cpu_shims; cpu_shims.install()\n" + probe
        res = subprocess.run([python, "-W", "ignore", "-c", code, *modules], env=env,
                             capture_output=True, text=True, timeout=600)
        found = {line.split(" ")[1]: line for line in res.stdout.splitlines()}
        assert set(found) == set(modules), res.stderr[-3000:]
        return found

    ours = imports(out)
    failed = {m for m, line in ours.items() if not line.startswith("ok ")}
    if failed:
        # Only where the release itself does not import in this environment either.
        stock = imports(files)
        assert all(not stock[m].startswith("ok ") for m in failed), (ours, stock)
    if version in FULL_IMPORT_RELEASES:
        assert not failed, ours
        chat = "sglang/srt/entrypoints/openai/serving_chat.py"
        assert "SGLANG_TOKEN_IDS_DEFAULT" in (out / chat).read_text()
        assert "SGLANG_TOKEN_IDS_DEFAULT" not in (files / chat).read_text()
    # The release's own files are never modified.
    assert {m: (files / f"{m}.py").read_bytes() for m in release_before} == release_before


def listed_releases(version):
    """patchset.yaml's `releases:` (the releases a series covers unchanged), read as the line
    `releases: ["A", "B"]`; [] when absent."""
    text = (REPO / f"patches/sglang-v{version}/patchset.yaml").read_text()
    found = re.search(r"^releases:\s*\[(.*)\]\s*$", text, re.M)
    return re.findall(r'"([^"]+)"', found.group(1)) if found else []


# (series, another release its patchset.yaml lists): the series must apply there unchanged.
COVERED = [(v, r) for v in RELEASES for r in listed_releases(v) if r != v]


def test_covered_releases_listed():
    # NeMo-RL pins 0.5.12.post1; the 0.5.12 series covers it (patchset.yaml).
    assert ("0.5.12", "0.5.12.post1") in COVERED
    assert all(v in listed_releases(v) for v in RELEASES if listed_releases(v))


@pytest.mark.parametrize("version,other", COVERED)
def test_series_applies_unchanged_to_each_listed_release(version, other, tmp_path):
    """Each diff, in order, with `git apply` (no fuzz, no offset tolerance beyond git's
    exact-context rule) on a copy of the other release's files, which then compile; and every
    file the series touches is that release's byte for byte, so the same tests hold there."""
    ours, theirs = release_files(version), release_files(other)
    tree = tmp_path / "python"
    shutil.copytree(theirs / "sglang", tree / "sglang")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    touched = set()
    for p in patch_files(REPO / f"patches/sglang-v{version}"):
        touched |= set(re.findall(r"^\+\+\+ b/python/(\S+)$", p.read_text(), re.M))
        proc = subprocess.run(["git", "-C", str(tmp_path), "apply", "--check", str(p)],
                              capture_output=True, text=True)
        assert proc.returncode == 0, (p.name, proc.stderr)
        subprocess.run(["git", "-C", str(tmp_path), "apply", str(p)], check=True)
    for path in sorted(touched):
        subprocess.run([sys.executable, "-m", "py_compile", str(tree / path)], check=True)
        if (ours / path).exists():
            assert (ours / path).read_bytes() == (theirs / path).read_bytes(), path


def test_every_release_is_checked_by_default():
    # Every series, on every release its patchset.yaml lists (releases:, default its own).
    from patchtools.common import all_series

    proc = run_script(CHECK)
    known = all_series()
    for folder, listed in known.items():
        for version in listed:
            assert f"== {folder.name} on sglang {version}\n" in proc.stdout
    assert f"every series passed on every release it lists ({len(known)} series)" in proc.stdout


def test_a_source_of_another_release_is_refused(sglang_release, tmp_path):
    proc = run_script(CHECK, "0.5.23", sglang_release, check=False)
    assert proc.returncode == 2 and "is sglang 0.5.9, not 0.5.23" in proc.stderr
    proc = run_script(CHECK, "0.4.0", check=False)
    assert proc.returncode != 0
    # A copy that says nothing about its release must be named.
    shutil.copytree(sglang_release / "sglang", tmp_path / "sglang")
    (tmp_path / "sglang/_version.py").unlink()
    proc = run_script(CHECK, tmp_path, check=False)
    assert proc.returncode == 2 and "cannot tell which SGLang release" in proc.stderr
    assert run_script(CHECK, "0.5.9", tmp_path).returncode == 0


def test_applies_to_a_repository_layout(sglang_release, tmp_path):
    (tmp_path / "python").mkdir()
    shutil.copytree(sglang_release / "sglang", tmp_path / "python/sglang")
    run_script(CHECK, tmp_path)


def test_drifted_context_fails_and_names_the_patch(sglang_release, tmp_path):
    shutil.copytree(sglang_release / "sglang", tmp_path / "sglang")
    target = tmp_path / "sglang/srt/entrypoints/openai/serving_chat.py"
    src = target.read_text()
    # One context line of 0002 changes by a single character: no fuzz means failure.
    drifted = src.replace("        index = content.get(\"index\", 0)\n",
                          "        index = content.get(\"index\",  0)\n", 1)
    assert drifted != src
    target.write_text(drifted)
    proc = run_script(CHECK, tmp_path, check=False)
    assert proc.returncode == 1
    assert "0002-serving_chat-token-ids.patch does not apply" in proc.stderr


def test_patch_that_breaks_syntax_fails_compile(sglang_release, tmp_path):
    bad_dir = tmp_path / "patches"
    bad_dir.mkdir()
    for p in patch_files():
        shutil.copy(p, bad_dir / p.name)
    p2 = bad_dir / "0002-serving_chat-token-ids.patch"
    text = p2.read_text()
    broken = text.replace("+        self.token_ids_default = _token_ids_default_from_env()\n",
                          "+        self.token_ids_default = _token_ids_default_from_env(\n", 1)
    assert broken != text
    p2.write_text(broken)
    env = dict(os.environ, SGLANG_PATCH_DIR=str(bad_dir))
    proc = run_script(CHECK, sglang_release, env=env, check=False)
    assert proc.returncode == 1
    assert "serving_chat.py does not compile" in proc.stderr


def test_bad_usage_is_reported(sglang_release, tmp_path):
    proc = run_script(CHECK, tmp_path / "missing", check=False)
    assert proc.returncode == 2
    assert "holds neither sglang/ nor python/sglang/" in proc.stderr
    nonempty = tmp_path / "nonempty"
    nonempty.mkdir()
    (nonempty / "x").write_text("x")
    proc = run_script(CHECK, sglang_release, "--out", nonempty, check=False)
    assert proc.returncode == 2
    assert "exists and is not empty" in proc.stderr


def test_regen_round_trip_reproduces_the_series(tmp_path):
    work = tmp_path / "work"
    run_script(REGEN, "init", "0.5.9", work)
    before = {p.name: p.read_bytes() for p in patch_files()}
    try:
        run_script(REGEN, "export", work)
        after = {p.name: p.read_bytes() for p in patch_files()}
    finally:
        for p in patch_files():
            p.unlink()
        for name, data in before.items():
            (PATCH_DIR / name).write_bytes(data)
    assert after == before


def test_regen_export_keeps_other_patches_and_refuses_stale_ones(sglang_release, tmp_path):
    """export replaces only what init imported: a patch added to the folder meanwhile (by
    another work dir) is kept, and a work dir whose imported patches changed in the folder
    since (someone exported over them) is refused rather than written over them."""
    root = tmp_path / "repo"
    shutil.copytree(REPO / "scripts", root / "scripts")
    shutil.copytree(PATCH_DIR, root / "patches/sglang-v0.5.9")
    (root / ".cache").mkdir()
    (root / ".cache" / sglang_release.name).symlink_to(sglang_release)  # no second download
    regen, patch_dir, work = root / "scripts/patches-regen.sh", root / "patches/sglang-v0.5.9", tmp_path / "work"
    run_script(regen, "init", work)
    # Another work dir's new patch lands in the folder after this init.
    other = tmp_path / "other"
    run_script(regen, "init", other)
    (other / "python/sglang/version.py").write_text(
        (other / "python/sglang/version.py").read_text() + "# other\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", "-C", str(other)]
    subprocess.run([*git, "commit", "-qam", "other change"], check=True)
    subprocess.run([*git, "format-patch", "-q", "-1", "--start-number", "99", "-o", str(patch_dir)], check=True)
    foreign = sorted(patch_dir.glob("0099-*.patch"))
    assert len(foreign) == 1
    run_script(regen, "export", work)
    assert foreign[0].exists(), "export removed a patch it had not imported"
    # An imported patch changed in the folder since init: refuse, write nothing.
    first = sorted(patch_dir.glob("0001-*.patch"))[0]
    first.write_text(first.read_text() + "\n")
    before = {p.name: p.read_bytes() for p in patch_dir.glob("*.patch")}
    proc = run_script(regen, "export", work, check=False)
    assert proc.returncode == 2 and "changed since init" in proc.stderr
    assert {p.name: p.read_bytes() for p in patch_dir.glob("*.patch")} == before
    (work / ".git/imported-patches").unlink()
    proc = run_script(regen, "export", work, check=False)
    assert proc.returncode == 2 and "run init again" in proc.stderr


def test_regen_starts_a_new_release_and_exports_to_its_folder(tmp_path):
    """init VERSION for a release with no folder yet gives the pristine release alone;
    export writes that release's folder (never v0.5.9's) and checks it against its files."""
    version = "0.5.16"
    files = release_files(version)
    root = tmp_path / "repo"
    shutil.copytree(REPO / "scripts", root / "scripts")
    shutil.copytree(PATCH_DIR, root / "patches/sglang-v0.5.9")
    (root / ".cache").mkdir()
    (root / ".cache" / files.name).symlink_to(files)
    regen, work = root / "scripts/patches-regen.sh", tmp_path / "work"
    proc = run_script(regen, "init", f"v{version}", work)
    assert f"sglang {version} pristine + 0 patch commits" in proc.stdout
    assert (work / "python/sglang/version.py").read_text() == (files / "sglang/version.py").read_text()
    target = work / "python/sglang/srt/entrypoints/openai/protocol.py"
    target.write_text(target.read_text() + "\n# our change\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", "-C", str(work)]
    subprocess.run([*git, "commit", "-qam", "protocol: a change"], check=True)
    proc = run_script(regen, "export", "0.5.9", work, check=False)
    assert proc.returncode == 2 and f"holds sglang {version}, not 0.5.9" in proc.stderr
    proc = run_script(regen, "export", work)
    written = sorted((root / f"patches/sglang-v{version}").glob("*.patch"))
    assert [p.name for p in written] == ["0001-protocol-a-change.patch"]
    assert "+# our change" in written[0].read_text()
    assert f"1 patches of sglang-v{version} apply without fuzz" in proc.stdout
    assert sorted(p.name for p in (root / "patches/sglang-v0.5.9").glob("*.patch")) == \
        [p.name for p in patch_files()]
