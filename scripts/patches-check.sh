#!/usr/bin/env bash
# Checks the token-ids patch set against real SGLang v0.5.9 files (`npm run patches:check`).
#
#   bash scripts/patches-check.sh [SRC_DIR] [--out DIR]
#
# SRC_DIR holds either sglang/ (the unpacked wheel; default: what scripts/fetch-sglang.sh
# prints) or python/sglang/ (a git checkout of the repository). The source is never
# modified: the patched files go into a temporary copy laid out as the repository
# (python/sglang/...). Each patch, in lexical order, is checked with `git apply --check`
# against that copy with the earlier ones applied, then applied; git apply takes no fuzz, so
# a single drifted context line fails the run. Every patched file is then byte-compiled.
# With --out DIR, DIR/sglang receives the complete patched package (DIR must not exist or
# be empty) so it can be put on PYTHONPATH.
# Exit 0: all patches apply and compile; 1: a patch or a compile failed; 2: bad usage.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# SGLANG_PATCH_DIR lets the tests feed deliberately broken series through this script.
patch_dir=${SGLANG_PATCH_DIR:-"$root/patches/sglang-v0.5.9"}

src=""
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out)
      [ $# -ge 2 ] || { echo "patches-check: --out needs a directory" >&2; exit 2; }
      out=$2; shift 2 ;;
    -h|--help)
      sed -n '2,15p' "$0"; exit 0 ;;
    -*)
      echo "patches-check: unknown option $1" >&2; exit 2 ;;
    *)
      [ -z "$src" ] || { echo "patches-check: more than one SRC_DIR given ($src, $1)" >&2; exit 2; }
      src=$1; shift ;;
  esac
done
if [ -z "$src" ]; then
  src=$(bash "$root/scripts/fetch-sglang.sh")
fi

if [ -d "$src/python/sglang" ]; then
  pkg="$src/python/sglang"
elif [ -d "$src/sglang" ]; then
  pkg="$src/sglang"
else
  echo "patches-check: $src holds neither sglang/ nor python/sglang/" >&2
  exit 2
fi
if [ -n "$out" ] && [ -e "$out" ] && [ -n "$(ls -A "$out")" ]; then
  echo "patches-check: --out $out exists and is not empty" >&2
  exit 2
fi

shopt -s nullglob
patches=("$patch_dir"/*.patch)
if [ ${#patches[@]} -eq 0 ]; then
  echo "patches-check: no *.patch files in $patch_dir" >&2
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/patches-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/python"
cp -r "$pkg" "$tmp/python/sglang"
# A repository of its own, so git apply resolves a/python/... against this copy only.
git -C "$tmp" init -q

# Check and apply the series one patch at a time on the scratch copy: a later patch may
# build on an earlier one to the same file, which `git apply --check` given several patches
# at once does not see (git 2.39 checks each against the original file). The first patch
# that does not apply is named; the source and --out are not written unless all apply.
for p in "${patches[@]}"; do
  if ! git -C "$tmp" apply --check "$p" 2>"$tmp/err"; then
    echo "patches-check: $(basename "$p") does not apply to $pkg:" >&2
    cat "$tmp/err" >&2
    exit 1
  fi
  git -C "$tmp" apply "$p"
done

changed=$(cat "${patches[@]}" | sed -n 's|^+++ b/||p' | sort -u)
python_bin=python3
[ -x "$root/.venv/bin/python" ] && python_bin="$root/.venv/bin/python"
for f in $changed; do
  if ! "$python_bin" -m py_compile "$tmp/$f" 2>"$tmp/err"; then
    echo "patches-check: $f does not compile after patching:" >&2
    cat "$tmp/err" >&2
    exit 1
  fi
done
find "$tmp/python" -name __pycache__ -type d -prune -exec rm -rf {} +

for p in "${patches[@]}"; do echo "ok $(basename "$p")"; done
if [ -n "$out" ]; then
  mkdir -p "$out"
  cp -r "$tmp/python/sglang" "$out/sglang"
  echo "patches-check: patched package written to $out/sglang"
fi
echo "patches-check: ${#patches[@]} patches apply without fuzz to $pkg and compile"
