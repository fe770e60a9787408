"""Experiment: a sensor generator under several configurations, each over several fit seeds.

    .venv/bin/python benchmarks/experiments/sensor_configs.py --dataset basic_motions \\
        --config "" --config "batch_size=16 lr=0.01" --seeds 0 1 2
    .venv/bin/python benchmarks/experiments/sensor_configs.py --generator sensor-conv-ar --config "" --config "lags=4"

Each ``--config`` is one variant: space-separated KEY=VALUE settings of the generator ("" = the defaults).
Fits on ``generate``'s 80% training split (seed 0) once per (variant, seed), samples as many recordings as it
trained on with the fit's seed, and prints fit seconds, epochs, the best validation NLL, the discriminative
score (TimeGAN's post-hoc classifier over ``--splits`` random splits; one fit's score moves by ± 0.05 between
seeds on these panels, hence several seeds), the predictive score and the mean step |x[t] − x[t−1]| in
training-std units (the real recordings' is printed first). Run it alone: fit seconds are read in this process.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import synthguard as sg
from synthguard.data import holdout_split
from synthguard.pipeline import HOLDOUT, SPLIT_SEED
from synthguard_sensor.metrics import discriminative_score, persistence_error, predictive_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness import parse_settings  # noqa: E402


def fit_and_score(train: sg.SequenceSet, hold: sg.SequenceSet, config: dict | None, seed: int, splits: int,
                  generator: str = "sensor"):
    """Fit ``generator`` on ``train`` with ``config`` and ``seed``, sample as many recordings with the same seed, score them.

    Returns the fit seconds, the fit's ``fit_info_``, the synthetic values (NaN where missing), the discriminative
    score (``splits`` random splits against ``train``) and the predictive score (trained on synthetic, tested on ``hold``).
    """
    start = time.perf_counter()
    model = sg.fit(generator, train, seed=seed, config=config)
    fit_s = time.perf_counter() - start
    syn = model.sample(len(train), seed=seed)
    values = np.where(np.isfinite(syn.values), syn.values, np.nan)
    disc = discriminative_score(train.values, values, seed=0, repeats=splits)
    pred = predictive_score(values, hold.values, train.values, seed=0)
    return fit_s, model.fit_info_, values, disc, pred


def score_seeds(label: str, train: sg.SequenceSet, hold: sg.SequenceSet, config: dict | None, seeds: list[int],
                splits: int, generator: str = "sensor") -> None:
    """Fit and score once per seed (:func:`fit_and_score`); print a Markdown row per seed, then their mean.

    The last column is the mean step |x[t] - x[t-1]| in training-std units.
    """
    rows = []
    for seed in seeds:
        fit_s, info, values, disc, pred = fit_and_score(train, hold, config, seed, splits, generator)
        value = persistence_error(values, train.values)
        rows.append((fit_s, info["epochs_run"], min(info["history"]["val_loss"]), disc["score"], pred, value))
        print(f"| {label} | {seed} | {fit_s:.2f} | {info['epochs_run']} | {rows[-1][2]:.4f} | "
              f"{disc['score']} ± {disc['std']} | {pred} | {value:.3f} |", flush=True)
    mean = np.mean(rows, axis=0)
    print(f"| {label} | mean | {mean[0]:.2f} | {mean[1]:.0f} | {mean[2]:.4f} | **{mean[3]:.3f}** | {mean[4]:.3f} | "
          f"{mean[5]:.3f} |", flush=True)


def experiment_parser(doc: str) -> argparse.ArgumentParser:
    """The options of a sensor configuration experiment: --dataset, --config, --seeds, --splits."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--dataset", default="basic_motions")
    ap.add_argument("--config", action="append", default=None, help='"KEY=VALUE KEY=VALUE" (repeatable; "" = defaults)')
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--splits", type=int, default=10)
    return ap


def variants(configs: list[str] | None) -> list[tuple[str, dict | None]]:
    """Each ``--config`` as (label, settings); "" (and no --config at all) is the defaults: ("defaults", None)."""
    return [(text.strip() or "defaults", parse_settings(text.split()) or None) for text in configs or [""]]


def training_split(dataset: str) -> tuple[sg.SequenceSet, sg.SequenceSet]:
    """``generate``'s 80/20 split of a reference dataset: (training recordings, holdout)."""
    return holdout_split(sg.datasets()[dataset].load(), HOLDOUT, seed=SPLIT_SEED)


def main() -> None:
    ap = experiment_parser(__doc__)
    ap.add_argument("--generator", default="sensor", help="sensor (the LSTM) or sensor-conv-ar")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    train, hold = training_split(args.dataset)
    print(f"{args.dataset}, {args.generator}: real training recordings step {persistence_error(train.values, train.values):.3f}")
    print("| config | seed | fit s | epochs | best val NLL | discriminative (± std) | predictive MAE | step |")
    print("|---|---:|---:|---:|---:|---|---:|---:|")
    for label, settings in variants(args.config):
        score_seeds(label, train, hold, settings, args.seeds, args.splits, args.generator)


if __name__ == "__main__":
    main()
