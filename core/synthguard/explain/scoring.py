"""What the generator itself learned, for generators that can score records (:class:`LikelihoodScorer`).

* conditional importance: for real rows the model never saw, how much worse the model predicts column *i*
  from all the other columns when column *j* is hidden as well — the mean drop of log p(x_i | x_-i) in nats
  (0: the model does not use *j* for *i* once it knows the rest);
* each delivered record's log-likelihood under the model, flagged as an outlier below the
  :data:`OUTLIER_PERCENTILE` th percentile of the real holdout records' log-likelihoods.
"""

from __future__ import annotations

from typing import Any, Protocol, Sequence, runtime_checkable

import numpy as np
import pandas as pd

from ..data import Table
from ..quality.figures import round_matrix, round_value, round_values

#: Real rows the importances are averaged over (a seeded sample beyond it): columns² model passes over them...
IMPORTANCE_ROWS = 500
#: ...and at most this many row-passes in all (a wide table gets fewer rows, at least 50).
IMPORTANCE_BUDGET = 250_000
#: A delivered record below this percentile of the holdout's log-likelihood is flagged.
OUTLIER_PERCENTILE = 1.0


@runtime_checkable
class LikelihoodScorer(Protocol):
    """The optional capability a generator offers ``synthguard explain`` (set ``supports_likelihood = True``).

    Both methods take records of the fitted schema (a :class:`~synthguard.Table` or DataFrame) and return one
    float per record, in nats, NaN where the model cannot score a record (a value it never saw).
    """

    supports_likelihood: bool

    def log_likelihood(self, records: Table | pd.DataFrame) -> np.ndarray:
        """log p(record) under the model."""

    def conditional_log_prob(self, records: Table | pd.DataFrame, column: str,
                             masked: Sequence[str] = ()) -> np.ndarray:
        """log p(``column`` | every other column except ``masked``) under the model."""


def scorer_of(model: Any) -> LikelihoodScorer | None:
    """``model`` if it declares and implements the capability, else None."""
    if model is not None and getattr(model, "supports_likelihood", False) and isinstance(model, LikelihoodScorer):
        return model
    return None


def _sample(table: Table, rows: int, seed: int) -> Table:
    if len(table) <= rows:
        return table
    idx = np.sort(np.random.default_rng(seed).choice(len(table), rows, replace=False))
    return table.take(idx)


def conditional_importance(model: LikelihoodScorer, real: Table, seed: int = 0,
                           rows: int = IMPORTANCE_ROWS) -> dict[str, Any]:
    """``importance[i][j]``: mean drop of log p(x_i | others) when x_j is hidden too (nats; None on the diagonal)."""
    names = real.meta.names
    table = _sample(real, max(50, min(rows, IMPORTANCE_BUDGET // max(len(names) ** 2, 1))), seed)
    matrix = np.full((len(names), len(names)), np.nan)
    base_mean = []
    for i, target in enumerate(names):
        base = model.conditional_log_prob(table, target)
        base_mean.append(np.nanmean(base) if np.isfinite(base).any() else np.nan)
        for j, other in enumerate(names):
            if i != j:
                drop = base - model.conditional_log_prob(table, target, masked=(other,))
                matrix[i, j] = np.nanmean(drop) if np.isfinite(drop).any() else np.nan
    reliance = np.nansum(np.where(np.isnan(matrix), 0, matrix), axis=0)
    return {"columns": names, "rows_scored": len(table), "unit": "nats",
            "importance": round_matrix(matrix), "log_prob_given_others": round_values(base_mean),
            "reliance": dict(zip(names, round_values(reliance))),
            "top": {t: [names[j] for j in np.argsort(-np.nan_to_num(matrix[i], nan=-np.inf))[:3]
                        if np.isfinite(matrix[i, j])] for i, t in enumerate(names)}}


def record_likelihoods(model: LikelihoodScorer, synthetic: Table, holdout: Table | None,
                       train: Table | None) -> dict[str, Any]:
    """Each delivered record's log-likelihood and outlier flag, against the holdout's (else training rows')."""
    ll = np.asarray(model.log_likelihood(synthetic), dtype=float)
    reference, against = (holdout, "holdout") if holdout is not None and len(holdout) else (train, "training")
    out: dict[str, Any] = {"unit": "nats", "records": int(len(ll)), "log_likelihood": round_values(ll),
                           "against": against}
    if reference is None:
        return {**out, "threshold": None, "outliers": [], "note": "no real records at hand: no outlier threshold"}
    ref = np.asarray(model.log_likelihood(_sample(reference, 5000, 0)), dtype=float)
    scored = ref[np.isfinite(ref)]
    if not len(scored):
        return {**out, "threshold": None, "outliers": [], "note": f"no {against} record could be scored"}
    threshold = float(np.percentile(scored, OUTLIER_PERCENTILE))
    outliers = np.flatnonzero(np.isfinite(ll) & (ll < threshold))
    return {**out, "percentile": OUTLIER_PERCENTILE, "threshold": round_value(threshold),
            "reference_records": int(len(ref)), "reference_unscored": int(len(ref) - len(scored)),
            "reference_log_likelihood": round_values(scored),
            "outliers": [int(i) for i in outliers], "outlier_share": round_value(len(outliers) / max(len(ll), 1)),
            "median": {"synthetic": round_value(np.nanmedian(ll)) if np.isfinite(ll).any() else None,
                       against: round_value(np.median(scored))}}
