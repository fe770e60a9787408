"""Pairwise association of a table's columns, real vs synthetic: one measure per pair type, each in [0, 1].

* number × number: |Spearman ρ| (:func:`scipy.stats.spearmanr`, rows where both are present);
* category × category: Cramér's V (:func:`scipy.stats.contingency.association`; a missing value is a
  category of its own, levels beyond the :data:`MAX_LEVELS` most frequent pooled into one);
* number × category: the correlation ratio η of the number's ranks across the categories — the share of
  the number's rank variance the category explains, square-rooted (written here: neither scipy nor
  scikit-learn has it). On ranks, so it agrees with Spearman's scale-freeness.

Dates count as numbers, booleans as categories. 0 = independent, 1 = one column determines the other.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata, spearmanr
from scipy.stats.contingency import association, crosstab

from ..data import ColumnKind, Table, numeric_values
from ..quality.figures import round_matrix, round_value

#: Rows of each side the matrices are computed on (a seeded sample beyond it).
MAX_ROWS = 5000
#: Most categories kept per column; the rarer ones are pooled.
MAX_LEVELS = 20

MEASURES = {("numeric", "numeric"): "|Spearman ρ|", ("categorical", "categorical"): "Cramér's V",
            ("numeric", "categorical"): "correlation ratio η", ("categorical", "numeric"): "correlation ratio η"}


def column_types(table: Table) -> dict[str, str]:
    """``"numeric"`` (numbers, dates) or ``"categorical"`` (categories, booleans) for each column."""
    return {c.name: "numeric" if c.kind in (ColumnKind.numeric, ColumnKind.datetime) else "categorical"
            for c in table.meta.columns}


def _prepared(table: Table, types: dict[str, str], seed: int) -> dict[str, np.ndarray]:
    frame = table.frame
    if len(frame) > MAX_ROWS:
        frame = frame.sample(MAX_ROWS, random_state=seed)
    out: dict[str, np.ndarray] = {}
    for col in table.meta.columns:
        s = frame[col.name]
        if types[col.name] == "numeric":
            out[col.name] = numeric_values(s, col.kind).astype(float)
        else:
            text = s.astype(object).where(s.notna(), "<NA>").astype(str)
            keep = text.value_counts().index[:MAX_LEVELS]
            out[col.name] = text.where(text.isin(keep), "<other>").to_numpy()
    return out


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    ok = ~np.isnan(x) & ~np.isnan(y)
    if ok.sum() < 3 or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
        return float("nan")
    return abs(float(spearmanr(x[ok], y[ok]).statistic))


def _cramers_v(a: np.ndarray, b: np.ndarray) -> float:
    table = crosstab(a, b).count
    if min(table.shape) < 2:
        return float("nan")
    return float(association(table, method="cramer"))


def _eta(x: np.ndarray, groups: np.ndarray) -> float:
    ok = ~np.isnan(x)
    if ok.sum() < 3:
        return float("nan")
    r, g = rankdata(x[ok]), groups[ok]
    total = float(((r - r.mean()) ** 2).sum())
    if total == 0 or len(np.unique(g)) < 2:
        return float("nan")
    means = pd.Series(r).groupby(g).agg(["mean", "size"])
    between = float((means["size"] * (means["mean"] - r.mean()) ** 2).sum())
    return float(np.sqrt(between / total))


def pair_value(x: np.ndarray, y: np.ndarray, tx: str, ty: str) -> float:
    """The association of two prepared columns under the measure for their types (NaN: undefined, e.g. constant)."""
    if tx == ty == "numeric":
        return _spearman(x, y)
    if tx == ty == "categorical":
        return _cramers_v(x, y)
    return _eta(x, y) if tx == "numeric" else _eta(y, x)


def association_matrix(table: Table, types: dict[str, str], seed: int = 0) -> np.ndarray:
    """Square matrix of :func:`pair_value` over the table's columns (1 on the diagonal)."""
    cols = _prepared(table, types, seed)
    names = list(types)
    m = np.eye(len(names))
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            b = names[j]
            m[i, j] = m[j, i] = pair_value(cols[a], cols[b], types[a], types[b])
    return m


def dependency_structure(real: Table, synthetic: Table, seed: int = 0, misses: int = 5) -> dict[str, Any]:
    """Both matrices, the measure of each pair type, the strongest pairs and the largest misses in words."""
    types = column_types(real)
    names = list(types)
    r, s = association_matrix(real, types, seed), association_matrix(Table(synthetic.frame, real.meta), types, seed)
    pairs = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            measure = MEASURES[(types[names[i]], types[names[j]])]
            pairs.append({"columns": [names[i], names[j]], "measure": measure, "real": round_value(r[i, j]),
                          "synthetic": round_value(s[i, j]),
                          "difference": round_value(s[i, j] - r[i, j])})
    known = [p for p in pairs if p["difference"] is not None]
    worst = sorted(known, key=lambda p: -abs(p["difference"]))[:misses]
    strongest = {side: sorted((p for p in pairs if p[side] is not None), key=lambda p: -p[side])[:misses]
                 for side in ("real", "synthetic")}
    return {"columns": names, "types": types,
            "measures": {"numeric × numeric": MEASURES[("numeric", "numeric")],
                         "categorical × categorical": MEASURES[("categorical", "categorical")],
                         "numeric × categorical": MEASURES[("numeric", "categorical")]},
            "real": round_matrix(r), "synthetic": round_matrix(s),
            "mean_abs_difference": round_value(np.mean([abs(p["difference"]) for p in known])) if known else None,
            "strongest": {side: [p["columns"] for p in ps] for side, ps in strongest.items()},
            "largest_misses": worst, "largest_misses_text": [describe_miss(p) for p in worst]}


def describe_miss(pair: dict[str, Any]) -> str:
    """``"age × income: real 0.42, synthetic 0.11 (|Spearman ρ|)"``."""
    a, b = pair["columns"]
    return f"{a} × {b}: real {pair['real']:.2f}, synthetic {pair['synthetic']:.2f} ({pair['measure']})"
