#!/usr/bin/env bash
# `npm run bench [-- PART...]`: benchmarks, not tests. Each part writes its figures under bench/:
#   build-image   bench/build-image.json (+ .md): start-up of the shipped CLI, build-image vs
#                 plain docker build, no-change rebuild, added layer size, bytes pushed for a
#                 second tag
#   serving       bench/serving.json (+ .md): serving-layer throughput patched vs unpatched v0.5.9
# Without arguments both run. Needs what the integration tests need: a Docker Engine and a
# registry (TEST_REGISTRY, default 127.0.0.1:5000), and the Python virtualenv.
set -euo pipefail
cd "$(dirname "$0")/.."
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(serving build-image)
for part in "${parts[@]}"; do
  case $part in
    serving) bash scripts/python-env.sh && .venv/bin/python bench/serving_bench.py ;;
    build-image) npx tsx bench/build-image.bench.ts ;;
    *) echo "bench: unknown part $part (serving, build-image)" >&2; exit 2 ;;
  esac
  echo "bench: $part figures written to bench/$part.json" >&2
done
