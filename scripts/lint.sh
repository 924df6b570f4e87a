#!/usr/bin/env bash
# `npm run lint` (a stage of `npm test`): ESLint on the TypeScript and Node scripts, ruff on the
# Python, actionlint on the GitHub workflows. Each tool is pinned and installed here on first use,
# away from the project's own dependencies:
#   ESLint      tools/eslint (own package.json + lock: typescript-eslint needs TypeScript 5's
#               JavaScript API, the project compiles with TypeScript 7)
#   ruff        .venv-lint from requirements/lint.txt (scripts/venv-from-lock.sh)
#   actionlint  `go install` of ACTIONLINT_VERSION into .cache/bin (the Go toolchain is needed once)
# Every linter runs even when an earlier one failed; the exit code is non-zero if any did.
set -uo pipefail
cd "$(dirname "$0")/.."
ACTIONLINT_VERSION=v1.7.12
failed=()

run() {
  local name=$1; shift
  if "$@"; then echo "lint: $name clean" >&2; else echo "lint: $name FAILED" >&2; failed+=("$name"); fi
}

# Re-installs only when the lock file changed (a sha256 stamp beside node_modules).
eslint_ready() {
  local want stamp=tools/eslint/node_modules/.lock.sha256
  want=$(sha256sum tools/eslint/package-lock.json | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    npm ci --prefix tools/eslint --no-audit --no-fund --loglevel=warn >&2 || return 1
    echo "$want" > "$stamp"
  fi
}

actionlint_ready() {
  local bin=.cache/bin/actionlint
  if [ -x "$bin" ] && [ "$("$bin" -version | head -1)" = "$ACTIONLINT_VERSION" ]; then return 0; fi
  local go
  go=$(command -v go || echo /usr/local/go/bin/go)
  [ -x "$go" ] || { echo "lint: actionlint $ACTIONLINT_VERSION is not installed and there is no Go toolchain to build it" >&2; return 1; }
  echo "lint: building actionlint $ACTIONLINT_VERSION (go install, once)" >&2
  mkdir -p .cache/bin
  GOBIN="$PWD/.cache/bin" "$go" install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" >&2
}

eslint() {
  eslint_ready && tools/eslint/node_modules/.bin/eslint --config tools/eslint/eslint.config.mjs --max-warnings 0 \
    src test bench scripts vitest.config.ts vitest.integration.config.ts
}

ruff() {
  local venv
  venv=$(bash scripts/venv-from-lock.sh "$PWD/.venv-lint" requirements/lint.txt) && "$venv/bin/ruff" check --no-cache .
}

# shellcheck and pyflakes integrations off: they would depend on what else happens to be installed.
actionlint() {
  actionlint_ready && .cache/bin/actionlint -shellcheck= -pyflakes= .github/workflows/*.yml
}

run eslint eslint
run ruff ruff
run actionlint actionlint
if [ ${#failed[@]} -gt 0 ]; then
  echo "lint: failed: ${failed[*]}" >&2
  exit 1
fi
