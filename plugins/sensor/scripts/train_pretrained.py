"""Train the pretrained bundles this plugin ships (run by hand; a GPU is used when present).

    python plugins/sensor/scripts/train_pretrained.py                 # every reference dataset
    python plugins/sensor/scripts/train_pretrained.py basic_motions   # one

Each bundle is trained on the training split `generate` uses (the holdout stays unseen) and lands in synthguard_sensor/pretrained/<generator>--<dataset>/ and records
seed, device, epochs and seconds in its manifest (``fit``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import synthguard as sg
from synthguard.bundle import save_bundle
from synthguard.data import holdout_split
from synthguard.engine import HOLDOUT, SPLIT_SEED

OUT = Path(__file__).resolve().parents[1] / "synthguard_sensor" / "pretrained"
GENERATOR = "sensor"
SEED = 0


def main(names: list[str]) -> None:
    engine = sg.Engine()
    names = names or ["basic_motions", "daphnet"]
    for name in names:
        # the same split `synthguard generate` makes, so the holdout stays unseen
        train, holdout = holdout_split(engine.dataset(name).load(), HOLDOUT, seed=SPLIT_SEED)
        model = engine.fit(GENERATOR, train, seed=SEED, device="auto", progress=True)
        model.fit_info_["source"] = {"source": f"dataset:{name}", "dataset": name}
        model.fit_info_["holdout"] = {"fraction": HOLDOUT, "seed": SPLIT_SEED, "holdout_records": len(holdout)}
        digest = save_bundle(model, OUT / f"{GENERATOR}--{name}", overwrite=True)
        info = model.fit_info_
        print(f"{name}: {info['epochs_run']} epochs (best {info['best_epoch']}) on {info['device']} "
              f"in {info['seconds']:.1f}s -> {digest[:12]}")


if __name__ == "__main__":
    main(sys.argv[1:])
