#!/usr/bin/env bash
# Creates (or refreshes) the project's Python virtualenv .venv from the pinned
# requirements/python.txt: the test side and the CPU-only set that SGLang v0.5.9's serving
# code imports (the engine-less harness, the verify suite's tests, the patch tests).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/venv-from-lock.sh" "$root/.venv" "$root/requirements/python.txt" >/dev/null
