#!/usr/bin/env bash
# The core harness matrix on a release with a series and on the stock release (its unpatched
# control): runs python/patchtools/matrix.py (its docstring, or --help, says how).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python_bin=python3
[ -x "$root/.venv/bin/python" ] && python_bin="$root/.venv/bin/python"
PYTHONPATH="$root/python${PYTHONPATH:+:$PYTHONPATH}" exec "$python_bin" -m patchtools.matrix "$@"
