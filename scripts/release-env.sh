#!/usr/bin/env bash
# The Python environment that runs SGLang VERSION's serving code (the engine-less harness, the
# patch tests): `bash scripts/release-env.sh VERSION` prints the virtualenv's path.
#
# Without python/requirements/sglang-VERSION.txt that is .venv itself (scripts/python-env.sh). With
# it: .venv-sglang-VERSION, a virtualenv LAYERED on .venv. Its site-packages holds only the
# packages of that file (installed --no-deps, exactly as pinned) and a .pth file appending
# .venv's site-packages, so its own packages win and everything else (torch and its CUDA
# libraries, ~7 GB) is .venv's, not a second copy. Re-runs are no-ops unless the file or
# .venv changed (a sha256 stamp); a change rebuilds it. Concurrent callers wait on a lock.
set -euo pipefail
version=${1:?usage: release-env.sh VERSION}
version=${version#v}
root=$(cd "$(dirname "$0")/.." && pwd)
req="$root/python/requirements/sglang-$version.txt"
if [ ! -f "$req" ]; then
  bash "$root/scripts/python-env.sh"
  exit 0
fi
exec bash "$root/scripts/layered-venv.sh" release-env "$root/.venv-sglang-$version" "$req" _sglang_base_venv.pth
