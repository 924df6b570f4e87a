#!/usr/bin/env bash
# Creates (or rebuilds) .venv-cpu-engine, the virtualenv in which the REAL SGLang v0.5.9
# server runs on CPU (test/python/cpu_engine), from the pinned requirements/cpu-engine.txt.
# Kept apart from .venv so that the engine's larger set never changes the main test
# environment. Re-runs are no-ops unless the requirements changed (sha256 stamp); a change
# rebuilds from scratch so that nothing left from an older set hides a missing pin.
# Several test runners may call this at once: one builds, the rest wait on the lock.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv-cpu-engine"
req="$root/requirements/cpu-engine.txt"
want=$(sha256sum "$req" | cut -d' ' -f1)
stamp="$venv/.requirements.sha256"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$venv"
  exit 0
fi
mkdir -p "$root/.cache"
exec 9>"$root/.cache/.cpu-engine-env.lock"
flock 9
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$venv"
  exit 0
fi
echo "cpu-engine-env: building $venv from $req (first run downloads torch; minutes)" >&2
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip >&2
if ! "$venv/bin/python" -m pip install -q -r "$req" >&2; then
  echo "cpu-engine-env: pip could not install $req (is PyPI reachable?)" >&2
  rm -rf "$venv"
  exit 1
fi
echo "$want" > "$stamp"
echo "$venv"
