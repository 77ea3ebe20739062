#!/bin/sh
# A throwaway PostgreSQL for benchmarks and manual tests: a fresh cluster in
# DIR, listening on a unix socket in DIR only (no TCP port), trust
# authentication for the superuser "ggzd", no durability (fsync off).
#
#   tools/throwaway-pg.sh start DIR [DB]   prints the [database] url for ggzd.toml
#   tools/throwaway-pg.sh stop DIR         stops it and removes DIR
#
# As root the cluster runs as "nobody" (PostgreSQL refuses root). Binaries
# come from $PG_BIN, else Debian's PostgreSQL 15.
set -eu
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
dir=${2:-}
db=${3:-bench}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
    echo "usage: $0 start DIR [DB] | stop DIR" >&2
    exit 2
fi
as=""
if [ "$(id -u)" = 0 ]; then
    as="runuser -u nobody --"
fi
case "$cmd" in
start)
    [ -x "$PG_BIN/pg_ctl" ] || { echo "no PostgreSQL in $PG_BIN (install postgresql-15)" >&2; exit 1; }
    [ -e "$dir" ] && { echo "$dir exists; stop it or pick another" >&2; exit 1; }
    mkdir -p "$dir"
    [ -n "$as" ] && chown nobody: "$dir"
    dir=$(cd "$dir" && pwd)
    $as "$PG_BIN/initdb" -D "$dir/data" -U ggzd -A trust -E UTF8 --locale=C --no-sync >/dev/null
    $as "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
        -o "-h '' -k $dir -c fsync=off -c max_connections=200" start >/dev/null
    $as "$PG_BIN/createdb" -h "$dir" -U ggzd "$db"
    echo "host=$dir user=ggzd dbname=$db"
    ;;
stop)
    $as "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start DIR [DB] | stop DIR" >&2
    exit 2
    ;;
esac
