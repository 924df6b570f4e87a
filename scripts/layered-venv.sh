#!/usr/bin/env bash
# A virtualenv LAYERED on .venv: `layered-venv.sh LABEL VENV REQUIREMENTS PTH_NAME [PIP_ARG...]`
# prints VENV. Its site-packages holds only the packages of REQUIREMENTS (installed --no-deps,
# exactly as pinned, plus any PIP_ARGs) and a .pth file (PTH_NAME) appending .venv's
# site-packages, so its own packages win and everything else (torch and its CUDA libraries,
# ~7 GB) is .venv's, never a second copy. Re-runs are no-ops unless the file or .venv changed (a
# sha256 stamp); a change rebuilds it. Concurrent callers wait on a lock. PyPI unreachable: it
# fails. Shared by scripts/release-env.sh and scripts/rl-clients-env.sh.
set -euo pipefail
label=${1:?usage: layered-venv.sh LABEL VENV REQUIREMENTS PTH_NAME [PIP_ARG...]}
venv=${2:?} req=${3:?} pth=${4:?}
shift 4
root=$(cd "$(dirname "$0")/.." && pwd)
base=$(bash "$root/scripts/python-env.sh")
want=$(cat "$req" "$base/.requirements.sha256" | sha256sum | cut -d' ' -f1)
stamp="$venv/.requirements.sha256"
built() { [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; }
if ! built; then
  mkdir -p "$root/.cache"
  exec 9>"$root/.cache/.$(basename "$venv").lock"
  flock 9
  if ! built; then
    echo "$label: building $venv from $req, layered on $base" >&2
    rm -rf "$venv"
    "$base/bin/python" -m venv --without-pip "$venv"
    site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    base_site=$("$base/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    # Appended after the layer's own site-packages: the layer's versions win.
    echo "$base_site" > "$site/$pth"
    cache=()
    [ "${CI:-}" = "true" ] && cache=(--no-cache-dir)
    # .venv's pip installs into the layer (--python); --no-deps: exactly the file's pins, and
    # never a second torch pulled in as somebody's dependency.
    if ! "$base/bin/python" -m pip --python "$venv/bin/python" install -q "${cache[@]}" \
        --no-deps "$@" -r "$req" >&2; then
      echo "$label: pip could not install $req (is PyPI reachable? is the disk full?)" >&2
      rm -rf "$venv"
      exit 1
    fi
    if [ "$("$venv/bin/python" -c 'import os, torch; print(os.path.dirname(torch.__file__))')" \
        != "$base_site/torch" ]; then
      echo "$label: $venv does not take torch from $base_site" >&2
      rm -rf "$venv"
      exit 1
    fi
    echo "$want" > "$stamp"
  fi
fi
echo "$venv"
