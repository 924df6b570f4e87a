#!/usr/bin/env bash
# The README's test command (`npm test`): type-check, unit tests, Python tests, then the
# integration tests against a real Docker Engine and registry. Every stage runs even when
# an earlier one failed, so one run shows every failure; the exit code is non-zero if any
# stage failed. Under CI=true nothing that needs Docker or PyPI may be skipped: the tests
# themselves fail when those are missing. The last line totals all runners.
# Before the tests, scripts/test-services.sh makes the Docker Engine and a registry answer:
# it uses running ones (CI's .ci/run starts them first) and otherwise starts dockerd (when
# installed and run as root) and a registry on a free loopback port, stopping them at the end;
# what it cannot provide is printed loudly, before and after the results.
# The python and integration stages run side by side (and the quick checks beside them): one is CPU-bound (the harness matrices and
# the real CPU engines), the other mostly waits on the Docker Engine and the registry, so on a
# 2-core CI machine the pair takes about as long as the python stage alone. The integration
# stage's output goes to .cache/test-results/integration.log and is printed when it ends, so
# the two never interleave. SGLANG_TEST_SERIAL=1 runs them one after the other.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
results=.cache/test-results
rm -rf "$results" && mkdir -p "$results"
failed=()

source scripts/test-services.sh
trap stop_test_services EXIT
ensure_docker || true
ensure_registry || true
services_summary

stage() {
  local name=$1; shift
  echo "=== $name: $*" >&2
  local start=$SECONDS
  if "$@"; then
    echo "=== $name: ok ($((SECONDS - start)) s)" >&2
  else
    echo "=== $name: FAILED ($((SECONDS - start)) s)" >&2
    failed+=("$name")
  fi
}

# A stage in the background: its output to $results/NAME.log, its exit code to NAME.rc.
background_stage() {
  local name=$1; shift
  echo "=== $name: $* (in the background; output in $results/$name.log)" >&2
  ( start=$SECONDS; "$@" >"$results/$name.log" 2>&1; rc=$?; echo "$rc $((SECONDS - start))" >"$results/$name.rc" ) &
  background_pids+=("$!")
  background_names+=("$name")
}

# Waits for every background stage, prints its output and records it like stage() does.
finish_background_stages() {
  local i name rc secs
  for i in "${!background_pids[@]}"; do
    name=${background_names[$i]}
    wait "${background_pids[$i]}"
    cat "$results/$name.log" >&2
    read -r rc secs <"$results/$name.rc" 2>/dev/null || { rc=1; secs="?"; }
    if [ "$rc" = 0 ]; then
      echo "=== $name: ok ($secs s)" >&2
    else
      echo "=== $name: FAILED ($secs s)" >&2
      failed+=("$name")
    fi
  done
}

background_pids=()
background_names=()
# The quick checks need neither the Python environment nor the services: they run beside the
# python-env install (mostly downloads) and the python stage, off the critical path, and are
# reported in order when those end.
if [ "${SGLANG_TEST_SERIAL:-}" = 1 ]; then
  stage typecheck npx tsc --noEmit
  stage lint bash scripts/lint.sh
  stage unit npx vitest run --config vitest.config.ts \
    --reporter=default --reporter=json --outputFile.json="$results/unit.json"
else
  background_stage typecheck npx tsc --noEmit
  background_stage lint bash scripts/lint.sh
  background_stage unit npx vitest run --config vitest.config.ts \
    --reporter=default --reporter=json --outputFile.json="$results/unit.json"
fi
stage python-env bash scripts/python-env.sh
# The layered environments (each release's, the RL clients'): ~4-15 s each, mostly downloads.
# Built beside the python stage's first tests instead of inside the first test that needs
# one; a test that needs one before it is done waits on its lock (scripts/layered-venv.sh).
layered_envs() {
  local req version
  for req in python/requirements/sglang-*.txt; do
    version=${req#python/requirements/sglang-}
    bash scripts/release-env.sh "${version%.txt}" || return 1
  done
  bash scripts/rl-clients-env.sh
}
if [ "${SGLANG_TEST_SERIAL:-}" = 1 ]; then
  stage layered-envs layered_envs
else
  background_stage layered-envs layered_envs
fi
integration=(npx vitest run --config vitest.integration.config.ts
  --reporter=default --reporter=json --outputFile.json="$results/integration.json")
if [ "${SGLANG_TEST_SERIAL:-}" = 1 ]; then
  stage python .venv/bin/python -m pytest test/python -q -rs --junitxml="$results/python.xml"
  stage integration "${integration[@]}"
  finish_background_stages
else
  background_stage integration "${integration[@]}"
  stage python .venv/bin/python -m pytest test/python -q -rs --junitxml="$results/python.xml"
  finish_background_stages
fi

node scripts/summarize-tests.mjs "$results"
services_summary
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed stages: ${failed[*]}" >&2
  exit 1
fi
