#!/usr/bin/python3
"""torch.optim.AdamW on the parameters and gradients of a JSON case, as the reference for Dsdr.Learning.Training.AdamW.

The C# side (tests/Dsdr.Learning.Tests/Training/AdamWTests.cs) writes the case and compares what this prints.

  adamw_crosscheck.py CASE.json     print {"torch_version", "params": [...], "exp_avg": [...], "exp_avg_sq": [...]}

CASE.json: {"lr": [per step], "betas": [b1, b2], "eps": e, "weight_decay": w,
            "params": [{"shape": [...], "values": [...]}], "grads": [[values or null (no gradient) per parameter] per step]}
Everything is float32, as the trainer's parameters are. Needs Debian's python3-torch, run with /usr/bin/python3.
"""
import json
import sys

import torch


def main(path):
    with open(path) as f:
        case = json.load(f)
    params = [torch.tensor(p["values"], dtype=torch.float32).reshape(p["shape"]).requires_grad_() for p in case["params"]]
    optimizer = torch.optim.AdamW(params, lr=case["lr"][0], betas=tuple(case["betas"]), eps=case["eps"],
                                  weight_decay=case["weight_decay"])
    for lr, grads in zip(case["lr"], case["grads"]):
        for group in optimizer.param_groups:
            group["lr"] = lr
        for p, g in zip(params, grads):
            p.grad = None if g is None else torch.tensor(g, dtype=torch.float32).reshape(p.shape)
        optimizer.step()
    state = [optimizer.state[p] for p in params]
    flat = lambda t: t.detach().reshape(-1).tolist()
    json.dump({"torch_version": torch.__version__,
               "params": [flat(p) for p in params],
               "exp_avg": [flat(s["exp_avg"]) for s in state],
               "exp_avg_sq": [flat(s["exp_avg_sq"]) for s in state]}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
