"""Experiment: does the sensor generator's sample quality keep improving until its validation loss bottoms out?

    .venv/bin/python benchmarks/experiments/sensor_curve.py --dataset basic_motions --epochs 20 40 60 80 100 130 170

Fits the ``sensor`` generator on ``generate``'s 80% training split (seed 0) once per ``--epochs`` value,
each fit stopped there (early stopping on the validation loss still keeps the best epoch's weights seen
so far), and prints fit seconds, the validation NLL of the kept weights, and the discriminative score
(TimeGAN's post-hoc classifier, ``--repeats`` splits) of as many sampled recordings as training ones,
plus the predictive score. The default fit stops where the validation loss stops improving (patience 30):
if the discriminative score flattens well before that, the generator trains longer than its output needs.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import synthguard as sg
from synthguard.data import holdout_split
from synthguard.pipeline import HOLDOUT, SPLIT_SEED
from synthguard_sensor.metrics import discriminative_score, predictive_score


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="basic_motions")
    ap.add_argument("--epochs", type=int, nargs="+", default=[20, 40, 60, 80, 100, 130, 170])
    ap.add_argument("--repeats", type=int, default=10, help="discriminative splits per fit (the score is noisy)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a config value, e.g. lr=0.01")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    settings = {k: float(v) if "." in v else int(v) for k, v in (s.split("=", 1) for s in args.set)}
    train, hold = holdout_split(sg.datasets()[args.dataset].load(), HOLDOUT, seed=SPLIT_SEED)
    print("epochs | epochs run | best epoch | fit s | val NLL | discriminative (± std) | predictive MAE")
    for epochs in [*args.epochs, None]:
        config = {**settings, **({"epochs": epochs} if epochs else {})}
        start = time.perf_counter()
        model = sg.fit("sensor", train, seed=0, config=config)
        fit_s = time.perf_counter() - start
        info = model.fit_info_
        val = info["history"]["val_loss"][info["best_epoch"] - 1] if info["history"].get("val_loss") else None
        syn = model.sample(len(train), seed=0)
        values = np.where(np.isfinite(syn.values), syn.values, np.nan)
        disc = discriminative_score(train.values, values, seed=0, repeats=args.repeats)
        pred = predictive_score(values, hold.values, train.values, seed=0)
        print(f"{epochs or 'default'} | {info['epochs_run']} | {info['best_epoch']} | {fit_s:.2f} | {val:.4f} | "
              f"{disc['score']} ± {disc['std']} | {pred}", flush=True)


if __name__ == "__main__":
    main()
