"""The in-image patch applier (dockerfiles/apply_patchset.py) against `git apply` itself: the
same bytes for the real patch set and for the cases where a careless applier differs (a hunk
that moved, context that occurs twice, no newline at the end, CRLF files, a new file, an
added line with trailing whitespace), and a refusal wherever git refuses (one changed
context character, which GNU patch would take with fuzz)."""

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
spec = importlib.util.spec_from_file_location("apply_patchset", REPO / "dockerfiles/apply_patchset.py")
applier = importlib.util.module_from_spec(spec)
spec.loader.exec_module(applier)

GIT_ENV = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
REL = "sglang/mod.py"


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, capture_output=True)


def make_patch(tmp_path, old, new, name="0001-change.patch", rel=REL):
    """A `git diff` of old -> new at python/<rel>, as our patch files are made."""
    work = tmp_path / "gen"
    shutil.rmtree(work, ignore_errors=True)
    target = work / "python" / rel
    target.parent.mkdir(parents=True)
    git("init", "-q", cwd=work)
    if old is not None:
        target.write_bytes(old)
        git("add", "-A", cwd=work)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base", "--allow-empty", cwd=work)
    target.write_bytes(new)
    git("add", "-A", cwd=work)
    diff = git("diff", "--cached", cwd=work).stdout
    assert diff, "no diff generated"
    patch = tmp_path / name
    patch.write_bytes(diff)
    return patch


def tree_with(tmp_path, name, content, rel=REL):
    """A scratch tree laid out like upstream (python/sglang/...) holding `content`."""
    root = tmp_path / name
    if content is not None:
        (root / "python" / rel).parent.mkdir(parents=True)
        (root / "python" / rel).write_bytes(content)
    else:
        (root / "python").mkdir(parents=True)
    return root


def git_apply_result(tmp_path, base, patches, rel=REL):
    root = tree_with(tmp_path, "by-git", base, rel)
    env = {**GIT_ENV, "GIT_CEILING_DIRECTORIES": str(tmp_path)}
    proc = subprocess.run(["git", "apply", *map(str, patches)], cwd=root, env=env, capture_output=True)
    if proc.returncode != 0:
        return None
    return (root / "python" / rel).read_bytes()


def our_result(tmp_path, base, patches, rel=REL):
    root = tree_with(tmp_path, "ours", base, rel) / "python"
    results = applier.apply_series([str(p) for p in patches], str(root))
    return {path: content for path, content, _ in results}[rel]


LINES = [b"line %d\n" % i for i in range(1, 41)]
BASE = b"".join(LINES)


def edited(lines, at, new):
    out = list(lines)
    out[at] = new
    return b"".join(out)


CASES = {
    # The base has lines the diff's preimage lacks above the hunk: the hunk moves down.
    "hunk moved by an insertion above": (BASE, edited(LINES, 20, b"changed 21\n"), b"extra\n" * 7 + BASE),
    # Context that occurs twice: git takes the one nearest the hunk's line number.
    "ambiguous context": (
        b"a\nb\nc\nX\nd\ne\nf\n" + b"filler\n" * 5 + b"a\nb\nc\nX\nd\ne\nf\n",
        b"a\nb\nc\nX\nd\ne\nf\n" + b"filler\n" * 5 + b"a\nb\nc\nY\nd\ne\nf\n",
        b"a\nb\nc\nX\nd\ne\nf\n" + b"filler\n" * 3 + b"a\nb\nc\nX\nd\ne\nf\n",
    ),
    "no newline at end of file": (b"one\ntwo\nthree", b"one\ntwo\nthree\nfour", None),
    "newline added at end of file": (b"one\ntwo", b"one\ntwo\n", None),
    "CRLF file": (b"a\r\nb\r\nc\r\nd\r\n", b"a\r\nb\r\nB2\r\nc\r\nd\r\n", None),
    "trailing whitespace in an added line": (BASE, edited(LINES, 5, b"spaced  \t\n"), None),
    # A lone carriage return inside a line is part of that line for git, not a line break.
    "lone carriage return inside lines": (
        b"a\nb = '\r'\nc\nd\n" + BASE,
        b"a\nb = '\r' + '\r'\nc\nd\n" + BASE,
        None,
    ),
    "change at the first line": (BASE, b"first\n" + BASE[len(LINES[0]) :], None),
    "change at the last line": (BASE, BASE[: -len(LINES[-1])] + b"last\n", None),
    "several hunks": (BASE, edited(edited(LINES, 2, b"x\n").splitlines(True), 35, b"y\n"), None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_bytes_as_git_apply(tmp_path, case):
    old, new, base = CASES[case]
    patch = make_patch(tmp_path, old, new)
    base = old if base is None else base
    expected = git_apply_result(tmp_path, base, [patch])
    assert expected is not None, "git apply refused the case itself"
    assert our_result(tmp_path, base, [patch]) == expected


def test_new_file_same_as_git_apply(tmp_path):
    patch = make_patch(tmp_path, None, b"brand new\nfile\n", rel="sglang/new_mod.py")
    expected = git_apply_result(tmp_path, None, [patch], rel="sglang/new_mod.py")
    assert our_result(tmp_path, None, [patch], rel="sglang/new_mod.py") == expected == b"brand new\nfile\n"


def test_an_empty_context_line_without_its_space_is_context(tmp_path):
    old = b"a\n\nb\nc\nd\n"
    patch = make_patch(tmp_path, old, b"a\n\nb\nC\nd\n")
    text = patch.read_bytes().replace(b"\n \n", b"\n\n")
    patch.write_bytes(text)
    assert git_apply_result(tmp_path, old, [patch]) == our_result(tmp_path, old, [patch]) == b"a\n\nb\nC\nd\n"


def test_the_real_patch_set_gives_git_applys_bytes(tmp_path):
    release = Path(subprocess.run(["bash", REPO / "scripts/fetch-sglang.sh"], capture_output=True, text=True, check=True).stdout.split()[-1])
    patches = sorted((REPO / "patches/sglang-v0.5.9").glob("*.patch"))
    by_git = tmp_path / "by-git" / "python"
    shutil.copytree(release / "sglang", by_git / "sglang")
    env = {**GIT_ENV, "GIT_CEILING_DIRECTORIES": str(tmp_path)}
    subprocess.run(["git", "apply", *map(str, patches)], cwd=by_git.parent, env=env, check=True)
    results = applier.apply_series([str(p) for p in patches], str(release))
    assert len(results) >= 3
    created = 0
    for rel, content, _ in results:
        assert content == (by_git / rel).read_bytes(), rel
        if (release / rel).exists():
            assert content != (release / rel).read_bytes(), rel
        else:
            created += 1  # a module the series adds (0014's tokens_as_token_ids.py)
    assert created >= 1


def test_one_changed_context_character_is_refused_like_git(tmp_path):
    patch = make_patch(tmp_path, BASE, edited(LINES, 20, b"changed 21\n"))
    # The first context line differs: GNU patch applies this with fuzz 1, git refuses.
    base = edited(LINES, 17, b"line 18!\n")
    assert git_apply_result(tmp_path, base, [patch]) is None
    with pytest.raises(applier.PatchSetError) as err:
        our_result(tmp_path, base, [patch])
    message = str(err.value)
    assert "patch 0001-change.patch does not apply" in message and "nothing was applied" in message
    assert "patch failed: sglang/mod.py:18: hunk 1 of 1" in message
    assert "line 18: the patch expects 'line 18', the file has 'line 18!'" in message


def test_a_later_patch_that_fails_names_itself(tmp_path):
    first = make_patch(tmp_path, BASE, edited(LINES, 3, b"first\n"), name="0001-a.patch")
    second = make_patch(tmp_path, BASE, edited(LINES, 30, b"second\n"), name="0002-b.patch")
    second.write_bytes(second.read_bytes().replace(b" line 30\n", b" line thirty\n"))
    with pytest.raises(applier.PatchSetError, match=r"^patch 0002-b\.patch does not apply"):
        our_result(tmp_path, BASE, [first, second])


@pytest.mark.parametrize(
    "header",
    [b"deleted file mode 100644\n", b"old mode 100644\nnew mode 100755\n", b"rename from x\nrename to y\n"],
)
def test_deletes_mode_changes_and_renames_are_refused(tmp_path, header):
    patch = make_patch(tmp_path, BASE, edited(LINES, 3, b"x\n"))
    text = patch.read_bytes()
    first_nl = text.index(b"\n") + 1
    patch.write_bytes(text[:first_nl] + header + text[first_nl:])
    with pytest.raises(applier.PatchSetError, match="only edits of file contents and new files are supported"):
        applier.parse_patch(patch.read_bytes(), patch.name)


def test_a_file_that_is_no_diff_is_refused(tmp_path):
    with pytest.raises(applier.PatchSetError, match="contains no file changes"):
        applier.parse_patch(b"just some text\n", "0001-x.patch")


def test_a_truncated_hunk_is_refused(tmp_path):
    patch = make_patch(tmp_path, BASE, edited(LINES, 20, b"changed 21\n"))
    text = patch.read_bytes()
    with pytest.raises(applier.PatchSetError, match="ends early"):
        applier.parse_patch(text[: text.rindex(b"\n", 0, len(text) - 1) + 1], patch.name)


def test_record_rows_of_patched_files_get_the_new_hash_and_size(tmp_path):
    site = tmp_path / "site"
    (site / "sglang").mkdir(parents=True)
    (site / "sglang-0.5.9.dist-info").mkdir()
    (site / "sglang" / "a.py").write_bytes(b"patched\n")
    record = site / "sglang-0.5.9.dist-info" / "RECORD"
    record.write_bytes(b"sglang/a.py,sha256=old,3\r\nsglang/b.py,sha256=keep,4\r\nsglang-0.5.9.dist-info/RECORD,,\r\n")
    overlay = tmp_path / "overlay"
    (overlay / str(site).lstrip("/") / "sglang").mkdir(parents=True)
    (overlay / str(site).lstrip("/") / "sglang" / "a.py").write_bytes(b"patched\n")
    changed = applier.updated_record(str(record), [str(site / "sglang" / "a.py")], str(overlay))
    assert changed == [str(site / "sglang" / "a.py")]
    written = (overlay / str(record).lstrip("/")).read_bytes()
    # sha256 of b"patched\n", urlsafe base64 without padding, as PEP 376/427 and pip write it.
    assert written == (
        b"sglang/a.py,sha256=" + applier.record_hash(b"patched\n")[7:].encode() + b",8\r\n"
        b"sglang/b.py,sha256=keep,4\r\nsglang-0.5.9.dist-info/RECORD,,\r\n"
    )
    assert b"=" not in applier.record_hash(b"patched\n")[7:].encode()


def checkout_at(tmp_path):
    repo = tmp_path / "checkout"
    (repo / "python" / "sglang").mkdir(parents=True)
    (repo / "python" / "sglang" / "__init__.py").write_text("")
    git("init", "-q", cwd=repo)
    git("add", "-A", cwd=repo)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x", cwd=repo)
    head = git("rev-parse", "HEAD", cwd=repo).stdout.decode().strip()
    return repo, head


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the checkout to another user")
def test_a_checkout_owned_by_another_user_is_read(tmp_path):
    repo, head = checkout_at(tmp_path)
    subprocess.run(["chown", "-R", "1000:1000", str(repo)], check=True)
    # Plain git refuses it, as in a base whose checkout belongs to the image's user.
    assert b"dubious ownership" in git("-C", str(repo), "rev-parse", "HEAD", cwd=tmp_path).stderr
    found = applier.find_checkout(str(repo / "python" / "sglang"))
    assert found == str(repo)
    assert applier.checkout_head(found) == (head, None)


def test_the_images_git_config_is_not_read(tmp_path, monkeypatch):
    repo, head = checkout_at(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    # A config git cannot even parse: read, it would fail every command.
    (home / ".gitconfig").write_text("[core]\n\tabbrev = not-a-number\n")
    monkeypatch.setenv("HOME", str(home))
    assert git("-C", str(repo), "rev-parse", "HEAD", cwd=tmp_path).returncode == 0  # GIT_ENV skips it too
    plain = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, env={**os.environ, "HOME": str(home)})
    assert plain.returncode != 0
    assert applier.checkout_head(str(repo)) == (head, None)


def test_without_git_a_checkout_is_named_and_the_version_check_says_why(tmp_path, monkeypatch):
    repo, _ = checkout_at(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    head, problem = applier.checkout_head(str(repo))
    assert head is None and problem.startswith("git is not installed in the base image")
    monkeypatch.setattr(applier, "installed_version", lambda: "0.5.9.dev0")
    with pytest.raises(applier.PatchSetError) as err:
        applier.check_version(str(repo / "python" / "sglang"), "0.5.9", "b" * 40)
    assert "git is not installed in the base image" in str(err.value)
    assert "install git in the base" in str(err.value)


def test_a_git_failure_is_reported_not_swallowed(tmp_path, monkeypatch, capsys):
    repo, _ = checkout_at(tmp_path)
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/missing\n")
    head, problem = applier.checkout_head(str(repo))
    assert head is None and problem.startswith("git could not read the commit of the checkout at")
    monkeypatch.setattr(applier, "installed_version", lambda: "0.5.9")
    # The installed version still passes, but the git failure is printed, not dropped.
    check = applier.check_version(str(repo / "python" / "sglang"), "0.5.9", "b" * 40)
    assert check["method"] == "installed-version"
    assert "apply-patchset: warning: git could not read the commit of the checkout" in capsys.readouterr().out


# --- the boundary: a series changes files of the sglang package and nothing else ------------


def renamed(patch, new_path):
    """`patch` with its file named `new_path` (bytes, as it stands after `a/` and `b/`)."""
    text = patch.read_bytes().replace(b"python/" + REL.encode(), new_path)
    patch.write_bytes(text)
    return patch


@pytest.mark.parametrize(
    "path, message",
    [
        (b"python/../torch/x.py", "leaves the package root"),
        (b"python/sglang/../../torch/x.py", "leaves the package root"),
        (b"python//sglang/mod.py", "leaves the package root"),
        (b"python/torch/__init__.py", "outside the sglang package"),
        (b"python/sglang-evil.pth", "outside the sglang package"),
        (b"python/sglang", "outside the sglang package"),
        (b"python/sglang/\xff\xfe.py", "is not UTF-8"),
    ],
)
def test_a_path_outside_the_package_is_refused(tmp_path, path, message):
    patch = renamed(make_patch(tmp_path, BASE, edited(LINES, 3, b"x\n")), path)
    with pytest.raises(applier.PatchSetError, match=message):
        applier.parse_patch(patch.read_bytes(), patch.name)


def test_an_absolute_path_is_refused(tmp_path):
    # A plain diff (no `diff --git` line) naming an absolute file, as `diff -u` writes one.
    body = make_patch(tmp_path, BASE, edited(LINES, 3, b"x\n")).read_bytes()
    hunks = body[body.index(b"@@ ") :]
    plain = b"--- /usr/lib/python3/dist-packages/sglang/mod.py\n+++ /usr/lib/python3/dist-packages/sglang/mod.py\n" + hunks
    with pytest.raises(applier.PatchSetError, match="leaves the package root"):
        applier.parse_patch(plain, "0001-abs.patch")


@pytest.mark.parametrize(
    "header",
    [b"GIT binary patch\nliteral 4\nLcmZ?d00001\n", b"Binary files a/python/sglang/x.bin and b/python/sglang/x.bin differ\n"],
)
def test_a_binary_patch_is_refused(tmp_path, header):
    patch = make_patch(tmp_path, BASE, edited(LINES, 3, b"x\n"))
    text = patch.read_bytes()
    start = text.index(b"diff --git")
    first_nl = text.index(b"\n", start) + 1
    patch.write_bytes(text[:first_nl] + b"index 0000000..1111111\n" + header + text[first_nl:])
    with pytest.raises(applier.PatchSetError, match="only edits of file contents and new files are supported"):
        applier.parse_patch(patch.read_bytes(), patch.name)


def test_a_symlinked_target_is_refused_and_what_it_points_at_is_untouched(tmp_path):
    patch = make_patch(tmp_path, BASE, edited(LINES, 3, b"x\n"))
    outside = tmp_path / "torch_file.py"
    outside.write_bytes(BASE)
    root = tree_with(tmp_path, "ours", None) / "python"
    (root / "sglang").mkdir()
    (root / REL).symlink_to(outside)
    with pytest.raises(applier.PatchSetError, match=r"sglang/mod\.py is a symlink"):
        applier.apply_series([str(patch)], str(root))
    assert outside.read_bytes() == BASE


def test_a_symlinked_folder_on_the_way_is_refused(tmp_path):
    patch = make_patch(tmp_path, BASE, edited(LINES, 3, b"x\n"), rel="sglang/srt/mod.py")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "mod.py").write_bytes(BASE)
    root = tree_with(tmp_path, "ours", None) / "python"
    (root / "sglang").mkdir()
    (root / "sglang" / "srt").symlink_to(elsewhere)
    with pytest.raises(applier.PatchSetError, match=r"sglang/srt is a symlink"):
        applier.apply_series([str(patch)], str(root))


def test_a_new_file_over_a_dangling_symlink_is_refused(tmp_path):
    patch = make_patch(tmp_path, None, b"new\n")
    root = tree_with(tmp_path, "ours", None) / "python"
    (root / "sglang").mkdir()
    (root / REL).symlink_to(tmp_path / "nowhere.py")
    with pytest.raises(applier.PatchSetError, match="is a symlink"):
        applier.apply_series([str(patch)], str(root))
    assert not (tmp_path / "nowhere.py").exists()


# --- a series that covers several releases (patchset.yaml releases:) -------------------------


def test_a_base_of_the_targets_covered_release_passes_and_is_recorded(tmp_path, monkeypatch):
    repo, head = checkout_at(tmp_path)
    monkeypatch.setattr(applier, "installed_version", lambda: "0.5.12.post1")
    check = applier.check_version(str(repo / "python" / "sglang"), "0.5.12.post1", head, "0.5.12", ["0.5.12", "0.5.12.post1"])
    # HEAD is the pinned commit, but that proves 0.5.12 only: the installed version decides.
    assert check["method"] == "installed-version"
    assert check["sglangRelease"] == "0.5.12.post1"


def test_the_pinned_commit_proves_only_the_release_the_series_was_written_on(tmp_path, monkeypatch):
    repo, head = checkout_at(tmp_path)
    monkeypatch.setattr(applier, "installed_version", lambda: None)
    check = applier.check_version(str(repo / "python" / "sglang"), "0.5.12", head, "0.5.12", ["0.5.12", "0.5.12.post1"])
    assert (check["method"], check["sglangRelease"]) == ("git-head", "0.5.12")
    with pytest.raises(applier.PatchSetError, match="is for SGLang 0.5.12.post1"):
        applier.check_version(str(repo / "python" / "sglang"), "0.5.12.post1", head, "0.5.12", ["0.5.12", "0.5.12.post1"])


def test_a_base_of_another_covered_release_is_named_not_labelled_wrong(tmp_path, monkeypatch):
    repo, _ = checkout_at(tmp_path)
    monkeypatch.setattr(applier, "installed_version", lambda: "0.5.12")
    with pytest.raises(applier.PatchSetError) as err:
        applier.check_version(str(repo / "python" / "sglang"), "0.5.12.post1", "b" * 40, "0.5.12", ["0.5.12", "0.5.12.post1"])
    message = str(err.value)
    assert "base image has SGLang 0.5.12" in message and "also covers (0.5.12, 0.5.12.post1)" in message
    assert "build it as a target of release 0.5.12" in message
