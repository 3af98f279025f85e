#!/usr/bin/env bash
# Make sure a Redis server answers — and accepts writes — on 127.0.0.1:6379 (Debian's redis-server).
# Its data lives outside any clone (a clone may be deleted while the server runs on). Prints the URL.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
apt_install redis-server redis-server
if [ "$(id -u)" = 0 ]; then DATA=/var/lib/qflow/redis; else DATA="$HOME/.local/share/qflow/redis"; fi
mkdir -p "$DATA"
cli() { redis-cli -h 127.0.0.1 -p 6379 "$@"; }
# redis-cli exits 0 on error replies (LOADING, MISCONF...): compare the replies, never the exit code.
wait_writable() {
  # A server that has just started answers "LOADING" while it replays its append-only file, and one
  # just spawned may not listen yet; any other refusal (MISCONF: it cannot persist) is final.
  local reply
  for _ in $(seq 1 120); do
    reply="$(cli set qflow:setup-probe 1 2>&1)"
    [ "$reply" = "OK" ] && return 0
    case "$reply" in *LOADING*|*"Connection refused"*) sleep 0.25 ;; *) return 1 ;; esac
  done
  return 1
}
if cli ping >/dev/null 2>&1 && ! wait_writable; then
  # A server that answers but cannot persist (e.g. its directory was deleted) refuses every write.
  say "restarting redis-server (it refuses writes: $(cli set qflow:setup-probe 1 2>&1 | head -c 120))"
  cli shutdown nosave >/dev/null 2>&1 || true
  sleep 0.5
fi
if ! cli ping >/dev/null 2>&1; then
  say "starting redis-server"
  redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --dir "$DATA" \
    --logfile "$DATA/redis.log" --appendonly yes >/dev/null
fi
wait_writable || { echo "redis-server does not accept writes; see $DATA/redis.log" >&2; exit 1; }
echo "redis://127.0.0.1:6379/0"
