"""The three re-identification risks of WP29 Opinion 05/2014 (singling out, linkability, inference), for tables.

Implemented here from the definitions, in the attack-based form of Giomi et al.
(2023, the method behind ``anonymeter``) but not with anonymeter itself: its
numeric-secret hits are computed relative to the guess, NaN/inf silently lower
the risk, it fails on mixed types and empty frames, and its licence is
patent-pending. Each attack is run twice with the same synthetic data: on
training records (the people at risk) and on an equal number of holdout records
(people never shown to the generator: what the attack gets from population
patterns alone). The risk is the excess success on training records,
``(r_train - r_control) / (1 - r_control)``, with a 95% interval for the
difference of the two rates (Newcombe's, from both Wilson intervals).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..data import ColumnKind, Table, TableMeta, numeric_values
from .distance import NearestRecords, TableDistance

Z = 1.959964
PREDICATE_COLUMNS = 3
MAX_SECRETS = 12
NUMERIC_TOLERANCE = 0.05  # a numeric guess is right within 5% of the column's 5-95% range


def wilson(successes: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval of a success rate."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * np.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def risk(train_hits: int, control_hits: int, n: int) -> dict[str, Any]:
    """Excess success on training records over control records, with a 95% interval for the difference.

    The interval is Newcombe's (1998, method 10) from the two Wilson intervals, so the control rate's
    own noise widens it too, then scaled like the risk.
    """
    if n == 0:
        return {"risk": None, "skipped": "no valid attacks"}
    rt, rc = train_hits / n, control_hits / n
    lt, ut = wilson(train_hits, n)
    lc, uc = wilson(control_hits, n)
    diff = rt - rc
    lo, hi = diff - np.sqrt((rt - lt) ** 2 + (uc - rc) ** 2), diff + np.sqrt((ut - rt) ** 2 + (rc - lc) ** 2)
    scale = max(1 - rc, 1e-9)
    lo, hi = float(lo), float(hi)
    return {"risk": round(max(0.0, diff / scale), 4), "risk_ci": [round(max(0.0, lo / scale), 4),
                                                                  round(min(1.0, max(0.0, hi / scale)), 4)],
            "train_success_rate": round(rt, 4), "control_success_rate": round(rc, 4), "attacks": n}


def _subtable(table: Table, columns: list[str]) -> Table:
    meta = TableMeta(name=table.meta.name, columns=[table.meta.column(c) for c in columns])
    return Table(table.frame[columns], meta)


def singling_out(synthetic: Table, targets: Table, control: Table, seed: int = 0) -> dict[str, Any]:
    """Can a predicate read off the synthetic data isolate a real person?

    For each real record (training targets and, as control, holdout records) the
    attacker takes its nearest synthetic record and writes a predicate from
    half of the columns (at least ``PREDICATE_COLUMNS``), drawn at random,: equality for categories,
    ``>= v`` / ``<= v`` towards the nearer tail for numbers. The predicate must
    single out one synthetic record; the attack succeeds when it singles out
    exactly that real record in its group (targets and control are the same size).
    """
    rng = np.random.default_rng(seed)
    cols = [c for c in synthetic.meta.columns if not c.constant]
    if not cols:
        return {"risk": None, "skipped": "no non-constant columns"}
    numeric = {c.name for c in cols if c.kind in (ColumnKind.numeric, ColumnKind.datetime)}

    def values(t: Table) -> dict[str, np.ndarray]:
        return {c.name: numeric_values(t.frame[c.name], c.kind) if c.name in numeric
                else t.frame[c.name].astype(object).where(t.frame[c.name].notna(), "<NA>").astype(str).to_numpy()
                for c in cols}

    syn = values(synthetic)
    medians = {name: np.nanmedian(syn[name]) for name in numeric}
    distance = TableDistance().fit(synthetic)
    nearest = NearestRecords(distance, synthetic)
    width = min(len(cols), max(PREDICATE_COLUMNS, len(cols) // 2))

    def match(vals: dict[str, np.ndarray], pred: list[tuple[str, str, Any]]) -> np.ndarray:
        m = np.ones(len(next(iter(vals.values()))), dtype=bool)
        for name, op, v in pred:
            x = vals[name]
            m &= (x == v) if op == "==" else (x >= v) if op == ">=" else (x <= v)
        return m

    hits = {}
    for who, group in (("train", targets), ("control", control)):
        vals = values(group)
        near = nearest.kneighbors(group, 1)[1][:, 0]
        hits[who] = 0
        for i, s in enumerate(near):
            pred = []
            for j in rng.choice(len(cols), size=width, replace=False):
                name = cols[j].name
                v = syn[name][s]
                if name in numeric:
                    if np.isnan(v):
                        continue
                    pred.append((name, ">=" if v >= medians[name] else "<=", v))
                else:
                    pred.append((name, "==", v))
            if not pred or match(syn, pred).sum() != 1:
                continue
            m = match(vals, pred)
            hits[who] += int(m.sum() == 1 and m[i])
    out = risk(hits["train"], hits["control"], len(targets))
    out["predicate_columns"] = width
    return out


def linkability(synthetic: Table, targets: Table, control: Table, aux_columns: list[str] | None = None) -> dict[str, Any]:
    """Can the synthetic data link two halves of a real record? Nearest synthetic record on each half must agree."""
    names = synthetic.meta.names
    if len(names) < 2:
        return {"risk": None, "skipped": "needs at least two columns"}
    a = list(aux_columns) if aux_columns else names[: len(names) // 2]
    b = [c for c in names if c not in a]
    link = {}
    for group, cols in (("a", a), ("b", b)):
        d = TableDistance().fit(_subtable(synthetic, cols))
        index = NearestRecords(d, _subtable(synthetic, cols))
        link[group] = {who: index.kneighbors(_subtable(t, cols), 1)[1][:, 0]
                       for who, t in (("train", targets), ("control", control))}
    hits = {who: int(np.sum(link["a"][who] == link["b"][who])) for who in ("train", "control")}
    out = risk(hits["train"], hits["control"], len(targets))
    out["columns_a"], out["columns_b"] = a, b
    return out


def inference(synthetic: Table, targets: Table, control: Table, secrets: list[str] | None = None,
              seed: int = 0) -> dict[str, Any]:
    """Guess each secret column from the nearest synthetic record on all other columns; worst column is the headline."""
    names = synthetic.meta.names
    if len(names) < 2:
        return {"risk": None, "skipped": "needs at least two columns"}
    if secrets is None:
        rng = np.random.default_rng(seed)
        secrets = [names[i] for i in sorted(rng.choice(len(names), size=min(MAX_SECRETS, len(names)), replace=False))]
    per: dict[str, Any] = {}
    for secret in secrets:
        known = [c for c in names if c != secret]
        col = synthetic.meta.column(secret)
        d = TableDistance().fit(_subtable(synthetic, known))
        index = NearestRecords(d, _subtable(synthetic, known))
        hits = {}
        for who, t in (("train", targets), ("control", control)):
            guess = synthetic.frame[secret].iloc[index.kneighbors(_subtable(t, known), 1)[1][:, 0]].reset_index(drop=True)
            truth = t.frame[secret].reset_index(drop=True)
            hits[who] = int(_correct(guess, truth, col, synthetic).sum())
        per[secret] = risk(hits["train"], hits["control"], len(targets))
    valid = {k: v for k, v in per.items() if v.get("risk") is not None}
    worst = max(valid, key=lambda k: valid[k]["risk"]) if valid else None
    top = valid[worst] if worst else {}
    return {"risk": top.get("risk"), "risk_ci": top.get("risk_ci"), "train_success_rate": top.get("train_success_rate"),
            "control_success_rate": top.get("control_success_rate"), "worst_secret": worst, "secrets": per,
            "numeric_tolerance": f"{NUMERIC_TOLERANCE:.0%} of the column's 5-95% range"}


def _correct(guess: pd.Series, truth: pd.Series, col, reference: Table) -> np.ndarray:
    """Right guesses: equal categories; numbers within the tolerance (absolute, never relative to the guess)."""
    g_na, t_na = guess.isna().to_numpy(), truth.isna().to_numpy()
    if col.kind in (ColumnKind.numeric, ColumnKind.datetime):
        g, t = numeric_values(guess, col.kind), numeric_values(truth, col.kind)
        ref = numeric_values(reference.frame[col.name], col.kind)
        ref = ref[np.isfinite(ref)]
        span = float(np.quantile(ref, 0.95) - np.quantile(ref, 0.05)) if len(ref) else 0.0
        tol = NUMERIC_TOLERANCE * span
        close = np.abs(g - t) <= tol
        close[~np.isfinite(g) | ~np.isfinite(t)] = False
    else:
        close = guess.astype(str).to_numpy() == truth.astype(str).to_numpy()
    return np.where(g_na | t_na, g_na & t_na, close)


def wp29_risks(synthetic: Table, targets: Table, control: Table, seed: int = 0,
               aux_columns: list[str] | None = None, secrets: list[str] | None = None) -> dict[str, Any]:
    n = min(len(targets), len(control))
    if n == 0 or len(synthetic) == 0:
        return {"skipped": "needs training, control and synthetic records"}
    targets, control = targets.take(np.arange(n)), control.take(np.arange(n))
    return {"singling_out": singling_out(synthetic, targets, control, seed=seed),
            "linkability": linkability(synthetic, targets, control, aux_columns),
            "inference": inference(synthetic, targets, control, secrets, seed=seed),
            "targets": n, "method": "WP29 Opinion 05/2014 criteria as attacks (Giomi et al. 2023), implemented in synthguard"}
