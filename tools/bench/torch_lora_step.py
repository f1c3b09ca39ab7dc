"""Reference timing for `safety-server bench train`: one LoRA training step (forward + backward + AdamW) with
PyTorch + PEFT on this CPU, at Qwen2.5-0.5B-Instruct's configuration with random weights, batch 4 x 640 tokens,
r = 16 on q,k,v,o,gate,up,down. Run with the fixture venv:

    tools/fixtures/.venv/bin/python tools/bench/torch_lora_step.py [--dtype float32|bfloat16] [--threads 2]
"""
import argparse, resource, time

import torch
from peft import LoraConfig, get_peft_model
from transformers import Qwen2Config, Qwen2ForCausalLM

p = argparse.ArgumentParser()
p.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
p.add_argument("--threads", type=int, default=2)
p.add_argument("--steps", type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
cfg = Qwen2Config(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                  num_attention_heads=14, num_key_value_heads=2, rms_norm_eps=1e-6, rope_theta=1e6,
                  max_position_embeddings=32768, tie_word_embeddings=True)
dtype = getattr(torch, a.dtype)
model = Qwen2ForCausalLM(cfg).to(dtype)
model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, target_modules=["q_proj", "k_proj", "v_proj", "o_proj",
                                                                               "gate_proj", "up_proj", "down_proj"]))
model.train()
opt = torch.optim.AdamW([q for q in model.parameters() if q.requires_grad], lr=1e-4)
ids = torch.randint(0, 151936, (4, 640))
labels = ids.clone()
labels[:, :1] = -100

def step():
    t0 = time.perf_counter()
    out = model(input_ids=ids, labels=labels)
    out.loss.backward()
    opt.step()
    opt.zero_grad(set_to_none=True)
    return time.perf_counter() - t0, out.loss.item()

print(f"torch {torch.__version__} ({torch.backends.mkldnn.is_available() and 'oneDNN' or 'no oneDNN'}), threads {a.threads}, {a.dtype}")
w, loss = step()
print(f"warm-up step: {w:.2f} s, loss {loss:.4f}")
for _ in range(a.steps):
    s, loss = step()
    print(f"timed step: {s:.2f} s/step, {4 * 640 / s:.1f} tokens/s, loss {loss:.4f}")
print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
