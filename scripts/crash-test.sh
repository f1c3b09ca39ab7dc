#!/usr/bin/env bash
# Crash test: under load, kill -9 the server, restart it, and check that every request that got a 200 is in the
# database with its scores. Prints "acknowledged N, found N".
#   scripts/crash-test.sh            (builds release first; BIN=… to use another binary)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/safety-server}
[ -x "$BIN" ] || swift build -c release --product safety-server
WORK=$(mktemp -d)
PORT=${PORT:-18087}
KEY="cs_crashtest_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

"$BIN" dev random-model --out "$WORK/model" >/dev/null
start_server() {
    SAFETY_BOOTSTRAP_ADMIN_KEY="$KEY" "$BIN" serve --port "$PORT" --model "$WORK/model" --database "$WORK/db.sqlite" \
        --set rate_limit_per_second=100000 --set rate_limit_burst=100000 --set queue_capacity=256 >>"$WORK/server.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 1 300); do
        curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "server did not become ready"; cat "$WORK/server.log"; exit 1
}

start_server
"$BIN" bench load --url "http://127.0.0.1:$PORT" --key "$KEY" --concurrency 16 --seconds "${LOAD_SECONDS:-20}" \
    --acked "$WORK/acked.txt" >"$WORK/load.log" 2>&1 &
LOAD=$!
sleep "${KILL_AFTER:-8}"
kill -9 "$SERVER"
echo "killed the server (kill -9) after ${KILL_AFTER:-8} s under load; $(wc -l <"$WORK/acked.txt") requests acknowledged so far"
wait "$LOAD" || true
start_server
kill -TERM "$SERVER"; wait "$SERVER" 2>/dev/null || true
"$BIN" dev check-acked --database "$WORK/db.sqlite" --ids "$WORK/acked.txt"
