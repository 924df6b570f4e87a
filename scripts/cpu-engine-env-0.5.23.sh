#!/usr/bin/env bash
# Creates (or refreshes) .venv-sglang-0.5.23-engine from python/requirements/cpu-engine-0.5.23.txt and
# prints its path: the dependency set that runs the REAL SGLang 0.5.23 server on CPU
# (test/python/cpu_engine/test_real_server_later.py). Its own torch (0.5.23 pins 2.14.1),
# so about 6 GB: the tests build it only when asked (SGLANG_TEST_RELEASE_ENGINES=1 or
# SGLANG_TEST_MATRIX=full).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
exec bash "$root/scripts/venv-from-lock.sh" "$root/.venv-sglang-0.5.23-engine" "$root/python/requirements/cpu-engine-0.5.23.txt"
