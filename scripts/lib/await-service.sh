# Sourced by the start-* scripts. await_service NAME PIDFILE LOG TRIES INTERVAL CHECK...: polls CHECK until it
# succeeds (returns 0), or fails at once with the log's last lines when the process of PIDFILE has exited, or after
# TRIES polls INTERVAL seconds apart (returns 1).
await_service() {
  local name=$1 pidfile=$2 log=$3 tries=$4 interval=$5 _
  shift 5
  for _ in $(seq 1 "$tries"); do
    if "$@"; then return 0; fi
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "$name: the process exited; last lines of $log:" >&2
      tail -20 "$log" >&2 || true
      return 1
    fi
    sleep "$interval"
  done
  echo "$name: no answer after $tries polls $interval s apart; see $log" >&2
  return 1
}
