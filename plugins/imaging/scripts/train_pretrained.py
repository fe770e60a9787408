"""Train the pretrained bundle this plugin ships (run by hand; a GPU is used when present).

    OMP_NUM_THREADS=1 python plugins/imaging/scripts/train_pretrained.py                    # brain_mri_slices
    python plugins/imaging/scripts/train_pretrained.py dicom_patches                       # another dataset

The bundle is trained on the training split `generate` uses (the holdout stays unseen; see
`Engine.pretrain`), lands in synthguard_imaging/pretrained/imaging--<dataset>/ and records seed,
device, epochs, per-epoch losses, sample grids and seconds in its manifest (``fit``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import synthguard as sg
import torch

OUT = Path(__file__).resolve().parents[1] / "synthguard_imaging" / "pretrained"
GENERATOR = "imaging"


def main(names: list[str]) -> None:
    if not torch.cuda.is_available():
        torch.set_num_threads(int(__import__("os").environ.get("OMP_NUM_THREADS", "1")))
    engine = sg.Engine()
    for name in names or ["brain_mri_slices"]:
        model, digest = engine.pretrain(GENERATOR, name, OUT / f"{GENERATOR}--{name}", seed=0, progress=True)
        info = model.fit_info_
        print(f"{name}: {info['epochs_run']} epochs on {info['device']} in {info['seconds']:.1f}s "
              f"({info['seconds_per_epoch']} s/epoch, final loss {info['history']['train_loss'][-1]}) -> {digest[:12]}")


if __name__ == "__main__":
    main(sys.argv[1:])
