#!/usr/bin/env bash
# `npm run patches:port -- ARGS`: runs python/patchtools/port.py (its docstring, or --help, says how).
# The project's .venv when built (scripts/python-env.sh): the harness imports SGLang with it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python_bin=python3
[ -x "$root/.venv/bin/python" ] && python_bin="$root/.venv/bin/python"
PYTHONPATH="$root/python${PYTHONPATH:+:$PYTHONPATH}" exec "$python_bin" -m patchtools.port "$@"
