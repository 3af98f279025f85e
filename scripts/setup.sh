#!/usr/bin/env bash
# Set up what is missing. `setup.sh demo`: Python env, Docker, runner image. `setup.sh test`: the same,
# plus PostgreSQL and Redis, which the test suite talks to for real.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
what="${1:-demo}"
bash "$REPO/scripts/setup_python.sh"
apt_install debootstrap debootstrap
bash "$REPO/scripts/start_docker.sh"
"$REPO/.venv/bin/python" -m qflow.sandbox.images ${QFLOW_PYTHON_VERSIONS:-3.11}
if [ "$what" = test ]; then
  bash "$REPO/scripts/start_postgres.sh" >/dev/null
  bash "$REPO/scripts/start_redis.sh" >/dev/null
fi
