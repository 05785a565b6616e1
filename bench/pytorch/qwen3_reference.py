#!/usr/bin/env python3
"""PyTorch reference for Dsdr's Qwen3 policy (src/Dsdr.Learning/Model/Qwen3ForCausalLM.cs).

Written after Hugging Face's modeling_qwen3 (Qwen3Attention: per-head RMSNorm q_norm/k_norm on q and k before
rotary positions, explicit head_dim, projections biased by attention_bias; float32 RMSNorm; rotate_half RoPE over
head_dim; repeat_kv; tied or untied head), independently of the C# model. Debian's python3-torch 1.13: no
scaled_dot_product_attention, so attention is spelled out; no transformers package.

  qwen3_reference.py fixture DIR '<json>'   write a seeded random checkpoint into DIR with this script's own
        safetensors writer ({"seed", "tied", "shards", "dtype": "f32"|"bf16"|"f16", "attention_bias"}), then
        DIR/expected.json: per-token log-probs of a left-padded batch and greedy continuations (full recompute each
        step, no cache) with their log-probs, computed from the weights as stored (bf16/f16 rounded, in float32).
  qwen3_reference.py bench '<json>'         time training steps with and without micro-batching (see bench()).
"""
import json
import math
import os
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


# Unchanged from Qwen2 in Hugging Face's modular Qwen3: the float32 RMSNorm, rotate_half, repeat_kv and the SwiGLU MLP.
from qwen2_reference import MLP, RMSNorm, repeat_kv, rotate_half  # noqa: E402


def head_dim_of(c):
    return c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = c["num_attention_heads"], c["num_key_value_heads"], head_dim_of(c)
        d, bias = c["hidden_size"], c.get("attention_bias", False)
        self.q_proj = nn.Linear(d, self.heads * self.head_dim, bias=bias)
        self.k_proj = nn.Linear(d, self.kv_heads * self.head_dim, bias=bias)
        self.v_proj = nn.Linear(d, self.kv_heads * self.head_dim, bias=bias)
        self.o_proj = nn.Linear(self.heads * self.head_dim, d, bias=bias)
        self.q_norm = RMSNorm(self.head_dim, c["rms_norm_eps"])
        self.k_norm = RMSNorm(self.head_dim, c["rms_norm_eps"])

    def forward(self, x, cos, sin, bias):
        b, t, _ = x.shape
        q = self.q_norm(self.q_proj(x).view(b, t, -1, self.head_dim)).transpose(1, 2)
        k = self.k_norm(self.k_proj(x).view(b, t, -1, self.head_dim)).transpose(1, 2)
        v = self.v_proj(x).view(b, t, -1, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = repeat_kv(k, self.heads // self.kv_heads)
        v = repeat_kv(v, self.heads // self.kv_heads)
        scores = torch.matmul(q, k.transpose(2, 3)) * self.head_dim ** -0.5
        if bias is not None:
            scores = scores + bias
        probs = F.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
        out = torch.matmul(probs, v).transpose(1, 2).reshape(b, t, -1)
        return self.o_proj(out)


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn = Attention(c)
        self.mlp = MLP(c)
        self.input_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])

    def forward(self, x, cos, sin, bias):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, bias)
        return x + self.mlp(self.post_attention_layernorm(x))


class Decoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])


class Qwen3ForCausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.model = Decoder(c)
        self.tied = c.get("tie_word_embeddings", False)
        if not self.tied:
            self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        dim = head_dim_of(c)
        self.inv_freq = 1.0 / (c.get("rope_theta", 10000.0) ** (torch.arange(0, dim, 2).float() / dim))
        self.checkpointing = False

    def forward(self, ids, mask=None):
        b, t = ids.shape
        positions = (mask.long().cumsum(-1) - 1).clamp(min=0) if mask is not None else torch.arange(t).expand(b, t)
        freqs = positions.float()[..., None] * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[:, None], emb.sin()[:, None]
        allowed = torch.arange(t)[None, :] <= torch.arange(t)[:, None]                        # causal [T, T]
        if mask is not None:
            allowed = allowed[None, None] & (mask.bool()[:, None, None, :] | torch.eye(t, dtype=torch.bool))
        bias = torch.zeros(allowed.shape).masked_fill(~allowed, float("-inf"))
        x = self.model.embed_tokens(ids)
        for layer in self.model.layers:
            if self.checkpointing and torch.is_grad_enabled():
                x = torch.utils.checkpoint.checkpoint(layer, x, cos, sin, bias)
            else:
                x = layer(x, cos, sin, bias)
        x = self.model.norm(x)
        return F.linear(x, self.model.embed_tokens.weight) if self.tied else self.lm_head(x)


def tensor_bytes(t, dtype):
    t = t.detach().contiguous()
    if dtype == "BF16":
        return t.to(torch.bfloat16).view(torch.int16).numpy().tobytes()
    if dtype == "F16":
        return t.to(torch.float16).numpy().tobytes()
    return t.float().numpy().tobytes()


def write_safetensors(path, tensors, dtype):
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name, t in tensors.items():
        data = tensor_bytes(t, dtype)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in blobs:
            f.write(blob)
    return offset


def tiny_config(spec):
    return {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_act": "silu",
            "vocab_size": spec.get("vocab_size", 29), "hidden_size": spec.get("hidden_size", 24),
            "intermediate_size": spec.get("intermediate_size", 40), "num_hidden_layers": spec.get("layers", 2),
            "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": spec.get("head_dim", 10),
            "rope_theta": 1000000.0, "rms_norm_eps": 1e-6, "tie_word_embeddings": spec.get("tied", False),
            "attention_bias": spec.get("attention_bias", False), "max_position_embeddings": 64,
            "use_sliding_window": False, "sliding_window": None, "rope_scaling": None, "attention_dropout": 0.0,
            "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": {"f32": "float32", "bf16": "bfloat16", "f16": "float16"}[spec.get("dtype", "f32")]}


def seeded_model(c, seed):
    torch.manual_seed(seed)
    model = Qwen3ForCausalLM(c)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.randn_like(p) * (0.5 if "norm" in name else 0.4) + (1.0 if "norm" in name else 0.0))
    return model


def fixture(folder, spec):
    c = tiny_config(spec)
    model = seeded_model(c, spec.get("seed", 7))
    dtype = {"f32": "F32", "bf16": "BF16", "f16": "F16"}[spec.get("dtype", "f32")]
    rounding = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16}[dtype]
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(rounding).float())        # compute from the weights as the file holds them
    os.makedirs(folder, exist_ok=True)
    json.dump(c, open(os.path.join(folder, "config.json"), "w"), indent=2)
    tensors = dict(model.named_parameters())
    names = list(tensors)
    shards = spec.get("shards", 1)
    if shards == 1:
        write_safetensors(os.path.join(folder, "model.safetensors"), tensors, dtype)
    else:
        weight_map, total = {}, 0
        per_shard = math.ceil(len(names) / shards)
        for i in range(shards):
            file = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
            part = {n: tensors[n] for n in names[i * per_shard:(i + 1) * per_shard]}
            total += write_safetensors(os.path.join(folder, file), part, dtype)
            weight_map.update({n: file for n in part})
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map},
                  open(os.path.join(folder, "model.safetensors.index.json"), "w"), indent=2)

    v = c["vocab_size"]
    ids = [[5, 17, 2, 9, 22, 0, 13, 8, 4, 27, 11], [0, 0, 0, 11, 3, 3, 20, 7, 1, 28, 6]]
    mask = [[1] * 11, [0, 0, 0] + [1] * 8]
    with torch.no_grad():
        logp = F.log_softmax(model(torch.tensor(ids), torch.tensor(mask)).float(), -1)
    token_logprobs = [[logp[b, t, ids[b][t + 1]].item() if mask[b][t] and mask[b][t + 1] else None
                       for t in range(len(ids[b]) - 1)] for b in range(len(ids))]
    greedy = []
    for prompt in ([3, 14, 25, 6], [19, 1, 8], [7]):
        sequence, logprobs = list(prompt), []
        with torch.no_grad():
            for _ in range(spec.get("new_tokens", 12)):
                last = F.log_softmax(model(torch.tensor([sequence]))[0, -1].float(), -1)
                token = int(last.argmax())
                top2 = last.topk(2).values
                logprobs.append(last[token].item())
                greedy_margin = (top2[0] - top2[1]).item()
                sequence.append(token)
                if greedy_margin < 1e-3:
                    raise SystemExit(f"near-tie in greedy decoding (margin {greedy_margin}); pick another seed")
        greedy.append({"prompt": prompt, "ids": sequence[len(prompt):], "logprobs": logprobs})
    assert all(0 <= i < v for g in greedy for i in g["ids"])
    json.dump({"torch": torch.__version__, "ids": ids, "mask": mask, "token_logprobs": token_logprobs,
               "greedy": greedy}, open(os.path.join(folder, "expected.json"), "w"))


def bench(spec):
    """One case of bench/Dsdr.Bench.Learner's --memory: the same model, rows, budget and loss as MemoryBench.cs."""
    import resource
    import torch.utils.checkpoint  # noqa: F401  (torch.utils.checkpoint.checkpoint in forward)
    torch.set_num_threads(spec["threads"])
    torch.manual_seed(0)
    c = tiny_config({"vocab_size": 2048, "hidden_size": 128, "intermediate_size": 384, "layers": 4, "head_dim": 48, "tied": True})
    c["max_position_embeddings"] = 512
    model = Qwen3ForCausalLM(c)
    model.checkpointing = spec["case"] in ("checkpointing", "both")
    budget = spec["budget"] if spec["case"] in ("micro-batches", "both") else 0
    n, lo, hi = spec["rows"], spec["min_length"], spec["max_length"]
    spread = [lo + i * (hi - lo) // (n - 1) for i in range(n)]
    lengths = sorted(spread, key=lambda l: (l * 7919) % 101)   # MemoryBench.Lengths(): the same shuffled order
    rows = [torch.randint(0, 2048, (l,)) for l in lengths]
    order = sorted(range(n), key=lambda i: lengths[i]) if budget else list(range(n))
    plan, current = [], []
    for i in order:   # greedy packing under rows × longest ≤ budget, as MicroBatches.Plan
        if budget and current and (len(current) + 1) * max(lengths[j] for j in current + [i]) > budget:
            plan.append(current)
            current = []
        current.append(i)
    plan.append(current)
    real = sum(lengths)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    times = []
    for step in range(spec["steps"] + 1):
        start = time.perf_counter()
        optimizer.zero_grad()
        for micro in plan:
            width = max(lengths[i] for i in micro)
            ids = torch.zeros(len(micro), width, dtype=torch.long)
            mask = torch.zeros(len(micro), width, dtype=torch.long)
            for r, i in enumerate(micro):
                ids[r, width - lengths[i]:] = rows[i]
                mask[r, width - lengths[i]:] = 1
            logits = model(ids, mask)
            nll = F.cross_entropy(logits[:, :-1].reshape(-1, 2048), ids[:, 1:].reshape(-1), reduction="none").view(len(micro), -1)
            (nll * mask[:, 1:].float()).sum().div(real).backward()
        optimizer.step()
        if step > 0:
            times.append(time.perf_counter() - start)
    median = sorted(times)[len(times) // 2]
    print(json.dumps({"tokens_per_s": real / median, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "fixture":
        fixture(sys.argv[2], json.loads(sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == "bench":
        bench(json.loads(sys.argv[2]))
    else:
        raise SystemExit(__doc__)
