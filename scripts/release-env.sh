#!/usr/bin/env bash
# The Python environment that runs SGLang VERSION's serving code (the engine-less harness, the
# patch tests): `bash scripts/release-env.sh VERSION` prints the virtualenv's path.
#
# Without requirements/sglang-VERSION.txt that is .venv itself (scripts/python-env.sh). With
# it: .venv-sglang-VERSION, a virtualenv LAYERED on .venv. Its site-packages holds only the
# packages of that file (installed --no-deps, exactly as pinned) and a .pth file appending
# .venv's site-packages, so its own packages win and everything else (torch and its CUDA
# libraries, ~7 GB) is .venv's, not a second copy. Re-runs are no-ops unless the file or
# .venv changed (a sha256 stamp); a change rebuilds it. Concurrent callers wait on a lock.
set -euo pipefail
version=${1:?usage: release-env.sh VERSION}
version=${version#v}
root=$(cd "$(dirname "$0")/.." && pwd)
base=$(bash "$root/scripts/python-env.sh")
req="$root/requirements/sglang-$version.txt"
if [ ! -f "$req" ]; then
  echo "$base"
  exit 0
fi
venv="$root/.venv-sglang-$version"
want=$(cat "$req" "$base/.requirements.sha256" | sha256sum | cut -d' ' -f1)
stamp="$venv/.requirements.sha256"
built() { [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; }
if ! built; then
  mkdir -p "$root/.cache"
  exec 9>"$root/.cache/.venv-sglang-$version.lock"
  flock 9
  if ! built; then
    echo "release-env: building $venv from $req, layered on $base" >&2
    rm -rf "$venv"
    "$base/bin/python" -m venv --without-pip "$venv"
    site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    base_site=$("$base/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    # Appended after the layer's own site-packages: the layer's versions win.
    echo "$base_site" > "$site/_sglang_base_venv.pth"
    cache=()
    [ "${CI:-}" = "true" ] && cache=(--no-cache-dir)
    # .venv's pip installs into the layer (--python); --no-deps: exactly the file's pins, and
    # never a second torch pulled in as somebody's dependency.
    if ! "$base/bin/python" -m pip --python "$venv/bin/python" install -q "${cache[@]}" \
        --no-deps -r "$req" >&2; then
      echo "release-env: pip could not install $req (is PyPI reachable? is the disk full?)" >&2
      rm -rf "$venv"
      exit 1
    fi
    if [ "$("$venv/bin/python" -c 'import os, torch; print(os.path.dirname(torch.__file__))')" \
        != "$base_site/torch" ]; then
      echo "release-env: $venv does not take torch from $base_site" >&2
      rm -rf "$venv"
      exit 1
    fi
    echo "$want" > "$stamp"
  fi
fi
echo "$venv"
