#!/usr/bin/env bash
# Maintainer workflow for a release's token-ids patch set
# (`npm run patches:regen -- COMMAND ...`).
#
#   bash scripts/patches-regen.sh init [VERSION] [WORK_DIR]  # VERSION default 0.5.9;
#                                                             # WORK_DIR .cache/patch-work-VERSION
#   bash scripts/patches-regen.sh export [WORK_DIR | VERSION]
#
# init:   makes WORK_DIR a git checkout laid out as the SGLang repository (python/sglang/...)
#         from the real VERSION wheel (scripts/fetch-sglang.sh): one commit "sglang VERSION
#         pristine" (tagged `pristine`), then one commit per patch in patches/sglang-vVERSION/
#         (git am; none when the folder does not exist yet: a new release starts here).
#         Edit there; amend the commit a change belongs to (git commit --fixup + git rebase
#         -i --autosquash pristine) or add a commit for a new patch.
# export: writes every commit after `pristine` as patches/sglang-vVERSION/NNNN-subject.patch
#         (git format-patch, paths a/python/sglang/...) for the release WORK_DIR was made
#         from, replacing the *.patch files init imported (others added to the folder since
#         are kept; it refuses when an imported one changed in the folder since init), then
#         runs scripts/patches-check.sh VERSION.
# WORK_DIR lives under .cache/ by default, which is git-ignored: SGLang's files are never
# committed to this repository.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:-}
[ $# -gt 0 ] && shift
is_version() { [[ "$1" =~ ^v?[0-9]+\.[0-9]+(\.[0-9]+)?([.a-z0-9]*)$ ]] && [ ! -d "$1" ]; }
version=""
if [ $# -gt 0 ] && is_version "$1"; then
  version=${1#v}; shift
fi
work=${1:-}
git_id=(-c user.name=sglang-image-patcher -c user.email=patches@sglang-image-patcher.invalid)

case "$cmd" in
  init)
    version=${version:-0.5.9}
    work=${work:-"$root/.cache/patch-work-$version"}
    patch_dir="$root/patches/sglang-v$version"
    if [ -e "$work" ] && [ -n "$(ls -A "$work")" ]; then
      echo "patches-regen: $work exists and is not empty; remove it or name another WORK_DIR" >&2
      exit 2
    fi
    src=$(bash "$root/scripts/fetch-sglang.sh" "$version")
    mkdir -p "$work/python"
    cp -r "$src/sglang" "$work/python/sglang"
    find "$work/python" -name __pycache__ -type d -prune -exec rm -rf {} +
    git -C "$work" init -q
    # Importing the work tree (tests, a quick python -c) writes __pycache__/*.pyc; they must
    # never end up in a patch (a compiled file is version- and machine-specific).
    printf '__pycache__/\n*.pyc\n' >> "$work/.git/info/exclude"
    git -C "$work" add -A
    git "${git_id[@]}" -C "$work" commit -q -m "sglang v$version pristine (files of the PyPI wheel)"
    git -C "$work" tag pristine
    # export writes back to this release's folder, whatever it is asked later.
    echo "$version" > "$work/.git/patch-release"
    shopt -s nullglob
    patches=("$patch_dir"/*.patch)
    if [ ${#patches[@]} -gt 0 ]; then
      git "${git_id[@]}" -C "$work" am -q "${patches[@]}"
    fi
    # export replaces exactly these files, so a patch added to the folder meanwhile (by
    # someone else's work dir) is left alone; their checksums let export refuse to write
    # over a patch that changed in the folder since this init.
    : > "$work/.git/imported-patches"
    if [ ${#patches[@]} -gt 0 ]; then
      (cd "$patch_dir" && for p in "${patches[@]}"; do sha256sum "$(basename "$p")"; done) \
        > "$work/.git/imported-patches"
    fi
    echo "patches-regen: $work ready: sglang $version pristine + ${#patches[@]} patch commits" \
      "from $patch_dir"
    git -C "$work" log --oneline pristine~0..HEAD
    ;;
  export)
    # export VERSION names the default work dir of that release.
    work=${work:-"$root/.cache/patch-work-${version:-0.5.9}"}
    # Absolute: the checksum check below runs from the patch folder (a relative WORK_DIR, as
    # docs/releases.md writes it, would not be found there).
    [ -d "$work" ] && work=$(cd "$work" && pwd)
    if ! git -C "$work" rev-parse -q --verify pristine >/dev/null; then
      echo "patches-regen: $work is not a work dir made by '$0 init'" >&2
      exit 2
    fi
    if [ -n "$(git -C "$work" status --porcelain)" ]; then
      echo "patches-regen: $work has uncommitted changes; commit them first" >&2
      exit 2
    fi
    count=$(git -C "$work" rev-list --count pristine..HEAD)
    if [ "$count" -eq 0 ]; then
      echo "patches-regen: no commits after pristine in $work" >&2
      exit 1
    fi
    stray=$(git -C "$work" diff --name-only pristine HEAD | grep -v -E '^python/sglang/.*\.py$' || true)
    if [ -n "$stray" ]; then
      echo "patches-regen: commits after pristine touch files that are not SGLang Python sources:" >&2
      echo "$stray" >&2
      exit 2
    fi
    if [ ! -f "$work/.git/imported-patches" ]; then
      echo "patches-regen: $work was made by an older init (no record of its patches); run init again" >&2
      exit 2
    fi
    # Work dirs from before init recorded the release were all v0.5.9.
    made_from=$(cat "$work/.git/patch-release" 2>/dev/null || echo 0.5.9)
    if [ -n "$version" ] && [ "$version" != "$made_from" ]; then
      echo "patches-regen: $work holds sglang $made_from, not $version" >&2
      exit 2
    fi
    version=$made_from
    patch_dir="$root/patches/sglang-v$version"
    mkdir -p "$patch_dir"
    if [ -s "$work/.git/imported-patches" ] \
      && ! (cd "$patch_dir" && sha256sum --quiet -c "$work/.git/imported-patches" >/dev/null 2>&1); then
      echo "patches-regen: patches in $patch_dir changed since init of $work; run init again" \
        "(and redo your change) so they are not overwritten" >&2
      exit 2
    fi
    while read -r _ name; do rm -f "$patch_dir/$name"; done < "$work/.git/imported-patches"
    # --zero-commit and --no-signature keep the files stable across regenerations.
    git -C "$work" format-patch --no-signature --zero-commit -N -o "$patch_dir" pristine \
      | while read -r f; do (cd "$patch_dir" && sha256sum "$(basename "$f")"); done \
      > "$work/.git/imported-patches"
    ls "$patch_dir"/*.patch
    bash "$root/scripts/patches-check.sh" "$version"
    ;;
  *)
    sed -n '2,22p' "$0" >&2
    exit 2
    ;;
esac
