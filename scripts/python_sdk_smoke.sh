#!/usr/bin/env bash
# The official JD Cloud Python SDK (pip package jdcloud-sdk) against the emulator binary:
# builds jdcloud-vm-emulator, starts it on a free port of 127.0.0.1 with a small state (26
# instances, for paging) and 300 ms tasks, and runs scripts/python_sdk_smoke.py, which attaches
# and detaches an interface, describes the instances (filters, paging) and checks documented
# refusals; then starts it with no state (the default world) and runs
# scripts/python_sdk_lifecycle.py: create with a token twice, wait, stop, resize, start,
# reboot, disks, keypairs, elastic IP, interface, image, delete.
# Exits non-zero on any failure; the emulator is stopped on exit whatever happens.
#
# Environment: PYTHON (default python3).
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
cargo build --quiet --workspace --all-features --bin jdcloud-vm-emulator
target_dir="$(cargo metadata --format-version 1 --no-deps \
  | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
emulator="$target_dir/debug/jdcloud-vm-emulator"

work="$(mktemp -d)"
emulator_pid=""
cleanup() {
  if [[ -n "$emulator_pid" ]] && kill -0 "$emulator_pid" 2>/dev/null; then
    kill "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# i-smoke-1 (with its primary interface), i-smoke-2 in another AZ, 24 more for paging.
"$PYTHON" - "$work/state.json" <<'PY'
import json, sys

def instance(id, az="cn-north-1a"):
    return {"id": id, "region": "cn-north-1", "az": az, "vpc": "vpc-smoke",
            "status": "running", "max_network_interfaces": 4, "busy": False}

def interface(id, **fields):
    return dict({"id": id, "region": "cn-north-1", "vpc": "vpc-smoke", "owner": "AKPYTHONSMOKE",
                 "elastic_ip_az": None, "attached_to": None, "primary": False}, **fields)

state = {
    "credentials": [{"access_key": "AKPYTHONSMOKE", "secret_key": "SKPYTHONSMOKE"}],
    "instances": [instance("i-smoke-1"), instance("i-smoke-2", az="cn-north-1b")]
                 + [instance("i-page-%02d" % n) for n in range(24)],
    "network_interfaces": [
        interface("port-smoke-p1", attached_to="i-smoke-1", primary=True),
        interface("port-smoke-1"),
        interface("port-smoke-2", elastic_ip_az="*"),
    ],
}
with open(sys.argv[1], "w") as f:
    json.dump(state, f, indent=1)
PY

# Starts the emulator with the given arguments; sets $endpoint and $emulator_pid. It prints
# 'listening on http://127.0.0.1:PORT' once it accepts connections.
start_emulator() {
  local log="$1"
  shift
  "$emulator" --listen 127.0.0.1:0 --task-duration-ms 300 "$@" >"$log.stdout" 2>"$log.stderr" &
  emulator_pid=$!
  endpoint=""
  for _ in $(seq 1 100); do
    endpoint="$(sed -n 's/^listening on //p' "$log.stdout")"
    [[ -n "$endpoint" ]] && break
    if ! kill -0 "$emulator_pid" 2>/dev/null; then
      echo "python_sdk_smoke: the emulator exited:" >&2
      cat "$log.stderr" >&2
      exit 1
    fi
    sleep 0.1
  done
  if [[ -z "$endpoint" ]]; then
    echo "python_sdk_smoke: the emulator did not start within 10 s" >&2
    cat "$log.stderr" >&2
    exit 1
  fi
  echo "python_sdk_smoke: emulator at $endpoint"
}

stop_emulator() {
  kill "$emulator_pid" 2>/dev/null || true
  wait "$emulator_pid" 2>/dev/null || true
  emulator_pid=""
}

# The official SDK at the version the spec is held against (scripts/python_sdk_agreement.py).
if ! "$PYTHON" -c 'import importlib.metadata as m, sys; sys.exit(m.version("jdcloud-sdk") != "1.6.354")' 2>/dev/null; then
  echo "python_sdk_smoke: installing jdcloud-sdk==1.6.354"
  "$PYTHON" -m pip install --quiet --disable-pip-version-check jdcloud-sdk==1.6.354 \
    || "$PYTHON" -m pip install --quiet --disable-pip-version-check --user --break-system-packages jdcloud-sdk==1.6.354
fi

run() {
  local name="$1" log="$2"
  local status=0
  "$PYTHON" "scripts/$name" "$endpoint" || status=$?
  echo "python_sdk_smoke: emulator log of $name:"
  sed 's/^/  /' "$log.stderr"
  if [[ $status -ne 0 ]]; then
    echo "python_sdk_smoke: $name FAILED" >&2
    exit "$status"
  fi
}

# 1. The interface lifecycle, describes, filters and paging, with the state above.
start_emulator "$work/interfaces" --state "$work/state.json"
run python_sdk_smoke.py "$work/interfaces"
stop_emulator

# 2. A broad lifecycle through the default world (no --state), as a user starts it.
start_emulator "$work/lifecycle"
grep -q '^JDCLOUD_ACCESS_KEY_ID=AKEMULATOR$' "$work/lifecycle.stdout" \
  || { echo "python_sdk_smoke: no paste-able environment on stdout" >&2; exit 1; }
run python_sdk_lifecycle.py "$work/lifecycle"
stop_emulator
echo "python_sdk_smoke: passed"
