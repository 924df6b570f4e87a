#!/usr/bin/env bash
# Checks a release's token-ids patch set against that release's real SGLang files
# (`npm run patches:check [-- VERSION...]`).
#
#   bash scripts/patches-check.sh                     # every series, on every release it lists
#   bash scripts/patches-check.sh 0.5.23 [--out DIR]  # one release, files from fetch-sglang.sh
#   bash scripts/patches-check.sh [VERSION] SRC_DIR [--out DIR]
#   bash scripts/patches-check.sh --series DIR        # one series, on every release it lists
#   bash scripts/patches-check.sh --all-releases [--json] [--readme]
#                                                     # coverage of every release on PyPI
#
# A release VERSION (0.5.9, v0.5.23, 0.5.12.post1) checks the series that lists it in its
# patchset.yaml `releases:` (default: its sglangVersion; patches/sglang-v0.5.12 may cover
# 0.5.12.post1 too) against the files scripts/fetch-sglang.sh VERSION unpacks. A series is
# proven only when it applies and compiles on EVERY release it lists (--series, and the run
# without arguments). --all-releases: python/patchtools/coverage.py (see its --help).
# SRC_DIR holds either sglang/ (an unpacked wheel) or python/sglang/ (a git checkout of the
# repository); without VERSION its release is read
# from SRC_DIR (sglang/_version.py, the dist-info folder, or the git tag). The source is
# never modified: the patched files go into a temporary copy laid out as the repository
# (python/sglang/...). Each patch, in lexical order, is checked with `git apply --check`
# against that copy with the earlier ones applied, then applied; git apply takes no fuzz, so
# a single drifted context line fails the run. Every patched file is then byte-compiled.
# With --out DIR (one release only), DIR/sglang receives the complete patched package (DIR
# must not exist or be empty) so it can be put on PYTHONPATH.
# Exit 0: all patches apply and compile; 1: a patch or a compile failed; 2: bad usage.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

src=""
out=""
version=""
series_dir=""
# The project's Python (it has PyYAML and packaging, which the series lookups need).
py() { if [ -x "$root/.venv/bin/python" ]; then echo "$root/.venv/bin/python"; else echo python3; fi; }
lookup() {
  if [ -f "$root/python/patchtools/lookup.py" ]; then
    PYTHONPATH="$root/python" "$(py)" -m patchtools.lookup "$@"
    return
  fi
  # A copy of scripts/ without python/patchtools/ (the regen tests make one): each folder covers
  # its own release only, as before series could list several.
  case "$1" in
    covering) [ -d "$root/patches/sglang-v$2" ] || { echo "no series folder patches/sglang-v$2" >&2; return 3; }
              echo "$root/patches/sglang-v$2" ;;
    releases) basename "$2" | sed 's/^sglang-v//' ;;
    series) for d in "$root"/patches/sglang-v*/; do [ -d "$d" ] && echo "${d%/}"; done ;;
  esac
}
while [ $# -gt 0 ]; do
  case "$1" in
    --all-releases)
      shift
      cd "$root/python" && exec env PYTHONPATH="$root/python" "$(py)" -m patchtools.coverage "$@" ;;
    --series)
      [ $# -ge 2 ] || { echo "patches-check: --series needs a series folder" >&2; exit 2; }
      series_dir=$2; shift 2 ;;
    --out)
      [ $# -ge 2 ] || { echo "patches-check: --out needs a directory" >&2; exit 2; }
      out=$2; shift 2 ;;
    -h|--help)
      sed -n '2,26p' "$0"; exit 0 ;;
    -*)
      echo "patches-check: unknown option $1" >&2; exit 2 ;;
    *)
      # A release name, unless a folder of that name exists (SRC_DIR wins).
      if [[ "$1" =~ ^v?[0-9]+\.[0-9]+(\.[0-9]+)?([.a-z0-9]*)$ ]] && [ ! -d "$1" ]; then
        [ -z "$version" ] || { echo "patches-check: more than one VERSION given ($version, $1); one per run, or none for all" >&2; exit 2; }
        version=${1#v}
      else
        [ -z "$src" ] || { echo "patches-check: more than one SRC_DIR given ($src, $1)" >&2; exit 2; }
        src=$1
      fi
      shift ;;
  esac
done

# One series: every release its patchset.yaml lists, each on that release's real files.
if [ -n "$series_dir" ]; then
  [ -z "$version$src$out" ] || { echo "patches-check: --series checks every release it lists; leave out VERSION, SRC_DIR and --out" >&2; exit 2; }
  [ -d "$series_dir" ] || { echo "patches-check: no series folder $series_dir" >&2; exit 2; }
  series_dir=$(cd "$series_dir" && pwd)
  listed=$(lookup releases "$series_dir") || exit 2
  failed=()
  for v in $listed; do
    echo "== $(basename "$series_dir") on sglang $v"
    SGLANG_PATCH_DIR=$series_dir bash "$0" "$v" || failed+=("$v")
  done
  if [ ${#failed[@]} -gt 0 ]; then
    echo "patches-check: series $(basename "$series_dir") does not apply to ${failed[*]}, which its releases: lists" >&2
    exit 1
  fi
  echo "patches-check: series $(basename "$series_dir") applies to every release it lists ($(printf '%s\n' "$listed" | paste -sd, -))"
  exit 0
fi

# No release and no source: every series under patches/, each on every release it lists.
if [ -z "$version" ] && [ -z "$src" ] && [ -z "${SGLANG_PATCH_DIR:-}" ]; then
  [ -z "$out" ] || { echo "patches-check: --out needs one release (VERSION or SRC_DIR)" >&2; exit 2; }
  dirs=$(lookup series) || exit 2
  [ -n "$dirs" ] || { echo "patches-check: no patches/sglang-v*/ folders" >&2; exit 1; }
  failed=()
  n=0
  for d in $dirs; do
    n=$((n + 1))
    bash "$0" --series "$d" || failed+=("$(basename "$d")")
  done
  if [ ${#failed[@]} -gt 0 ]; then
    echo "patches-check: failed for ${failed[*]}" >&2
    exit 1
  fi
  echo "patches-check: every series passed on every release it lists ($n series)"
  exit 0
fi

if [ -z "$src" ]; then
  src=$(bash "$root/scripts/fetch-sglang.sh" "${version:-0.5.9}")
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

# Which release SRC_DIR is: setuptools-scm's _version.py (wheels and installed checkouts),
# the wheel's dist-info folder, or the checkout's tag.
src_version() {
  local v
  v=$(sed -n "s/^__version__ = version = '\([^']*\)'.*/\1/p" "$pkg/_version.py" 2>/dev/null | head -1)
  if [ -z "$v" ]; then
    v=$(find "$src" -maxdepth 1 -name 'sglang-*.dist-info' -printf '%f\n' 2>/dev/null \
      | sed -n 's/^sglang-\(.*\)\.dist-info$/\1/p' | head -1)
  fi
  if [ -z "$v" ]; then
    v=$(git -C "$src" describe --tags --exact-match 2>/dev/null || true)
    v=${v#v}
  fi
  echo "$v"
}

# SGLANG_PATCH_DIR lets the tests and tools feed another series (a broken one, a subset)
# through this script; it is checked against whatever source is given.
if [ -n "${SGLANG_PATCH_DIR:-}" ]; then
  # Absolute: git apply runs in the scratch copy, where a relative path names nothing.
  patch_dir=$(cd "$SGLANG_PATCH_DIR" && pwd)
else
  found=$(src_version)
  if [ -z "$version" ]; then
    if [ -z "$found" ]; then
      echo "patches-check: cannot tell which SGLang release $src is; name it: $0 VERSION $src" >&2
      exit 2
    fi
    version=$found
  elif [ -n "$found" ] && [ "$found" != "$version" ]; then
    echo "patches-check: $src is sglang $found, not $version" >&2
    exit 2
  fi
  # The series whose releases: lists this release (0.5.12.post1 may be patches/sglang-v0.5.12's).
  if ! patch_dir=$(lookup covering "$version" 2>"${TMPDIR:-/tmp}/patches-check.lookup.$$"); then
    echo "patches-check: no patch set for sglang $version: $(cat "${TMPDIR:-/tmp}/patches-check.lookup.$$")" >&2
    rm -f "${TMPDIR:-/tmp}/patches-check.lookup.$$"
    exit 2
  fi
  rm -f "${TMPDIR:-/tmp}/patches-check.lookup.$$"
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
if [ -n "$out" ]; then
  cp -r "$pkg" "$tmp/python/sglang"
else
  # Only a check: the files the series touches are enough (copying the whole package, tens of
  # MB, was most of the time of a check; --all-releases checks twenty releases). A file the
  # release lacks stays absent, so its patch fails as it would on the whole package.
  while IFS= read -r f; do
    if [ -f "$pkg/$f" ]; then
      mkdir -p "$(dirname "$tmp/python/sglang/$f")"
      cp "$pkg/$f" "$tmp/python/sglang/$f"
    fi
  done < <(cat "${patches[@]}" | sed -n 's|^--- a/python/sglang/||p' | sort -u)
fi
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
python_bin=$(py)
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
echo "patches-check: ${#patches[@]} patches of $(basename "$patch_dir") apply without fuzz to $pkg and compile"
