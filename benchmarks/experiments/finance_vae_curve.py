"""Experiment: how finance-vae's sample quality and closeness to training rows move as it trains.

    .venv/bin/python benchmarks/experiments/finance_vae_curve.py --dataset credit_data --epochs 320
    .venv/bin/python benchmarks/experiments/finance_vae_curve.py --dataset german_credit --epochs 400
    .venv/bin/python benchmarks/experiments/finance_vae_curve.py --dataset credit_data --epochs 160 --kl-warmup 1000
    .venv/bin/python benchmarks/experiments/finance_vae_curve.py --dataset credit_data --epochs 160 --lr 0.006
    .venv/bin/python benchmarks/experiments/finance_vae_curve.py --dataset german_credit --epochs 240 --every 20 --draws 5 --kl-rows 5

Trains the plugin's OnePassTabularVAE with finance-vae's defaults on benchmarks/fit_sample.py's
70% training split (no validation split, no stopping) and every ``--every`` epochs prints the
training loss, the KL of z, SDMetrics quality of as many sampled rows as training rows, the
DCR share against the 30% holdout (as the benchmark measures them), and the nearer share finance-vae's
memorization check reads (sampled rows vs the training rows' distances to each other), and the near tail: the
share of sampled rows nearer to a training row than 90% of the training rows are to another one, over 0.1
(1 = as often as a new real row; it reads memorized rows without being offset by rows drawn too far away). It is what showed that the
validation ELBO is the wrong stopping signal for this model and why finance-vae stops on a
memorization check instead.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import fit_sample  # noqa: E402  (the benchmark's split, quality and dataset loading)
import synthguard as sg  # noqa: E402
from synthguard.privacy import NearestRecords, TableDistance, dcr_share, nearer_share  # noqa: E402
from synthguard_finance import FinanceVAE, FinanceVAEConfig  # noqa: E402
from synthguard_finance.encoding import TableEncoder  # noqa: E402
from synthguard_finance.generator import CHECK_QUANTILES  # noqa: E402
from synthguard_finance.vae import OnePassTabularVAE  # noqa: E402


@torch.no_grad()
def draw(model: OnePassTabularVAE, encoder: TableEncoder, meta, n: int, seed: int) -> sg.Table:
    """n rows from the model, decoded to values (seed: the draw's and the in-bin values' random numbers)."""
    cols = len(encoder.vocab_sizes)
    tokens = model.sample(torch.zeros(n, cols, dtype=torch.long), torch.ones(n, cols, dtype=torch.bool),
                          torch.Generator().manual_seed(seed))
    return sg.Table(encoder.decode(tokens.numpy(), np.random.default_rng(seed), meta)[meta.names], meta)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="german_credit")
    ap.add_argument("--epochs", type=int, default=320)
    ap.add_argument("--every", type=int, default=40)
    ap.add_argument("--lr", type=float, default=None, help="learning rate (default: finance-vae's)")
    ap.add_argument("--batch", type=int, default=None, help="batch size (default: finance-vae's; even batches)")
    ap.add_argument("--kl-warmup", type=int, default=0, metavar="STEPS", help="raise the KL weight from 0 over STEPS")
    ap.add_argument("--kl-rows", type=float, default=0, metavar="K",
                    help="cap the KL of z at log(n / K) nats by dual ascent on its weight (0: no cap)")
    ap.add_argument("--kl-rate", type=float, default=0.01, help="dual ascent step of the KL weight per nat over the cap")
    ap.add_argument("--draws", type=int, default=1, help="DCR share: mean over this many draws")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    c = FinanceVAEConfig()
    frame, train, holdout = fit_sample.split(args.dataset)
    meta = sg.Table.from_frame(frame).meta
    train_t, hold_t = (sg.Table(x[meta.names].reset_index(drop=True), meta) for x in (train, holdout))
    encoder = TableEncoder.fit(train_t, max_bins=c.max_bins, max_values=c.max_bins)
    tokens = torch.from_numpy(encoder.encode(train_t.frame))
    torch.manual_seed(0)
    model = OnePassTabularVAE(encoder.vocab_sizes, c.width, c.n_layers, c.latent, c.beta, c.dropout)
    model.init_marginals(tokens)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr or c.lr, weight_decay=c.weight_decay, fused=True)
    gen = torch.Generator().manual_seed(0)
    batch = args.batch or FinanceVAE(c)._batch_size(len(tokens))
    nearest = NearestRecords(TableDistance(quantiles=CHECK_QUANTILES).fit(train_t), train_t)  # finance-vae's check
    d_real = nearest.leave_one_out()  # each training row's distance to the other training rows
    tail = np.quantile(d_real, 0.1)  # 10% of the training rows sit this near another training row
    print("epoch | steps | train loss | KL of z (nats) | quality | DCR share | exact copies | nearer share (the check) "
          "| near tail (share of sampled rows nearer than that, / 0.1)")
    steps = 0
    cap = float(np.log(len(tokens) / args.kl_rows)) if args.kl_rows else None
    lam = 0.0
    if cap is not None:
        print(f"KL cap: log({len(tokens)} / {args.kl_rows}) = {cap:.2f} nats")
        # read each training batch's KL where the loss computes it, leaving the plugin's loss as it is
        base_post, seen = model.posterior, {}

        def posterior(t):
            mu, logvar = base_post(t)
            seen["kl"] = float(model.kl(mu, logvar).mean())
            return mu, logvar
        model.posterior = posterior
    for epoch in range(1, args.epochs + 1):
        model.train()
        perm = torch.randperm(len(tokens), generator=gen)
        for rows in perm.tensor_split(-(-len(tokens) // batch)):  # finance-vae's even batches
            if args.kl_warmup:
                model.beta = c.beta * min(1.0, steps / args.kl_warmup)
            loss = model.loss(tokens[rows], gen)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            steps += 1
            if cap is not None:
                lam = max(0.0, lam + args.kl_rate * (seen["kl"] - cap))
                model.beta = c.beta + lam
        if epoch % args.every:
            continue
        model.eval()
        with torch.no_grad():
            mu, logvar = model.posterior(tokens)
            kl = float(model.kl(mu, logvar).mean())
        draws = [draw(model, encoder, meta, len(tokens), seed) for seed in range(1, args.draws + 1)]
        syn = draws[0]
        dcr = round(float(np.mean([dcr_share(train_t, hold_t, d, TableDistance)["share_closer_to_train"]
                                   for d in draws])), 4)
        copies = len(set(train_t.record_hashes()) & set(syn.record_hashes()))
        d_syn = nearest.distances(syn)
        nearer = nearer_share(d_syn, d_real)
        print(f"{epoch} | {steps} | {float(loss):.4f} | {kl:.2f} | {fit_sample.quality(train, syn.frame, frame)} | "
              f"{dcr} | {copies} | {nearer:.4f} | {np.mean(d_syn < tail) / 0.1:.2f}"
              + (f" | beta {model.beta:.2f}" if cap is not None else ""), flush=True)


if __name__ == "__main__":
    main()
