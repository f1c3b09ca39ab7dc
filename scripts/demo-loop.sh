#!/usr/bin/env bash
# The learning loop end to end: a server with the default model on a fresh database, then `safety-server demo loop`
# scores a domain the model handles badly, submits reviewer corrections through the API, triggers a retrain, waits
# for the swap and prints MAE before/after on the domain's texts that were never corrected. Then `demo swap` swaps
# adapters and rolls back under load. DOMAIN_ARGS picks the domain (default: jade-db texts of the held-out splits).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/safety-server}
[ -x "$BIN" ] || swift build -c release --product safety-server
MODEL=${MODEL:-models/default}
WORK=$(mktemp -d)
PORT=${PORT:-18089}
KEY="cs_demo_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
SAFETY_BOOTSTRAP_ADMIN_KEY="$KEY" "$BIN" serve --port "$PORT" --model "$MODEL" --database "$WORK/db.sqlite" \
    --set adapters_path="$WORK/adapters" --set retrain_schedule=off --set rate_limit_per_second=100000 \
    --set rate_limit_burst=100000 --set queue_capacity=256 ${SERVE_ARGS:-} >"$WORK/server.log" 2>&1 &
for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
# The default model never trained on the validation and test splits: the domain's texts come from there.
cat data/corpus/validation.jsonl data/corpus/test.jsonl >"$WORK/held-out.jsonl"
"$BIN" demo loop --url "http://127.0.0.1:$PORT" --key "$KEY" --data "$WORK/held-out.jsonl" ${DOMAIN_ARGS:---source jade-db} ${LOOP_ARGS:---corrections 300 --eval 300 --control 300}
echo
"$BIN" demo swap --url "http://127.0.0.1:$PORT" --key "$KEY" --concurrency 8 --swaps 4
