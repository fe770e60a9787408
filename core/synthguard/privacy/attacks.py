"""Membership-inference attacks on a synthetic dataset, scored as an auditor would score them.

Set-up (no-box: the attacker sees the synthetic records and real records from
the same population, never the model). Members are training records,
non-members are holdout records the generator never saw; the holdout is split
in two, one half scored as non-members, the other half given to the attacker as
the "reference population". Members are an equal-sized random sample of the
training records, so AUC 0.5 means the synthetic data tells members apart no
better than a coin.

Attacks (each score: higher = "more likely a member"):

* ``dcr`` — closeness to the nearest synthetic record.
* ``dcr-difference`` — distance to the reference population minus distance to
  the synthetic data: close to the synthetic data *for a record of its kind*.
* ``density-ratio`` — DOMIAS (van Breugel et al., 2023): synthetic density over
  population density at the record, estimated with k-nearest-neighbour radii
  (log r_k(ref) − log r_k(syn); no bandwidth to tune, works in any embedding).
* each of the above restricted to the most isolated records (top 20% by distance
  to the reference population) — the outliers memorisation hits first; a cheap
  stand-in for shadow-model attacks targeted at vulnerable records. Run only when
  that subset holds at least 30 members and 30 non-members.

Every attack reports AUC and the true-positive rate at 1% false-positive rate,
each with a 95% bootstrap interval; the headline is the worst case over attacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..data import Records
from .distance import Distance, NearestRecords

FPR = 0.01
BOOTSTRAP = 200
DENSITY_K = 5
OUTLIER_SHARE = 0.2
#: TPR at 1% FPR needs at least 100 non-members: with fewer, "1% FPR" means "no false positive at all".
MIN_NEGATIVES = int(round(1 / FPR))
#: An attack restricted to outliers runs only when the subset has this many members and non-members:
#: the worst case over attacks on 20 records a side is mostly the luckiest draw.
MIN_PER_CLASS = 30


def roc_scores(labels: np.ndarray, scores: np.ndarray, fpr: float = FPR) -> tuple[float, float]:
    """AUC and the largest TPR at a false-positive rate ≤ ``fpr`` (read at face value only with ≥ 1/fpr negatives)."""
    from sklearn.metrics import roc_auc_score, roc_curve

    auc = float(roc_auc_score(labels, scores))
    f, t, _ = roc_curve(labels, scores)
    return auc, float(t[f <= fpr + 1e-12].max())


def bootstrap_interval(labels: np.ndarray, scores: np.ndarray, seed: int = 0, reps: int = BOOTSTRAP) -> dict[str, list[float]]:
    """95% percentile intervals of AUC and TPR@FPR over bootstrap resamples (stratified by label)."""
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    aucs, tprs = [], []
    for _ in range(reps):
        idx = np.concatenate([rng.choice(pos, len(pos)), rng.choice(neg, len(neg))])
        a, t = roc_scores(labels[idx], scores[idx])
        aucs.append(a)
        tprs.append(t)
    q = lambda x: [round(float(np.quantile(x, 0.025)), 4), round(float(np.quantile(x, 0.975)), 4)]  # noqa: E731
    out = {"auc_ci": q(aucs)}
    if len(neg) >= MIN_NEGATIVES:
        out["tpr_at_1pct_fpr_ci"] = q(tprs)
    return out


@dataclass
class AttackSetup:
    """Who is scored and what the attacker holds; drawn once per audit so controls use the same people."""

    members: Records
    non_members: Records
    population: Records

    @classmethod
    def draw(cls, train: Records, holdout: Records, seed: int = 0) -> "AttackSetup":
        rng = np.random.default_rng(seed)
        perm = rng.permutation(len(holdout))
        half = len(holdout) // 2
        non_members = holdout.take(np.sort(perm[:half]))
        population = holdout.take(np.sort(perm[half:]))
        members = train.take(np.sort(rng.choice(len(train), size=min(len(train), half), replace=False)))
        return cls(members, non_members, population)

    @property
    def labels(self) -> np.ndarray:
        return np.r_[np.ones(len(self.members)), np.zeros(len(self.non_members))].astype(int)


def attack_scores(setup: AttackSetup, synthetic: Records, distance: type[Distance]) -> dict[str, np.ndarray]:
    """Every attack's membership score for members then non-members."""
    d = distance().fit(synthetic)  # the attacker's view: scaled by what it holds
    targets = np.vstack([d.embed(setup.members), d.embed(setup.non_members)])
    to_syn = NearestRecords(d, synthetic)
    to_pop = NearestRecords(d, setup.population)
    k = max(1, min(DENSITY_K, len(synthetic) - 1, len(setup.population) - 1))
    syn_d = to_syn.kneighbors_embedded(targets, k)[0]
    pop_d = to_pop.kneighbors_embedded(targets, k)[0]
    eps = 1e-9
    scores = {
        "dcr": -syn_d[:, 0],
        "dcr-difference": pop_d[:, 0] - syn_d[:, 0],
        "density-ratio": np.log(pop_d[:, -1] + eps) - np.log(syn_d[:, -1] + eps),
    }
    isolation = pop_d[:, -1]
    outliers = isolation >= np.quantile(isolation, 1 - OUTLIER_SHARE)
    for name in list(scores):
        scores[f"{name}@outliers"] = np.where(outliers, scores[name], np.nan)  # NaN = not in this attack's targets
    return scores


def evaluate_attacks(setup: AttackSetup, synthetic: Records, distance: type[Distance], seed: int = 0,
                     intervals: bool = True) -> dict[str, Any]:
    """AUC, TPR@1%FPR (with intervals) per attack, and the worst case."""
    labels = setup.labels
    out: dict[str, Any] = {}
    for name, s in attack_scores(setup, synthetic, distance).items():
        keep = ~np.isnan(s)
        y, x = labels[keep], s[keep]
        if min((y == 1).sum(), (y == 0).sum()) < (MIN_PER_CLASS if "@" in name else 1):
            out[name] = {"skipped": f"{int((y == 1).sum())} members / {int((y == 0).sum())} non-members in the subset: "
                                    f"needs {MIN_PER_CLASS} of each"}
            continue
        auc, tpr = roc_scores(y, x)
        row = {"auc": round(auc, 4), "targets": int(keep.sum())}
        if (y == 0).sum() >= MIN_NEGATIVES:
            row["tpr_at_1pct_fpr"] = round(tpr, 4)
        else:
            row["tpr_at_1pct_fpr"] = None
            row["tpr_skipped"] = f"{int((y == 0).sum())} non-members: TPR at 1% FPR needs at least {MIN_NEGATIVES}"
        if intervals:
            row.update(bootstrap_interval(y, x, seed=seed))
        out[name] = row
    scored = {k: v for k, v in out.items() if "auc" in v}
    worst_auc = max(scored, key=lambda k: scored[k]["auc"])
    with_tpr = {k: v for k, v in scored.items() if v["tpr_at_1pct_fpr"] is not None}
    worst_tpr = max(with_tpr, key=lambda k: with_tpr[k]["tpr_at_1pct_fpr"]) if with_tpr else None
    return {"attacks": out, "worst_auc": scored[worst_auc]["auc"], "worst_auc_attack": worst_auc,
            "worst_tpr_at_1pct_fpr": with_tpr[worst_tpr]["tpr_at_1pct_fpr"] if worst_tpr else None,
            "worst_tpr_attack": worst_tpr}


def positive_controls(setup: AttackSetup, train: Records, synthetic: Records, distance: type[Distance],
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
        r = evaluate_attacks(setup, data, distance, seed=seed, intervals=False)
        out[name] = {"worst_auc": r["worst_auc"], "worst_tpr_at_1pct_fpr": r["worst_tpr_at_1pct_fpr"],
                     "worst_auc_attack": r["worst_auc_attack"]}
    return out
