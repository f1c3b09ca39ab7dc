"""Weight-space interpolation of two checkpoints of one architecture (WiSE-FT, Wortsman et al. 2022, "Robust
fine-tuning of zero-shot models"): every tensor becomes (1 - alpha) * A + alpha * B, computed in float32 and stored in
A's dtype (bfloat16 rounded to nearest even). A fine-tuned model B and the model A it started from can be mixed so
that B's gains on its own data are kept in part while A's behaviour on text unlike B's data comes back.

    python3 tools/model/interpolate.py A_DIR B_DIR ALPHA OUT_DIR

A_DIR and B_DIR are model folders (config.json, model.safetensors, tokenizer and scoring_prompt.json); their configs
must be equal and their tensors must have the same names, shapes and dtypes. OUT_DIR gets A's other files. Needs
numpy.
"""
import json
import os
import shutil
import struct
import sys

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", None)
    return header, meta, data


def to_f32(raw, dtype):
    if dtype == "F32":
        return np.frombuffer(raw, dtype="<f4").astype(np.float32)
    if dtype == "BF16":
        return (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
    sys.exit(f"unsupported dtype {dtype}")


def from_f32(x, dtype):
    if dtype == "F32":
        return x.astype("<f4").tobytes()
    u = x.astype(np.float32).view(np.uint32)
    nan = np.isnan(x)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")
    rounded[nan] = 0x7FC0
    return rounded.tobytes()


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    a_dir, b_dir, alpha, out_dir = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    if not 0.0 <= alpha <= 1.0:
        sys.exit("ALPHA must be in [0, 1]")
    with open(os.path.join(a_dir, "config.json")) as f:
        ca = json.load(f)
    with open(os.path.join(b_dir, "config.json")) as f:
        cb = json.load(f)
    if ca != cb:
        sys.exit("the two configs differ")
    ha, meta, da = read_safetensors(os.path.join(a_dir, "model.safetensors"))
    hb, _, db = read_safetensors(os.path.join(b_dir, "model.safetensors"))
    if sorted(ha) != sorted(hb):
        sys.exit("the two checkpoints hold different tensors")
    out_header, chunks, offset = {}, [], 0
    for name in sorted(ha, key=lambda k: ha[k]["data_offsets"][0]):
        ta, tb = ha[name], hb[name]
        if ta["dtype"] != tb["dtype"] or ta["shape"] != tb["shape"]:
            sys.exit(f"{name}: dtype or shape differs")
        xa = to_f32(da[ta["data_offsets"][0]:ta["data_offsets"][1]], ta["dtype"])
        xb = to_f32(db[tb["data_offsets"][0]:tb["data_offsets"][1]], tb["dtype"])
        raw = from_f32((1.0 - alpha) * xa + alpha * xb, ta["dtype"])
        out_header[name] = {"dtype": ta["dtype"], "shape": ta["shape"], "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if meta is not None:
        out_header["__metadata__"] = meta
    os.makedirs(out_dir, exist_ok=True)
    for f in os.listdir(a_dir):
        if f != "model.safetensors" and os.path.isfile(os.path.join(a_dir, f)) and not f.startswith("sft_") \
                and not f.startswith("train_log"):
            shutil.copy(os.path.join(a_dir, f), os.path.join(out_dir, f))
    blob = json.dumps(out_header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)
    tmp = os.path.join(out_dir, "model.safetensors.part")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(blob)))
        f.write(blob)
        for c in chunks:
            f.write(c)
    os.replace(tmp, os.path.join(out_dir, "model.safetensors"))
    print(f"{out_dir}: (1 - {alpha}) * {a_dir} + {alpha} * {b_dir}, {len(chunks)} tensors")


if __name__ == "__main__":
    main()
