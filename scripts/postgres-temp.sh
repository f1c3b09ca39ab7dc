#!/usr/bin/env bash
# A throwaway PostgreSQL server of the machine's own installation (Debian's postgresql package), in a folder of its
# own on loopback: for the replica crash test and for trying replicas by hand (docs/DEPLOYMENT.md). The test suite
# starts its own the same way (Sources/Storage/Postgres/TemporaryPostgresServer.swift).
#   scripts/postgres-temp.sh start DIR [PORT]   # prints the superuser URL, e.g. postgres://safety@127.0.0.1:55432/postgres
#   scripts/postgres-temp.sh createdb DIR NAME  # prints the URL of a new database NAME
#   scripts/postgres-temp.sh stop DIR           # stops the server and deletes DIR
# PostgreSQL refuses to run as root: under root the server runs as the `postgres` user (created by the package).
set -euo pipefail
cmd=${1:?start, createdb or stop}
dir=${2:?folder}
bin=${SAFETY_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "no PostgreSQL server found in /usr/lib/postgresql/*/bin: apt-get install postgresql (scripts/install-deps.sh does)" >&2
    exit 1
fi
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
start)
    port=${3:-$((20000 + RANDOM % 30000))}
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    as_pg "$bin/initdb" -D "$dir/data" -U safety --auth=trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
    echo "$port" >"$dir/port"
    echo "postgres://safety@127.0.0.1:$port/postgres?sslmode=disable"
    ;;
createdb)
    name=${3:?database name}
    port=$(cat "$dir/port")
    "$bin/psql" -h 127.0.0.1 -p "$port" -U safety -d postgres -qc "CREATE DATABASE \"$name\"" >/dev/null
    echo "postgres://safety@127.0.0.1:$port/$name?sslmode=disable"
    ;;
stop)
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
*) echo "unknown command $cmd" >&2; exit 1 ;;
esac
