#!/usr/bin/env bash
# Make sure a local PostgreSQL 15 server is installed and running, with role `qflow` (password `qflow`)
# and database `qflow_test`. Idempotent: every step is skipped when already done.
# Prints the SQLAlchemy URL the tests use (QFLOW_TEST_POSTGRES_URL) on stdout as its last line.
set -euo pipefail

PG_VERSION="${PG_VERSION:-15}"
PG_CLUSTER="${PG_CLUSTER:-main}"
PG_HOST=127.0.0.1
PG_PORT=5432
ROLE=qflow
PASSWORD=qflow
DATABASE=qflow_test

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

log() { echo "start_postgres: $*" >&2; }

# 1. Install only when missing; refresh the package lists only when a first install attempt fails.
if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ ! -x "/usr/lib/postgresql/${PG_VERSION}/bin/postgres" ]; then
    log "installing postgresql"
    export DEBIAN_FRONTEND=noninteractive
    if ! $SUDO apt-get install -y postgresql >&2; then
        $SUDO apt-get update >&2
        $SUDO apt-get install -y postgresql >&2
    fi
fi

# 2. Start the cluster when the server does not answer.
if ! pg_isready -h "$PG_HOST" -p "$PG_PORT" -q; then
    if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "${PG_VERSION} ${PG_CLUSTER}"; then
        log "creating cluster ${PG_VERSION}/${PG_CLUSTER}"
        $SUDO pg_createcluster "$PG_VERSION" "$PG_CLUSTER" >&2
    fi
    log "starting cluster ${PG_VERSION}/${PG_CLUSTER}"
    $SUDO pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start >&2 || true
    for _ in $(seq 1 30); do
        pg_isready -h "$PG_HOST" -p "$PG_PORT" -q && break
        sleep 1
    done
    if ! pg_isready -h "$PG_HOST" -p "$PG_PORT" -q; then
        log "server did not come up; see /var/log/postgresql/postgresql-${PG_VERSION}-${PG_CLUSTER}.log"
        exit 1
    fi
fi

# 3. Role and database (as the postgres superuser, over the local socket).
as_postgres() {
    if [ "$(id -un)" = "postgres" ]; then
        "$@"
    elif [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        sudo -u postgres "$@"
    fi
}
psql_su() { as_postgres psql -v ON_ERROR_STOP=1 -qtAX "$@"; }

if [ "$(psql_su -c "SELECT 1 FROM pg_roles WHERE rolname = '${ROLE}'")" != "1" ]; then
    log "creating role ${ROLE}"
    # CREATEDB: the test suite creates a throwaway database per session.
    psql_su -c "CREATE ROLE ${ROLE} LOGIN CREATEDB PASSWORD '${PASSWORD}'"
else
    psql_su -c "ALTER ROLE ${ROLE} LOGIN CREATEDB PASSWORD '${PASSWORD}'"
fi

if [ "$(psql_su -c "SELECT 1 FROM pg_database WHERE datname = '${DATABASE}'")" != "1" ]; then
    log "creating database ${DATABASE}"
    psql_su -c "CREATE DATABASE ${DATABASE} OWNER ${ROLE}"
fi

echo "postgresql+psycopg://${ROLE}:${PASSWORD}@${PG_HOST}:${PG_PORT}/${DATABASE}"
