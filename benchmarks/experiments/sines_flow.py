"""Sizing the rectified-flow sequence model on TimeGAN's Sines (run by hand): train the bare network, score it.

    OMP_NUM_THREADS=1 python benchmarks/experiments/sines_flow.py --steps 3000 --hidden 64 --layers 3

Prints fit seconds, sampling seconds and the discriminative score (benchmarks/sensor_sines_timegan.py's
metric, ``--repeats`` runs) for one configuration; used to pick SequenceFlow's defaults.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sensor_sines_timegan import discriminative, sines  # noqa: E402

from synthguard_sequence.flow import SequenceFlow  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--patch", type=int, default=1)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--solver", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--predict", default="data", choices=["data", "velocity"])
    ap.add_argument("--times", default="logit-normal", choices=["logit-normal", "uniform"], help="flow times in training")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    real = sines(args.rows, seed=args.seed)
    mean, std = real.mean((0, 1)), real.std((0, 1))
    x = torch.as_tensor((real - mean) / std, dtype=torch.float32)
    model = SequenceFlow(5, [], 0, 24, hidden=args.hidden, layers=args.layers, patch=args.patch,
                         predict_data=args.predict == "data", logit_normal_times=args.times == "logit-normal")
    ema = torch.optim.swa_utils.AveragedModel(model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(args.ema))
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, args.lr, total_steps=args.steps, pct_start=0.05)
    gen = torch.Generator().manual_seed(args.seed)
    cats, nums = torch.zeros(args.batch, 0, dtype=torch.long), torch.zeros(args.batch, 0)
    start = time.perf_counter()
    for step in range(args.steps):
        idx = torch.randint(len(x), (args.batch,), generator=gen)
        loss = model.loss(x[idx], cats, nums, generator=gen)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        ema.update_parameters(model)
        if step % 500 == 0:
            print(step, round(float(loss.detach()), 4), round(time.perf_counter() - start, 1), flush=True)
    fit = time.perf_counter() - start
    start = time.perf_counter()
    net = ema.module.eval()
    z = net.sample(torch.zeros(args.rows, 0, dtype=torch.long), torch.zeros(args.rows, 0), 24,
                   torch.Generator().manual_seed(1), solver_steps=args.solver)
    syn = z.numpy() * std + mean
    sample = time.perf_counter() - start
    disc = [discriminative(real, syn, seed=i) for i in range(args.repeats)]
    print(vars(args), f"fit {fit:.1f}s sample {sample:.1f}s disc {np.mean(disc):.4f} {np.round(disc, 4).tolist()}",
          flush=True)


if __name__ == "__main__":
    main()
