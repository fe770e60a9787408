"""Train the pretrained bundles this plugin ships (run by hand; a GPU is used when present).

    python plugins/traffic/scripts/train_pretrained.py                # every reference dataset
    python plugins/traffic/scripts/train_pretrained.py bikeshare      # one

Each bundle is trained on the training split `generate` uses (the holdout stays unseen;
see `Engine.pretrain`), lands in synthguard_traffic/pretrained/<generator>--<dataset>/ and
records seed, device, epochs and seconds in its manifest (``fit``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import synthguard as sg

OUT = Path(__file__).resolve().parents[1] / "synthguard_traffic" / "pretrained"
BUNDLES = {"bikeshare": "traffic", "chicago": "traffic", "nyc_flights": "traffic-trips"}


def main(names: list[str]) -> None:
    engine = sg.Engine()
    for name in names or list(BUNDLES):
        generator = BUNDLES[name]
        model, digest = engine.pretrain(generator, name, OUT / f"{generator}--{name}", seed=0, progress=True)
        info = model.fit_info_
        print(f"{generator} on {name}: {info['epochs_run']} epochs (best {info['best_epoch']}) on {info['device']} "
              f"in {info['seconds']:.1f}s -> {digest[:12]}")


if __name__ == "__main__":
    main(sys.argv[1:])
