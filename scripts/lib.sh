# Shared helpers for the set-up scripts. Each step checks before it acts, so a second run is quick.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$REPO/.qflow"
mkdir -p "$STATE"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

APT_UPDATED=""
apt_packages() {
  say "installing $*"
  if [ -z "$APT_UPDATED" ]; then as_root apt-get update -q >/dev/null; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
}
apt_install() {
  # apt_install CMD PACKAGE...: install the packages unless CMD is already on PATH.
  local cmd="$1"; shift
  command -v "$cmd" >/dev/null 2>&1 || apt_packages "$@"
}
