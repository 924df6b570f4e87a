#!/usr/bin/env bash
# Creates (or refreshes) the project's one Python virtualenv .venv from the pinned
# python/requirements/python.txt and prints its path: the test side, the CPU-only set that SGLang
# v0.5.9's serving code imports (the engine-less harness, the verify suite's tests, the patch
# tests) and the real v0.5.9 server on CPU (test/python/cpu_engine, the cpu verify mode).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
exec bash "$root/scripts/venv-from-lock.sh" "$root/.venv" "$root/python/requirements/python.txt"
