"""Fidelity: SDMetrics' QualityReport (column shapes + column-pair trends), not a rewrite of it."""

from __future__ import annotations

import warnings
from typing import Any

from ..data import ColumnKind, Table, TableMeta
from ..contract import Metric, MetricContext

_SDTYPE = {ColumnKind.numeric: "numerical", ColumnKind.categorical: "categorical",
           ColumnKind.boolean: "boolean", ColumnKind.datetime: "datetime"}


def sdv_metadata(meta: TableMeta) -> dict[str, Any]:
    """Our column kinds as SDMetrics single-table metadata."""
    return {"columns": {c.name: {"sdtype": _SDTYPE[c.kind]} for c in meta.columns}}


def quality_score(real: Table, synthetic: Table) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SDMetrics 0.32 marks the single-table report deprecated; it is still the one for one table
        from sdmetrics.reports.single_table import QualityReport

        report = QualityReport()
        report.generate(real.frame, synthetic.frame, sdv_metadata(real.meta), verbose=False)
    props = report.get_properties().set_index("Property")["Score"]
    shapes = report.get_details("Column Shapes")
    return {
        "score": round(float(report.get_score()), 4),
        "column_shapes": round(float(props["Column Shapes"]), 4),
        "column_pair_trends": round(float(props["Column Pair Trends"]), 4),
        "columns": {row["Column"]: round(float(row["Score"]), 4) for _, row in shapes.iterrows()},
    }


class QualityMetric(Metric):
    """SDMetrics QualityReport of synthetic vs training data, and of holdout vs training (the ceiling)."""

    name = "core.quality"
    description = "SDMetrics quality score (column shapes, column-pair trends); ceiling = real holdout vs train"

    def compute(self, real: Table, synthetic: Table, context: MetricContext) -> dict[str, Any]:
        out = quality_score(real, synthetic)
        if context.holdout is not None:
            out["ceiling"] = quality_score(real, context.holdout)["score"]
        return out
