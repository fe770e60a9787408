"""What the patient as the unit of privacy does to the imaging reference sets (run by hand, not a test).

    OMP_NUM_THREADS=1 python plugins/imaging/scripts/patient_split.py [--datasets brain_mri_slices ...] [--out FILE]

For each reference set, with no generator involved:

* the split ``generate`` makes (20%, seed 0) by patient, against the former split by image: how many
  patients sit on both sides of the former, how many each side of the new one holds;
* whether the membership audit can judge it (it needs at least ``MIN_HOLDOUT`` unseen patients);
* where the gate's near-copy threshold lands: the 1st percentile of the held-out patients' images'
  distances to the training images (``imaging.memorization``), beside each training image's distance to
  its nearest *other* training image — what a faithful new image of a trained-on patient looks like
  (a neighbouring slice or an overlapping patch). The share of training images below the threshold
  predicts the share of faithful outputs the gate rejects.

Prints one JSON object per dataset and writes them to ``--out`` (a JSON list) when given.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def probe(name: str) -> dict:
    import synthguard as sg
    from synthguard.data import holdout_split
    from synthguard.privacy.audit import MIN_HOLDOUT
    from synthguard.privacy.distance import NearestRecords
    from synthguard_imaging.privacy import MemorizationDistance

    data = sg.Engine().dataset(name).load()
    by_image = sg.ImageSet(data.images, data.metadata)  # the former rule: every image its own unit
    old_train, old_hold = holdout_split(by_image, 0.2, seed=0)
    old_sides = set(data.entities[_rows(data, old_train)]) & set(data.entities[_rows(data, old_hold)])
    train, hold = holdout_split(data, 0.2, seed=0)
    d = MemorizationDistance().fit(train)
    to_train = NearestRecords(d, train)
    held = to_train.distances(hold)
    x = d.embed(train)
    nearest_other = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(nearest_other, np.inf)
    nearest_other = nearest_other.min(axis=1)
    threshold = float(np.quantile(held, 0.01))
    r = lambda v: round(float(v), 4)  # noqa: E731
    return {
        "dataset": name, "images": len(data), "patients": len(set(data.entities)),
        "former_split_by_image": {"training": len(old_train), "holdout": len(old_hold),
                                  "patients_on_both_sides": len(old_sides)},
        "patient_split": {"training_images": len(train), "holdout_images": len(hold),
                          "training_patients": sorted(set(train.entities)), "holdout_patients": sorted(set(hold.entities))},
        "membership_audit": ("can run" if len(set(hold.entities)) >= MIN_HOLDOUT else
                             f"cannot tell: {len(set(hold.entities))} unseen patients, needs {MIN_HOLDOUT}"),
        "gate": {"near_copy_threshold_holdout_p1": r(threshold), "holdout_to_train_median": r(np.median(held)),
                 "train_to_nearest_other_train_median": r(np.median(nearest_other)),
                 "train_to_nearest_other_train_p95": r(np.quantile(nearest_other, 0.95)),
                 "share_of_training_images_below_threshold": r(np.mean(nearest_other < threshold))},
    }


def _rows(data, part) -> np.ndarray:
    """Positions in ``data`` of ``part``'s images (matched by pixel hash; the sets hold no duplicate image)."""
    where = {h: i for i, h in enumerate(data.record_hashes())}
    return np.array([where[h] for h in part.record_hashes()])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=["brain_mri_slices", "dicom_patches"])
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    rows = []
    for name in args.datasets:
        rows.append(probe(name))
        print(json.dumps(rows[-1]), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
