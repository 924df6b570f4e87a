# shellcheck shell=bash
# Sourced by scripts/test.sh: makes the Docker Engine and a registry answer before the
# integration tests, starting what is missing when this machine can, and stops at the end
# only what it started. A machine where both already answer (CI: .ci/run starts them first)
# is used as it is. What cannot be provided is said loudly: those tests then skip, or fail
# under CI=true.
#
#   ensure_docker     the running Engine; else `dockerd` when installed and we are root
#   ensure_registry   $TEST_REGISTRY (default 127.0.0.1:5000) when it answers; else Debian's
#                     docker-registry on a free loopback port (Docker pushes to 127.0.0.0/8
#                     over plain HTTP without any daemon setting), else a registry:2 container
#                     when that image is present; exports TEST_REGISTRY for the tests
#   stop_test_services  stops what the two above started (test.sh runs it on exit)
#   services_summary  the lines to repeat after the results

FRESH_MACHINE_HINT="install and start everything with: sudo bash .ci/run (Debian/Ubuntu)"
_services_dir=""
_started_pids=()
_started_containers=()
_service_notes=()
_service_problems=()

_services_tmp() {
  [ -n "$_services_dir" ] || _services_dir=$(mktemp -d "${TMPDIR:-/tmp}/sip-test-services.XXXXXX")
}

_loud() {
  {
    echo "!!! ============================================================================"
    for line in "$@"; do echo "!!! $line"; done
    echo "!!! ============================================================================"
  } >&2
}

_registry_answers() {
  # node is there (npm runs us); curl may not be on a fresh machine. 401 is a registry too.
  node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(3000) }).then((r) => process.exit(r.status === 200 || r.status === 401 ? 0 : 1), () => process.exit(1))' "http://$1/v2/"
}

_free_loopback_port() {
  node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

_wait_for() { # seconds command...
  local seconds=$1; shift
  for _ in $(seq 1 "$((seconds * 2))"); do "$@" && return 0; sleep 0.5; done
  return 1
}

ensure_docker() {
  if docker info >/dev/null 2>&1; then
    _service_notes+=("Docker Engine: using the one that answers (${DOCKER_HOST:-unix:///var/run/docker.sock})")
    return 0
  fi
  if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != unix:///var/run/docker.sock ]; then
    _service_problems+=("no Docker Engine answers at DOCKER_HOST=$DOCKER_HOST (not started here: a dockerd of ours would listen elsewhere): start that one, or unset DOCKER_HOST")
    return 1
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    _service_problems+=("no Docker Engine answers and dockerd is not installed: the integration tests need one; $FRESH_MACHINE_HINT")
    return 1
  fi
  if [ "$(id -u)" != 0 ]; then
    _service_problems+=("no Docker Engine answers and starting dockerd needs root (this is uid $(id -u)): start it (sudo systemctl start docker) or $FRESH_MACHINE_HINT")
    return 1
  fi
  _services_tmp
  echo "=== services: no Docker Engine answers; starting dockerd (log: $_services_dir/dockerd.log)" >&2
  dockerd >"$_services_dir/dockerd.log" 2>&1 &
  _started_pids+=("$!")
  if _wait_for 60 docker info >/dev/null 2>&1; then
    _service_notes+=("Docker Engine: started dockerd (pid ${_started_pids[-1]}) for this run; stopped at the end")
    return 0
  fi
  _service_problems+=("dockerd did not answer within 60 s (log: $_services_dir/dockerd.log): $(tail -3 "$_services_dir/dockerd.log" | tr '\n' ' ')")
  return 1
}

ensure_registry() {
  local wanted=${TEST_REGISTRY:-127.0.0.1:5000}
  if _registry_answers "$wanted"; then
    export TEST_REGISTRY=$wanted
    _service_notes+=("registry: using the one at $TEST_REGISTRY")
    return 0
  fi
  _services_tmp
  local port
  port=$(_free_loopback_port)
  if command -v docker-registry >/dev/null 2>&1; then
    local config=$_services_dir/registry.yml
    cat >"$config" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $_services_dir/registry-data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
    echo "=== services: no registry answers at $wanted; starting docker-registry on 127.0.0.1:$port" >&2
    docker-registry serve "$config" >"$_services_dir/registry.log" 2>&1 &
    _started_pids+=("$!")
  elif docker info >/dev/null 2>&1 && docker image inspect registry:2 >/dev/null 2>&1; then
    echo "=== services: no registry answers at $wanted; starting a registry:2 container on 127.0.0.1:$port" >&2
    _started_containers+=("$(docker run -d --rm --label io.github.sglang-image-patcher.role=test-registry -p "127.0.0.1:$port:5000" registry:2)")
  else
    _service_problems+=("no registry answers at $wanted, and neither docker-registry (apt-get install docker-registry) nor a local registry:2 image is available to start one: the integration tests need one; $FRESH_MACHINE_HINT")
    return 1
  fi
  if _wait_for 30 _registry_answers "127.0.0.1:$port"; then
    export TEST_REGISTRY=127.0.0.1:$port
    _service_notes+=("registry: started one at $TEST_REGISTRY for this run (nothing answered at $wanted); stopped at the end")
    return 0
  fi
  _service_problems+=("the registry started on 127.0.0.1:$port did not answer within 30 s (log: $_services_dir/registry.log)")
  return 1
}

stop_test_services() {
  local i
  for ((i = ${#_started_containers[@]} - 1; i >= 0; i--)); do
    docker rm -f "${_started_containers[i]}" >/dev/null 2>&1 || true
  done
  # Last started first: the registry before dockerd.
  for ((i = ${#_started_pids[@]} - 1; i >= 0; i--)); do
    local pid=${_started_pids[i]}
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  done
  _started_pids=()
  _started_containers=()
  [ -z "$_services_dir" ] || rm -rf "$_services_dir"
  _services_dir=""
}

services_summary() {
  local line
  for line in "${_service_notes[@]}"; do echo "=== services: $line" >&2; done
  if [ ${#_service_problems[@]} -gt 0 ]; then
    if [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; then
      _loud "MISSING SERVICES (CI=true: the tests that need them FAIL):" "${_service_problems[@]}"
    else
      _loud "MISSING SERVICES: the tests that need them are SKIPPED, so this run proves less:" "${_service_problems[@]}"
    fi
  fi
}
