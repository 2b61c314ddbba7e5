#!/bin/bash
# Starts Debian's docker-registry (distribution 2.8) on 127.0.0.1 for tests.
#   start-registry.sh DIR [USER PASS]
# DIR (created if needed) receives config.yml, storage/, htpasswd (when USER is given),
# registry.log and registry.pid. Prints the port on stdout once /v2/ answers.
# Stop with stop-registry.sh DIR, or set KRATA_REGISTRY_OWNER_PID to tie it to a process.
set -euo pipefail
dir=${1:?usage: start-registry.sh DIR [USER PASS]}
user=${2:-}
pass=${3:-}
registry=${DOCKER_REGISTRY:-/usr/bin/docker-registry}
mkdir -p "$dir/storage"
dir=$(cd "$dir" && pwd)

# The port: $KRATA_REGISTRY_PORT, else a free one (bind port 0 and read what the kernel
# chose). The registry binds it right after; a collision in between is possible but rare,
# and the caller then sees a failure.
port=${KRATA_REGISTRY_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}

auth=""
if [[ -n "$user" ]]; then
  htpasswd -Bbn "$user" "$pass" > "$dir/htpasswd"
  auth="auth:
  htpasswd:
    realm: krata-test
    path: $dir/htpasswd"
fi

cat > "$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
$auth
YAML

"$registry" serve "$dir/config.yml" > "$dir/registry.log" 2>&1 &
pid=$!
echo "$pid" > "$dir/registry.pid"
# With KRATA_REGISTRY_OWNER_PID set, the registry dies with that process even if it
# crashes before calling stop-registry.sh.
if [[ -n "${KRATA_REGISTRY_OWNER_PID:-}" ]]; then
  (tail --pid="$KRATA_REGISTRY_OWNER_PID" -f /dev/null; kill "$pid" 2>/dev/null) \
    </dev/null >/dev/null 2>&1 &
fi

# Wait until /v2/ answers (200 anonymous, 401 with auth), at most ~10 s.
for _ in $(seq 100); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" || true)
  if [[ "$code" == 200 || "$code" == 401 ]]; then
    echo "$port"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "docker-registry exited:" >&2
    cat "$dir/registry.log" >&2
    exit 1
  fi
  sleep 0.1
done
echo "docker-registry did not answer on 127.0.0.1:$port" >&2
kill "$pid" 2>/dev/null || true
exit 1
