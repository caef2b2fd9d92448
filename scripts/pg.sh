#!/usr/bin/env bash
# Starts (or reuses) a private PostgreSQL cluster under .data/postgres and prints its URL.
# Used by `make run`, `make test` and `make bench` when DATABASE_URL is unset.
# Usage: scripts/pg.sh [database-name]   (creates the database if missing)
#        scripts/pg.sh --stop
set -euo pipefail
cd "$(dirname "$0")/.."
db=${1:-14build}
data="$PWD/.data/postgres"
log="$PWD/.data/postgres.log"
portfile="$PWD/.data/postgres.port"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "PostgreSQL server binaries not found: install them (apt-get install -y postgresql) or set DATABASE_URL." >&2
  exit 1
fi

# As root, the server must run as the postgres user.
as_pg=()
if [ "$(id -u)" = 0 ]; then as_pg=(runuser -u postgres --); fi

if [ "$db" = "--stop" ]; then
  if [ -s "$data/PG_VERSION" ]; then "${as_pg[@]}" "$bin/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true; fi
  exit 0
fi

mkdir -p "$PWD/.data"
if [ ! -s "$data/PG_VERSION" ]; then
  mkdir -p "$data"
  [ "$(id -u)" = 0 ] && chown postgres: "$data" "$PWD/.data"
  chmod 700 "$data"
  "${as_pg[@]}" "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
fi
[ "$(id -u)" = 0 ] && chown postgres: "$PWD/.data"

if "${as_pg[@]}" "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  port=$(sed -n 4p "$data/postmaster.pid")
else
  # fsync off: this cluster is for development and tests, never for production data.
  start() {
    "${as_pg[@]}" "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start \
      -o "-p $1 -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >/dev/null
  }
  port=${PG14BUILD_PORT:-}
  if [ -n "$port" ]; then
    start "$port"
  else
    # A free loopback port: another checkout's cluster may hold the usual one. A port that
    # answers no connection may still refuse the bind (a server just stopped): try the next.
    started=
    for p in $(seq 54329 54399); do
      port_busy "$p" && continue
      seen=0; [ -f "$log" ] && seen=$(wc -c < "$log")
      if out=$(start "$p" 2>&1); then port=$p; started=1; break; fi
      tail -c +"$((seen + 1))" "$log" 2>/dev/null | grep -q "Address already in use" || { echo "$out" >&2; exit 1; }
    done
    [ -n "$started" ] || { echo "no free port from 54329 to 54399 for PostgreSQL" >&2; exit 1; }
  fi
fi
echo "$port" > "$portfile"

psql="$bin/psql"; [ -x "$psql" ] || psql=psql
url="postgres://postgres@127.0.0.1:$port/$db?sslmode=disable"
if ! "$psql" "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
  "$psql" "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable" -qc "CREATE DATABASE \"$db\"" >/dev/null
fi
echo "$url"
