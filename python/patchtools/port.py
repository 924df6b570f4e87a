"""Ports a release's patch series to another SGLang release (`npm run patches:port`).

    python -m patchtools.port --from 0.5.9 --to 0.5.16 [--series DIR] [--out DIR] [--force]
                              [--commit SHA] [--no-verify] [--json]

Fetches both releases (scripts/fetch-sglang.sh) and replays the series with git's 3-way
merge: a scratch repository holds the files the series touches as the source release
ships them (commit `base`), the series on top (git am, one commit per diff), and the same
files as the target release ships them (branch `target`, from `base`); each diff is then
`git cherry-pick`ed onto `target` in order. A diff that merges is exported again
(git format-patch) against the target's files; one already contained in the target (the
pick is empty) is dropped; one that conflicts is reported per hunk (file, hunk header, and
why: the lines upstream changed under it, or the file it edits is gone) and written as
NNNN-subject.patch.conflict: the target file with git's conflict markers (diff3 style,
the source release's lines between ||||||| and =======), for a human to resolve (see
`npm run patches:regen -- init VERSION`). The series is renumbered in order; PORT.md says
which source diff each file came from. patchset.yaml is written for the target (the tag's
commit cannot be read from a wheel: --commit, or a placeholder the build refuses).
--series DIR ports that folder's diffs (a series of release FROM kept elsewhere: a proposal's,
another checkout's) instead of patches/sglang-vFROM/.

The output folder is patches/sglang-vTO/ unless --out; an existing non-empty folder is
never written over without --force. Unless --no-verify, the ported series is then checked
(scripts/patches-check.sh), the harness scenario matrix runs on the patched target, and the
overlap report (patchtools.overlap) is printed.
Exit 0: every diff merged and the checks passed; 1: a conflict or a failed check; 2: bad
usage.
"""

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from patchtools.common import (
    ToolError, fetch, hunks, new_series_dir, patch_dir, run, series, version_of, PYTHON, REPO,
)

GIT_ID = ["-c", "user.name=patchtools", "-c", "user.email=patchtools@sglang-image-patcher.invalid",
          "-c", "merge.conflictStyle=diff3", "-c", "core.autocrlf=false"]


def git(work, *args, check=True):
    return run(["git", *GIT_ID, "-C", work, *args], check=check)


def touched_files(patches):
    files = []
    for p in patches:
        for f in re.findall(r"^diff --git a/(\S+) b/", p.read_text(), re.M):
            if f not in files:
                files.append(f)
    return files


def _package_file(release_dir: Path, path: str) -> Path:
    # The series uses the repository layout (python/sglang/...); a wheel holds sglang/.
    return release_dir / path.removeprefix("python/")


def _place(work: Path, release_dir: Path, files):
    for f in files:
        src, dst = _package_file(release_dir, f), work / f
        if dst.exists():
            dst.unlink()
        if src.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)


def conflict_blocks(text):
    """(ours, base, theirs) line lists of every diff3 conflict block in a file."""
    blocks, state, cur = [], None, None
    for line in text.splitlines():
        if line.startswith("<<<<<<< "):
            state, cur = "ours", {"ours": [], "base": [], "theirs": []}
        elif line.startswith("||||||| ") and state == "ours":
            state = "base"
        elif line == "=======" and state in ("ours", "base"):
            state = "theirs"
        elif line.startswith(">>>>>>> ") and state == "theirs":
            blocks.append((cur["ours"], cur["base"], cur["theirs"]))
            state = None
        elif state:
            cur[state].append(line)
    return blocks


def _why(ours, base, earlier_added):
    """What changed under a hunk, in one line."""
    removed = [line.strip() for line in base if line not in ours and line.strip()]
    added = [line.strip() for line in ours if line not in base and line.strip()]
    ours_needed = [line for line in removed if line in earlier_added and len(line) >= 8]
    if ours_needed:
        return (f"builds on lines an earlier diff adds that did not merge here, e.g. {ours_needed[0][:90]!r}")
    parts = []
    if removed:
        parts.append(f"upstream changed or removed {len(removed)} line(s) the diff expects, e.g. {removed[0][:90]!r}")
    if added:
        parts.append(f"upstream has {len(added)} other line(s) there, e.g. {added[0][:90]!r}")
    return "; ".join(parts) or "both sides changed the same lines"


def _find(haystack, needle):
    """Index of the first run of `needle` lines in `haystack`, or -1."""
    if not needle:
        return -1
    for i in range(len(haystack) - len(needle) + 1):
        if haystack[i:i + len(needle)] == needle:
            return i
    return -1


def _ranges(header):
    m = re.match(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", header)
    a, b, c, d = int(m.group(1)), int(m.group(2) or 1), int(m.group(3)), int(m.group(4) or 1)
    return (a - 1, a - 1 + max(b, 1)), (c - 1, c - 1 + max(d, 1))


def hunk_conflicts(patch_text, work: Path, sha, conflicted: dict, target_dir: Path, to_v: str, earlier_added):
    """Per hunk of a conflicted diff: (file, header, why) for the hunks that did not merge.
    A conflict block belongs to the hunk whose line range (in the patched source file, or in
    the source file for a pure deletion) it overlaps."""
    report = []
    for f, status in conflicted.items():
        file_hunks = [(h, lines) for ff, h, lines in hunks(patch_text) if ff == f]
        path = work / f
        if status != "UU" or not path.exists():
            name = Path(f).name
            moved = sorted(str(p.relative_to(target_dir.parent)) for p in target_dir.rglob(name))[:3]
            hint = f"; a file of that name is at {', '.join(moved)}" if moved else ""
            report += [(f, h, f"the file does not exist in sglang {to_v}{hint}") for h, _ in file_hunks]
            continue
        theirs_file = git(work, "show", f"{sha}:{f}").stdout.splitlines()
        base_file = git(work, "show", f"{sha}^:{f}", check=False).stdout.splitlines()
        claimed = set()
        for ours, base, theirs in conflict_blocks(path.read_text()):
            at = _find(theirs_file, theirs)
            if at >= 0:
                span, side = (at, at + max(len(theirs), 1)), 1
            else:
                at = _find(base_file, base)
                span, side = ((at, at + max(len(base), 1)), 0) if at >= 0 else (None, None)
            owner = None
            for k, (h, _) in enumerate(file_hunks):
                lo, hi = _ranges(h)[side] if span else (0, 0)
                if span and lo < span[1] and span[0] < hi:
                    owner = k
                    break
            if owner is None:
                report.append((f, "(no hunk of its own)", _why(ours, base, earlier_added)))
            elif owner not in claimed:
                claimed.add(owner)
                report.append((f, file_hunks[owner][0], _why(ours, base, earlier_added)))
    return report


def subject_slug(patch: Path):
    return patch.name[5:].removesuffix(".patch")


def port(from_v, to_v, out: Path, commit=None, log=print, source: Path | None = None):
    source = source or patch_dir(from_v)
    patches = series(source)
    if not patches:
        raise ToolError(f"no patch series for sglang {from_v} ({source})")
    src, dst = fetch(from_v), fetch(to_v)
    files = touched_files(patches)
    results = []
    with tempfile.TemporaryDirectory(prefix="patches-port.") as tmp:
        work = Path(tmp) / "repo"
        work.mkdir()
        git(work, "init", "-q", "-b", "source")
        _place(work, src, files)
        git(work, "add", "-A")
        git(work, "commit", "-q", "--allow-empty", "-m", f"sglang {from_v}: the files the series touches")
        git(work, "tag", "base")
        git(work, "checkout", "-q", "-b", "series")
        git(work, "am", "-q", "--keep-cr", *patches)
        picks = git(work, "rev-list", "--reverse", "base..series").stdout.split()
        assert len(picks) == len(patches), "git am made a commit per diff"
        git(work, "checkout", "-q", "-b", "target", "base")
        _place(work, dst, files)
        git(work, "add", "-A")
        git(work, "commit", "-q", "--allow-empty", "-m", f"sglang {to_v}: the same files")
        number, not_merged_lines = 0, set()
        for patch, sha in zip(patches, picks):
            text = patch.read_text()
            exact = run(["git", "-C", work, "apply", "--check", patch], check=False).returncode == 0
            pick = git(work, "cherry-pick", "--keep-redundant-commits", sha, check=False)
            entry = {"source": patch.name, "exact": exact}
            if pick.returncode == 0:
                diff = git(work, "format-patch", "--no-signature", "--zero-commit", "-1", "--stdout", "HEAD").stdout
                if "\ndiff --git " not in diff:
                    entry.update(status="upstream", note="the target already contains it: dropped")
                    git(work, "reset", "-q", "--hard", "HEAD~1")
                else:
                    number += 1
                    entry.update(status="merged", file=f"{number:04d}-{subject_slug(patch)}.patch", diff=diff)
            else:
                status = git(work, "status", "--porcelain").stdout.splitlines()
                conflicted = {line[3:]: line[:2] for line in status if line[:2] in ("UU", "UD", "DU", "AA", "DD", "AU", "UA")}
                if not conflicted:
                    raise RuntimeError(f"git cherry-pick of {patch.name} failed:\n{pick.stderr}")
                number += 1
                entry.update(
                    status="conflict",
                    file=f"{number:04d}-{subject_slug(patch)}.patch.conflict",
                    hunks=[dict(file=f, hunk=h, why=w) for f, h, w in
                           hunk_conflicts(text, work, sha, conflicted, dst / "sglang", to_v, not_merged_lines)],
                    diff=git(work, "diff", "HEAD").stdout,
                )
                git(work, "cherry-pick", "--abort")
                not_merged_lines |= {line[1:].strip() for line in text.splitlines()
                                     if line.startswith("+") and not line.startswith("+++") and line[1:].strip()}
            results.append(entry)
            log(f"{patch.name}: {entry['status']}" + ("" if entry["status"] != "merged" else
                (" (applies as is)" if exact else " (3-way merged)")))
            for h in entry.get("hunks", []):
                log(f"  CONFLICT {h['file']} {h['hunk']}: {h['why']}")
    write_series(out, from_v, to_v, results, commit)
    return results


PATCHSET = """# Manifest of this patch set (read by the orchestrator, src/patch-set.ts): which SGLang the
# patches are for. Written by `npm run patches:port -- --from {from_v} --to {to_v}`.
name: sglang-v{to_v}-tokenids
sglangVersion: {to_v}
upstream:
  repository: https://github.com/sgl-project/sglang
  tag: v{to_v}
{commit_line}
"""


def write_series(out: Path, from_v, to_v, results, commit):
    out.mkdir(parents=True, exist_ok=True)
    for old in list(out.glob("*.patch")) + list(out.glob("*.patch.conflict")):
        old.unlink()
    lines = [f"# Port of the sglang v{from_v} series to v{to_v}", "",
             "| source diff | result | file here |", "| --- | --- | --- |"]
    for e in results:
        if "file" in e:
            body = e["diff"]
            if e["status"] == "conflict":
                body = conflict_header(e) + body
            (out / e["file"]).write_text(body)
        how = {"merged": "applies as is" if e["exact"] else "3-way merged",
               "upstream": "already in the target: dropped",
               "conflict": "CONFLICT: resolve by hand"}[e["status"]]
        lines.append(f"| {e['source']} | {how} | {e.get('file', '-')} |")
    conflicts = [(e, h) for e in results for h in e.get("hunks", [])]
    if conflicts:
        lines += ["", "## Conflicts (per hunk)", ""]
        lines += [f"- `{e['source']}` `{h['file']}` `{h['hunk']}`: {h['why']}" for e, h in conflicts]
    (out / "PORT.md").write_text("\n".join(lines) + "\n")
    if commit:
        commit_line = f"  commit: {commit}"
    else:
        commit_line = (f"  # The tag's commit is not in the wheel: fill it in (git ls-remote "
                       f"https://github.com/sgl-project/sglang refs/tags/v{to_v}).\n  commit: FILL-IN")
    (out / "patchset.yaml").write_text(PATCHSET.format(from_v=from_v, to_v=to_v, commit_line=commit_line))


def conflict_header(entry):
    lines = [f"CONFLICT: {entry['source']} did not merge; resolve by hand, then regenerate a .patch",
             "(npm run patches:regen -- init VERSION, apply the change there, export).", "Hunks:"]
    lines += [f"  {h['file']} {h['hunk']}: {h['why']}" for h in entry["hunks"]]
    lines += ["Below: the target file(s) against the target release, with git's conflict markers", "", ""]
    return "\n".join(lines)


def verify(to_v, out: Path, python, log=print):
    """Checks the merged diffs against the target, then runs the scenario matrix and the
    overlap report on the result. Returns {"check": bool, "matrix": ..., "overlap": ...}."""
    from patchtools import overlap
    from patchtools.common import patched_tree

    summary = {}
    proc = run(["bash", REPO / "scripts/patches-check.sh", to_v], check=False,
               env=dict(os.environ, SGLANG_PATCH_DIR=str(out)))
    summary["check"] = proc.returncode == 0
    log((proc.stdout + proc.stderr).strip().splitlines()[-1] if (proc.stdout + proc.stderr).strip() else "")
    if not summary["check"]:
        return summary
    with tempfile.TemporaryDirectory(prefix="patches-port-verify.") as tmp:
        tree = patched_tree(to_v, series(out), Path(tmp) / "tree")
        try:
            counts = overlap.matrix_counts(overlap.run_matrix(tree, Path(tmp) / "matrix", python))
            summary["matrix"] = counts
            log(f"harness matrix on the ported series: {counts['passed']}/{counts['total']} scenarios keep the contract")
        except RuntimeError as e:
            summary["matrix"] = {"error": str(e).strip().splitlines()[-1] if str(e).strip() else "failed"}
            log(f"harness matrix could not run on sglang {to_v}: {summary['matrix']['error']}")
    try:
        report = overlap.measure(to_v, series(out), python=python, log=log)
        summary["overlap"] = report
        log(overlap.markdown(report))
    except RuntimeError as e:
        summary["overlap"] = {"error": str(e).strip().splitlines()[-1] if str(e).strip() else "failed"}
        log(f"overlap report could not run on sglang {to_v}: {summary['overlap']['error']}")
    return summary


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="npm run patches:port --", description=__doc__.split("\n\n")[0])
    ap.add_argument("--from", dest="from_v", required=True, help="release whose series is ported (0.5.9)")
    ap.add_argument("--to", dest="to_v", required=True, help="target release (0.5.16)")
    ap.add_argument("--series", type=Path, help="the series to port (default patches/sglang-vFROM/)")
    ap.add_argument("--out", type=Path, help="output folder (default patches/sglang-vTO/)")
    ap.add_argument("--force", action="store_true", help="write over a non-empty output folder")
    ap.add_argument("--commit", help="the target tag's 40-hex commit, for patchset.yaml")
    ap.add_argument("--no-verify", action="store_true", help="skip the check, matrix and overlap report")
    ap.add_argument("--json", action="store_true", help="print the result as JSON on stdout (logs to stderr)")
    ap.add_argument("--python", default=os.environ.get("SGLANG_HARNESS_PYTHON", PYTHON),
                    help="interpreter that imports the target release, for the harness (env SGLANG_HARNESS_PYTHON)")
    args = ap.parse_args(argv)
    log = (lambda m: print(m, file=sys.stderr)) if args.json else print
    try:
        from_v, to_v = version_of(args.from_v), version_of(args.to_v)
        if args.commit and not re.fullmatch(r"[0-9a-f]{40}", args.commit):
            raise ToolError("--commit must be a full 40-hex commit id")
        # A new series goes into its own folder, even when an existing one already lists to_v.
        out = args.out or new_series_dir(to_v)
        if out.exists() and any(out.iterdir()) and not args.force:
            raise ToolError(f"{out} exists and is not empty (another series lives there); "
                            "name a scratch folder with --out DIR, or --force to replace it")
        source = args.series or patch_dir(from_v)
        if out.resolve() == source.resolve():
            raise ToolError(f"{out} holds the series being ported; write the port elsewhere (--out DIR)")
        start = time.monotonic()
        results = port(from_v, to_v, out, args.commit, log, source)
        ported = time.monotonic() - start
        log(f"patches:port: {from_v} -> {to_v} in {ported:.1f} s: " + ", ".join(
            f"{sum(e['status'] == s for e in results)} {s}" for s in ("merged", "upstream", "conflict")) + f"; written to {out}")
        summary = {"from": from_v, "to": to_v, "out": str(out), "seconds_port": round(ported, 1),
                   "diffs": [{k: v for k, v in e.items() if k != "diff"} for e in results]}
        ok = not any(e["status"] == "conflict" for e in results)
        if not args.no_verify:
            summary["verify"] = verify(to_v, out, args.python, log)
            ok = ok and summary["verify"]["check"]
            summary["seconds_total"] = round(time.monotonic() - start, 1)
            log(f"patches:port: done in {summary['seconds_total']:.1f} s")
        if args.json:
            print(json.dumps(summary, indent=1))
        return 0 if ok else 1
    except ToolError as e:
        print(f"patches:port: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
