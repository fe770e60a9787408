"""Experiment: what an epoch of ``sensor-conv-ar`` (formerly ``sensor-vae``) costs with each of its training-loop options, and all together.

    .venv/bin/python benchmarks/experiments/sensor_vae_epoch_cost.py --dataset basic_motions --repeats 2
    .venv/bin/python benchmarks/experiments/sensor_vae_epoch_cost.py --config "hidden=64"   # the width before 48

Fits ``sensor-conv-ar`` on ``generate``'s 80% training split for a fixed 60 epochs (no early stopping, so every
variant does the same work) with :attr:`LatentSequenceGenerator.train_options` set to: none, each option alone
(fused AdamW, even batches, the validation draws in one pass) and all three, and prints milliseconds per epoch
(the training loop's own clock) for each repeat. ``--config`` sets the generator's other values for every row. Run it alone: two torch processes on 2 cores slow each other.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import synthguard as sg
from synthguard_sequence import LatentSequenceGenerator

from sensor_configs import training_split  # same folder

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness import parse_settings  # noqa: E402

EPOCHS = 60
VARIANTS = {"none": {}, "fused": {"fused": True}, "even_batches": {"even_batches": True},
            "val_one_pass": {"val_one_pass": True},
            "all three": {"fused": True, "even_batches": True, "val_one_pass": True}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="basic_motions")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--config", default="", help='"KEY=VALUE KEY=VALUE" for every row (default: the defaults)')
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    train, _ = training_split(args.dataset)
    sg.fit("sensor-conv-ar", train, seed=0, config={"epochs": 2})  # warm-up: first-call costs are not an option's
    shipped = LatentSequenceGenerator.train_options
    settings = parse_settings(args.config.split()) if args.config.strip() else {}
    print(f"{args.dataset}: {len(train)} training recordings, {EPOCHS} epochs a fit, {settings or 'defaults'}")
    print("| options | ms per epoch (each repeat) |")
    print("|---|---|")
    try:
        for label, options in VARIANTS.items():
            LatentSequenceGenerator.train_options = options
            config = {**settings, "epochs": EPOCHS, "patience": EPOCHS}
            ms = [sg.fit("sensor-conv-ar", train, seed=0, config=config).fit_info_["seconds"] / EPOCHS * 1000
                  for _ in range(args.repeats)]
            print(f"| {label} | {' / '.join(f'{m:.1f}' for m in ms)} |", flush=True)
    finally:
        LatentSequenceGenerator.train_options = shipped


if __name__ == "__main__":
    main()
