#!/usr/bin/env bash
# The README's test command (`npm test`): type-check, unit tests, Python tests, then the
# integration tests against a real Docker Engine and registry. Under CI=true nothing that
# needs Docker or PyPI may be skipped: the tests themselves fail when those are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/python-env.sh
npx tsc --noEmit
npx vitest run --config vitest.config.ts
.venv/bin/python -m pytest test/python -q
npx vitest run --config vitest.integration.config.ts
