"""Pair trends bin a numeric column by the real table's edges on both sides, so a synthetic table is not marked down
for leaving out the real extremes (value protection clips them) — SDMetrics 0.32 bins each table by its own range."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import synthguard as sg
from synthguard.quality.fidelity import quality_score


def _loans(rows: int = 2000) -> sg.Table:
    rng = np.random.default_rng(0)
    tier = rng.choice(["A", "B", "C"], size=rows, p=[0.5, 0.3, 0.2])
    income = rng.lognormal(mean=np.select([tier == "A", tier == "B"], [4.0, 3.5], 3.0), sigma=0.6)
    return sg.Table.from_frame(pd.DataFrame({"tier": tier, "income": income}))


def test_a_copy_with_its_extremes_clipped_keeps_its_pair_trends():
    real = _loans()
    frame = real.frame.copy()
    low, high = frame["income"].quantile([0.005, 0.995])
    frame["income"] = frame["income"].clip(low, high)  # 1% of the cells moved to the 0.5% / 99.5% quantiles
    clipped = sg.Table(frame, real.meta)

    ours = quality_score(real, clipped)
    theirs = quality_score(real, clipped, aligned_bins=False)
    assert ours["column_pair_trends"] > 0.98
    # 0.91 vs 1.00: with each table cut by its own range, bin k meant other incomes on each side
    assert theirs["column_pair_trends"] < ours["column_pair_trends"] - 0.05
    assert ours["column_shapes"] == theirs["column_shapes"]  # shapes are not binned: unchanged


def test_real_bins_still_see_a_broken_pair_trend():
    real = _loans()
    frame = real.frame.copy()
    frame["tier"] = frame["tier"].sample(frac=1, random_state=1).to_numpy()  # same marginals, tier-income link gone
    shuffled = sg.Table(frame, real.meta)
    assert quality_score(real, shuffled)["column_pair_trends"] < 0.85
    assert quality_score(real, real)["column_pair_trends"] == pytest.approx(1.0)
