#!/usr/bin/env python3
"""PyTorch reference for Dsdr's Qwen2 policy (src/Dsdr.Learning/Model/Qwen2ForCausalLM.cs).

Written after Hugging Face's Qwen2 modelling code (rotate_half, repeat_kv, float32 RMSNorm), independently of the
C# model. Runs with Debian's python3-torch (1.13, no scaled_dot_product_attention: attention is spelled out).

  qwen2_reference.py bench '<json>'   time a training step (forward, backward, AdamW) and KV-cache generation
  qwen2_reference.py rl-update '<json>'   time the trainer's update phases (forward, loss, backward, clip + AdamW) on one mini-batch shape
  qwen2_reference.py check DIR        logits of DIR's checkpoint on DIR/check_input.json vs the C# logits in it
  qwen2_reference.py fixture DIR      write a tiny seeded checkpoint (config.json, model.safetensors written here,
                                      not by C#) and expected_logits.json for a left-padded batch, for the C# tests
bench and check print one JSON object on stdout.
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


class RMSNorm(nn.Module):
    def __init__(self, size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def repeat_kv(x, groups):
    if groups == 1:
        return x
    b, kv, s, d = x.shape
    return x[:, :, None, :, :].expand(b, kv, groups, s, d).reshape(b, kv * groups, s, d)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads, self.kv_heads = c["num_attention_heads"], c["num_key_value_heads"]
        self.head_dim = c["hidden_size"] // self.heads
        d = c["hidden_size"]
        self.q_proj = nn.Linear(d, self.heads * self.head_dim, bias=True)
        self.k_proj = nn.Linear(d, self.kv_heads * self.head_dim, bias=True)
        self.v_proj = nn.Linear(d, self.kv_heads * self.head_dim, bias=True)
        self.o_proj = nn.Linear(self.heads * self.head_dim, d, bias=False)

    def forward(self, x, cos, sin, bias, cache, layer):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if cache is not None:
            k, v = cache.append(layer, k, v)
        k = repeat_kv(k, self.heads // self.kv_heads)
        v = repeat_kv(v, self.heads // self.kv_heads)
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim)
        if bias is not None:
            scores = scores + bias
        probs = F.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
        out = torch.matmul(probs, v).transpose(1, 2).reshape(b, t, -1)
        return self.o_proj(out)


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, ff = c["hidden_size"], c["intermediate_size"]
        self.gate_proj = nn.Linear(d, ff, bias=False)
        self.up_proj = nn.Linear(d, ff, bias=False)
        self.down_proj = nn.Linear(ff, d, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn = Attention(c)
        self.mlp = MLP(c)
        self.input_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])

    def forward(self, x, cos, sin, bias, cache, layer):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, bias, cache, layer)
        return x + self.mlp(self.post_attention_layernorm(x))


class Decoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])


class Cache:
    def __init__(self, c, batch, capacity):
        shape = (batch, c["num_key_value_heads"], capacity, c["hidden_size"] // c["num_attention_heads"])
        self.k = [torch.zeros(shape) for _ in range(c["num_hidden_layers"])]
        self.v = [torch.zeros(shape) for _ in range(c["num_hidden_layers"])]
        self.length = 0
        self.pending = 0

    def append(self, layer, k, v):
        t = k.shape[2]
        self.k[layer][:, :, self.length:self.length + t] = k
        self.v[layer][:, :, self.length:self.length + t] = v
        self.pending = t
        return self.k[layer][:, :, :self.length + t], self.v[layer][:, :, :self.length + t]


class Qwen2ForCausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.model = Decoder(c)
        self.tied = c.get("tie_word_embeddings", False)
        if not self.tied:
            self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        head_dim = c["hidden_size"] // c["num_attention_heads"]
        self.inv_freq = 1.0 / (c.get("rope_theta", 10000.0) ** (torch.arange(0, head_dim, 2).float() / head_dim))

    def forward(self, ids, mask=None, positions=None, cache=None, last_only=False):
        b, t = ids.shape
        offset = cache.length if cache is not None else 0
        if positions is None:
            positions = (mask.long().cumsum(-1) - 1).clamp(min=0)[:, offset:] if mask is not None \
                else torch.arange(offset, offset + t).expand(b, t)
        freqs = positions.float()[..., None] * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[:, None], emb.sin()[:, None]
        slots = offset + t
        allowed = torch.arange(slots)[None, :] <= torch.arange(offset, slots)[:, None]          # causal [T, S]
        if mask is not None:
            self_slot = torch.arange(slots)[None, :] == torch.arange(offset, slots)[:, None]
            allowed = allowed[None, None] & (mask.bool()[:, None, None, :] | self_slot)
        bias = torch.zeros(allowed.shape).masked_fill(~allowed, float("-inf")) if (t > 1 or mask is not None) else None
        x = self.model.embed_tokens(ids)
        for i, layer in enumerate(self.model.layers):
            x = layer(x, cos, sin, bias, cache, i)
        if cache is not None:
            cache.length += t
        x = self.model.norm(x)
        if last_only:
            x = x[:, -1:]
        return F.linear(x, self.model.embed_tokens.weight) if self.tied else self.lm_head(x)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        begin, end = e["data_offsets"]
        if e["dtype"] == "F32":
            t = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32)
        elif e["dtype"] == "BF16":
            t = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.bfloat16).float()
        else:
            raise ValueError(f"{name}: dtype {e['dtype']} not handled")
        out[name] = t.reshape(e["shape"])
    return out


def write_safetensors(path, tensors):
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name, t in tensors.items():
        data = t.detach().contiguous().float().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in blobs:
            f.write(blob)


def fixture(folder):
    c = {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_act": "silu", "vocab_size": 23,
         "hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 2, "num_attention_heads": 4,
         "num_key_value_heads": 2, "rope_theta": 1000.0, "rms_norm_eps": 1e-6, "tie_word_embeddings": False,
         "max_position_embeddings": 32, "torch_dtype": "float32"}
    torch.manual_seed(7)
    model = Qwen2ForCausalLM(c)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.randn_like(p) * (0.5 if "norm" in name else 0.4) + (1.0 if "norm" in name else 0.0))
    os.makedirs(folder, exist_ok=True)
    json.dump(c, open(os.path.join(folder, "config.json"), "w"), indent=2)
    write_safetensors(os.path.join(folder, "model.safetensors"), dict(model.named_parameters()))
    ids = [[5, 17, 2, 9, 22, 0, 13, 8, 4], [0, 0, 0, 11, 3, 3, 20, 7, 1]]
    mask = [[1] * 9, [0, 0, 0, 1, 1, 1, 1, 1, 1]]
    with torch.no_grad():
        logits = model(torch.tensor(ids), torch.tensor(mask))
    json.dump({"torch": torch.__version__, "ids": ids, "mask": mask, "logits": logits.tolist()},
              open(os.path.join(folder, "expected_logits.json"), "w"))


def check(folder):
    c = json.load(open(os.path.join(folder, "config.json")))
    model = Qwen2ForCausalLM(c)
    missing, unexpected = model.load_state_dict(read_safetensors(os.path.join(folder, "model.safetensors")), strict=False)
    if unexpected or [m for m in missing if m != "lm_head.weight"]:
        raise SystemExit(f"names differ: missing {missing}, unexpected {unexpected}")
    given = json.load(open(os.path.join(folder, "check_input.json")))
    ids = torch.tensor(given["ids"])
    mask = torch.tensor(given["mask"])
    expected = torch.tensor(given["logits"])
    with torch.no_grad():
        logits = model(ids, mask)
    real = mask.bool()
    diff = (logits - expected).abs()[real].max().item()
    print(json.dumps({"max_abs_diff": diff, "max_abs_logit": logits[real].abs().max().item()}))


def bench(spec):
    torch.set_num_threads(spec["threads"])
    torch.manual_seed(0)
    c = spec["config"]
    model = Qwen2ForCausalLM(c)
    result = {"threads": torch.get_num_threads(), "torch": torch.__version__,
              "parameters": sum(p.numel() for p in model.parameters())}

    # training step: forward, cross-entropy, backward, AdamW
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    ids = torch.randint(0, c["vocab_size"], (spec["train_batch"], spec["train_length"]))
    times, cpu_times = [], []
    for i in range(spec["train_warmup"] + spec["train_steps"]):
        start, cpu_start = time.perf_counter(), time.process_time()
        logits = model(ids[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, c["vocab_size"]), ids[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if i >= spec["train_warmup"]:
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu_start)
    result["train_ms"] = 1000 * sorted(times)[len(times) // 2]
    result["train_cpu_ms"] = 1000 * sorted(cpu_times)[len(cpu_times) // 2]

    rate, cpu_rate = generation_rate(model, c, spec["gen_batch"], spec["gen_prompt"], spec["gen_new_tokens"],
                                     spec["gen_warmup"], spec["gen_runs"])
    result["gen_tokens_per_s"], result["gen_tokens_per_cpu_s"] = rate, cpu_rate
    if "countdown_config" in spec:
        torch.manual_seed(1)
        countdown = Qwen2ForCausalLM(spec["countdown_config"])
        rate, _ = generation_rate(countdown, spec["countdown_config"], 128, 11, 24, 1, 10)
        result["countdown_rollout_ms"] = 1000 * 128 * 24 / rate
    print(json.dumps(result))


def rl_update(spec):
    """The trainer's update phases on one mini-batch shape: forward over rows x (prompt + response) tokens with
    response logits divided by T, token log-probs, clipped surrogate (token mean), backward, grad-norm clip, AdamW.
    Prints the median seconds of each phase and the process CPU seconds per update."""
    torch.set_num_threads(spec["threads"])
    torch.manual_seed(0)
    c = spec["config"]
    model = Qwen2ForCausalLM(c)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.0)
    rows, prompt, response = spec["rows"], spec["prompt"], spec["response"]
    ids = torch.randint(0, c["vocab_size"], (rows, prompt + response))
    targets = ids[:, prompt:]
    old = torch.full((rows, response), -1.0)
    advantages = torch.randn(rows, 1)
    phases = {"forward": [], "loss": [], "backward": [], "optimizer": [], "cpu": []}
    for i in range(spec["warmup"] + spec["runs"]):
        cpu_start = time.process_time()
        t0 = time.perf_counter()
        optimizer.zero_grad()
        logits = model(ids)[:, prompt - 1:-1] / spec["temperature"]
        t1 = time.perf_counter()
        logp = logits.log_softmax(-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        ratio = (logp - old).clamp(-20, 20).exp()
        loss = torch.maximum(-advantages * ratio, -advantages * ratio.clamp(0.8, 1.28)).mean()
        with torch.no_grad():
            entropy = (logits.logsumexp(-1) - (logits.softmax(-1) * logits).sum(-1)).mean().item()
        loss_value = loss.item()
        t2 = time.perf_counter()
        loss.backward()
        t3 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        t4 = time.perf_counter()
        if i >= spec["warmup"]:
            for name, value in (("forward", t1 - t0), ("loss", t2 - t1), ("backward", t3 - t2), ("optimizer", t4 - t3),
                                ("cpu", time.process_time() - cpu_start)):
                phases[name].append(value)
    result = {name: sorted(v)[len(v) // 2] for name, v in phases.items()}
    result.update(torch=torch.__version__, threads=torch.get_num_threads(), rows=rows, width=prompt + response,
                  parameters=sum(p.numel() for p in model.parameters()), entropy=entropy, loss=loss_value)
    print(json.dumps(result))


def generation_rate(model, c, batch, prompt, new, warmup, runs):
    """Prefill, then one token per step with a KV cache, multinomial sampling at temperature 1 (median of runs)."""
    generator = torch.Generator().manual_seed(1)
    prompts = torch.randint(0, c["vocab_size"], (batch, prompt), generator=generator)
    rates, cpu_rates = [], []
    with torch.no_grad():
        for i in range(warmup + runs):
            start, cpu_start = time.perf_counter(), time.process_time()
            cache = Cache(c, batch, prompt + new)
            logits = model(prompts, cache=cache, last_only=True)[:, -1]
            for step in range(new):
                probs = F.softmax(logits.float(), -1)
                token = torch.multinomial(probs, 1, generator=generator)
                logprob = F.log_softmax(logits.float(), -1).gather(-1, token)
                if step + 1 == new:
                    break
                positions = torch.full((batch, 1), prompt + step, dtype=torch.long)
                logits = model(token, positions=positions, cache=cache, last_only=True)[:, -1]
            if i >= warmup:
                rates.append(batch * new / (time.perf_counter() - start))
                cpu_rates.append(batch * new / (time.process_time() - cpu_start))
    return sorted(rates)[len(rates) // 2], sorted(cpu_rates)[len(cpu_rates) // 2]


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "fixture":
        fixture(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "rl-update":
        rl_update(json.loads(sys.argv[2]))
    elif len(sys.argv) == 3 and sys.argv[1] == "bench":
        bench(json.loads(sys.argv[2]))
    else:
        raise SystemExit(__doc__)
