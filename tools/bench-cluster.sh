#!/bin/sh
# The cluster benchmarks of BENCHMARKS.md ("Cluster", issue 14 §4) on one
# machine: a throwaway PostgreSQL (tools/throwaway-pg.sh), N ggzd nodes
# configured by `ggzd-bench write-config` plus [database] and [cluster],
# linked with each other, then one ggzd-bench run spread over them
# (`-s` and `--pid` once per node). Everything it started is stopped and
# its directory removed when it ends, however it ends.
#
#   tools/bench-cluster.sh                     the whole set, fresh nodes per run
#   tools/bench-cluster.sh chat --clients 3000 --senders 30 --messages 300 --rate 10 --window 64
#                                              one ggzd-bench scenario
#
# Environment: NODES (default 3), BIN (default target/release: ggzd,
# ggzd-bench, and ggzd-tictactoe for tables), WORK (default a new
# /tmp/bench-cluster.XXXXXX, removed at the end), RUNS (runs per measure of the whole set,
# default 1), JSON=1 for ggzd-bench --json, PACING_MS=N for the nodes'
# [fanout] pacing_ms (unset: ggzd's default). Run it from the source tree
# after `cargo build --release -p ggzd -p ggzd-tools -p tictactoe`; as
# root the database runs as "nobody" (throwaway-pg.sh).
set -eu
cd "$(dirname "$0")/.."
NODES=${NODES:-3}
BIN=${BIN:-target/release}
RUNS=${RUNS:-1}
B="$BIN/ggzd-bench"
for exe in "$BIN/ggzd" "$B"; do
    [ -x "$exe" ] || { echo "no $exe: cargo build --release -p ggzd -p ggzd-tools -p tictactoe" >&2; exit 1; }
done
[ "$NODES" -ge 1 ] 2>/dev/null || { echo "NODES must be a number >= 1" >&2; exit 2; }

# A WORK given is kept (only what this script put there goes); the
# default one is removed.
OWN_WORK=0
if [ -z "${WORK:-}" ]; then
    WORK=$(mktemp -d /tmp/bench-cluster.XXXXXX)
    OWN_WORK=1
fi
mkdir -p "$WORK"
# The database may run as another user (nobody, as root): it must reach pg/.
chmod 755 "$WORK"
PIDS=""
PG=""

stop_nodes() {
    for pid in $PIDS; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in $PIDS; do
        # ggzd ends its tables and workers on SIGTERM; a stuck one is killed.
        n=0
        while kill -0 "$pid" 2>/dev/null && [ $n -lt 100 ]; do
            sleep 0.1
            n=$((n + 1))
        done
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=""
    if [ -n "$PG" ]; then
        tools/throwaway-pg.sh stop "$PG" || true
        PG=""
    fi
}

cleanup() {
    stop_nodes
    if [ "$OWN_WORK" = 1 ]; then
        rm -rf "$WORK"
    else
        i=1
        while [ $i -le "$NODES" ]; do
            rm -rf "$WORK/n$i"
            i=$((i + 1))
        done
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# log_wait FILE PATTERN COUNT: waits (30 s at most) for COUNT lines.
log_wait() {
    n=0
    while :; do
        # The file may not exist yet: the node's shell opens it.
        seen=$(grep -c -- "$2" "$1" 2>/dev/null || true)
        [ "${seen:-0}" -ge "$3" ] && return 0
        n=$((n + 1))
        if [ $n -gt 300 ]; then
            echo "timed out waiting for '$2' in $1:" >&2
            tail -20 "$1" >&2
            return 1
        fi
        sleep 0.1
    done
}

# start_zone: fresh database, NODES fresh nodes, all linked; sets S and P.
start_zone() {
    PG="$WORK/pg"
    url=$(tools/throwaway-pg.sh start "$PG" bench) || return 1
    S=""
    P=""
    i=1
    while [ $i -le "$NODES" ]; do
        dir="$WORK/n$i"
        rm -rf "$dir"
        "$B" write-config --dir "$dir" --source . >/dev/null || return 1
        printf '\n[database]\nbackend = "postgres"\nurl = "%s"\n\n[cluster]\nnode = "n%s"\nlisten = "127.0.0.1:0"\n' \
            "$url" "$i" >> "$dir/ggzd.toml"
        if [ -n "${PACING_MS:-}" ]; then
            printf '\n[fanout]\npacing_ms = %s\n' "$PACING_MS" >> "$dir/ggzd.toml"
        fi
        "$BIN/ggzd" -F -f "$dir/ggzd.toml" 2> "$dir/ggzd.log" &
        PIDS="$PIDS $!"
        P="${P:+$P,}$!"
        log_wait "$dir/ggzd.log" "listening on" 1 || return 1
        port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$dir/ggzd.log" | head -1 | sed 's/.*://')
        S="$S -s 127.0.0.1:$port"
        i=$((i + 1))
    done
    i=1
    while [ $i -le "$NODES" ]; do
        log_wait "$WORK/n$i/ggzd.log" "cluster: link to .* is up" $((NODES - 1)) || return 1
        i=$((i + 1))
    done
}

# bench ARGS...: one ggzd-bench run on a fresh zone.
bench() {
    # Called in `||` lists, where `set -e` does not apply: failures return.
    start_zone || { stop_nodes; return 1; }
    echo "== $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg), $NODES nodes (pids $P): ggzd-bench $*"
    status=0
    # shellcheck disable=SC2086
    "$B" $S --pid "$P" ${JSON:+--json} "$@" || status=$?
    stop_nodes
    return $status
}

if [ $# -gt 0 ]; then
    bench "$@"
    exit $?
fi

# The whole set of issue 14 §4. One 3,000-player room over the nodes:
# 30 senders at R chats/s each deliver 30 * R * 3,000 per second
# (--rate 11.1 is about 1M deliveries/s).
failed=0
r=1
while [ $r -le "$RUNS" ]; do
    for rate in 1 3 5 11.1; do
        bench chat --clients 3000 --senders 30 --messages "$(awk "BEGIN{print int($rate*8)}")" \
            --rate "$rate" --window 64 || failed=1
    done
    bench chat --clients 3000 --senders 30 --messages 100 --window 8 || failed=1
    bench logins --count 5000 --concurrency 50 || failed=1
    bench logins --registered --count 200 --accounts 50 --concurrency 8 || failed=1
    bench tables --pairs 4 --secs 5 --same-node || failed=1
    bench tables --pairs 4 --secs 5 --cross-node || failed=1
    r=$((r + 1))
done
exit $failed
