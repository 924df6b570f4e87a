#!/usr/bin/env bash
# The virtualenv of the RL client packages (python/requirements/rl-clients.txt), for
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
exec bash "$root/scripts/layered-venv.sh" rl-clients-env "$root/.venv-rl-clients" \
  "$root/python/requirements/rl-clients.txt" _rl_clients_base_venv.pth --ignore-requires-python
