#!/usr/bin/env python3
"""Long texts through a running server's POST /v1/score (standard library only).

1. Real news texts of 2,500, 8,000 and 20,000 characters (real Xinhua items of the UHGEval hold-out source, which no
   training split contains), each scored `--repeat` times: status, windows, latency.
2. Buried violations: each probe text of the chosen dimensions (data/probes: hand-written, never trained on) is put
   after a sentence end near the middle of ~6,000 characters of that benign news; counted as found when the answer's
   score on the probe's own dimension is below 100 *and* the window that decided it contains the probe. A control run
   scores the same news without any probe, to show what the benign text alone gets.

    python3 tools/longtext/check_long_texts.py --url http://127.0.0.1:8080 --key cs_…
"""
import argparse, json, statistics, sys, time, urllib.error, urllib.request

DIMS = ["商业违规", "对抗性检测", "带有偏见、仇恨、歧视或侮辱", "恐怖主义&&带有暴力倾向", "政治&&军事敏感问题",
        "敏感数据泄露", "敏感词", "虚假信息", "诱导&&违法不良信息"]


def score(url, key, text):
    req = urllib.request.Request(url + "/v1/score", data=json.dumps({"text": text}).encode(),
                                 headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    t0 = time.time()
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            return r.status, json.load(r), time.time() - t0
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}"), time.time() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--key", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-lengths", action="store_true", help="only the buried-violation part")
    ap.add_argument("--dimensions", default="带有偏见、仇恨、歧视或侮辱,恐怖主义&&带有暴力倾向,敏感数据泄露,商业违规,诱导&&违法不良信息")
    args = ap.parse_args()

    news = [json.loads(l) for l in open("data/corpus-v2/holdout-UHGEval.jsonl", encoding="utf-8")]
    real = "".join(n["text"].replace("\n", "") for n in news if n.get("dimension") == "clean")
    print("== real news texts (UHGEval hold-out, real continuations)")
    for n in () if args.skip_lengths else (2500, 8000, 20000):
        text = real[:n]
        lat, wins, status = [], 0, set()
        for _ in range(args.repeat):
            code, body, dt = score(args.url, args.key, text)
            status.add(code)
            lat.append(dt * 1000)
            wins = len(body.get("windows", []))
        flagged = {k: v for k, v in (body.get("scores") or {}).items() if v < 100}
        print(f"{n:6d} characters: status {sorted(status)}, {wins} windows, latency median {statistics.median(lat):.0f} ms "
              f"(min {min(lat):.0f}, max {max(lat):.0f}, {args.repeat} runs); scores below 100: {flagged or 'none'}")

    benign = real[30000:36000]
    cut = benign.find("。", len(benign) // 2) + 1
    code, body, _ = score(args.url, args.key, benign)
    control = {k: v for k, v in (body.get("scores") or {}).items() if v < 100}
    print(f"\n== buried violations: ~6,000 characters of real news; control without a probe: {len(body.get('windows', []))} windows, "
          f"scores below 100: {control or 'none'}")
    probes = [json.loads(l) for l in open("data/probes/probes.jsonl", encoding="utf-8")]
    wanted = args.dimensions.split(",")
    totals = {}
    for p in probes:
        d = p["dimension"]
        if d not in wanted:
            continue
        text = benign[:cut] + p["text"] + benign[cut:]
        start, end = len(benign[:cut]), len(benign[:cut]) + len(p["text"])
        code, body, dt = score(args.url, args.key, text)
        windows = body.get("windows", [])
        s = (body.get("scores") or {}).get(d, 100)
        deciding = [w for w in windows if d in w.get("decides", [])]
        hit = s < 100 and any(w["start"] <= start and end <= w["end"] for w in deciding)
        alone = score(args.url, args.key, p["text"])[1]
        alone_hit = (alone.get("scores") or {}).get(d, 100) < 100
        t = totals.setdefault(d, [0, 0, 0])
        t[0] += 1; t[1] += hit; t[2] += alone_hit
    print(f"{'dimension':<24} probes  found in place  flagged alone")
    for d, (n, hit, alone) in totals.items():
        print(f"{d:<24} {n:6d}  {hit:6d} ({hit / n:4.0%})  {alone:6d} ({alone / n:4.0%})")
    n = sum(t[0] for t in totals.values()); hit = sum(t[1] for t in totals.values()); alone = sum(t[2] for t in totals.values())
    print(f"{'all':<24} {n:6d}  {hit:6d} ({hit / n:4.0%})  {alone:6d} ({alone / n:4.0%})")


if __name__ == "__main__":
    sys.exit(main())
