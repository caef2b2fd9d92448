#!/usr/bin/env bash
# Starts (or reuses) a private PostgreSQL cluster under .data/postgres and prints its URL.
# Used by `make run`, `make test` and `make bench` when DATABASE_URL is unset.
# Usage: scripts/pg.sh [database-name]
set -euo pipefail
cd "$(dirname "$0")/.."
db=${1:-14build}
port=${PG14BUILD_PORT:-54329}
data="$PWD/.data/postgres"
log="$PWD/.data/postgres.log"

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "PostgreSQL server binaries not found: install them (apt-get install -y postgresql) or set DATABASE_URL." >&2
  exit 1
fi

# As root, the server must run as the postgres user.
as_pg=()
if [ "$(id -u)" = 0 ]; then as_pg=(runuser -u postgres --); fi

mkdir -p "$PWD/.data"
if [ ! -s "$data/PG_VERSION" ]; then
  mkdir -p "$data"
  [ "$(id -u)" = 0 ] && chown postgres: "$data" "$PWD/.data"
  chmod 700 "$data"
  "${as_pg[@]}" "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
fi
[ "$(id -u)" = 0 ] && chown postgres: "$PWD/.data"

if ! "${as_pg[@]}" "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  # fsync off: this cluster is for development and tests, never for production data.
  "${as_pg[@]}" "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start \
    -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >/dev/null
fi

psql="$bin/psql"; [ -x "$psql" ] || psql=psql
url="postgres://postgres@127.0.0.1:$port/$db?sslmode=disable"
if ! "$psql" "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
  "$psql" "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable" -qc "CREATE DATABASE \"$db\"" >/dev/null
fi
echo "$url"
