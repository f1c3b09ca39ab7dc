#!/usr/bin/env bash
# An adapter trained outside the server comes in: `train sft` trains a LoRA adapter on files (as TRL or any PEFT
# trainer would elsewhere), a fresh server with models/default gets reviewers' labels for its held-out set, the adapter
# is imported (POST /v1/admin/adapters), its eval gate runs (the retrain's own), it is activated (with an override
# reason if the gate refused it), a request names it, and it is rolled back to the base model. Then
# `export trl` writes the retrain data and Hugging Face `datasets` loads it when a Python with `datasets` is given.
#   scripts/import-demo.sh     (builds release first; BIN=… another binary; LINES, LABELS, PY=python-with-datasets)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/safety-server}
[ -x "$BIN" ] || swift build -c release --product safety-server
WORK=${WORK:-$(mktemp -d)}
LINES=${LINES:-300}     # validation lines the adapter is trained on, elsewhere
LABELS=${LABELS:-80}    # test-split texts scored and corrected through the API (about 20% become the held-out set)
SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null || true' EXIT
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {'d': d}))" "$1"; }

echo "== 1. train an adapter outside the server: train sft on $LINES lines of data/corpus-v2/validation.jsonl"
head -n "$LINES" data/corpus-v2/validation.jsonl > "$WORK/labels.jsonl"
T0=$(date +%s)
"$BIN" train sft --model models/default --data "$WORK/labels.jsonl" --out "$WORK/elsewhere/sft-v1" \
    --rank 8 --alpha 16 --epochs 1 --batch-size 8 --learning-rate 2e-4 --warmup 5 --schedule cosine > "$WORK/sft.json" 2> "$WORK/sft.log"
echo "   $(json '"steps %d, loss %.3f -> %.3f" % (d["steps"], d["firstLoss"], d["lastLoss"])' < "$WORK/sft.json") in $(( $(date +%s) - T0 )) s"
ls "$WORK/elsewhere/sft-v1"

echo "== 2. serve models/default"
"$BIN" serve --model models/default --database "$WORK/db.sqlite" --port 0 --bootstrap-key-file "$WORK/admin.key" \
    --set adapters_path="$WORK/adapters" --set retrain_schedule=off \
    --set rate_limit_per_second=1000 --set rate_limit_burst=1000 > "$WORK/server.log" 2>&1 &
SERVER=$!
PORT=""
for _ in $(seq 1 240); do
    PORT=$(sed -n 's/^safety-server listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/server.log" | head -1)
    [ -n "$PORT" ] && break
    sleep 0.5
done
[ -n "$PORT" ] || { cat "$WORK/server.log"; exit 1; }
URL="http://127.0.0.1:$PORT"; KEY=$(cat "$WORK/admin.key"); AUTH="Authorization: Bearer $KEY"
post() { curl -s -X POST "$URL$1" -H "$AUTH" -H 'Content-Type: application/json' ${2:+-d "$2"}; }

echo "== 3. reviewers label $LABELS texts of the test split through the API (the gate's held-out set)"
python3 - "$URL" "$KEY" "$LABELS" <<'PY'
import json, sys, urllib.request
url, key, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def call(path, body):
    req = urllib.request.Request(url + path, json.dumps(body, ensure_ascii=False).encode(), method="POST",
                                 headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))
lines = [json.loads(l) for l in open("data/corpus-v2/test.jsonl", encoding="utf-8")][:n]
for l in lines:
    r = call("/v1/score", {"text": l["text"]})
    call(f"/v1/requests/{r['id']}/corrections", {"scores": l["scores"], "reasoning": l.get("reasoning") or None})
print(f"   {len(lines)} texts scored and corrected")
PY

echo "== 4. import it"
echo "   \$ curl -X POST $URL/v1/admin/adapters -d '{\"path\": \"$WORK/elsewhere/sft-v1\", \"label\": \"train sft elsewhere\"}'"
IMPORT=$(post /v1/admin/adapters "{\"path\": \"$WORK/elsewhere/sft-v1\", \"label\": \"train sft elsewhere\"}")
ID=$(echo "$IMPORT" | json 'd["id"]')
echo "   $(echo "$IMPORT" | json '"id %s, origin %s, gate %s" % (d["id"], d["origin"], d["gate_state"])')"
AGAIN=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/v1/admin/adapters" -H "$AUTH" -H 'Content-Type: application/json' \
    -d "{\"path\": \"$WORK/elsewhere/sft-v1\", \"label\": \"again\"}")
echo "   the same folder again: HTTP $AGAIN (the registered adapter)"

echo "== 5. its gate (the retrain's own: held-out corrections and the control set, against the base model)"
T0=$(date +%s)
for _ in $(seq 1 1200); do
    STATE=$(curl -s "$URL/v1/admin/adapters/$ID" -H "$AUTH" | json 'd["gate_state"]')
    [ "$STATE" = pending ] || [ "$STATE" = evaluating ] || break
    sleep 1
done
curl -s "$URL/v1/admin/adapters/$ID" -H "$AUTH" > "$WORK/adapter.json"
echo "   gate $STATE after $(( $(date +%s) - T0 )) s: $(json 'd.get("gate_detail")' < "$WORK/adapter.json")"
json '"   held-out MAE: base %.2f, adapter %.2f; control MAE: base %.2f, adapter %.2f (%d items)" % (d["eval"]["active"]["overall_mae"], d["eval"]["candidate"]["overall_mae"], d["eval"]["control"]["active"]["overall_mae"], d["eval"]["control"]["candidate"]["overall_mae"], d["eval"]["control"]["items"])' < "$WORK/adapter.json"

echo "== 6. activate it"
if [ "$STATE" = passed ]; then
    echo "   \$ curl -X POST $URL/v1/admin/adapters/$ID/activate"
    post "/v1/admin/adapters/$ID/activate" | json '"   serving " + d["serving"]'
else
    echo "   without a reason: $(post "/v1/admin/adapters/$ID/activate" | json 'd["error"]["code"]')"
    echo "   \$ curl -X POST $URL/v1/admin/adapters/$ID/activate -d '{\"override_reason\": \"demonstration: serve it despite the gate\"}'"
    post "/v1/admin/adapters/$ID/activate" '{"override_reason": "demonstration: serve it despite the gate"}' \
        | json '"   serving %s (override: %s)" % (d["serving"], d["active"].get("override_reason"))'
fi
post /v1/score '{"text": "周末我们一家人去公园野餐，孩子们玩得很开心。"}' | json '"   a request is answered by " + str(d["model"])'

echo "== 7. roll back to the base model"
post /v1/admin/adapters/base/activate | json '"   serving " + d["serving"]'
post /v1/score '{"text": "周末我们一家人去公园野餐，孩子们玩得很开心。"}' | json '"   a request is answered by " + str(d["model"])'
curl -s "$URL/v1/admin/audit?limit=20" -H "$AUTH" | json '"   audit: " + ", ".join("%s %s" % (e["action"], e.get("target") or "") for e in reversed(d["items"]) if e["action"].startswith("adapter"))'

echo "== 8. export the retrain data for TRL"
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
"$BIN" export trl --database "$WORK/db.sqlite" --model models/default --out "$WORK/export"
if [ -n "${PY:-}" ]; then
    "$PY" - "$WORK/export" <<'PY'
import sys
from datasets import load_dataset
d = sys.argv[1]
ds = load_dataset("json", data_files={s: f"{d}/{s}.jsonl" for s in ("train", "grpo", "held_out", "control")})
print("   datasets:", {k: v.num_rows for k, v in ds.items()}, "columns:", ds["train"].column_names)
PY
fi
echo "files in $WORK"
