#!/usr/bin/env bash
# Crash test for the learning loop: a first retrain goes live; a second is killed (kill -9) in the middle of SFT while
# requests keep arriving. After a restart the killed run must be marked failed, the first run's adapter must still be
# the one serving, and every request that got a 200 must be in the database.
#   scripts/crash-test-retrain.sh     (MODEL=… to use another model folder; BIN=… another binary)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/safety-server}
[ -x "$BIN" ] || swift build -c release --product safety-server
MODEL=${MODEL:-models/default}
WORK=$(mktemp -d)
PORT=${PORT:-18090}
URL="http://127.0.0.1:$PORT"
KEY="cs_crashtest_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
# Small runs: a few SFT epochs over the corrections, one GRPO step; the second run's SFT is long enough to be killed in.
echo '{"rejection_prompts": 8, "sft_epochs": 2, "grpo_steps": 1, "min_held_out": 1, "gate": {"minMAEImprovement": -1000, "dimensionTolerance": 1000, "formatValidityTolerance": 1}}' >"$WORK/first.json"
echo '{"rejection_prompts": 0, "sft_epochs": 200, "grpo_steps": 0, "min_held_out": 1}' >"$WORK/second.json"

start_server() {
    SAFETY_BOOTSTRAP_ADMIN_KEY="$KEY" "$BIN" serve --port "$PORT" --model "$MODEL" --database "$WORK/db.sqlite" \
        --set adapters_path="$WORK/adapters" --set retrain_schedule=off --set retrain_config_path="$1" \
        --set rate_limit_per_second=100000 --set rate_limit_burst=100000 --set queue_capacity=256 >>"$WORK/server.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 1 300); do
        curl -fsS "$URL/readyz" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "server did not become ready"; cat "$WORK/server.log"; exit 1
}
run_field() { curl -fsS -H "Authorization: Bearer $KEY" "$URL/v1/admin/runs/$1" | grep -o "\"$2\":\"[^\"]*\"" | head -1 | cut -d'"' -f4; }
serving() { curl -fsS -H "Authorization: Bearer $KEY" "$URL/v1/admin/stats" | grep -o '"adapter":"[^"]*"' | tail -1 | cut -d'"' -f4; }

start_server "$WORK/first.json"
FIRST=$("$BIN" demo correct --url "$URL" --key "$KEY" --count 40 --retrain)
for _ in $(seq 1 900); do
    state=$(run_field "$FIRST" state); [ "$state" = queued ] || [ "$state" = running ] || break; sleep 1
done
echo "first run $FIRST: $(run_field "$FIRST" state); serving adapter: $(serving)"
LIVE=$(serving)
[ -n "$LIVE" ] || { echo "FAIL: the first run did not activate an adapter"; exit 1; }
kill -TERM "$SERVER"; wait "$SERVER" 2>/dev/null || true

start_server "$WORK/second.json"
SECOND=$("$BIN" demo correct --url "$URL" --key "$KEY" --offset 40 --count 40 --retrain)
for _ in $(seq 1 600); do [ "$(run_field "$SECOND" phase)" = sft ] && break; sleep 0.5; done
"$BIN" bench load --url "$URL" --key "$KEY" --concurrency 8 --seconds 20 --acked "$WORK/acked.txt" >"$WORK/load.log" 2>&1 &
LOAD=$!
sleep "${KILL_AFTER:-6}"
echo "second run $SECOND in phase $(run_field "$SECOND" phase); kill -9 under load ($(wc -l <"$WORK/acked.txt") requests acknowledged so far)"
kill -9 "$SERVER"
wait "$LOAD" || true

start_server "$WORK/second.json"
STATE=$(run_field "$SECOND" state); NOW=$(serving)
echo "after restart: run $SECOND is $STATE ($(run_field "$SECOND" error)); serving adapter: $NOW (before: $LIVE)"
kill -TERM "$SERVER"; wait "$SERVER" 2>/dev/null || true
"$BIN" dev check-acked --database "$WORK/db.sqlite" --ids "$WORK/acked.txt"
[ "$STATE" = failed ] && [ "$NOW" = "$LIVE" ] && echo "PASS: the killed run is failed, the live adapter is unchanged, no acknowledged request lost"
