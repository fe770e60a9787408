"""Compact real-vs-synthetic summaries for the report's plots (so the HTML re-renders from report.json alone)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..data import ColumnKind, Table, numeric_values
from ..contract import Metric, MetricContext

TOP_CATEGORIES = 20
BINS = 30


def column_summary(real: pd.Series, synthetic: pd.Series, kind: ColumnKind) -> dict[str, Any]:
    missing = {"real": round(float(real.isna().mean()), 4), "synthetic": round(float(synthetic.isna().mean()), 4)}
    if kind in (ColumnKind.numeric, ColumnKind.datetime):
        r, s = numeric_values(real, kind), numeric_values(synthetic, kind)
        r, s = r[~np.isnan(r)], s[~np.isnan(s)]
        lo, hi = np.quantile(r, [0.005, 0.995]) if len(r) else (0.0, 1.0)
        edges = np.linspace(lo, hi if hi > lo else lo + 1, BINS + 1)
        rc = np.histogram(np.clip(r, lo, hi), edges)[0] / max(len(r), 1)
        sc = np.histogram(np.clip(s, lo, hi), edges)[0] / max(len(s), 1)
        return {"kind": kind.value, "edges": [float(e) for e in edges], "real": rc.round(5).tolist(),
                "synthetic": sc.round(5).tolist(), "missing": missing}
    rv = real.dropna().astype(str).value_counts(normalize=True)
    sv = synthetic.dropna().astype(str).value_counts(normalize=True)
    cats = list(rv.index[:TOP_CATEGORIES])
    return {"kind": kind.value, "categories": cats, "real": [round(float(rv.get(c, 0)), 5) for c in cats],
            "synthetic": [round(float(sv.get(c, 0)), 5) for c in cats], "missing": missing,
            "other_categories": max(0, len(rv) - len(cats))}


def correlations(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    cols = [c for c in table.meta.columns if c.kind in (ColumnKind.numeric, ColumnKind.datetime)]
    data = pd.DataFrame({c.name: numeric_values(frame[c.name], c.kind) for c in cols})
    return data.corr(method="spearman")


class DistributionsMetric(Metric):
    """Per-column histograms / category shares and Spearman correlation matrices, real vs synthetic."""

    name = "core.distributions"
    description = "data behind the report's per-column plots and correlation-difference heatmap"

    def compute(self, real: Table, synthetic: Table, context: MetricContext) -> dict[str, Any]:
        cols = {c.name: column_summary(real.frame[c.name], synthetic.frame[c.name], c.kind) for c in real.meta.columns}
        rc, sc = correlations(real.frame, real), correlations(synthetic.frame, real)
        diff = (sc - rc).abs()
        return {
            "columns": cols,
            "correlation": {"columns": list(rc.columns), "real": rc.round(4).fillna(0).values.tolist(),
                            "synthetic": sc.round(4).fillna(0).values.tolist(),
                            "mean_abs_difference": round(float(np.nanmean(diff.values)), 4) if diff.size else None},
        }
