#!/usr/bin/env bash
# Make sure a Docker engine answers: install Debian's docker.io if dockerd is missing, and start dockerd
# with no bridge and no iptables — runner containers never need a network, so none can reach one.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
apt_install dockerd docker.io
if docker info >/dev/null 2>&1; then exit 0; fi
# A killed dockerd leaves its pid file behind, and the next one refuses to start while it is there.
# The file is stale unless its pid is a live (not zombie) process of that name: pids get reused.
alive() {  # alive PID NAME
  local stat
  stat="$(ps -o stat=,comm= -p "$1" 2>/dev/null)" || return 1
  case "$stat" in Z*) return 1 ;; esac
  [[ "$stat" == *"$2"* ]]
}
for entry in /var/run/docker.pid:dockerd /var/run/docker/containerd/containerd.pid:containerd; do
  pidfile="${entry%%:*}"; name="${entry##*:}"
  if [ -f "$pidfile" ] && ! alive "$(cat "$pidfile" 2>/dev/null)" "$name"; then
    say "removing stale $pidfile"
    as_root rm -f "$pidfile"
  fi
done
say "starting dockerd (--bridge=none --iptables=false)"
as_root setsid nohup dockerd --bridge=none --iptables=false --ip6tables=false \
  >"$STATE/dockerd.log" 2>&1 < /dev/null &
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 0.5
done
echo "dockerd did not start; its log ($STATE/dockerd.log) ends with:" >&2
tail -n 20 "$STATE/dockerd.log" >&2
exit 1
