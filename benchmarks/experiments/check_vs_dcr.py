"""Experiment: does finance-vae's memorization check (nearer share 0.5) mean a benchmark DCR share of 0.5?

    .venv/bin/python benchmarks/experiments/check_vs_dcr.py                        # german_credit, credit_data
    .venv/bin/python benchmarks/experiments/check_vs_dcr.py --datasets AER/CreditCard --draws 10

For each table (fit_sample.py's 70/30 split): the DCR share that REAL unseen rows get on the benchmark's
measure (the training split cut 40/30/30 into train, holdout and "fresh" real rows, 10 cuts; 0.5 = unbiased),
then finance-vae fitted with its defaults and, over ``--draws`` draws of as many rows as it trained on,
the benchmark's DCR share (closer to an equal-sized sample of the training rows than to the holdout), the
check's nearer share of the same draws (against all training rows, their leave-one-out distances as the
reference), and quantiles of the sampled rows' distance to the nearest training row beside the training
rows' leave-one-out distances. The nearer share compares how near rows sit, the DCR share which side they
lean to: rows drawn too far from everyone (blur) can offset rows drawn too near the training rows.
The last column asks whether a check could read the lean from a validation split instead: the DCR share
against ``--small`` real holdout rows (default 10% of the training split, the size of finance-vae's
validation split) and as many training rows (averaged over 10 training subsets), mean ± std over 20 such
holdout subsets, for the sampled rows, for the holdout rows left out of the subset (real rows nobody trained on)
and for copies of training rows.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import fit_sample  # noqa: E402
import synthguard as sg  # noqa: E402
from synthguard.privacy import NearestRecords, TableDistance, closer_share, dcr_share, nearer_share  # noqa: E402
from synthguard_finance.generator import CHECK_QUANTILES  # noqa: E402


def fresh_rows_dcr(frame, meta, cuts: int = 10) -> list[float]:
    """The benchmark's DCR share of real rows nobody trained on: what an ideal generator would read."""
    out = []
    for seed in range(cuts):
        idx = np.random.default_rng(seed).permutation(len(frame))
        a, b = int(0.4 * len(frame)), int(0.7 * len(frame))
        train, holdout, fresh = (sg.Table(frame.iloc[i][meta.names].reset_index(drop=True), meta)
                                 for i in (idx[:a], idx[a:b], idx[b:]))
        out.append(dcr_share(train, holdout, fresh, TableDistance)["share_closer_to_train"])
    return out


def small_holdout_dcr(train, holdout, synthetic, size: int, subsets: int = 20,
                      train_subsets: int = 10) -> dict[str, list[float]]:
    """DCR share against ``size`` holdout rows vs as many training rows (averaged over ``train_subsets``), per
    holdout subset, of: ``synthetic``, the holdout rows outside the subset (real rows nobody trained on: should
    read 0.5) and copies of training rows (what a check should catch)."""
    distance = TableDistance().fit(train)
    out: dict[str, list[float]] = {"synthetic": [], "fresh real rows": [], "training-row copies": []}
    for seed in range(subsets):
        rng = np.random.default_rng(seed)
        chosen = rng.choice(len(holdout), size, replace=False)
        near_holdout = NearestRecords(distance, holdout.take(np.sort(chosen)))
        samples = [NearestRecords(distance, train.take(np.sort(rng.choice(len(train), size, replace=False))))
                   for _ in range(train_subsets)]
        queries = {"synthetic": synthetic, "fresh real rows": holdout.take(np.setdiff1d(np.arange(len(holdout)), chosen)),
                   "training-row copies": train.take(np.sort(rng.choice(len(train), len(holdout) - size, replace=False)))}
        for name, rows in queries.items():
            d_h = near_holdout.distances(rows)
            out[name].append(float(np.mean([closer_share(s.distances(rows), d_h) for s in samples])))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=["german_credit", "credit_data"])
    ap.add_argument("--draws", type=int, default=5)
    ap.add_argument("--small", type=float, default=0.1, help="the small holdout, as a fraction of the training split")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    print("table | fresh real rows: DCR share | epochs (kept) | last checks | DCR share | nearer share (same draws) "
          "| distance to training rows p10 / p50 / p90: sampled | real (leave-one-out) | DCR share vs a small holdout")
    for name in args.datasets:
        frame, train, holdout = fit_sample.split(name)
        meta = sg.Table.from_frame(frame).meta
        train_t, hold_t = (sg.Table(x[meta.names].reset_index(drop=True), meta) for x in (train, holdout))
        fresh = fresh_rows_dcr(frame, meta)
        model = sg.Engine().fit("finance-vae", train, seed=0, device="cpu")
        nearest = NearestRecords(TableDistance(quantiles=CHECK_QUANTILES).fit(train_t), train_t)
        d_real = nearest.leave_one_out()
        dcr, near, d_syn = [], [], []
        for seed in range(1, args.draws + 1):
            draw = sg.Table(model.sample(len(train), seed=seed).frame[meta.names].reset_index(drop=True), meta)
            dcr.append(dcr_share(train_t, hold_t, draw, TableDistance)["share_closer_to_train"])
            d = nearest.distances(draw)
            near.append(nearer_share(d, d_real))
            d_syn.append(d)
        d_syn = np.concatenate(d_syn)
        small = small_holdout_dcr(train_t, hold_t, draw, max(2, int(round(args.small * len(train_t)))))
        q = [0.1, 0.5, 0.9]
        info = model.fit_info_
        checks = ", ".join(f"{c['nearer_share']:.3f}" for c in info["memorization_checks"][-3:])
        print(f"{name} | {np.mean(fresh):.3f} ± {np.std(fresh):.3f} | {info['epochs_run']} ({info['best_epoch']}) | "
              f"{checks} | {np.mean(dcr):.3f} ± {np.std(dcr):.3f} | {np.mean(near):.3f} ± {np.std(near):.3f} | "
              + " / ".join(f"{x:.3f}" for x in np.quantile(d_syn, q)) + " | "
              + " / ".join(f"{x:.3f}" for x in np.quantile(d_real, q))
              + " | " + ", ".join(f"{k} {np.mean(v):.3f} ± {np.std(v):.3f}" for k, v in small.items())
              + f" ({len(small['synthetic'])} subsets of {len(hold_t)})", flush=True)


if __name__ == "__main__":
    main()
