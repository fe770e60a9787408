"""What the patient as the unit of privacy does to the imaging reference sets (run by hand, not a test).

    OMP_NUM_THREADS=1 python benchmarks/experiments/imaging_patient_split.py [--datasets brain_mri_slices ...] [--out FILE]

For each reference set, with no generator involved:

* the split ``generate`` makes (20%, seed 0) by patient, against the former split by image: how many
  patients sit on both sides of the former, how many each side of the new one holds;
* whether the membership audit can judge it (it needs at least ``MIN_HOLDOUT`` unseen patients);
* where the gate's near-copy threshold lands: the 1st percentile of the held-out patients' images'
  distances to the training images (``imaging.memorization``), beside each training image's distance to
  its nearest *other* training image — what a faithful new image of a trained-on patient looks like
  (a neighbouring slice or an overlapping patch). The share of training images below the threshold
  predicts the share of faithful outputs the gate rejects.

With ``--generate ROWS``, also what ``synthguard generate imaging --dataset D --rows ROWS`` does with the
shipped bundle (only when it was trained on this split; otherwise it would train for 200 epochs first):
the release decision with its reason, or the gate's refusal (``SamplingError``) after ``--max-rounds``.

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


def generate(name: str, rows: int, max_rounds: int) -> dict:
    """The user's command on the shipped bundle: delivered with a release decision, or refused by the gate."""
    import time

    import synthguard as sg
    from synthguard.data import holdout_split

    engine = sg.Engine()
    dataset = engine.dataset(name)
    bundle = dataset.bundles().get("imaging")
    train, _ = holdout_split(dataset.load(), 0.2, seed=0)
    model = engine.load(bundle) if bundle else None
    trained_on = model.fit_info_.get("source_fingerprint", model.fit_info_.get("data_fingerprint")) if model else None
    if trained_on != train.fingerprint():
        return {"skipped": "the shipped bundle was trained on another split: run "
                           f"'synthguard pretrain imaging --dataset {name}' first"}
    start = time.perf_counter()
    try:
        rep = engine.generate("imaging", rows, dataset=name, options={
            "max_rounds": max_rounds, "metrics": False, "override_audit": "measured: the decision is recorded"}).report
    except sg.SynthGuardError as err:
        return {"rows": rows, "max_rounds": max_rounds, "outcome": f"{type(err).__name__}: {err}",
                "seconds": round(time.perf_counter() - start, 1)}
    audit = rep["audit"]
    return {"rows": rows, "max_rounds": max_rounds, "outcome": "delivered", "unit": rep["data"].get("unit"),
            "training_units": rep["data"].get("training_units"), "holdout_units": rep["data"].get("holdout_units"),
            "rejected": {k: v["rejected"] for k, v in rep["privacy"].items()}, "sampled": rep["sampling"],
            "exact_copies": audit["exact_copies"], "dcr_share": (audit.get("dcr") or {}).get("share_closer_to_train"),
            "decision": audit["release"]["decision"], "decision_reason": audit["release"].get("reason"),
            "seconds": round(time.perf_counter() - start, 1)}


def _rows(data, part) -> np.ndarray:
    """Positions in ``data`` of ``part``'s images (matched by pixel hash; the sets hold no duplicate image)."""
    where = {h: i for i, h in enumerate(data.record_hashes())}
    return np.array([where[h] for h in part.record_hashes()])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=["brain_mri_slices", "dicom_patches"])
    ap.add_argument("--out", default=None)
    ap.add_argument("--generate", type=int, default=0, metavar="ROWS", help="also run generate on the shipped bundle")
    ap.add_argument("--max-rounds", type=int, default=2, help="sampling rounds before the gate's refusal")
    ap.add_argument("--no-probe", action="store_true", help="skip the gate probe (only --generate)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    rows = []
    for name in args.datasets:
        rows.append({"dataset": name} if args.no_probe else probe(name))
        if args.generate:
            rows[-1]["generate"] = generate(name, args.generate, args.max_rounds)
        print(json.dumps(rows[-1]), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
