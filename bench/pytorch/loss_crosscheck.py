#!/usr/bin/python3
"""Independent PyTorch computation of DSDR's group advantages and total loss (spec/DSDR-METHOD.md §2-§6).

The C# side (Dsdr.Learning.Losses, tested by tests/Dsdr.Learning.Tests/Losses/PyTorchCrossCheckTests.cs)
must reproduce these numbers to 1e-6. Everything here is float64.

  loss_crosscheck.py --make-fixture fixtures/loss_batch.json   write the fixed small batch (seeded)
  loss_crosscheck.py fixtures/loss_batch.json                  print the expected values as JSON
  loss_crosscheck.py fixtures/loss_batch.json --out fixtures/loss_expected.json

Needs Debian's python3-torch (apt-get install -y python3-torch libopenblas0-pthread), run with /usr/bin/python3.
"""
import argparse
import json
import math
import sys

import torch

EPS = 1e-6          # ε in A = (r̃ − mean) / (std + ε)
MAX_LOG_RATIO = 20.0


# ---------------------------------------------------------------- advantages (spec §2)
def group_advantages(shaped):
    """A_i = (r̃_i − mean(r̃)) / (std(r̃) + ε), sample std (N − 1); a group of one gets 0."""
    r = torch.tensor(shaped, dtype=torch.float64)
    if r.numel() < 2:
        return torch.zeros_like(r)
    return (r - r.mean()) / (r.std(unbiased=True) + EPS)


# ---------------------------------------------------------------- loss pieces (spec §4-§6)
def token_log_probs(logits, tokens):
    """log π(o_t) = log_softmax(z)[o_t]."""
    return torch.log_softmax(logits, dim=-1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1)


def token_entropy(logits):
    """H = −Σ_v p_v log p_v."""
    logp = torch.log_softmax(logits, dim=-1)
    return -(logp.exp() * logp).sum(-1)


def ratio(logp, logp_old):
    return torch.exp(torch.clamp(logp - logp_old, -MAX_LOG_RATIO, MAX_LOG_RATIO))


def clipped_surrogate(logp, logp_old, adv, clip_low, clip_high, dual_clip):
    """−min(ρA, clip(ρ)A); with dual clip c, for A < 0 the loss is at most −cA."""
    rho = ratio(logp, logp_old)
    a = adv.unsqueeze(-1).expand_as(rho)
    surrogate = torch.min(rho * a, torch.clamp(rho, 1 - clip_low, 1 + clip_high) * a)
    loss = -surrogate
    if dual_clip is not None:
        loss = torch.where(a < 0, torch.min(loss, -dual_clip * a), loss)
    r = rho.detach()
    frac_low = ((a < 0) & (r < 1 - clip_low)).double()
    frac_high = ((a > 0) & (r > 1 + clip_high)).double()
    frac_dual = ((a < 0) & (r > dual_clip)).double() if dual_clip is not None else torch.zeros_like(r)
    return loss, frac_low, frac_high, frac_dual


def aggregate(per_token, mask, mode):
    if mode == "TokenMean":
        return (per_token * mask).sum() / mask.sum()
    if mode == "SeqMeanTokenMean":
        return ((per_token * mask).sum(-1) / mask.sum(-1)).mean()
    if mode == "SeqMeanTokenSum":
        return (per_token * mask).sum(-1).mean()
    raise ValueError(mode)


def kl_per_token(logp, logp_ref, estimator):
    if estimator == "K1":
        return logp - logp_ref
    if estimator == "K2":
        return 0.5 * (logp - logp_ref) ** 2
    if estimator == "K3":
        d = torch.clamp(logp_ref - logp, -MAX_LOG_RATIO, MAX_LOG_RATIO)
        return torch.exp(d) - d - 1
    raise ValueError(estimator)


def local_term(logp, logp_old, mask, weights, group_index):
    """J_local = mean_q Σ_{i∈q} w_i · (−1/T_i Σ_t ρ_it log π_it), ρ with gradient."""
    per_seq = -(ratio(logp, logp_old) * logp * mask).sum(-1) / mask.sum(-1)
    groups = sorted(set(group_index))
    per_prompt = [sum(weights[i] * per_seq[i] for i in range(len(group_index)) if group_index[i] == g) for g in groups]
    return torch.stack(per_prompt).mean()


def masked_mean(x, mask):
    return float((x * mask).sum() / mask.sum())


# ---------------------------------------------------------------- the fixed batch
def evaluate(fixture):
    n, t, v = fixture["sequences"], fixture["response_length"], fixture["vocabulary"]
    d = torch.float64
    tokens = torch.tensor(fixture["tokens"], dtype=torch.long).view(n, t)
    old = torch.tensor(fixture["old_log_probs"], dtype=d).view(n, t)
    ref = torch.tensor(fixture["ref_log_probs"], dtype=d).view(n, t)
    mask = torch.tensor(fixture["mask"], dtype=d).view(n, t)
    weights = torch.tensor(fixture["coupling_weights"], dtype=d)
    group_index = fixture["group_index"]

    advantages = torch.cat([group_advantages(g) for g in fixture["shaped_rewards"]])
    out = {"advantages": advantages.tolist(), "cases": []}
    for case in fixture["cases"]:
        logits = torch.tensor(fixture["logits"], dtype=d).view(n, t, v).requires_grad_(True)
        logp = token_log_probs(logits, tokens)
        per_token, low, high, dual = clipped_surrogate(
            logp, old, advantages, case["clip_low"], case["clip_high"], case["dual_clip"])
        pg = aggregate(per_token, mask, case["aggregation"])
        local = local_term(logp, old, mask, weights, group_index)
        total = pg - case["lambda_local"] * local
        kl = None
        if case["kl_beta"] > 0:
            kl_t = aggregate(kl_per_token(logp, ref, case["kl_estimator"]), mask, case["aggregation"])
            total = total + case["kl_beta"] * kl_t
            kl = float(kl_t)
        total.backward()
        out["cases"].append({
            "name": case["name"],
            "total": float(total),
            "policy_loss": float(pg),
            "local_term": float(local),
            "kl": kl,
            "clip_fraction_low": masked_mean(low, mask),
            "clip_fraction_high": masked_mean(high, mask),
            "clip_fraction_dual": masked_mean(dual, mask),
            "entropy": masked_mean(token_entropy(logits.detach()), mask),
            "approx_kl_to_old": masked_mean((old - logp).detach(), mask),
            "logits_gradient": logits.grad.view(-1).tolist(),
        })
    return out


def make_fixture():
    """A fixed batch: 4 prompts × 4 rollouts (mixed, all-correct, all-incorrect, one correct), T = 5, V = 6."""
    g = torch.Generator().manual_seed(20260219)
    prompts, group_size, t, v = 4, 4, 5, 6
    n = prompts * group_size
    lambda_d, tau = 0.1, 5.0
    rewards = [[1, 0, 1, 0], [1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 1, 0]]
    diversity = torch.rand(prompts, group_size, generator=g, dtype=torch.float64)     # d̄ ∈ [0, 1]
    shaped, weights = [], []
    for q in range(prompts):
        shaped.append([rewards[q][i] + lambda_d * float(diversity[q, i]) * rewards[q][i] for i in range(group_size)])
        exps = [math.exp(tau * float(diversity[q, i])) if rewards[q][i] == 1 else 0.0 for i in range(group_size)]
        total = sum(exps)
        weights += [e / total if total > 0 else 0.0 for e in exps]
    old_logits = torch.randn(n, t, v, generator=g, dtype=torch.float64) * 1.5
    logits = old_logits + 0.6 * torch.randn(n, t, v, generator=g, dtype=torch.float64)
    ref_logits = old_logits + 0.4 * torch.randn(n, t, v, generator=g, dtype=torch.float64)
    tokens = torch.multinomial(torch.softmax(old_logits, -1).view(-1, v), 1, generator=g).view(n, t)
    lengths = [t, 3, 1, t, 4, t, 2, t, t, 5, 3, 1, 2, t, 4, t]
    mask = torch.tensor([[1.0 if j < lengths[i] else 0.0 for j in range(t)] for i in range(n)], dtype=torch.float64)
    tokens = torch.where(mask > 0, tokens, torch.zeros_like(tokens))  # padding id 0
    return {
        "description": "Fixed small DSDR batch for the PyTorch cross-check; made by loss_crosscheck.py --make-fixture.",
        "prompts": prompts, "group_size": group_size, "sequences": n, "response_length": t, "vocabulary": v,
        "rewards": rewards,
        "diversity": diversity.tolist(),
        "lambda_d": lambda_d, "tau": tau,
        "shaped_rewards": shaped,
        "coupling_weights": weights,
        "group_index": [q for q in range(prompts) for _ in range(group_size)],
        "logits": logits.view(-1).tolist(),
        "tokens": tokens.view(-1).tolist(),
        "old_log_probs": token_log_probs(old_logits, tokens).view(-1).tolist(),
        "ref_log_probs": token_log_probs(ref_logits, tokens).view(-1).tolist(),
        "mask": mask.view(-1).tolist(),
        "cases": [
            {"name": "dsdr-token-mean", "clip_low": 0.2, "clip_high": 0.28, "dual_clip": None,
             "aggregation": "TokenMean", "lambda_local": 0.01, "kl_beta": 0.0, "kl_estimator": "K3"},
            {"name": "grpo-seq-mean-token-mean-k1", "clip_low": 0.2, "clip_high": 0.2, "dual_clip": None,
             "aggregation": "SeqMeanTokenMean", "lambda_local": 0.0, "kl_beta": 0.05, "kl_estimator": "K1"},
            {"name": "dsdr-seq-mean-token-sum-k3-dual", "clip_low": 0.2, "clip_high": 0.28, "dual_clip": 2.0,
             "aggregation": "SeqMeanTokenSum", "lambda_local": 0.5, "kl_beta": 0.1, "kl_estimator": "K3"},
            {"name": "dsdr-token-mean-k2-dual", "clip_low": 0.1, "clip_high": 0.3, "dual_clip": 1.5,
             "aggregation": "TokenMean", "lambda_local": 1.0, "kl_beta": 0.2, "kl_estimator": "K2"},
        ],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("fixture")
    parser.add_argument("--make-fixture", action="store_true", help="write the fixed batch to FIXTURE instead")
    parser.add_argument("--out", help="write the expected values here instead of stdout")
    args = parser.parse_args()
    if args.make_fixture:
        with open(args.fixture, "w") as f:
            json.dump(make_fixture(), f, indent=1)
            f.write("\n")
        return
    with open(args.fixture) as f:
        fixture = json.load(f)
    result = evaluate(fixture)
    result["torch_version"] = torch.__version__
    text = json.dumps(result, indent=1)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    else:
        sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
