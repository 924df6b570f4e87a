#!/usr/bin/env bash
# The virtualenv of the RL client packages (requirements/rl-clients.txt), for
# test/python/rl_clients: `bash scripts/rl-clients-env.sh` prints its path (.venv-rl-clients).
#
# Layered on .venv (scripts/python-env.sh) as scripts/release-env.sh layers a release: its own
# site-packages holds only the pinned client packages, installed --no-deps (their declared
# dependencies are ray, torch, wandb, mlflow, ...), and a .pth file appends .venv's
# site-packages for the rest. --ignore-requires-python: nemo-gym 0.4.0 declares Python >= 3.12
# and .venv is 3.11; the code these tests run (vllm_model, openai_utils) imports and runs on
# 3.11, which the tests show. Re-runs are no-ops unless the file or .venv changed (a sha256
# stamp); a change rebuilds it. PyPI unreachable: it fails (and so do the tests, under CI).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
base=$(bash "$root/scripts/python-env.sh")
req="$root/requirements/rl-clients.txt"
venv="$root/.venv-rl-clients"
want=$(cat "$req" "$base/.requirements.sha256" | sha256sum | cut -d' ' -f1)
stamp="$venv/.requirements.sha256"
built() { [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; }
if ! built; then
  mkdir -p "$root/.cache"
  exec 9>"$root/.cache/.venv-rl-clients.lock"
  flock 9
  if ! built; then
    echo "rl-clients-env: building $venv from $req, layered on $base" >&2
    rm -rf "$venv"
    "$base/bin/python" -m venv --without-pip "$venv"
    site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    base_site=$("$base/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    echo "$base_site" > "$site/_rl_clients_base_venv.pth"
    cache=()
    [ "${CI:-}" = "true" ] && cache=(--no-cache-dir)
    if ! "$base/bin/python" -m pip --python "$venv/bin/python" install -q "${cache[@]}" \
        --no-deps --ignore-requires-python -r "$req" >&2; then
      echo "rl-clients-env: pip could not install $req (is PyPI reachable? is the disk full?)" >&2
      rm -rf "$venv"
      exit 1
    fi
    echo "$want" > "$stamp"
  fi
fi
echo "$venv"
