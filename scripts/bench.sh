#!/usr/bin/env bash
# `npm run bench`: benchmarks, not tests. Each part writes its figures under bench/:
#   bench/build-image.json (+ .md)  build-image vs plain docker build, no-change rebuild,
#                                   added layer size, bytes pushed for a second tag
#   bench/serving.json (+ .md)      serving-layer throughput patched vs unpatched v0.5.9
# Needs what the integration tests need: a Docker Engine and a registry (TEST_REGISTRY,
# default 127.0.0.1:5000), and the Python virtualenv.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/python-env.sh
.venv/bin/python bench/serving_bench.py
npx tsx bench/build-image.bench.ts
echo "bench: figures written to bench/serving.json and bench/build-image.json" >&2
