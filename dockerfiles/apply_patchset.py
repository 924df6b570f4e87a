"""Applies the patch set to the SGLang installed in this image and stages the result.

Runs inside the build (first stage of dockerfiles/patched.Dockerfile) with the image's own
python3, standard library only, and needs no other tool: no git, no patch(1). Steps, each
failing the build with one message naming what is wrong:
  1. locate the installed sglang package WITHOUT importing it (importing pulls in torch and
     CUDA; find_spec on a top-level name only reads the import path);
  2. refuse a base whose SGLang is not the release the target builds (the plan's sglangVersion,
     one of the releases the series covers): the git HEAD of the checkout equals the pinned
     upstream commit (which proves only the release the series was written on, writtenOn), or
     the installed distribution's version equals the expected one. A base of another release
     the series covers is refused too, naming it: the image's labels are set before the build
     and name the target's release, so they must be the release actually found;
  3. parse every patch, refusing any path outside the `sglang` package (`../`, absolute, a
     sibling package, a name that is not UTF-8), binary patches and symlinked targets, and
     apply the whole series IN MEMORY, hunk by hunk, with the rules of `git apply` (exact
     context, no fuzz); a hunk that does not match stops the build before ANY file is
     written (a loop that applied patch by patch once shipped a half-patched image);
  4. write the results into the overlay folder that the second stage copies onto the base as
     ONE layer: each file with its original owner and mode, its byte-compiled .pyc, and the
     distribution's RECORD with the new sha256 and size of the files it lists.
The result is byte-identical to `git apply` (test/python/apply_patchset compares the two).
Why not `git apply`: bases without git exist, a base's own git config (apply.whitespace in
/root/.gitconfig) would change the bytes it writes, and it writes new files as root 0644.

Every error is printed as one `apply-patchset: ERROR: ...` paragraph: the orchestrator shows
that paragraph and treats it as bad input (exit code 2); anything else is a bug (traceback).
"""

import argparse
import base64
import csv
import hashlib
import importlib.metadata
import importlib.util
import io
import json
import os
import py_compile
import re
import subprocess
import sys
import tempfile


class PatchSetError(Exception):
    """The base or the patch set is not what the build needs; the message says what to do."""


# --- the installed package and its version ------------------------------------------------


def locate_sglang():
    spec = importlib.util.find_spec("sglang")
    if spec is None or not spec.submodule_search_locations:
        raise PatchSetError(
            "sglang is not installed in the base image (importlib.util.find_spec('sglang') found nothing)"
        )
    return os.path.realpath(list(spec.submodule_search_locations)[0])


def find_checkout(directory):
    """The folder holding `.git` at or above `directory`, or None for a plain install."""
    current = directory
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def isolated_git_env(home):
    # The base's own git config (/root/.gitconfig, /etc/gitconfig, the official image appends
    # upstream's there) must not steer what we read. GIT_CONFIG_GLOBAL needs git >= 2.32;
    # the empty HOME covers older ones.
    env = dict(os.environ)
    for key in [k for k in env if k.startswith("GIT_")]:
        del env[key]
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        HOME=home,
        XDG_CONFIG_HOME=home,
        LC_ALL="C",
        GIT_TERMINAL_PROMPT="0",
    )
    return env


def checkout_head(checkout):
    """(commit, problem): HEAD of the checkout, or None and why it could not be read."""
    with tempfile.TemporaryDirectory() as home:
        try:
            # safe.directory: the checkout is often owned by the image's own user, not by the
            # root that runs this build; git then refuses it ("dubious ownership").
            result = subprocess.run(
                ["git", "-c", "safe.directory=*", "-C", checkout, "rev-parse", "--verify", "HEAD"],
                env=isolated_git_env(home),
                capture_output=True,
                text=True,
            )
        except FileNotFoundError:
            return None, "git is not installed in the base image, so the commit of the checkout at %s was not read" % checkout
    if result.returncode != 0:
        return None, "git could not read the commit of the checkout at %s: %s" % (checkout, result.stderr.strip())
    return result.stdout.strip(), None


def installed_version():
    try:
        return importlib.metadata.version("sglang")
    except importlib.metadata.PackageNotFoundError:
        return None


def check_version(package_dir, expected_version, pinned_commit, written_on=None, releases=None):
    """How the base was found to be SGLang `expected_version`, with the release found
    (sglangRelease); PatchSetError otherwise. written_on: the release pinned_commit is the tag
    of (default expected_version); releases: every release the series covers (for messages)."""
    written_on = written_on or expected_version
    releases = releases or [expected_version]
    checkout = find_checkout(package_dir)
    head, problem = checkout_head(checkout) if checkout else (None, None)
    version = installed_version()
    # The pinned commit is the tag of the release the series was written on: a checkout at it
    # proves that release and no other one the series covers.
    if head is not None and head == pinned_commit and expected_version == written_on:
        return {"method": "git-head", "gitHead": head, "installedVersion": version, "sglangRelease": written_on}
    if version == expected_version:
        if problem:
            print("apply-patchset: warning: %s" % problem)
        return {"method": "installed-version", "gitHead": head, "installedVersion": version, "sglangRelease": version}
    if version is not None and version in releases:
        raise PatchSetError(
            "base image has SGLang %s at %s, which this patch set also covers (%s), but the target builds "
            "SGLang %s and the image's labels would name %s; build it as a target of release %s"
            % (version, package_dir, ", ".join(releases), expected_version, expected_version, version)
        )
    hint = ""
    if problem and "not installed" in problem:
        hint = "; or install git in the base (apt-get install git) so its checkout's commit can be checked"
    raise PatchSetError(
        "base image has SGLang %s (git HEAD %s) at %s, but the patch set is for SGLang %s (commit %s)%s; "
        "use a base image of SGLang %s or a patch set made for this version%s"
        % (
            version or "of unknown version",
            head or "none",
            package_dir,
            expected_version,
            pinned_commit,
            " [%s]" % problem if problem else "",
            expected_version,
            hint,
        )
    )


# --- unified diffs, parsed and applied like `git apply` -------------------------------------


class Hunk:
    def __init__(self, header, old_start, new_start):
        self.header = header
        self.old_start = old_start
        self.new_start = new_start
        self.lines = []  # (tag, content) with tag in " -+"; content keeps its line ending

    @property
    def preimage(self):
        return [c for t, c in self.lines if t != "+"]

    @property
    def postimage(self):
        return [c for t, c in self.lines if t != "-"]

    def context_counts(self):
        leading = 0
        for t, _ in self.lines:
            if t != " ":
                break
            leading += 1
        trailing = 0
        for t, _ in reversed(self.lines):
            if t != " ":
                break
            trailing += 1
        return leading, trailing


class FilePatch:
    def __init__(self, path, is_new, new_mode):
        self.path = path  # relative to the folder holding the package, e.g. sglang/srt/x.py
        self.is_new = is_new
        self.new_mode = new_mode
        self.hunks = []


HUNK_HEADER = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
UNSUPPORTED_HEADERS = (
    b"deleted file mode",
    b"rename from",
    b"rename to",
    b"copy from",
    b"copy to",
    b"old mode",
    b"new mode",
    b"GIT binary patch",
    b"Binary files",
)


# The one package a series may touch. The applier's root is the folder holding `sglang`, which
# for a pip install is site-packages: without this boundary a diff could edit torch/ or write a
# .pth file that runs at every interpreter start.
PACKAGE = "sglang"


def strip_path(raw, strip, where):
    """The path a diff names, relative to the folder holding the package (`sglang/...`), or
    PatchSetError: a name that is not UTF-8, absolute, leaves the root, or is outside `sglang/`."""
    name = raw.split(b"\t")[0].rstrip(b"\r\n")
    try:
        text = name.decode("utf-8")
    except UnicodeDecodeError:
        raise PatchSetError("%s: file name %r is not UTF-8; a series names files of the %s package only" % (where, name, PACKAGE))
    if name.startswith(b'"'):
        raise PatchSetError("%s: quoted file names are not supported: %s" % (where, text))
    parts = text.split("/")
    if len(parts) <= strip:
        raise PatchSetError("%s: path %s has fewer than %d leading components" % (where, text, strip))
    rel_parts = parts[strip:]
    rel = "/".join(rel_parts)
    if text.startswith("/") or rel.startswith("/") or "" in rel_parts or ".." in rel_parts or "." in rel_parts:
        raise PatchSetError("%s: path %s leaves the package root (absolute, empty, '.' or '..' component)" % (where, text))
    if rel_parts[0] != PACKAGE or len(rel_parts) < 2:
        raise PatchSetError("%s: path %s is outside the %s package; a series may only change files under %s/" % (where, rel, PACKAGE, PACKAGE))
    return rel


def refuse_symlinks(root, rel):
    """PatchSetError if `root/rel` or any folder on the way to it (below `root`) is a symlink:
    writing through one would replace a file elsewhere with a plain file, or edit a file outside
    the package while the message names one inside it."""
    current = root
    for part in rel.split("/"):
        current = os.path.join(current, part)
        if os.path.islink(current):
            raise PatchSetError(
                "patch failed: %s: %s is a symlink (to %s); the applier writes real files of the %s package only"
                % (rel, current, os.readlink(current), PACKAGE)
            )


def split_lines(data):
    """Lines ending at "\n" only, each keeping its ending, as git reads them (bytes.splitlines
    would also split at a lone "\r", which can sit inside a line of source or of a diff)."""
    parts = data.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def parse_patch(data, name, strip=2):
    """Every file change in one patch file (a `git format-patch` mail or a plain diff)."""
    lines = split_lines(data)
    files = []
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        starts_git = line.startswith(b"diff --git ")
        starts_plain = line.startswith(b"--- ") and i + 1 < n and lines[i + 1].startswith(b"+++ ")
        if not (starts_git or starts_plain):
            i += 1  # mail headers, commit message, diffstat, signature
            continue
        where = "%s line %d" % (name, i + 1)
        new_mode = None
        if starts_git:
            i += 1
            while i < n and not lines[i].startswith((b"--- ", b"diff --git ")):
                header = lines[i]
                if header.startswith(UNSUPPORTED_HEADERS):
                    raise PatchSetError(
                        "%s line %d: %s: only edits of file contents and new files are supported"
                        % (name, i + 1, header.strip().decode("utf-8", "replace"))
                    )
                if header.startswith(b"new file mode "):
                    new_mode = int(header.split()[-1], 8) & 0o777
                i += 1
            if i >= n or not lines[i].startswith(b"--- "):
                raise PatchSetError("%s: a file header without a --- / +++ pair (mode-only or empty change)" % where)
        old_raw, new_raw = lines[i][4:], lines[i + 1][4:] if i + 1 < n else b""
        if i + 1 >= n or not lines[i + 1].startswith(b"+++ "):
            raise PatchSetError("%s line %d: '---' without a '+++' line" % (name, i + 1))
        if new_raw.split(b"\t")[0].strip() == b"/dev/null":
            raise PatchSetError("%s line %d: deletes a file; only edits of file contents and new files are supported" % (name, i + 2))
        is_new = old_raw.split(b"\t")[0].strip() == b"/dev/null"
        fp = FilePatch(strip_path(new_raw, strip, where), is_new, new_mode if new_mode is not None else 0o644)
        i += 2
        while i < n and lines[i].startswith(b"@@ "):
            i = parse_hunk(lines, i, fp, name)
        if not fp.hunks:
            raise PatchSetError("%s: no hunks for %s" % (where, fp.path))
        files.append(fp)
    if not files:
        raise PatchSetError("%s contains no file changes (not a unified diff?)" % name)
    return files


def parse_hunk(lines, i, fp, name):
    m = HUNK_HEADER.match(lines[i])
    if not m:
        raise PatchSetError("%s line %d: malformed hunk header %r" % (name, i + 1, lines[i].strip().decode("utf-8", "replace")))
    old_count = int(m.group(2)) if m.group(2) is not None else 1
    new_count = int(m.group(4)) if m.group(4) is not None else 1
    hunk = Hunk(lines[i].strip().decode("utf-8", "replace"), int(m.group(1)), int(m.group(3)))
    i += 1
    old_left, new_left = old_count, new_count
    while old_left > 0 or new_left > 0:
        if i >= len(lines):
            raise PatchSetError("%s: hunk %s of %s ends early (corrupt patch)" % (name, hunk.header, fp.path))
        line = lines[i]
        tag = line[:1]
        if line in (b"\n", b"\r\n"):
            # An empty context line whose leading space an editor or mailer dropped: git
            # accepts it as context, so do we.
            tag, content = b" ", line
        else:
            content = line[1:]
        if tag == b" ":
            old_left -= 1
            new_left -= 1
        elif tag == b"-":
            old_left -= 1
        elif tag == b"+":
            new_left -= 1
        elif tag == b"\\":
            no_newline(hunk, name, i)
            i += 1
            continue
        else:
            raise PatchSetError("%s line %d: corrupt patch (unexpected line in hunk %s of %s)" % (name, i + 1, hunk.header, fp.path))
        if old_left < 0 or new_left < 0:
            raise PatchSetError("%s line %d: hunk %s of %s has more lines than its header says" % (name, i + 1, hunk.header, fp.path))
        hunk.lines.append((tag.decode(), content))
        i += 1
    # "\ No newline at end of file" after the hunk's last line.
    if i < len(lines) and lines[i].startswith(b"\\"):
        no_newline(hunk, name, i)
        i += 1
    fp.hunks.append(hunk)
    return i


def no_newline(hunk, name, i):
    if not hunk.lines:
        raise PatchSetError("%s line %d: '\\ No newline' before any line" % (name, i + 1))
    tag, content = hunk.lines[-1]
    if content.endswith(b"\n"):
        content = content[:-1]
    hunk.lines[-1] = (tag, content)


def matches_at(image, pre, pos, match_beginning, match_end):
    if pos < 0 or pos + len(pre) > len(image):
        return False
    if match_beginning and pos != 0:
        return False
    if match_end and pos + len(pre) != len(image):
        return False
    return image[pos : pos + len(pre)] == pre


def find_position(image, pre, guess, match_beginning, match_end):
    """Where `pre` sits in `image`: tried at the hunk's own line first, then one line later,
    one earlier, two later... (the order of git's find_pos), so a hunk whose context occurs
    twice lands where git puts it."""
    if match_beginning:
        guess = 0
    elif match_end:
        guess = len(image) - len(pre)
    guess = max(0, min(guess, len(image)))
    backward = forward = pos = guess
    attempt = 0
    while True:
        if matches_at(image, pre, pos, match_beginning, match_end):
            return pos
        while True:
            if backward == 0 and forward == len(image):
                return None
            if attempt % 2 == 1:
                if backward == 0:
                    attempt += 1
                    continue
                backward -= 1
                pos = backward
            else:
                if forward == len(image):
                    attempt += 1
                    continue
                forward += 1
                pos = forward
            break
        attempt += 1


def first_difference(image, pre, pos):
    for k, want in enumerate(pre):
        have = image[pos + k] if pos + k < len(image) else None
        if have != want:
            return "line %d: the patch expects %r, the file has %r" % (
                pos + k + 1,
                want.decode("utf-8", "replace").rstrip("\n"),
                None if have is None else have.decode("utf-8", "replace").rstrip("\n"),
            )
    return "the hunk is anchored to the start or end of the file, which does not match"


def apply_hunks(image, fp):
    """`image` (a list of lines) with every hunk of `fp` applied, or PatchSetError naming the
    first hunk whose context is not in the file exactly."""
    image = list(image)
    for number, hunk in enumerate(fp.hunks, 1):
        pre, post = hunk.preimage, hunk.postimage
        leading, trailing = hunk.context_counts()
        # As git: a hunk at line 0/1 must match at the start, one without trailing context at
        # the end; if anchored it does not match, git retries unanchored (no context dropped).
        match_beginning = hunk.old_start <= 1
        match_end = trailing == 0
        guess = hunk.new_start - 1 if hunk.new_start else 0
        pos = find_position(image, pre, guess, match_beginning, match_end)
        if pos is None and (match_beginning or match_end):
            pos = find_position(image, pre, guess, False, False)
        if pos is None:
            at = max(0, min(hunk.old_start - 1, len(image)))
            raise PatchSetError(
                "patch failed: %s:%d: hunk %d of %d (%s) does not match the file exactly (no fuzz allowed); "
                "at the hunk's own position, %s" % (fp.path, hunk.old_start, number, len(fp.hunks), hunk.header, first_difference(image, pre, at))
            )
        image[pos : pos + len(pre)] = post
    return image


def apply_series(patches, root):
    """[(relative path, new bytes, FilePatch)] for the whole series, later patches applied on
    top of earlier ones (as `git apply` does with several patches); reads files, writes none."""
    results = {}
    first_patch = {}
    for patch in patches:
        name = os.path.basename(patch)
        with open(patch, "rb") as f:
            file_patches = parse_patch(f.read(), name)
        try:
            for fp in file_patches:
                refuse_symlinks(root, fp.path)
                if fp.path in results:
                    image = split_lines(results[fp.path])
                elif fp.is_new:
                    if os.path.lexists(os.path.join(root, fp.path)):
                        raise PatchSetError("patch failed: %s: already exists, but the patch creates it" % fp.path)
                    image = []
                else:
                    try:
                        with open(os.path.join(root, fp.path), "rb") as f:
                            image = split_lines(f.read())
                    except FileNotFoundError:
                        raise PatchSetError("patch failed: %s: no such file in the installed package" % fp.path)
                results[fp.path] = b"".join(apply_hunks(image, fp))
                first_patch.setdefault(fp.path, fp)
        except PatchSetError as e:
            raise PatchSetError("patch %s does not apply to the SGLang at %s (nothing was applied):\n%s" % (name, root, e))
    return [(path, results[path], fp) for path, fp in first_patch.items()]


# --- writing the overlay with the base's owners and modes ---------------------------------


def overlay_path(overlay, real):
    return os.path.join(overlay, real.lstrip("/"))


def mirror_dirs(real_dir, overlay):
    """Creates the overlay folders down to `real_dir` with the owner and mode each has in the
    base (a layer's folder entry replaces the base's). A folder the base lacks (a new
    __pycache__) gets the owner of its parent, as if that owner's Python had made it."""
    real = "/"
    parent_stat = os.stat("/")
    for part in real_dir.strip("/").split("/"):
        if not part:
            continue
        real = os.path.join(real, part)
        mirrored = overlay_path(overlay, real)
        try:
            st = os.stat(real)
            uid, gid, mode = st.st_uid, st.st_gid, st.st_mode & 0o7777
        except FileNotFoundError:
            st = parent_stat
            uid, gid, mode = st.st_uid, st.st_gid, 0o755
        if not os.path.isdir(mirrored):
            os.mkdir(mirrored)
            os.chown(mirrored, uid, gid)
            os.chmod(mirrored, mode)
        parent_stat = st


def write_like(path, content, uid, gid, mode):
    with open(path, "wb") as f:
        f.write(content)
    os.chown(path, uid, gid)
    os.chmod(path, mode)


def stage_file(real, content, overlay, fp):
    """Writes the patched `real` into the overlay with the base file's owner and mode (a new
    file: its folder's owner, the patch's mode); returns (uid, gid, mode)."""
    mirror_dirs(os.path.dirname(real), overlay)
    if os.path.exists(real):
        st = os.stat(real)
        uid, gid, mode = st.st_uid, st.st_gid, st.st_mode & 0o7777
    else:
        st = os.stat(os.path.dirname(real))
        uid, gid, mode = st.st_uid, st.st_gid, fp.new_mode
    write_like(overlay_path(overlay, real), content, uid, gid, mode)
    return uid, gid, mode


def stage_pyc(real, overlay, owner):
    """Byte-compiles the staged source for its real path; returns the real .pyc path."""
    pyc = importlib.util.cache_from_source(real)
    mirror_dirs(os.path.dirname(pyc), overlay)
    # CHECKED_HASH: the .pyc is validated by the source's hash, not its mtime, so it stays
    # valid whatever timestamps the layer copy gives the files.
    py_compile.compile(
        overlay_path(overlay, real),
        cfile=overlay_path(overlay, pyc),
        dfile=real,
        doraise=True,
        invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
    )
    if os.path.exists(pyc):
        st = os.stat(pyc)
        uid, gid, mode = st.st_uid, st.st_gid, st.st_mode & 0o7777
    else:
        # What Python's own import system gives a new .pyc: the source's mode plus owner
        # write, never executable.
        uid, gid, src_mode = owner
        mode = (src_mode | 0o200) & 0o666
    os.chown(overlay_path(overlay, pyc), uid, gid)
    os.chmod(overlay_path(overlay, pyc), mode)
    return pyc


# --- the distribution's RECORD (PEP 376 / PEP 427) ----------------------------------------


def record_hash(content):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()


def updated_record(record_path, staged, overlay):
    """Rewrites the RECORD rows of files we changed (sha256 and size), so pip and friends see a
    consistent install; rows for new files are added. Returns the paths whose rows changed.
    Other rows, their order and the file's line endings stay as they were."""
    site = os.path.dirname(os.path.dirname(record_path))
    listed = {}
    for real in staged:
        rel = os.path.relpath(real, site)
        if not rel.startswith(".." + os.sep):
            listed[rel] = real
    with open(record_path, "rb") as f:
        raw = f.read().decode("utf-8")
    out = []
    changed = []
    for line in split_lines(raw.encode("utf-8")):
        line = line.decode("utf-8")
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        row = next(csv.reader([body])) if body else []
        if row and row[0] in listed:
            real = listed.pop(row[0])
            with open(overlay_path(overlay, real), "rb") as f:
                content = f.read()
            buf = io.StringIO()
            csv.writer(buf, lineterminator="").writerow([row[0], record_hash(content), str(len(content))])
            line = buf.getvalue() + ending
            changed.append(real)
        out.append(line)
    new_files = [real for rel, real in listed.items() if not real.endswith(".pyc") and not os.path.exists(real)]
    if new_files:
        ending = "\r\n" if "\r\n" in raw else "\n"
        if out and not out[-1].endswith(("\n", "\r")):
            out[-1] += ending
        for real in new_files:
            with open(overlay_path(overlay, real), "rb") as f:
                content = f.read()
            buf = io.StringIO()
            csv.writer(buf, lineterminator="").writerow([os.path.relpath(real, site), record_hash(content), str(len(content))])
            out.append(buf.getvalue() + ending)
            changed.append(real)
    if not changed:
        return []
    st = os.stat(record_path)
    mirror_dirs(os.path.dirname(record_path), overlay)
    write_like(overlay_path(overlay, record_path), "".join(out).encode("utf-8"), st.st_uid, st.st_gid, st.st_mode & 0o7777)
    return changed


def sglang_record():
    try:
        dist = importlib.metadata.distribution("sglang")
    except importlib.metadata.PackageNotFoundError:
        return None
    path = getattr(dist, "_path", None)
    record = os.path.join(str(path), "RECORD") if path else None
    return os.path.realpath(record) if record and os.path.isfile(record) else None


# --- main -------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", required=True, help="patchset.json written by the orchestrator")
    parser.add_argument("--patch-dir", required=True)
    parser.add_argument("--overlay", required=True, help="folder mirroring / that becomes the added layer")
    args = parser.parse_args()

    with open(args.plan) as f:
        plan = json.load(f)
    patches = [os.path.join(args.patch_dir, name) for name in plan["patches"]]
    for p in patches:
        if not os.path.isfile(p):
            raise PatchSetError("patch file %s is missing from the build context" % p)

    package_dir = locate_sglang()
    # Diff paths are a/python/sglang/...; stripping two components leaves sglang/..., so the
    # root is the folder holding the package: same for the editable checkout
    # (/sgl-workspace/sglang/python) and for a site-packages install. That root holds other
    # packages too (torch/ beside sglang/ in site-packages): strip_path admits sglang/... only,
    # and refuse_symlinks keeps every write inside it.
    root = os.path.dirname(package_dir)
    version_check = check_version(
        package_dir, plan["sglangVersion"], plan["upstreamCommit"], plan.get("writtenOn"), plan.get("releases")
    )
    print("apply-patchset: sglang at %s, version check passed (%s)" % (package_dir, version_check["method"]))

    results = apply_series(patches, root)
    print("apply-patchset: all %d patches apply cleanly" % len(patches))

    os.makedirs(args.overlay, exist_ok=True)
    staged = []
    for rel, content, fp in results:
        real = os.path.join(root, rel)
        owner = stage_file(real, content, args.overlay, fp)
        staged.append(real)
        if real.endswith(".py"):
            try:
                staged.append(stage_pyc(real, args.overlay, owner))
            except py_compile.PyCompileError as e:
                raise PatchSetError("the patched %s does not compile: %s" % (real, e.msg.strip()))
        print("apply-patchset: patched %s (owner %d:%d, mode %04o kept)" % (real, owner[0], owner[1], owner[2]))

    record_path = sglang_record()
    record_rows = updated_record(record_path, staged, args.overlay) if record_path else []
    if record_rows:
        print("apply-patchset: updated %d rows of %s" % (len(record_rows), record_path))

    record = {
        "patchSet": plan["name"],
        "sglangVersion": plan["sglangVersion"],
        "sglangRelease": version_check["sglangRelease"],
        "seriesReleases": plan.get("releases", [plan["sglangVersion"]]),
        "upstreamCommit": plan["upstreamCommit"],
        "sglangPackageDir": package_dir,
        "versionCheck": version_check,
        "patches": plan["patches"],
        "patchSha256": plan.get("sha256", {}),
        "patchedFiles": staged,
        "recordUpdated": record_rows,
    }
    applied_path = os.path.join(args.overlay, "opt/sglang-image-patcher/applied.json")
    mirror_dirs("/opt/sglang-image-patcher", args.overlay)
    with open(applied_path, "w") as f:
        json.dump(record, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    try:
        main()
    except PatchSetError as e:
        print("apply-patchset: ERROR: %s" % e, file=sys.stderr)
        sys.exit(1)
