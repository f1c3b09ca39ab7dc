#!/usr/bin/env bash
# Load benchmark: a server on loopback — MODEL=DIR (e.g. models/default), or by default a tiny random model over the
# real Qwen2 vocabulary (grammar-enforced answers, a worst case for the plumbing) — then POST /v1/score at concurrency
# 1, 8 and 64 with the project's load client; then the storage path alone.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/safety-server}
[ -x "$BIN" ] || swift build -c release --product safety-server
WORK=$(mktemp -d)
PORT=${PORT:-18088}
KEY="cs_loadtest_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
if [ -n "${MODEL:-}" ]; then MODEL_DIR=$MODEL; else "$BIN" dev random-model --out "$WORK/model" >/dev/null; MODEL_DIR=$WORK/model; fi
SAFETY_BOOTSTRAP_ADMIN_KEY="$KEY" "$BIN" serve --port "$PORT" --model "$MODEL_DIR" --database "$WORK/db.sqlite" \
    --set rate_limit_per_second=100000 --set rate_limit_burst=100000 --set queue_capacity=256 ${SERVE_ARGS:-} >"$WORK/server.log" 2>&1 &
for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
"$BIN" bench load --url "http://127.0.0.1:$PORT" --key "$KEY" --concurrency "${CONCURRENCY:-1,8,64}" --seconds "${SECONDS_PER_LEVEL:-20}"
if [ -z "${SKIP_STORAGE:-}" ]; then echo; "$BIN" bench storage --rows "${ROWS:-20000}"; fi
