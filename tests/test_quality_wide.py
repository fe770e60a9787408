"""A wide table: the quality score's column-pair trends are scored on a stated uniform sample of pairs, with
SDMetrics' own per-pair scores, and a run says which metric it is computing."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import synthguard as sg
from synthguard.quality.fidelity import quality_score, sdv_metadata


def _tables(columns: int = 8, rows: int = 120) -> tuple[sg.Table, sg.Table]:
    rng = np.random.default_rng(0)
    base = rng.normal(size=rows)

    def frame(noise: float) -> pd.DataFrame:
        data = {f"x{i}": base * (i % 3) + rng.normal(scale=noise, size=rows) for i in range(columns - 2)}
        data["colour"] = rng.choice(["red", "green", "blue"], size=rows)
        data["flag"] = base + rng.normal(size=rows) > 0
        return pd.DataFrame(data)

    real = sg.Table.from_frame(frame(0.5))
    synthetic = sg.Table(frame(1.5)[real.meta.names], real.meta)
    return real, synthetic


def _sdmetrics_pairs(real: sg.Table, synthetic: sg.Table) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from sdmetrics.reports.single_table import QualityReport

        report = QualityReport()
        report.generate(real.frame, synthetic.frame, sdv_metadata(real.meta), verbose=False)
    return report.get_details("Column Pair Trends")


def test_a_narrow_table_gets_sdmetrics_own_pair_trends_over_every_pair():
    real, synthetic = _tables()
    out = quality_score(real, synthetic, aligned_bins=False)  # SDMetrics' own bins: its own score
    full = _sdmetrics_pairs(real, synthetic)
    assert len(full) == 28 and "pairs_scored" not in out
    assert out["column_pair_trends"] == pytest.approx(full["Score"].mean(), abs=1e-4)


def test_a_wide_table_scores_a_stated_uniform_sample_of_pairs_with_the_same_per_pair_scores():
    real, synthetic = _tables()
    out = quality_score(real, synthetic, max_pairs=10, aligned_bins=False)
    assert out["pairs_scored"] == {"scored": 10, "of": 28, "sample": "uniform, seed 0"}

    from synthguard.quality.fidelity import pair_sample

    chosen = pair_sample(real.meta.names, 10)
    full = _sdmetrics_pairs(real, synthetic).set_index(["Column 1", "Column 2"])["Score"]
    # SDMetrics' average leaves out pairs whose real association is below its threshold (their score is NaN)
    assert out["column_pair_trends"] == pytest.approx(np.nanmean([full[p] for p in chosen]), abs=1e-4)
    assert quality_score(real, synthetic, max_pairs=10, aligned_bins=False) == out  # the same sample each time


def test_generate_says_which_metric_it_is_computing(capsys):
    frame = pd.DataFrame({"a": np.arange(60) % 7, "b": np.arange(60) % 5, "c": ["x", "y", "z"] * 20})
    sg.Engine().generate("finance-gaussian-copula", data=frame, rows=30, progress=True, options={"audit": False})
    err = capsys.readouterr().err
    assert "measuring quality against the real records" in err
    assert "metric 1/" in err and "core.quality" in err
