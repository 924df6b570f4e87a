#!/usr/bin/env bash
# Creates (or refreshes) the project's Python virtualenv in .venv from the pinned
# requirements/python.txt. Re-runs are no-ops unless the requirements file changed:
# a stamp file holds the sha256 of the requirements it was built from.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"
req="$root/requirements/python.txt"
want=$(sha256sum "$req" | cut -d' ' -f1)
stamp="$venv/.requirements.sha256"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
# Several test runners (and developers) may call this at once: one installs, the rest wait.
mkdir -p "$root/.cache"
exec 9>"$root/.cache/.python-env.lock"
flock 9
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "python-env: installing $req into $venv (first run downloads torch; takes a few minutes)" >&2
python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip >&2
"$venv/bin/python" -m pip install -q -r "$req" >&2
echo "$want" > "$stamp"
