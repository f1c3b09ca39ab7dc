"""Grow a Qwen2 checkpoint in depth without changing what it computes.

Each layer i of the source becomes two layers, 2i and 2i+1: 2i is the layer as it was, 2i+1 a copy of it whose output
projections (`self_attn.o_proj` and `mlp.down_proj`) are zero. A layer whose output projections are zero adds nothing
to the residual stream, so the grown model's logits are the source's exactly; the copies start from weights that
already read the residual stream sensibly, and training moves their output projections away from zero (the same
start LoRA's B = 0 gives an adapter). The embedding, the final norm and the tokenizer are copied unchanged.

Standard library only (safetensors is a JSON header and raw little-endian bytes), so it runs wherever the data builders
run:

    python3 tools/model/grow_depth.py SOURCE_DIR OUT_DIR [FACTOR]
"""
import json
import os
import re
import shutil
import struct
import sys


def read_safetensors(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    meta = header.pop("__metadata__", None)
    tensors = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        tensors[name] = (info["dtype"], info["shape"], data[start:end])
    return meta, tensors


def write_safetensors(path, meta, tensors):
    header, blobs, offset = {}, [], 0
    if meta is not None:
        header["__metadata__"] = meta
    for name in sorted(tensors):
        dtype, shape, blob = tensors[name]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for blob in blobs:
            f.write(blob)
    os.replace(path + ".tmp", path)


def main():
    source, out = sys.argv[1:3]
    factor = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    if factor < 1:
        sys.exit("FACTOR must be at least 1")
    config = json.load(open(os.path.join(source, "config.json")))
    layers = config["num_hidden_layers"]
    meta, tensors = read_safetensors(os.path.join(source, "model.safetensors"))
    pattern = re.compile(r"^model\.layers\.(\d+)\.(.+)$")
    grown = {}
    for name, (dtype, shape, blob) in tensors.items():
        match = pattern.match(name)
        if not match:
            grown[name] = (dtype, shape, blob)
            continue
        index, rest = int(match.group(1)), match.group(2)
        for copy in range(factor):
            silent = copy > 0 and rest in ("self_attn.o_proj.weight", "mlp.down_proj.weight")
            grown[f"model.layers.{index * factor + copy}.{rest}"] = (dtype, shape, bytes(len(blob)) if silent else blob)
    os.makedirs(out, exist_ok=True)
    write_safetensors(os.path.join(out, "model.safetensors"), meta, grown)
    config["num_hidden_layers"] = layers * factor
    if "max_window_layers" in config:
        config["max_window_layers"] = layers * factor
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2, ensure_ascii=False)
    for name in ("tokenizer.json", "tokenizer_config.json", "scoring_prompt.json", "generation_config.json"):
        if os.path.exists(os.path.join(source, name)):
            shutil.copy(os.path.join(source, name), os.path.join(out, name))
    print(f"{layers} layers -> {layers * factor}; {len(tensors)} tensors -> {len(grown)}", file=sys.stderr)


main()
