"""Applies the patch set to the SGLang installed in this image and stages the result.

Runs inside the build (first stage of dockerfiles/patched.Dockerfile) with the image's own
python3, standard library only. Steps, each failing the build with a message naming what is
wrong:
  1. locate the installed sglang package WITHOUT importing it (importing pulls in torch and
     CUDA; find_spec on a top-level name only reads the import path);
  2. refuse a base whose SGLang is not the patch set's version: the git HEAD of the checkout
     equals the pinned upstream commit, or the installed distribution's version equals the
     expected one;
  3. `git apply --check` EVERY patch before applying ANY (a loop that applied patch by patch
     once shipped a half-patched image); git apply never fuzzes, so context must match exactly;
  4. apply, byte-compile the touched files, and copy them (with their .pyc) into the overlay
     folder that the second stage copies onto the base as ONE layer.
`patch(1)` is not needed: -runtime images do not guarantee it, git is in every official image.
"""

import argparse
import importlib.metadata
import importlib.util
import json
import os
import py_compile
import shutil
import subprocess
import sys


class PatchSetError(Exception):
    pass


def locate_sglang():
    spec = importlib.util.find_spec("sglang")
    if spec is None or not spec.submodule_search_locations:
        raise PatchSetError(
            "sglang is not installed in the base image (importlib.util.find_spec('sglang') found nothing)"
        )
    return os.path.realpath(list(spec.submodule_search_locations)[0])


def git_head(directory):
    """HEAD commit of the git checkout holding `directory`, or None when it is not one."""
    try:
        out = subprocess.run(
            ["git", "-C", directory, "rev-parse", "HEAD"],
            check=True,
            capture_output=True,
            text=True,
        )
    except (subprocess.CalledProcessError, FileNotFoundError):
        return None
    return out.stdout.strip() or None


def installed_version():
    try:
        return importlib.metadata.version("sglang")
    except importlib.metadata.PackageNotFoundError:
        return None


def check_version(package_dir, expected_version, pinned_commit):
    head = git_head(package_dir)
    version = installed_version()
    if head is not None and head == pinned_commit:
        return {"method": "git-head", "gitHead": head, "installedVersion": version}
    if version == expected_version:
        return {"method": "installed-version", "gitHead": head, "installedVersion": version}
    raise PatchSetError(
        "base image has SGLang %s (git HEAD %s) at %s, but the patch set is for SGLang %s (commit %s); "
        "use a base image of SGLang %s or a patch set made for this version"
        % (version or "of unknown version", head or "none", package_dir, expected_version, pinned_commit, expected_version)
    )


def git_apply(args, cwd):
    # The ceiling stops git from treating a repository ABOVE the patch root as the one the
    # paths are relative to (git apply inside a subdirectory of a work tree silently skips
    # paths outside it). The patch root itself is never a repository top here.
    env = dict(os.environ, GIT_CEILING_DIRECTORIES=os.path.dirname(cwd))
    return subprocess.run(["git", "apply", "-p2"] + args, cwd=cwd, env=env, capture_output=True, text=True)


def check_all(patches, root):
    """Checks the whole series; on failure names the first patch that does not apply."""
    result = git_apply(["--check", "--verbose"] + patches, root)
    if result.returncode == 0:
        return
    # Find the culprit: the shortest prefix of the series that fails (later patches may
    # depend on earlier ones, so each is checked after its predecessors).
    for i in range(len(patches)):
        prefix = git_apply(["--check", "--verbose"] + patches[: i + 1], root)
        if prefix.returncode != 0:
            raise PatchSetError(
                "patch %s does not apply to the SGLang at %s (nothing was applied):\n%s"
                % (os.path.basename(patches[i]), root, (prefix.stderr or prefix.stdout).strip())
            )
    raise PatchSetError("the patch series does not apply (nothing was applied):\n" + result.stderr.strip())


def touched_files(patches, root):
    """Paths (relative to root) the series creates or modifies; deletions/renames are refused."""
    result = git_apply(["--numstat", "--summary"] + patches, root)
    if result.returncode != 0:
        raise PatchSetError("cannot read the patch series: " + result.stderr.strip())
    files = []
    for line in result.stdout.splitlines():
        line = line.strip()
        if line.startswith(("delete mode", "rename ", "copy ")):
            raise PatchSetError("patch series deletes, renames or copies a file (%s); only edits and new files are supported" % line)
        parts = line.split("\t")
        if len(parts) == 3 and parts[2] not in files:
            files.append(parts[2])
    return files


def stage(path, overlay):
    """Copies `path` into the overlay, creating its parent folders with the SAME mode and owner
    as in the base: the layer carries those folder entries, and a 0755 root folder over, say, a
    setgid staff dist-packages would silently change the base."""
    parts = os.path.dirname(path).strip("/").split("/")
    real = "/"
    for part in parts:
        real = os.path.join(real, part)
        mirrored = os.path.join(overlay, real.lstrip("/"))
        if not os.path.isdir(mirrored):
            os.mkdir(mirrored)
            st = os.stat(real)
            os.chown(mirrored, st.st_uid, st.st_gid)
            os.chmod(mirrored, st.st_mode & 0o7777)
    shutil.copy2(path, os.path.join(overlay, path.lstrip("/")))


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
    # (/sgl-workspace/sglang/python) and for a site-packages install.
    root = os.path.dirname(package_dir)
    version_check = check_version(package_dir, plan["sglangVersion"], plan["upstreamCommit"])
    print("apply-patchset: sglang at %s, version check passed (%s)" % (package_dir, version_check["method"]))

    if patches:
        check_all(patches, root)
        print("apply-patchset: all %d patches apply cleanly" % len(patches))
        files = touched_files(patches, root)
        result = git_apply(patches, root)
        if result.returncode != 0:
            raise PatchSetError("git apply failed after a clean check:\n" + result.stderr.strip())
    else:
        files = []

    os.makedirs(args.overlay, exist_ok=True)
    staged = []
    for rel in files:
        src = os.path.join(root, rel)
        stage(src, args.overlay)
        staged.append(src)
        if src.endswith(".py"):
            # CHECKED_HASH: the .pyc is validated by the source's hash, not its mtime, so it
            # stays valid whatever timestamps the layer copy gives the files.
            pyc = py_compile.compile(
                src, doraise=True, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH
            )
            stage(pyc, args.overlay)
            staged.append(pyc)
        print("apply-patchset: patched %s" % src)

    record = {
        "patchSet": plan["name"],
        "sglangVersion": plan["sglangVersion"],
        "upstreamCommit": plan["upstreamCommit"],
        "sglangPackageDir": package_dir,
        "versionCheck": version_check,
        "patches": plan["patches"],
        "patchSha256": plan.get("sha256", {}),
        "patchedFiles": staged,
    }
    record_path = os.path.join(args.overlay, "opt/sglang-image-patcher/applied.json")
    os.makedirs(os.path.dirname(record_path), mode=0o755, exist_ok=True)
    with open(record_path, "w") as f:
        json.dump(record, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    try:
        main()
    except PatchSetError as e:
        print("apply-patchset: ERROR: %s" % e, file=sys.stderr)
        sys.exit(1)
