#!/usr/bin/env bash
# Replica crash test: two replicas (release binary) on one PostgreSQL and one adapters folder, both under load; kill -9
# replica A, keep B serving, restart A, and check that every request either replica answered 200 is in the database
# with its scores. Prints each replica's share and "acknowledged N, found N".
#   scripts/crash-test-replicas.sh            (builds release first; BIN=… to use another binary)
# PostgreSQL: a temporary server of the machine's own installation (scripts/postgres-temp.sh), or DATABASE_URL.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/safety-server}
[ -x "$BIN" ] || swift build -c release --product safety-server
WORK=$(mktemp -d)
chmod 755 "$WORK"  # the temporary PostgreSQL runs as the postgres user under root
PORT_A=${PORT_A:-18091}
PORT_B=${PORT_B:-18092}
KEY="cs_replicatest_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
cleanup() {
    kill -9 $(jobs -p) 2>/dev/null || true
    [ -n "${DATABASE_URL_GIVEN:-}" ] || scripts/postgres-temp.sh stop "$WORK/pg"
    rm -rf "$WORK"
}
trap cleanup EXIT
if [ -n "${DATABASE_URL:-}" ]; then DATABASE_URL_GIVEN=1; URL=$DATABASE_URL; else
    scripts/postgres-temp.sh start "$WORK/pg" >/dev/null
    URL=$(scripts/postgres-temp.sh createdb "$WORK/pg" safety)
fi
echo "database: $URL"

"$BIN" dev random-model --out "$WORK/model" >/dev/null
start_replica() {  # name port
    SAFETY_BOOTSTRAP_ADMIN_KEY="$KEY" "$BIN" serve --port "$2" --model "$WORK/model" --database "$URL" \
        --set adapters_path="$WORK/adapters" --set rate_limit_per_second=100000 --set rate_limit_burst=100000 \
        --set queue_capacity=256 >>"$WORK/server-$1.log" 2>&1 &
    eval "PID_$1=$!"
    for _ in $(seq 1 300); do
        curl -fsS "http://127.0.0.1:$2/readyz" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "replica $1 did not become ready"; cat "$WORK/server-$1.log"; exit 1
}

start_replica A "$PORT_A"
start_replica B "$PORT_B"
for r in A B; do
    port=$([ $r = A ] && echo "$PORT_A" || echo "$PORT_B")
    "$BIN" bench load --url "http://127.0.0.1:$port" --key "$KEY" --concurrency 8 --seconds "${LOAD_SECONDS:-20}" \
        --acked "$WORK/acked-$r.txt" >"$WORK/load-$r.log" 2>&1 &
    eval "LOAD_$r=$!"
done
sleep "${KILL_AFTER:-8}"
kill -9 "$PID_A"
echo "killed replica A (kill -9) after ${KILL_AFTER:-8} s under load; A had acknowledged $(wc -l <"$WORK/acked-A.txt"), B $(wc -l <"$WORK/acked-B.txt") so far"
wait "$LOAD_A" || true
wait "$LOAD_B" || true
echo "replica B's load, through A's kill:"; cat "$WORK/load-B.log"
start_replica A "$PORT_A"
kill -TERM "$PID_A" "$PID_B"; wait "$PID_A" "$PID_B" 2>/dev/null || true
echo "acknowledged by A: $(wc -l <"$WORK/acked-A.txt"), by B: $(wc -l <"$WORK/acked-B.txt")"
cat "$WORK/acked-A.txt" "$WORK/acked-B.txt" >"$WORK/acked.txt"
"$BIN" dev check-acked --database "$URL" --ids "$WORK/acked.txt"
