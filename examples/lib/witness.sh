# witness.sh — sourced by the witnessed example and the witness tests: start
# `poolbook witness` on a free loopback port and stop it. Needs $P (the
# poolbook binary). Every witness started is recorded in WITNESS_PIDS, so a
# trap can stop them all: trap 'witness_stop_all; ...' EXIT.
WITNESS_PIDS=()

# witness_start VAR KEYFILE STATEFILE ARGS...: start a witness (ARGS are its
# --log options), wait (at most 10 s) until it says where it listens, and set
# VAR_url, VAR_pid and VAR_vkey.
witness_start() {
  local var=$1 key=$2 state=$3
  shift 3
  local out=$state.out
  : >"$out"
  "$P" witness --listen 127.0.0.1:0 -k "$key" --state "$state" "$@" >"$out" 2>>"$state.err" &
  local pid=$!
  WITNESS_PIDS+=("$pid")
  local i
  for i in $(seq 100); do
    grep -q '^poolbook witness: verifier ' "$out" && break
    kill -0 "$pid" 2>/dev/null || { cat "$state.err" >&2; return 1; }
    sleep 0.1
  done
  grep -q '^poolbook witness: verifier ' "$out" || { echo "witness did not start" >&2; return 1; }
  printf -v "${var}_url" '%s' "$(sed -n 's/^poolbook witness: listening on //p' "$out")"
  printf -v "${var}_vkey" '%s' "$(sed -n 's/^poolbook witness: verifier //p' "$out")"
  printf -v "${var}_pid" '%s' "$pid"
}

# witness_stop PID [SIGNAL]: stop one witness (default TERM) and reap it.
witness_stop() {
  kill "-${2:-TERM}" "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

witness_stop_all() {
  local pid
  for pid in "${WITNESS_PIDS[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
