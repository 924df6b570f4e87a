#!/usr/bin/env bash
# `gha-cleanup.sh NAME`: removes what a build job named NAME left on a persistent runner: every
# container labelled io.github.sglang-image-patcher.ci-run=NAME (the verify server, the GPU
# probe) and every per-run build tag sglang-image-patcher-build/*:NAME-*. The build workflow
# runs it with `if: always()`, so it also runs after a cancel: GitHub sends SIGINT, SIGTERM
# 7.5 s later and kills the step 2.5 s after that, and containers are not in the step's process
# tree, so a verify container on the GPU outlived every cancelled job before. NAME comes from
# SGLANG_IMAGE_PATCHER_RUN_LABEL (src/labels.ts), which the CLI puts on all of the above.
# Removes only tags: an image still tagged elsewhere stays, an untagged one is left to the
# daemon's pruning. Exit 0 when nothing of NAME is left, 1 when a removal failed.
set -uo pipefail
name=${1:-}
if ! [[ $name =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$ ]]; then
  echo "gha-cleanup: usage: gha-cleanup.sh NAME (1 to 64 of A-Z a-z 0-9 _ . -), got '${name}'" >&2
  exit 2
fi
label="io.github.sglang-image-patcher.ci-run=$name"
status=0

mapfile -t containers < <(docker ps -aq --filter "label=$label")
if [ ${#containers[@]} -gt 0 ]; then
  echo "gha-cleanup: removing ${#containers[@]} container(s) labelled $label" >&2
  docker rm -f "${containers[@]}" >&2 || status=1
fi

mapfile -t tags < <(docker images --format '{{.Repository}}:{{.Tag}}' --filter "reference=sglang-image-patcher-build/*:$name-*")
if [ ${#tags[@]} -gt 0 ]; then
  echo "gha-cleanup: removing ${#tags[@]} build tag(s): ${tags[*]}" >&2
  docker rmi "${tags[@]}" >&2 || status=1
fi

[ ${#containers[@]} -gt 0 ] || [ ${#tags[@]} -gt 0 ] || echo "gha-cleanup: nothing of $name left" >&2
exit "$status"
