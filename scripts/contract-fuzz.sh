#!/usr/bin/env bash
# Contract fuzz: schemathesis (pinned in tools/contract/requirements.txt, installed into a virtual environment) runs
# every check against a live server on loopback, with the embedded default model and a fresh database, generating
# requests from the server's own public/openapi.yaml. Any failure fails the script (and CI).
# Python is a test tool here only: building, running and unit-testing the project need none.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-.build/debug/safety-server}
VENV=${CONTRACT_VENV:-.build/contract-venv}
[ -x "$BIN" ] || swift build --product safety-server
if [ ! -x "$VENV/bin/st" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r tools/contract/requirements.txt
fi

WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN" serve --model models/default --database "$WORK/db.sqlite" --port 0 --bootstrap-key-file "$WORK/admin.key" \
    --set adapters_path="$WORK/adapters" --set retrain_schedule=off \
    --set rate_limit_per_second=100000 --set rate_limit_burst=100000 >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
PORT=""
for _ in $(seq 1 120); do
    PORT=$(sed -n 's/^safety-server listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/server.log" | head -1)
    [ -n "$PORT" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; echo "the server did not start" >&2; exit 1; }
    sleep 0.5
done
[ -n "$PORT" ] || { cat "$WORK/server.log"; echo "the server did not report its port" >&2; exit 1; }
KEY=$(cat "$WORK/admin.key")

# A text at the schema's limit (20,000 code points) is scored, not refused, in up to about 280 windows: 6–13 s on an
# idle 2-core machine with the default model, more while the other worker's requests share it. schemathesis's default
# of 10 s per request would call that a network error, so the limit here is 120 s.
set +e
"$VENV/bin/st" --config-file tools/contract/schemathesis.toml run public/openapi.yaml --url "http://127.0.0.1:$PORT" \
    --checks all -H "Authorization: Bearer $KEY" --workers 2 --seed "${CONTRACT_SEED:-20261206}" --request-timeout 120 \
    --report junit --report-dir "$WORK/report" "$@" > "$WORK/st.log" 2>&1
STATUS=$?
set -e
# Long generated bodies can be megabytes on one line: show the summary and each failure's first lines only.
cut -c1-400 "$WORK/st.log" | grep -v '^ *curl ' | tail -n 120
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "the server died during the contract fuzz:" >&2; tail -n 40 "$WORK/server.log" >&2; exit 1
fi
exit $STATUS
