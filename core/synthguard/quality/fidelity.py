"""Fidelity: SDMetrics' QualityReport (column shapes + column-pair trends), not a rewrite of it."""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from ..data import ColumnKind, Table, TableMeta
from ..contract import Metric, MetricContext

_SDTYPE = {ColumnKind.numeric: "numerical", ColumnKind.categorical: "categorical",
           ColumnKind.boolean: "boolean", ColumnKind.datetime: "datetime"}


def sdv_metadata(meta: TableMeta) -> dict[str, Any]:
    """Our column kinds as SDMetrics single-table metadata."""
    return {"columns": {c.name: {"sdtype": _SDTYPE[c.kind]} for c in meta.columns}}


def _as_kinds(table: Table) -> tuple[pd.DataFrame, dict[str, int]]:
    """The frame with numeric and date columns coerced to their kind, and per column how many values were not
    of it (junk text in a numeric column): SDMetrics would score such a column NaN and drop it from the mean."""
    frame, invalid = table.frame.copy(), {}
    for col in table.meta.columns:
        if col.kind not in (ColumnKind.numeric, ColumnKind.datetime):
            continue
        s = frame[col.name]
        coerced = (pd.to_numeric(s, errors="coerce") if col.kind is ColumnKind.numeric
                   else pd.to_datetime(s, errors="coerce"))
        bad = int((s.notna() & coerced.isna()).sum())
        if bad:
            frame[col.name], invalid[col.name] = coerced, bad
    return frame, invalid


#: Above this many column pairs (46 columns), pair trends are scored on a uniform sample of this many pairs:
#: SDMetrics scores one pair in about 10 ms, so the 11,175 pairs of a 150-column table took 5 minutes a report.
MAX_PAIRS = 1000


def pair_sample(names: list[str], max_pairs: int = MAX_PAIRS, seed: int = 0) -> list[tuple[str, str]] | None:
    """A seeded uniform sample of ``max_pairs`` column pairs, or None when every pair is scored."""
    pairs = list(itertools.combinations(names, 2))
    if len(pairs) <= max_pairs:
        return None
    chosen = np.random.default_rng(seed).choice(len(pairs), size=max_pairs, replace=False)
    return [pairs[i] for i in sorted(chosen)]


def _real_edges(prop: Any, real: pd.DataFrame, metadata: dict[str, Any]) -> dict[str, np.ndarray]:
    """SDMetrics' 10 equal-width bins of each numeric/date column of the *real* table, ends opened to ±inf."""
    numeric = prop._convert_datetime_columns_to_numeric(real.copy(), metadata)
    edges = {}
    for name, meta in metadata["columns"].items():
        if meta["sdtype"] not in ("numerical", "datetime"):
            continue
        values = pd.to_numeric(numeric[name], errors="coerce").dropna()
        if len(values):
            e = np.histogram_bin_edges(values).astype(float)
            e[0], e[-1] = -np.inf, np.inf
            edges[name] = e
    return edges


def _quality_report(pairs: list[tuple[str, str]] | None, aligned_bins: bool = True) -> Any:
    """SDMetrics' QualityReport; with ``pairs``, its Column Pair Trends property scores only those pairs.

    With ``aligned_bins`` a numeric column of a numeric × categorical pair is cut by the real table's bin edges on
    both sides, as SDMetrics' maintainers specified (sdv-dev/SDMetrics#368: bins from the real data, open ends).
    SDMetrics 0.32 cuts each table by its own range, so where the synthetic minimum or maximum differs from the
    real one (value protection clips extremes) bin k holds different values on the two sides: german_credit's
    training rows with 0.1% of their cells clipped scored 0.968 instead of 0.999 (benchmarks/experiments/
    pair_trend_bins.py), the default's AER CreditCard output 0.54 on `owner` × `dependents` instead of 0.90.
    """
    from sdmetrics.reports.single_table import QualityReport
    from sdmetrics.reports.single_table._properties import ColumnPairTrends

    class PairTrends(ColumnPairTrends):
        # SDMetrics' own property and per-pair scores; only the pairs (its column_pairs argument) and the bins differ
        _edges: dict[str, np.ndarray] = {}

        def _generate_details(self, real_data, synthetic_data, metadata, progress_bar=None, column_pairs=None):
            self._edges = _real_edges(self, real_data, metadata) if aligned_bins else {}
            return super()._generate_details(real_data, synthetic_data, metadata, progress_bar, column_pairs=pairs)

        def _discretize_column(self, column_name, data, bin_edges=None):
            return super()._discretize_column(column_name, data, self._edges.get(column_name, bin_edges))

    report = QualityReport()
    report._properties["Column Pair Trends"] = PairTrends()
    return report


def quality_score(real: Table, synthetic: Table, max_pairs: int = MAX_PAIRS, *,
                  aligned_bins: bool = True) -> dict[str, Any]:
    """SDMetrics' QualityReport, with no column left out of the average.

    Values that are not of their column's kind count as wrong: such a column scores SDMetrics' score on its
    valid values times their share, and a column SDMetrics cannot score (NaN) scores 0, named in
    ``unscored``. Without either, the figures are SDMetrics' own. A table with more than ``max_pairs`` column
    pairs has its pair trends scored on a seeded uniform sample of that many pairs, said in ``pairs_scored``.
    """
    synthetic_frame, invalid = _as_kinds(synthetic)
    pairs = pair_sample(real.meta.names, max_pairs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SDMetrics 0.32 marks the single-table report deprecated; it is still the one for one table
        report = _quality_report(pairs, aligned_bins)
        report.generate(real.frame, synthetic_frame, sdv_metadata(real.meta), verbose=False)
    props = report.get_properties().set_index("Property")["Score"]
    shapes = report.get_details("Column Shapes")
    scored = {row["Column"]: float(row["Score"]) for _, row in shapes.iterrows()}
    columns, unscored = {}, {}
    for name in real.meta.names:
        value = scored.get(name, math.nan)
        if name in invalid:
            n = len(synthetic_frame)
            unscored[name] = f"{invalid[name]} of {n} synthetic values are not of the column's kind (counted as wrong)"
            value = value * (1 - invalid[name] / n) if math.isfinite(value) else 0.0
        if not math.isfinite(value):
            unscored.setdefault(name, "SDMetrics could not score the column (scored 0)")
            value = 0.0
        columns[name] = value
    column_shapes = float(np.mean(list(columns.values())))
    pair_score = float(props["Column Pair Trends"])
    pair_score = pair_score if math.isfinite(pair_score) else None  # one column: no pairs
    score = (column_shapes + pair_score) / 2 if pair_score is not None else column_shapes
    out = {
        "score": round(score, 4),
        "column_shapes": round(column_shapes, 4),
        "column_pair_trends": round(pair_score, 4) if pair_score is not None else None,
        "columns": {name: round(v, 4) for name, v in columns.items()},
    }
    if pairs is not None:
        n = len(real.meta.names)
        out["pairs_scored"] = {"scored": len(pairs), "of": n * (n - 1) // 2, "sample": "uniform, seed 0"}
    if unscored:
        out["unscored"] = unscored
    return out


class QualityMetric(Metric):
    """SDMetrics QualityReport of synthetic vs training data, and of holdout vs training (the ceiling)."""

    name = "core.quality"
    description = "SDMetrics quality score (column shapes, column-pair trends); ceiling = real holdout vs train"

    def compute(self, real: Table, synthetic: Table, context: MetricContext) -> dict[str, Any]:
        out = quality_score(real, synthetic)
        if context.holdout is not None:
            out["ceiling"] = quality_score(real, context.holdout)["score"]
        return out
