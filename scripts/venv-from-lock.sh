#!/usr/bin/env bash
# Builds a virtualenv from a pinned requirements file: `venv-from-lock.sh VENV REQUIREMENTS`.
# Prints the virtualenv's path. Re-runs are no-ops unless the requirements changed (a sha256
# stamp inside the venv); a change rebuilds from scratch, so nothing left from an older set
# hides a missing pin. Several test runners may call this at once: one builds, the rest wait
# on a lock. A pip failure (PyPI unreachable, a bad pin) removes the half-built venv and fails.
set -euo pipefail
venv=$1
req=$2
name=$(basename "$venv")
want=$(sha256sum "$req" | cut -d' ' -f1)
stamp="$venv/.requirements.sha256"
built() { [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; }
if ! built; then
  lockdir="$(dirname "$venv")/.cache"
  mkdir -p "$lockdir"
  exec 9>"$lockdir/.$name.lock"
  flock 9
  if ! built; then
    echo "$name: building $venv from $req (the first run downloads torch; minutes)" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    # Under CI nothing is built twice, so pip keeps no wheel cache: torch and its CUDA
    # libraries would otherwise take about 3 GB more of a disk that is already tight.
    cache=()
    [ "${CI:-}" = "true" ] && cache=(--no-cache-dir)
    "$venv/bin/python" -m pip install -q "${cache[@]}" --upgrade pip >&2
    if ! "$venv/bin/python" -m pip install -q "${cache[@]}" -r "$req" >&2; then
      echo "$name: pip could not install $req (is PyPI reachable? is the disk full? free: $(df -h --output=avail "$(dirname "$venv")" | tail -1 | tr -d ' '))" >&2
      rm -rf "$venv"
      exit 1
    fi
    echo "$want" > "$stamp"
  fi
fi
echo "$venv"
