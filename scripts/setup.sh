#!/usr/bin/env bash
# Set up what is missing. `setup.sh demo`: Python env, Docker, runner image. `setup.sh test`: the same,
# plus PostgreSQL and Redis, which the test suite talks to for real.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
what="${1:-demo}"
bash "$REPO/scripts/setup_python.sh"
apt_install debootstrap debootstrap
bash "$REPO/scripts/start_docker.sh"
# Runner images: the demo needs 3.11; the tests run nodes on every supported version. Each image is rebuilt
# only when what it is built from changes, so a second run takes a second or two.
if [ "$what" = test ]; then versions="${QFLOW_PYTHON_VERSIONS:-3.9 3.11 3.13}"; else versions="${QFLOW_PYTHON_VERSIONS:-3.11}"; fi
"$REPO/.venv/bin/python" -m qflow.sandbox.images $versions
if [ "$what" = test ]; then
  bash "$REPO/scripts/start_postgres.sh" >/dev/null
  bash "$REPO/scripts/start_redis.sh" >/dev/null
fi
