"""Membership-inference attacks on a synthetic dataset, scored as an auditor would score them.

Set-up (no-box: the attacker sees the synthetic records and real records from
the same population, never the model). Non-members are **all** holdout units
(records, or entities when records belong together: windows of one recording,
slices of one subject); members are as many training units, drawn at random.
The attacker's "reference population" is cross-fitted: the holdout is split
into two halves, and each half's targets are scored against the other half, so
every holdout unit is scored once and never against itself. AUC 0.5 means the
synthetic data tells members apart no better than a coin.

Attacks (each score: higher = "more likely a member"):

* ``dcr`` — closeness to the nearest synthetic record.
* ``dcr-difference`` — distance to the reference population minus distance to
  the synthetic data: close to the synthetic data *for a record of its kind*.
* ``density-ratio`` — DOMIAS (van Breugel et al., 2023): synthetic density over
  population density at the record, estimated with k-nearest-neighbour radii
  (log r_k(ref) − log r_k(syn); no bandwidth to tune, works in any embedding).
* each of the above restricted to the most isolated records (top 20% by distance
  to the reference population) — the outliers memorisation hits first. Run only
  when that subset holds at least 30 members and 30 non-members.

An entity's score is the largest score of its records (the attacker's best
record of that person). Every attack reports AUC and the true-positive rate at
the false-positive rate the non-member count can read (:func:`readable_fpr`),
each with a 95% bootstrap interval; the headline is the worst case over attacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..data import Records, entity_groups
from .distance import Distance, NearestRecords

BOOTSTRAP = 200
DENSITY_K = 5
OUTLIER_SHARE = 0.2
#: An attack restricted to outliers runs only when the subset has this many members and non-members:
#: the worst case over attacks on 20 records a side is mostly the luckiest draw.
MIN_PER_CLASS = 30
#: False-positive rates TPR may be read at, smallest first, each with its target (TPR at most 2x / 1.5x chance).
FPR_TARGETS = {0.01: 0.02, 0.1: 0.15}
#: z-values of a two-sided 5% test and 80% power: what "the audit could have detected" means here.
Z_ALPHA, Z_POWER = 1.959964, 0.841621


def roc_scores(labels: np.ndarray, scores: np.ndarray, fpr: float = 0.01) -> tuple[float, float]:
    """AUC (ties count half) and the largest TPR at a false-positive rate ≤ ``fpr``.

    The ROC curve in numpy: sklearn's ``roc_auc_score`` + ``roc_curve`` give the same numbers but spend
    most of a bootstrap in input validation (20 s of a 22 s audit at 600 records a side).
    """
    order = np.argsort(-scores, kind="mergesort")
    s, y = scores[order], labels[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # last position of each distinct threshold
    tps = np.cumsum(y)[last]
    fps = (last + 1) - tps
    tpr, fpr_ = np.r_[0.0, tps / tps[-1]], np.r_[0.0, fps / fps[-1]]
    auc = float(np.sum(np.diff(fpr_) * (tpr[1:] + tpr[:-1]) / 2))
    return auc, float(tpr[fpr_ <= fpr + 1e-12].max())


def detectable_auc_excess(members: int, non_members: int) -> float:
    """Smallest AUC − 0.5 this many members and non-members detect with 80% power at the 5% level.

    Uses the null standard error of the Mann-Whitney AUC, sqrt((n1 + n0 + 1) / (12 n1 n0)) (Hanley & McNeil, 1982).
    """
    se = np.sqrt((members + non_members + 1) / (12.0 * members * non_members))
    return float((Z_ALPHA + Z_POWER) * se)


def detectable_tpr_excess(members: int, non_members: int, fpr: float) -> float:
    """Smallest TPR − FPR detectable (80% power, 5% level) at ``fpr``: binomial noise on both sides of the threshold."""
    se = np.sqrt(fpr * (1 - fpr) * (1.0 / members + 1.0 / non_members))
    return float((Z_ALPHA + Z_POWER) * se)


def readable_fpr(members: int, non_members: int) -> tuple[float, bool]:
    """The smallest false-positive rate whose TPR target this audit size can read, and whether it can.

    1% FPR needs about 2,000 units a side to tell a TPR of 2% from chance; 10% needs about 600 (the
    MIDST challenge reads TPR at 10% FPR for that reason). Below that, 10% is reported but can only
    fail on clear evidence (see :mod:`synthguard.privacy.release`).
    """
    for fpr, target in FPR_TARGETS.items():
        if detectable_tpr_excess(members, non_members, fpr) <= target - fpr:
            return fpr, True
    return max(FPR_TARGETS), False


def bootstrap_interval(labels: np.ndarray, scores: np.ndarray, fpr: float, seed: int = 0,
                       reps: int = BOOTSTRAP) -> dict[str, list[float]]:
    """95% percentile intervals of AUC and TPR at ``fpr`` over bootstrap resamples (stratified by label), and
    their bootstrap standard errors (for tests corrected over several attacks)."""
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    aucs, tprs = [], []
    for _ in range(reps):
        idx = np.concatenate([rng.choice(pos, len(pos)), rng.choice(neg, len(neg))])
        a, t = roc_scores(labels[idx], scores[idx], fpr)
        aucs.append(a)
        tprs.append(t)
    q = lambda x: [round(float(np.quantile(x, 0.025)), 4), round(float(np.quantile(x, 0.975)), 4)]  # noqa: E731
    return {"auc_ci": q(aucs), "tpr_ci": q(tprs), "auc_se": round(float(np.std(aucs)), 4),
            "tpr_se": round(float(np.std(tprs)), 4)}


def _units(records: Records) -> tuple[np.ndarray, str]:
    groups = entity_groups(records)
    if groups is None:
        return np.arange(len(records)), "record"
    return np.asarray(groups), records.entity_name  # "entity", or what the data names it ("patient")


@dataclass
class AttackSetup:
    """Who is scored, and against which half of the holdout; drawn once per audit so controls use the same people.

    ``member_units`` / ``non_member_units`` name the unit (entity, or record) of each scored record;
    ``member_fold`` / ``non_member_fold`` say which half of the holdout is *not* the record's population.
    """

    members: Records
    non_members: Records
    member_units: np.ndarray
    non_member_units: np.ndarray
    member_fold: np.ndarray
    non_member_fold: np.ndarray
    unit: str

    @classmethod
    def draw(cls, train: Records, holdout: Records, seed: int = 0) -> "AttackSetup":
        rng = np.random.default_rng(seed)
        t_units, unit = _units(train)
        h_units, h_unit = _units(holdout)
        unit = unit if unit != "record" else h_unit
        t_names, t_inv = np.unique(t_units, return_inverse=True)
        h_names, h_inv = np.unique(h_units, return_inverse=True)
        n = min(len(t_names), len(h_names))
        t_pick, h_pick = rng.permutation(len(t_names))[:n], rng.permutation(len(h_names))[:n]
        # fold of each picked unit: alternate over a random order, so both halves hold members and non-members
        t_fold, h_fold = np.full(len(t_names), -1), np.full(len(h_names), -1)
        t_fold[t_pick], h_fold[h_pick] = np.arange(n) % 2, np.arange(n) % 2
        t_rows, h_rows = np.flatnonzero(t_fold[t_inv] >= 0), np.flatnonzero(h_fold[h_inv] >= 0)
        return cls(train.take(t_rows), holdout.take(h_rows), t_inv[t_rows], h_inv[h_rows] + len(t_names),
                   t_fold[t_inv[t_rows]], h_fold[h_inv[h_rows]], unit)

    @property
    def n_members(self) -> int:
        return len(np.unique(self.member_units))

    @property
    def n_non_members(self) -> int:
        return len(np.unique(self.non_member_units))

    def population(self, fold: int) -> Records:
        """The attacker's reference records for targets of ``fold``: the other half of the holdout."""
        return self.non_members.take(np.flatnonzero(self.non_member_fold != fold))

    def unit_labels(self) -> tuple[np.ndarray, np.ndarray]:
        """Each scored unit's id and label (1 = member), in the order :func:`attack_scores` returns them."""
        units = np.r_[self.member_units, self.non_member_units]
        labels = np.r_[np.ones(len(self.member_units)), np.zeros(len(self.non_member_units))].astype(int)
        frame = pd.DataFrame({"unit": units, "label": labels}).groupby("unit", sort=True)["label"].first()
        return frame.index.to_numpy(), frame.to_numpy()


def _record_scores(targets: np.ndarray, to_syn: NearestRecords, to_pop: NearestRecords, k: int) -> dict[str, np.ndarray]:
    syn_d = to_syn.kneighbors_embedded(targets, k)[0]
    pop_d = to_pop.kneighbors_embedded(targets, k)[0]
    eps = 1e-9
    return {"dcr": -syn_d[:, 0], "dcr-difference": pop_d[:, 0] - syn_d[:, 0],
            "density-ratio": np.log(pop_d[:, -1] + eps) - np.log(syn_d[:, -1] + eps), "_isolation": pop_d[:, -1]}


def attack_scores(setup: AttackSetup, synthetic: Records, distance: type[Distance]) -> dict[str, np.ndarray]:
    """Every attack's membership score per unit (ordered as :meth:`AttackSetup.unit_labels`); NaN = not targeted."""
    d = distance().fit(synthetic)  # the attacker's view: scaled by what it holds
    to_syn = NearestRecords(d, synthetic)
    member_x, non_member_x = d.embed(setup.members), d.embed(setup.non_members)
    parts: list[pd.DataFrame] = []
    for fold in (0, 1):
        population = setup.population(fold)
        k = max(1, min(DENSITY_K, len(synthetic) - 1, len(population) - 1))
        m, h = setup.member_fold == fold, setup.non_member_fold == fold
        targets = np.vstack([member_x[m], non_member_x[h]])
        if not len(targets):
            continue
        scores = _record_scores(targets, to_syn, NearestRecords(d, population), k)
        iso = scores.pop("_isolation")
        outliers = iso >= np.quantile(iso, 1 - OUTLIER_SHARE)
        for name in list(scores):
            scores[f"{name}@outliers"] = np.where(outliers, scores[name], np.nan)
        parts.append(pd.DataFrame({"unit": np.r_[setup.member_units[m], setup.non_member_units[h]], **scores}))
    per_unit = pd.concat(parts).groupby("unit", sort=True).max()  # a unit's best record; NaN only if all are NaN
    return {name: per_unit[name].to_numpy(dtype=float) for name in per_unit.columns}


def evaluate_attacks(setup: AttackSetup, synthetic: Records, distance: type[Distance], fpr: float, seed: int = 0,
                     intervals: bool = True) -> dict[str, Any]:
    """AUC and TPR at ``fpr`` per attack (with intervals), and the worst case of each."""
    _, labels = setup.unit_labels()
    out: dict[str, Any] = {}
    for name, s in attack_scores(setup, synthetic, distance).items():
        keep = ~np.isnan(s)
        y, x = labels[keep], s[keep]
        if min((y == 1).sum(), (y == 0).sum()) < (MIN_PER_CLASS if "@" in name else 1):
            out[name] = {"skipped": f"{int((y == 1).sum())} members / {int((y == 0).sum())} non-members in the subset: "
                                    f"needs {MIN_PER_CLASS} of each"}
            continue
        auc, tpr = roc_scores(y, x, fpr)
        row = {"auc": round(auc, 4), "tpr": round(tpr, 4), "targets": int(keep.sum())}
        if intervals:
            row.update(bootstrap_interval(y, x, fpr, seed=seed))
        out[name] = row
    scored = {k: v for k, v in out.items() if "auc" in v}
    worst_auc = max(scored, key=lambda k: scored[k]["auc"])
    worst_tpr = max(scored, key=lambda k: scored[k]["tpr"])
    return {"attacks": out, "fpr": fpr, "worst_auc": scored[worst_auc]["auc"], "worst_auc_attack": worst_auc,
            "worst_tpr": scored[worst_tpr]["tpr"], "worst_tpr_attack": worst_tpr}


def positive_controls(setup: AttackSetup, train: Records, synthetic: Records, distance: type[Distance], fpr: float,
                      seed: int = 0) -> dict[str, Any]:
    """The same attacks on data that IS leaky: an exact copy of the training set, and a half copy.

    ``half-copy`` is the synthetic data with half the training records inserted
    verbatim (in place of as many synthetic ones). An audit whose attacks do not
    flag these controls cannot be trusted to flag anything.
    """
    rng = np.random.default_rng(seed + 1)
    n_copy = len(train) // 2
    copied = train.take(np.sort(rng.choice(len(train), size=n_copy, replace=False)))
    kept = synthetic.take(np.sort(rng.choice(len(synthetic), size=max(len(synthetic) - n_copy, 1), replace=False)))
    half = type(train).concat([copied, kept])
    out = {}
    for name, data in (("exact-copy", train), ("half-copy", half)):
        r = evaluate_attacks(setup, data, distance, fpr, seed=seed, intervals=False)
        out[name] = {"worst_auc": r["worst_auc"], "worst_tpr": r["worst_tpr"], "worst_auc_attack": r["worst_auc_attack"]}
    return out
