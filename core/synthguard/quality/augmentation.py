"""Does synthetic data help a downstream model? Real-only vs real + synthetic vs synthetic-only, on one real holdout.

For each regime (a share of the real training records: 10%, 25%, 100%) a downstream model
(:class:`synthguard.augment_tasks.DownstreamTask`) is trained on

* ``real``: the regime's real records alone,
* ``real + synthetic ×r``: the same real records plus ``r`` times as many synthetic ones (r = 0.5, 1, 2),
* ``synthetic``: as many synthetic records as real ones, no real ones (TSTR),
* optionally, baselines without a generator: other downstream models on the real records alone (a class-weighted
  classifier, a moved threshold), so an uplift can be read against what the cheap alternatives buy,

and every model is scored on the same real holdout. Intervals are percentile bootstraps over the holdout
records (the same resamples for every arm, so an uplift's interval is paired); they cover the holdout's
sampling error, not the luck of which real records a regime drew. An uplift is significant when its 95%
interval excludes 0 (uncorrected for the number of comparisons, which the verdict states). Baseline arms are
marked ``"baseline": true`` and left out of the verdict, which is about synthetic records.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from ..augment_tasks import DownstreamTask, Prediction
from ..data import Records

RATIOS = (0.5, 1.0, 2.0)
FRACTIONS = (0.1, 0.25, 1.0)
BOOTSTRAP = 200


@dataclass
class Regime:
    """One regime: ``real`` training records (a share of them), the ``synthetic`` records of a generator fit on
    exactly those (None: not measured), and a line saying where the synthetic records came from."""

    fraction: float
    real: Records
    synthetic: Records | None
    note: str = ""


def subsample(records: Records, labels: np.ndarray, fraction: float, seed: int) -> Records:
    """``fraction`` of ``records``, stratified by ``labels`` (classes) and whole entities kept together."""
    if fraction >= 1:
        return records
    rng = np.random.default_rng([seed, int(fraction * 1e6)])
    groups = records.groups()
    if groups is not None:  # a person's records stay together, as in the holdout split
        units = np.unique(groups)
        chosen = rng.choice(units, size=max(1, round(fraction * len(units))), replace=False)
        return records.take(np.flatnonzero(np.isin(groups, chosen)))
    keys = np.array(["" if v is None else str(v) for v in labels], dtype=object) if labels.dtype == object else None
    if keys is None:
        idx = rng.choice(len(records), size=max(2, round(fraction * len(records))), replace=False)
    else:
        idx = np.concatenate([rng.choice(np.flatnonzero(keys == k), size=max(1, round(fraction * (keys == k).sum())),
                                         replace=False) for k in np.unique(keys)])
    return records.take(np.sort(idx))


def measure(task: DownstreamTask, target: str, holdout: Records, regimes: Sequence[Regime], *,
            ratios: Sequence[float] = RATIOS, seed: int = 0, bootstrap: int = BOOTSTRAP,
            baselines: Mapping[str, DownstreamTask] | None = None) -> dict[str, Any]:
    """The augmentation section of report.json: every regime's arms, scores with 95% intervals, uplifts, verdict.

    ``baselines``: arm name -> another downstream model trained on the regime's real records alone, scored and
    compared with real-only as the mixes are (e.g. the same classifier with balanced class weights)."""
    kind = task.kind(holdout, target)
    y_hold = task.labels(holdout, target)
    keep = _present(y_hold)
    holdout, y_hold = holdout.take(np.flatnonzero(keep)), y_hold[keep]
    y_all = task.labels(max((r.real for r in regimes), key=len), target)  # the minority of the most real records
    minority = _minority(y_all) if kind == "classification" else None
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(holdout), size=(bootstrap, len(holdout)))
    out_regimes = []
    for regime in regimes:
        arms = [(*arm, task) for arm in _arms(regime, ratios)]
        arms[1:1] = [(name, None, [regime.real], None, other) for name, other in (baselines or {}).items()]
        scored = []
        base = None
        for name, ratio, parts, skipped, model in arms:
            row: dict[str, Any] = {"arm": name, "ratio": ratio, **({"baseline": True} if model is not task else {})}
            if skipped:
                scored.append({**row, "skipped": skipped})
                continue
            train = type(parts[0]).concat(parts) if len(parts) > 1 else parts[0]
            y_train = task.labels(train, target)
            train = train.take(np.flatnonzero(_present(y_train)))
            row["train_records"] = len(train)
            if kind == "classification" and len(set(task.labels(train, target))) < 2:
                scored.append({**row, "skipped": "its training records hold one class: nothing to learn"})
                continue
            pred = model.fit_predict(train, holdout, target, seed)
            point, boots = _scores(kind, y_hold, pred, minority, draws)
            row.update({k: _r(v) for k, v in point.items()})
            row.update({f"{k}_ci": _ci(v) for k, v in boots.items()})
            if base is None and name == "real":
                base = boots, point
            elif base is not None:
                row["uplift"] = _uplift(kind, point, boots, *base[::-1])
            scored.append(row)
        out_regimes.append({"fraction": regime.fraction, "real_records": len(regime.real),
                            "synthetic_records": len(regime.synthetic) if regime.synthetic is not None else 0,
                            "synthetic_from": regime.note, "arms": scored,
                            "verdict": _regime_verdict(kind, regime.fraction, scored)})
    metric = "roc_auc" if kind == "classification" else "mae"
    return {"target": target, "kind": kind, "metric": metric, "minority_class": minority,
            "task": {"name": task.name, "description": task.description}, "holdout_records": len(holdout),
            "ratios": list(ratios), "bootstrap": bootstrap, "regimes": out_regimes,
            "verdict": _verdict(kind, out_regimes, len(holdout)),
            "protocol": ("downstream model trained on real-only, real + synthetic at each ratio and synthetic-only, "
                         "all scored on the same real holdout; 95% percentile bootstrap over the holdout records "
                         f"({bootstrap} resamples, paired across arms); each regime's generator is fit on that "
                         "regime's real records only")}


def _arms(regime: Regime, ratios: Sequence[float]) -> list[tuple[str, float | None, list[Records], str | None]]:
    real, syn = regime.real, regime.synthetic
    arms: list[tuple[str, float | None, list[Records], str | None]] = [("real", 0.0, [real], None)]
    have = len(syn) if syn is not None else 0
    for ratio in ratios:
        need = round(ratio * len(real))
        skip = None if syn is not None and have >= need else f"needs {need} synthetic records, {have} at hand"
        arms.append((f"real + synthetic ×{ratio:g}", ratio, [real, syn.take(np.arange(need))] if not skip else [], skip))
    need = len(real)
    skip = None if syn is not None and have >= need else f"needs {need} synthetic records, {have} at hand"
    arms.append(("synthetic", None, [syn.take(np.arange(need))] if not skip else [], skip))
    return arms


def _mixed(arm: dict) -> bool:
    """A real + synthetic arm that was measured (not synthetic-only, not a baseline without a generator)."""
    return "uplift" in arm and arm["arm"] != "synthetic" and not arm.get("baseline")


def _present(y: np.ndarray) -> np.ndarray:
    if y.dtype == object:
        return np.array([v is not None and v == v for v in y], dtype=bool)
    return np.isfinite(y.astype(float))


def _minority(y: np.ndarray) -> str:
    values, counts = np.unique([str(v) for v in y if v is not None and v == v], return_counts=True)
    return str(values[np.argmin(counts)])


def _scores(kind: str, y: np.ndarray, pred: Prediction, minority: str | None,
            draws: np.ndarray) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Point scores on the holdout and the same scores on each bootstrap resample."""
    if kind == "regression":
        err = np.abs(np.asarray(pred.values, dtype=float) - y.astype(float))
        return {"mae": float(err.mean())}, {"mae": err[draws].mean(axis=1)}
    classes = list(pred.classes or [])
    y = np.array([str(v) for v in y], dtype=object)
    predicted = np.array(classes, dtype=object)[np.argmax(pred.proba, axis=1)]
    present = [c for c in np.unique(y)]
    score_of = {c: (pred.proba[:, classes.index(c)] if c in classes else np.zeros(len(y))) for c in present}
    scored = [minority] if len(present) == 2 and minority in present else present  # binary: the minority's AUC

    def auc(idx: np.ndarray) -> np.ndarray:
        """ROC AUC (one class vs the rest, averaged over classes) of each row of ``idx``: Mann-Whitney U from ranks
        (scipy's rankdata, ties averaged), vectorised over the bootstrap resamples."""
        from scipy.stats import rankdata

        per_class = []
        for c in scored:
            pos = y[idx] == c
            n1 = pos.sum(axis=1)
            n0 = pos.shape[1] - n1
            ranks = rankdata(score_of[c][idx], axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                per_class.append(((ranks * pos).sum(axis=1) - n1 * (n1 + 1) / 2) / (n1 * n0))
        if not per_class:
            return np.full(len(idx), np.nan)
        with warnings.catch_warnings():  # a resample holding no record of a class: NaN, dropped by the CI
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(np.vstack(per_class), axis=0)

    def recall(idx: np.ndarray) -> np.ndarray:
        pos = y[idx] == minority
        with np.errstate(invalid="ignore", divide="ignore"):
            return (pos & (predicted[idx] == minority)).sum(axis=1) / pos.sum(axis=1)

    all_idx = np.arange(len(y))
    point = {"roc_auc": float(auc(all_idx[None, :])[0]), "minority_recall": float(recall(all_idx[None, :])[0])}
    boots = {"roc_auc": auc(draws), "minority_recall": recall(draws)}
    return point, boots


def _uplift(kind: str, point: dict, boots: dict, base_point: dict, base_boots: dict) -> dict[str, Any]:
    """Arm minus real-only (for an error: real-only minus arm), so positive always means better."""
    out = {}
    for key in point:
        sign = -1.0 if kind == "regression" else 1.0
        diff = sign * (boots[key] - base_boots[key])
        lo, hi = np.nanpercentile(diff, [2.5, 97.5])
        out[key] = {"value": _r(sign * (point[key] - base_point[key])), "ci": [_r(lo), _r(hi)],
                    "significant": bool(lo > 0 or hi < 0)}
    return out


def _primary(kind: str) -> str:
    return "roc_auc" if kind == "classification" else "mae"


def _regime_verdict(kind: str, fraction: float, arms: list[dict]) -> str:
    key = _primary(kind)
    name = "AUC" if kind == "classification" else "MAE"
    mixed = [a for a in arms if _mixed(a)]
    if not mixed:
        return f"{fraction:.0%} of the training data: no real + synthetic arm could be measured"
    best = max(mixed, key=lambda a: a["uplift"][key]["value"])
    u = best["uplift"][key]
    change = "lowers" if kind == "regression" else "raises"
    what = f"{best['arm']} {change} {name} by {abs(u['value'])} [{u['ci'][0]}, {u['ci'][1]}]"
    if kind == "regression" and u["value"] < 0:
        what = f"{best['arm']} (the best mix) raises MAE by {abs(u['value'])} [{u['ci'][0]}, {u['ci'][1]}]"
    elif kind == "classification" and u["value"] < 0:
        what = f"{best['arm']} (the best mix) lowers AUC by {abs(u['value'])} [{u['ci'][0]}, {u['ci'][1]}]"
    if u["significant"] and u["value"] > 0:
        return f"{fraction:.0%} of the training data: synthetic data helps — {what}, the interval above 0"
    hurt = [a["arm"] for a in mixed if a["uplift"][key]["significant"] and a["uplift"][key]["value"] < 0]
    tail = f"; it hurts with {', '.join(hurt)}" if hurt else ""
    return f"{fraction:.0%} of the training data: synthetic data does not help here — best: {what}{tail}"


def _verdict(kind: str, regimes: list[dict], holdout: int) -> str:
    key = _primary(kind)
    name = "AUC" if kind == "classification" else "MAE"
    mixed = [(r["fraction"], a) for r in regimes for a in r["arms"] if _mixed(a)]
    if not mixed:
        return "not measured: no real + synthetic arm had enough synthetic records"
    helped = [(f, a) for f, a in mixed if a["uplift"][key]["significant"] and a["uplift"][key]["value"] > 0]
    hurt = [(f, a) for f, a in mixed if a["uplift"][key]["significant"] and a["uplift"][key]["value"] < 0]
    n = len(mixed)
    if not helped:
        text = (f"Synthetic data does not help here: no real + synthetic model beat real-only on {name} with a 95% "
                f"interval above 0 ({n} comparisons on {holdout} holdout records)"
                + (f"; {len(hurt)} were significantly worse" if hurt else "") + ".")
    else:
        where = ", ".join(f"{f:.0%} {a['arm']}" for f, a in helped)
        text = (f"Synthetic data helps on {name} in {len(helped)} of {n} comparisons ({where}; 95% intervals above 0, "
                f"uncorrected for {n} comparisons)" + (f"; {len(hurt)} were significantly worse" if hurt else "") + ".")
    if kind == "classification":  # what rebalancing is for: the rare class found at the model's own threshold
        recall = [(f, a) for f, a in mixed if a["uplift"]["minority_recall"]["significant"]]
        up = [(f, a) for f, a in recall if a["uplift"]["minority_recall"]["value"] > 0]
        if recall:
            f, a = max(recall, key=lambda fa: abs(fa[1]["uplift"]["minority_recall"]["value"]))
            u = a["uplift"]["minority_recall"]
            text += (f" Minority-class recall changes significantly in {len(recall)} of {n} ({len(up)} up; largest: "
                     f"{f:.0%} {a['arm']} {u['value']:+} [{u['ci'][0]}, {u['ci'][1]}]).")
    return text


def _ci(values: np.ndarray) -> list[float | None]:
    values = values[np.isfinite(values)]
    if not len(values):
        return [None, None]
    lo, hi = np.percentile(values, [2.5, 97.5])
    return [_r(lo), _r(hi)]


def _r(value: float) -> float | None:
    return round(float(value), 4) if value is not None and np.isfinite(value) else None


__all__ = ["Regime", "measure", "subsample", "RATIOS", "FRACTIONS", "BOOTSTRAP"]
