#!/usr/bin/env bash
# The learning loop's leave-one-domain-out protocol. For each domain the default model never trained on, a fresh
# server (default model, empty database) scores the domain's texts and control texts, reviewers' corrections for part
# of the domain go in through the API, one retrain runs, and the never-corrected texts and the controls are scored
# again. One table at the end (`safety-server demo protocol-table`).
#   DOMAINS: which of ads, flames-bias, flames-harm, political, misinformation (default: the first three; the last two
#            are texts written for the project on dimensions public data leaves empty, data/loop-domains/generated.jsonl)
#   RETRAIN_CONFIG: a retrain configuration JSON (keys of RetrainConfig) for every run; empty = the service's defaults
#   OUT: where the per-domain JSON reports, server logs and databases go (default: a temporary folder, removed)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/safety-server}
[ -x "$BIN" ] || swift build -c release --product safety-server
MODEL=${MODEL:-models/default}
DOMAINS=${DOMAINS:-ads flames-bias flames-harm}
PORT=${PORT:-18090}
OUT=${OUT:-}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
[ -n "$OUT" ] && mkdir -p "$OUT" || OUT="$WORK/out"; mkdir -p "$OUT"
[ -f data/loop-domains/flames.jsonl ] || { echo "data/loop-domains/flames.jsonl is missing (tools/corpus/build_loop_domains.py)"; exit 1; }
# Controls: texts of the test split (never trained on), outside every domain.
CONTROL="$WORK/control.jsonl"
awk 'NR % 20 == 0' data/corpus-v2/test.jsonl >"$CONTROL"
reports=()
for domain in $DOMAINS; do
  case "$domain" in
    ads)          data=data/corpus-v2/holdout-ADDetector4J.jsonl; args="--source ADDetector4J --corrections 500 --eval 500" ;;
    flames-bias)  data=data/loop-domains/flames.jsonl; args="--source flames-bias --corrections 150 --eval 99" ;;
    flames-harm)  data=data/loop-domains/flames.jsonl; args="--source flames-harm --corrections 110 --eval 71" ;;
    political)    data=data/loop-domains/generated.jsonl; args="--source generated-political --corrections 350 --eval 216" ;;
    misinformation) data=data/loop-domains/generated.jsonl; args="--source generated-misinformation --corrections 380 --eval 230" ;;
    *) echo "unknown domain $domain"; exit 1 ;;
  esac
  db="$WORK/$domain"; mkdir -p "$db"
  # The domain's own lines (a file may hold several domains) and the controls, nothing else.
  source_name=$(echo "$args" | sed -n 's/.*--source \([^ ]*\).*/\1/p')
  grep -E "\"source\": ?\"$source_name\"" "$data" | cat - "$CONTROL" >"$db/data.jsonl"
  key="cs_proto_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  extra=()
  [ -n "${RETRAIN_CONFIG:-}" ] && extra+=(--set "retrain_config_path=$RETRAIN_CONFIG")
  SAFETY_BOOTSTRAP_ADMIN_KEY="$key" "$BIN" serve --port "$PORT" --model "$MODEL" --database "$db/db.sqlite" \
      --set adapters_path="$db/adapters" --set retrain_schedule=off --set rate_limit_per_second=100000 \
      --set rate_limit_burst=100000 --set queue_capacity=256 "${extra[@]}" ${SERVE_ARGS:-} >"$OUT/$domain-server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  echo "== $domain"
  # shellcheck disable=SC2086
  "$BIN" demo loop --url "http://127.0.0.1:$PORT" --key "$key" --data "$db/data.jsonl" $args --control 300 \
      --json "$OUT/$domain.json" ${LOOP_ARGS:-} || echo "$domain: the loop did not finish (see $OUT/$domain-server.log)"
  kill "$server"; wait "$server" 2>/dev/null || true
  # The run's database (its run record holds the gate's per-dimension confusions for active and candidate).
  for f in "$db"/db.sqlite*; do [ -f "$f" ] && cp "$f" "$OUT/$domain.${f##*/}"; done
  [ -f "$OUT/$domain.json" ] && reports+=("$domain=$OUT/$domain.json")
done
echo
[ ${#reports[@]} -gt 0 ] && "$BIN" demo protocol-table "${reports[@]}"
