"""(a) The patch series applies in order, without fuzz, to the real v0.5.9 files and compiles."""

import os
import re
import shutil
import subprocess

from conftest import REPO, run_script

PATCH_DIR = REPO / "patches/sglang-v0.5.9"
CHECK = REPO / "scripts/patches-check.sh"


def patch_files():
    return sorted(PATCH_DIR.glob("*.patch"))


def test_series_is_ordered_git_format_against_python_sglang():
    files = patch_files()
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


def test_series_applies_without_fuzz_and_compiles(sglang_release, tmp_path):
    out = tmp_path / "out"
    proc = run_script(CHECK, sglang_release, "--out", out)
    assert proc.stdout.count("\nok ") + proc.stdout.startswith("ok ") == len(patch_files())
    patched = (out / "sglang/srt/entrypoints/openai/serving_chat.py").read_text()
    pristine = (sglang_release / "sglang/srt/entrypoints/openai/serving_chat.py").read_text()
    assert "SGLANG_TOKEN_IDS_DEFAULT" in patched and "SGLANG_TOKEN_IDS_DEFAULT" not in pristine
    # The source tree itself is never modified.
    assert "return_token_ids" not in (
        sglang_release / "sglang/srt/entrypoints/openai/protocol.py"
    ).read_text()


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
    run_script(REPO / "scripts/patches-regen.sh", "init", work)
    before = {p.name: p.read_bytes() for p in patch_files()}
    try:
        run_script(REPO / "scripts/patches-regen.sh", "export", work)
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
