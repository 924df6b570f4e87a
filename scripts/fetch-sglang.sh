#!/usr/bin/env bash
# Fetches the real SGLang release files from PyPI (`pip download sglang==VERSION --no-deps`:
# a pure-Python wheel for v0.5.9, a cp311 manylinux wheel with Rust extensions for later
# releases such as 0.5.23; the serving code we patch is Python in both) and unpacks them
# under .cache/sglang-VERSION/. Prints the unpacked folder (it holds sglang/ and
# sglang-VERSION.dist-info/). Nothing of SGLang is committed:
# every test that needs the upstream source calls this. Fails loudly when PyPI is unreachable.
set -euo pipefail
version=${1:-0.5.9}
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.cache/sglang-$version"
if [ ! -f "$dest/.complete" ]; then
  mkdir -p "$root/.cache"
  exec 9>"$root/.cache/.fetch-sglang.lock"
  flock 9
  if [ ! -f "$dest/.complete" ]; then
    tmp=$(mktemp -d "$root/.cache/fetch.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    if ! python3 -m pip download -q --no-deps --only-binary=:all: -d "$tmp/wheel" "sglang==$version" >&2; then
      echo "fetch-sglang: could not download sglang==$version from PyPI" >&2
      exit 1
    fi
    python3 -m zipfile -e "$tmp"/wheel/sglang-"$version"-*.whl "$tmp/unpacked"
    cp "$tmp"/wheel/sglang-"$version"-*.whl "$tmp/unpacked/"
    rm -rf "$dest"
    mv "$tmp/unpacked" "$dest"
    touch "$dest/.complete"
  fi
fi
echo "$dest"
