"""Train the pretrained bundles this plugin ships (run by hand; a GPU is used when present).

    python plugins/sensor/scripts/train_pretrained.py                 # every reference dataset, both generators
    python plugins/sensor/scripts/train_pretrained.py basic_motions   # one
    python plugins/sensor/scripts/train_pretrained.py --generator sensor-vae daphnet

Each bundle is trained on the training split `generate` uses (the holdout stays unseen;
see `Engine.pretrain`), lands in synthguard_sensor/pretrained/<generator>--<dataset>/ and
records seed, device, epochs and seconds in its manifest (``fit``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import synthguard as sg

OUT = Path(__file__).resolve().parents[1] / "synthguard_sensor" / "pretrained"
GENERATORS = ["sensor", "sensor-vae"]


def main(names: list[str], generators: list[str]) -> None:
    engine = sg.Engine()
    for generator in generators:
        for name in names or ["basic_motions", "daphnet"]:
            model, digest = engine.pretrain(generator, name, OUT / f"{generator}--{name}", seed=0, progress=True)
            info = model.fit_info_
            print(f"{generator} on {name}: {info['epochs_run']} epochs (best {info['best_epoch']}) on {info['device']} "
                  f"in {info['seconds']:.1f}s -> {digest[:12]}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", help="reference datasets (default: all)")
    parser.add_argument("--generator", action="append", choices=GENERATORS, help="default: both")
    args = parser.parse_args()
    main(args.datasets, args.generator or GENERATORS)
