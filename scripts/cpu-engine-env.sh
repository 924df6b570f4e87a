#!/usr/bin/env bash
# Creates (or rebuilds) .venv-cpu-engine, the virtualenv in which the REAL SGLang v0.5.9
# server runs on CPU (test/python/cpu_engine), from the pinned requirements/cpu-engine.txt,
# and prints its path. Kept apart from .venv so that the engine's larger set never changes
# the main test environment.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
exec bash "$root/scripts/venv-from-lock.sh" "$root/.venv-cpu-engine" "$root/requirements/cpu-engine.txt"
