#!/usr/bin/env bash
# .venv/ at the repository root with the project installed (editable), redone only when pyproject changes.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
PY=""
for cand in python3.11 /usr/bin/python3.11; do
  if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
    PY="$cand"; break
  fi
done
if [ -z "$PY" ]; then apt_install python3.11 python3.11 python3.11-venv; PY=python3.11; fi
if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $PY"
  "$PY" -m venv .venv || { rm -rf .venv; apt_packages python3.11-venv; "$PY" -m venv .venv; }
fi
stamp=".venv/.qflow-installed"
want="$(sha256sum pyproject.toml | cut -c1-16)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing qflow into .venv"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  if ! .venv/bin/python -m pip install -q -e '.[test]' >"$STATE/pip.log" 2>&1; then
    echo "pip install failed; its log ($STATE/pip.log) ends with:" >&2
    tail -n 30 "$STATE/pip.log" >&2
    exit 1
  fi
  echo "$want" > "$stamp"
fi
