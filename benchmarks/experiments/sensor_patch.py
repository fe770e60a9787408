"""Experiment: what patches of P steps (``patch=P``) cost the sensor generator, over several fit seeds.

    .venv/bin/python benchmarks/experiments/sensor_patch.py --dataset basic_motions --patches 1 4 --seeds 0 1 2

Fits the ``sensor`` generator on ``generate``'s 80% training split (seed 0) once per (patch, seed), samples as
many recordings as it trained on with the fit's seed, and prints fit seconds, epochs, the best validation NLL,
the discriminative score (TimeGAN's post-hoc classifier over ``--splits`` random splits; one fit's score moves
by ± 0.05 between seeds on these panels, hence several seeds), the predictive score, and how far readings move
per step: the mean |x[t] − x[t−1]| in training-std units (the real recordings' is printed first) and its range over
the positions t mod P inside a patch (an artefact at patch edges would make that range large). Run it alone: fit
seconds are read from the same process.
"""

from __future__ import annotations

import warnings

import numpy as np
from synthguard_sensor.metrics import persistence_error

from sensor_configs import experiment_parser, score_seeds, training_split  # same folder


def step_sizes(values: np.ndarray, reference: np.ndarray, period: int) -> tuple[float, float]:
    """Mean |x[t] - x[t-1]| in ``reference``-std units (the metrics' persistence error), and the range of that
    mean over the positions t mod ``period``."""
    steps = np.arange(1, values.shape[1])
    by_position = [persistence_error(np.concatenate([values[:, [t - 1, t]] for t in steps[steps % period == r]]),
                                     reference) for r in range(period)]
    return persistence_error(values, reference), max(by_position) - min(by_position)


def main() -> None:
    ap = experiment_parser(__doc__, configs=False)
    ap.add_argument("--patches", type=int, nargs="+", default=[1, 4])
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    train, hold = training_split(args.dataset)
    period = max(args.patches)
    real_step, real_range = step_sizes(train.values, train.values, period)
    print(f"real training recordings: step {real_step:.3f} (range over positions mod {period}: {real_range:.3f})")
    print("| patch | seed | fit s | epochs | best val NLL | discriminative (± std) | predictive MAE | step (range) |")
    print("|---:|---:|---:|---:|---:|---|---:|---|")
    for patch in args.patches:
        def step(values: np.ndarray) -> tuple[float, str]:
            value, spread = step_sizes(values, train.values, period)
            return value, f"{value:.3f} ({spread:.3f})"

        score_seeds(str(patch), train, hold, {"patch": patch}, args.seeds, args.splits, step=step)


if __name__ == "__main__":
    main()
