"""How much does one draw of training entities move the audit's DCR share when there are few entities?

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/dcr_share_draws.py [--dataset dicom_patches] [--rows 50]

Generates ``--rows`` images from the shipped ``imaging`` bundle of ``--dataset`` (seed 0, as ``synthguard generate
imaging`` does), splits the reference set as the pipeline does (by patient), then scores the same output's DCR
share against ``--draws`` single draws of whole training patients (``ENTITY_DRAWS = 1``) and ``--draws`` times
with the audit's setting (the mean of ``ENTITY_DRAWS`` draws). Prints JSON.
"""

from __future__ import annotations

import argparse
import importlib
import json

import numpy as np
import synthguard as sg
from synthguard.data import holdout_split
from synthguard.pipeline import HOLDOUT, SPLIT_SEED
from synthguard.privacy import dcr_share

audit_module = importlib.import_module("synthguard.privacy.audit")  # the package's name `audit` is its function


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="dicom_patches")
    ap.add_argument("--rows", type=int, default=50)
    ap.add_argument("--draws", type=int, default=30)
    args = ap.parse_args()
    engine = sg.Engine()
    synthetic = engine.generate("imaging", rows=args.rows, dataset=args.dataset, seed=0, progress=False).records
    train, holdout = holdout_split(engine.dataset(args.dataset).load(), HOLDOUT, seed=SPLIT_SEED)
    distance = engine.distance_for("image", "imaging")

    def shares() -> list[float]:
        return [dcr_share(train, holdout, synthetic, distance, seed=s)["share_closer_to_train"] for s in range(args.draws)]

    averaged, audit_module.ENTITY_DRAWS = audit_module.ENTITY_DRAWS, 1
    single = shares()
    audit_module.ENTITY_DRAWS = averaged
    mean_of = shares()
    summary = lambda x: {"mean": round(float(np.mean(x)), 3), "sd": round(float(np.std(x)), 3),  # noqa: E731
                         "min": min(x), "max": max(x)}
    print(json.dumps({"dataset": args.dataset, "rows": args.rows, "draws": args.draws, "one_draw": summary(single),
                      f"mean_of_{averaged}_draws": summary(mean_of)}, indent=1))


if __name__ == "__main__":
    main()
