"""Does the audit's DCR share read 0.5 for real records the generator never saw, when records are windows of recordings?

    python benchmarks/experiments/dcr_share_by_entity.py --aeon-wheel aeon-1.6.0-py3-none-any.whl --splits 10

ACSF1 (benchmarks/experiments/sensor_long_recordings.py says where it comes from) read as ``generate sensor`` reads
it by default: 256-step windows, 20% of the recordings held out (seed 0). In each split 40 of the 160 training
recordings stand in for the synthetic side (real windows, so the share should read 0.5) and the other 120 are the
training side. The share is computed with the sensor plugin's ``sensor.shape`` distance two ways: against a sample
of training windows drawn by rows (the audit before 2026-12-06) and against whole training recordings, as many as
the holdout has (:func:`synthguard.privacy.audit.dcr_share` now). Prints both per split and their means.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sensor_long_recordings import acsf1_windows  # noqa: E402


def main() -> None:
    from synthguard import entity_groups
    from synthguard.privacy.audit import NearestRecords, closer_share, dcr_share
    from synthguard_sensor.distance import ShapeDistance

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--aeon-wheel")
    ap.add_argument("--splits", type=int, default=10)
    args = ap.parse_args()
    train, hold = acsf1_windows(args.aeon_wheel)
    by_rows, by_entities = [], []
    for seed in range(args.splits):
        rng = np.random.default_rng(seed)
        groups = entity_groups(train)
        stand_in = np.isin(groups, rng.choice(np.unique(groups), 40, replace=False))
        syn, rest = train.take(np.flatnonzero(stand_in)), train.take(np.flatnonzero(~stand_in))
        d = ShapeDistance().fit(rest)
        rows = rest.take(np.sort(rng.choice(len(rest), size=len(hold), replace=False)))
        by_rows.append(closer_share(NearestRecords(d, rows).distances(syn), NearestRecords(d, hold).distances(syn)))
        by_entities.append(dcr_share(rest, hold, syn, ShapeDistance, seed=seed)["share_closer_to_train"])
        print(f"split {seed}: by rows {by_rows[-1]:.3f}, by entities {by_entities[-1]:.3f}", flush=True)
    print(json.dumps({"date": time.strftime("%Y-%m-%d %H:%M"), "holdout_windows": len(hold),
                      "by_rows_mean": round(float(np.mean(by_rows)), 4), "by_rows_sd": round(float(np.std(by_rows)), 4),
                      "by_entities_mean": round(float(np.mean(by_entities)), 4),
                      "by_entities_sd": round(float(np.std(by_entities)), 4)}))


if __name__ == "__main__":
    main()
