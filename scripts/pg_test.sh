#!/usr/bin/env bash
# Run the test suite on PostgreSQL (Debian's cluster), browser tests excluded.
#
# Starts the cluster (creating it if there is none), makes sure role and
# database `readiness` exist, then runs pytest with DATABASE_URL pointing at
# it. Extra arguments go to pytest. If this script started the cluster, it
# stops it again on exit unless PG_KEEP_RUNNING=1.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}

if ! command -v pg_lsclusters >/dev/null 2>&1; then
    echo "pg_test: PostgreSQL is not installed (scripts/system_deps.sh test installs it)" >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
    as_postgres=(runuser -u postgres --)
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
    as_postgres=(sudo -u postgres)
else
    echo "pg_test: needs root or sudo to start the PostgreSQL cluster" >&2
    exit 1
fi

# The newest installed server version, unless PG_VERSION says otherwise.
version=${PG_VERSION:-$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' \
    | sort -V | tail -n 1)}
if [ -z "$version" ]; then
    echo "pg_test: no PostgreSQL server found under /usr/lib/postgresql" >&2
    exit 1
fi

# pg_lsclusters -h: "Ver Cluster Port Status Owner Data-directory Log-file"
cluster_field() {
    pg_lsclusters -h | awk -v v="$version" -v f="$1" '$1 == v && $2 == "main" { print $f }'
}

if [ -z "$(cluster_field 2)" ]; then
    echo "pg_test: creating cluster $version/main"
    "${as_root[@]}" pg_createcluster "$version" main
fi

started_here=0
if [ "$(cluster_field 4)" != "online" ]; then
    echo "pg_test: starting cluster $version/main"
    "${as_root[@]}" pg_ctlcluster "$version" main start
    started_here=1
fi

# shellcheck disable=SC2317  # called by the trap
stop_cluster() {
    if [ "$started_here" = 1 ] && [ "${PG_KEEP_RUNNING:-0}" != 1 ]; then
        echo "pg_test: stopping cluster $version/main"
        "${as_root[@]}" pg_ctlcluster "$version" main stop || true
    fi
}
trap stop_cluster EXIT

port=$(cluster_field 3)

for _ in $(seq 1 30); do
    if pg_isready -q -h 127.0.0.1 -p "$port"; then
        break
    fi
    sleep 1
done
if ! pg_isready -h 127.0.0.1 -p "$port"; then
    echo "pg_test: PostgreSQL did not accept connections on 127.0.0.1:$port" >&2
    exit 1
fi

# Run as the postgres user from / so psql does not complain about our cwd.
psql_admin() {
    (cd / && "${as_postgres[@]}" psql -X -q -v ON_ERROR_STOP=1 -p "$port" -d postgres "$@")
}

if [ -z "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'readiness'")" ]; then
    psql_admin -c "CREATE ROLE readiness LOGIN PASSWORD 'readiness' CREATEDB"
else
    psql_admin -c "ALTER ROLE readiness LOGIN PASSWORD 'readiness' CREATEDB"
fi
if [ -z "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = 'readiness'")" ]; then
    psql_admin -c "CREATE DATABASE readiness OWNER readiness"
fi

export DATABASE_URL="postgres://readiness:readiness@127.0.0.1:$port/readiness"
echo "pg_test: running the suite on $DATABASE_URL (browser tests excluded)"
status=0
"$PY" -m pytest -m "not browser" "$@" || status=$?
exit "$status"
