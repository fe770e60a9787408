"""Utility: train on synthetic, test on real (TSTR) beside train on real, test on real (TRTR)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..data import ColumnKind, Table, numeric_values, text_values
from ..contract import Metric, MetricContext


def _features(frames: list[pd.DataFrame], meta, target: str) -> list[pd.DataFrame]:
    """Same encoding for every frame: categories as pandas categoricals over the union of values."""
    out = [pd.DataFrame(index=f.index) for f in frames]
    for col in meta.columns:
        if col.name == target:
            continue
        if col.kind in (ColumnKind.categorical, ColumnKind.boolean):
            cats = sorted({str(v) for f in frames for v in f[col.name].dropna().unique()})
            for o, f in zip(out, frames):
                o[col.name] = pd.Categorical(text_values(f[col.name]), categories=cats)
        else:
            for o, f in zip(out, frames):
                o[col.name] = numeric_values(f[col.name], col.kind)
    return out


def _score(task: str, model, x, y, classes) -> float:
    from sklearn.metrics import accuracy_score, r2_score, roc_auc_score

    if task == "regression":
        return float(r2_score(y, model.predict(x)))
    if task == "binary":
        if len(model.classes_) < 2:
            return 0.5  # a model that saw one class cannot rank
        pos = list(model.classes_).index(classes[1]) if classes[1] in model.classes_ else None
        return float(roc_auc_score(y == classes[1], model.predict_proba(x)[:, pos])) if pos is not None else 0.5
    return float(accuracy_score(y, model.predict(x)))


class TSTRMetric(Metric):
    """Gradient-boosted model on synthetic vs on real training data, both scored on the real holdout."""

    name = "core.tstr"
    description = ("TSTR vs TRTR on the holdout (AUC for binary targets, accuracy multiclass, R² numeric); TRTS: the "
                   "real-trained model scored on the synthetic rows' own outcomes")

    def compute(self, real: Table, synthetic: Table, context: MetricContext) -> dict[str, Any]:
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        target = context.target
        if context.holdout is None or target is None:
            return {"skipped": "needs a holdout split and a target column (--target)"}
        col = real.meta.column(target)
        hold = context.holdout.frame
        frames = [real.frame, synthetic.frame, hold]
        frames = [f[f[target].notna()] for f in frames]
        x_real, x_syn, x_hold = _features(frames, real.meta, target)
        if col.kind is ColumnKind.numeric and col.n_unique > 10:
            task, make = "regression", lambda: HistGradientBoostingRegressor(random_state=0)
            ys = [pd.to_numeric(f[target]).astype(float).to_numpy() for f in frames]
            classes = None
        else:
            ys = [f[target].astype(str).to_numpy() for f in frames]
            classes = sorted(set(ys[0]))
            task = "binary" if len(classes) == 2 else "multiclass"
            make = lambda: HistGradientBoostingClassifier(random_state=0, categorical_features="from_dtype")  # noqa: E731
        scores, models = {}, {}
        for name, x, y in (("trtr", x_real, ys[0]), ("tstr", x_syn, ys[1])):
            if len(np.unique(y)) < 2 and task != "regression":
                scores[name] = 0.5 if task == "binary" else float(np.mean(ys[2] == y[0]))
                continue
            model = make()
            if task == "regression":
                model = HistGradientBoostingRegressor(random_state=0, categorical_features="from_dtype")
            models[name] = model.fit(x, y)
            scores[name] = round(_score(task, model, x_hold, ys[2], classes), 4)
        # TRTS (Esteban et al. 2017): the real-trained model on the synthetic rows' own outcomes — how strongly the
        # output ties its outcome to the rest of the row, beside TRTR's figure for the real holdout
        scorable = "trtr" in models and (task == "regression" or len(np.unique(ys[1])) > 1)
        trts = round(_score(task, models["trtr"], x_syn, ys[1], classes), 4) if scorable else None
        metric = {"binary": "roc_auc", "multiclass": "accuracy", "regression": "r2"}[task]
        ratio = round(scores["tstr"] / scores["trtr"], 4) if scores["trtr"] else None
        return {"target": target, "task": task, "metric": metric, **scores, "ratio": ratio, "trts": trts,
                "holdout_records": len(hold)}
