#!/bin/bash
# Stops a registry started by start-registry.sh DIR (only the pid it recorded).
set -euo pipefail
dir=${1:?usage: stop-registry.sh DIR}
[[ -f "$dir/registry.pid" ]] || exit 0
pid=$(cat "$dir/registry.pid")
if kill "$pid" 2>/dev/null; then
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
fi
rm -f "$dir/registry.pid"
