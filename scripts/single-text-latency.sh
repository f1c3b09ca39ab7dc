#!/usr/bin/env bash
# Latency of one 100-character text: a server with MODEL (default models/default) on loopback, REQUESTS sequential
# POST /v1/score requests of the same review text (the first 5 not counted), p50/min/max printed.
#   MODEL=DIR REQUESTS=45 bash scripts/single-text-latency.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/safety-server}
[ -x "$BIN" ] || swift build -c release --product safety-server
MODEL=${MODEL:-models/default}
PORT=${PORT:-18112}
WORK=$(mktemp -d)
KEY="cs_latency_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
SAFETY_BOOTSTRAP_ADMIN_KEY="$KEY" "$BIN" serve --port "$PORT" --model "$MODEL" --database "$WORK/db.sqlite" >"$WORK/server.log" 2>&1 &
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
TEXT="这家店的服务态度非常好，菜品也很新鲜，价格公道，环境干净整洁，适合家庭聚餐和朋友小聚。周末人比较多，建议提前预约。停车方便，附近还有地铁站，交通便利。下次还会再来，推荐给大家，服务员热情周到，值得点赞"
python3 - "$PORT" "$KEY" "$TEXT" "${REQUESTS:-45}" <<'PY'
import json, statistics, sys, time, urllib.request
port, key, text, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
body = json.dumps({"text": text}).encode()
ms = []
for _ in range(n):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/score", data=body,
                                 headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    t0 = time.perf_counter()
    urllib.request.urlopen(req).read()
    ms.append((time.perf_counter() - t0) * 1000)
ms = ms[5:]
print(f"{len(text)} characters, {len(ms)} requests: p50 {statistics.median(ms):.1f} ms, min {min(ms):.1f}, max {max(ms):.1f}")
PY
