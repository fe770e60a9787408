"""Do duplicated rows switch the privacy gate off? (issue 21's sweep, rerun on the shipped german_credit table)

    .venv/bin/python benchmarks/experiments/duplicate_threshold.py

A share of the table's rows is repeated twice (one person, three identical rows) before `generate`'s 80/20
split, so some of a person's rows land on both sides. For each share it prints the near-copy and NNDR
thresholds the gate calibrates on the holdout, how many holdout records equal a training record, and
whether an exact copy of a repeated training record is rejected by near-copy and NNDR (exact-copy aside).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import synthguard as sg
from synthguard.privacy import NearCopyFilter, NNDRFilter, TableDistance


def main() -> None:
    real = sg.Engine().dataset("german_credit").load()
    print("share | near-copy threshold | NNDR threshold | holdout = training | copy of a repeated row rejected")
    for share in (0.0, 0.005, 0.01, 0.02, 0.05):
        rng = np.random.default_rng(0)
        repeated = real.frame.iloc[rng.choice(len(real), int(share * len(real)), replace=False)]
        train, holdout = sg.holdout_split(sg.Table(pd.concat([real.frame, repeated, repeated], ignore_index=True),
                                                   real.meta), 0.2)
        context = sg.CheckContext(meta=train.meta, reference_hashes=train.record_hashes(), reference=train,
                                  holdout=holdout, distance=TableDistance)
        near, nndr = NearCopyFilter(), NNDRFilter()
        try:
            near.prepare(context)
            nndr.prepare(context)
        except sg.DataError as err:
            print(f"{share:.3f} | refused: {err}")
            continue
        hashes = train.record_hashes()
        _, counts = np.unique(hashes, return_counts=True)
        dup = np.flatnonzero(np.isin(hashes, np.unique(hashes)[counts > 1]))
        caught = "—"
        if len(dup):
            copies = train.take(dup)
            caught = f"near-copy {near.check(copies, context).rejected.mean():.0%}, NNDR {nndr.check(copies, context).rejected.mean():.0%}"
        print(f"{share:.3f} | {near.threshold:.6f} | {nndr.threshold:.4f} | {near.holdout_copies} | {caught}")


if __name__ == "__main__":
    main()
