#!/usr/bin/env bash
# Make sure a Redis server answers on 127.0.0.1:6379 (Debian's redis-server, no persistence to disk
# beyond its defaults). Prints the URL.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
apt_install redis-server redis-server
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  say "starting redis-server"
  redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --dir "$STATE" \
    --logfile "$STATE/redis.log" --appendonly yes >/dev/null
  for _ in $(seq 1 40); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.25; done
fi
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null
echo "redis://127.0.0.1:6379/0"
