"""A shadow-model membership-inference attack: the strong reference the cheap per-run attacks are checked against.

Set-up (TAPAS; Stadler, Oprisanu & Troncoso, "Synthetic data – anonymisation
groundhog day", USENIX Security 2022; Houssiau et al., "TAPAS", 2022). The
attacker knows the generator (it can train it), an auxiliary *population* of
real records and the *target* record; it sees one synthetic dataset and must
tell whether the target was in the generator's training data. To learn how,
it trains the generator itself on many *shadow* training sets drawn from the
population, half of them with the target inserted and half without, turns
each shadow synthetic dataset into features seen from the target, and fits a
classifier "in / out". The classifier is scored on shadow runs it was not
trained on: its AUC is the generator's membership leakage for that target
when the attacker knows everything but the one bit.

Choices, and why:

* **Shared shadow runs.** Every run's training set holds ``train_rows``
  records: a balanced random half of the targets (each target is "in" in
  exactly half the runs, drawn independently per target) plus background
  records drawn from the population without any target (nor any record equal
  to one). One fit thus serves every target, as in LiRA (Carlini et al. 2022):
  the cost is ``shadows`` fits whatever the number of targets.
* **Features** (per run and target), in the attacker's :class:`Distance` (fitted
  on the population): the distances to the 5 nearest synthetic records and the
  mean distance to the 20 nearest; the shares of synthetic records within the
  population's 1st/10th/50th percentile of nearest-neighbour distances, within
  the target's own 5th-neighbour radius in the population, and at distance 0;
  the DOMIAS-style density ratio (log k-NN radius in the population over that
  in the synthetic data); a marginal density ratio (per embedding coordinate,
  the share of synthetic over population records within a window around the
  target's value, log, averaged: TAPAS's query features in any embedding, and
  what catches a generator that learns marginals and correlations rather than
  records, such as a Gaussian copula); the summed per-coordinate distance to
  the nearest synthetic value.
* **Classifier**: by default one strongly regularised logistic regression for
  all targets, on features standardised per target (label-free), trained on
  every target's runs of the other folds (k-fold over runs). With ~100 runs a
  classifier per target (TAPAS's choice with thousands of runs; ``per_target=True``)
  fits noise: on german_credit with a Gaussian copula (120 runs, 10 targets) it
  scored a mean AUC of 0.51 where the pooled one scored 0.555. Every
  run is scored by a classifier that never saw it, so all runs count for
  evaluation.
* **Uncertainty**: per-target AUC intervals bootstrap the runs within each
  label; the pooled interval bootstraps whole runs (one run's targets share a
  synthetic dataset). Neither includes the classifier's own training noise, so
  the calibrated statement is the permutation test: every classifier is
  refitted on shuffled in/out labels (``permutations`` times, no new generator
  fits), giving p-values and the 95th percentile of the worst and pooled AUC
  when nothing leaks.
* **Targets**: :func:`choose_targets` picks the most isolated records of the
  population (mean distance to the 5 nearest others, as in Meeus et al.,
  "Achilles' heels", 2023) plus a few random ones; each target's outlier score is
  reported.
* **Baselines on the same runs**: the cheap no-box scores (closeness of the
  nearest synthetic record, DCR; the density ratio) are scored on the same
  runs and targets without any training, so the gap between cheap and shadow
  attacks is measured on one footing.

Reading the numbers: per target, AUC and the TPR at 10% FPR (readable with ≥ 10
"out" runs); pooled over targets, AUC and TPR at 1% FPR (readable with ≥ 100
"out" runs). The worst target's AUC is the maximum of noisy estimates: under no
leakage it still exceeds 0.5 (by about 0.2 for 6 targets and 40 runs), so compare
it with ``null.worst_auc_p95``; ``worst_auc_significant`` and
``pooled_auc_significant`` say whether the worst and pooled AUC pass the null's
95th percentile.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np

from ..data import Records
from ..errors import DataError
from .distance import Distance, NearestRecords

#: Nearest synthetic records whose distances are features.
K_NEAREST = 5
#: Neighbours of the k-NN density estimates (DOMIAS-style ratio) and of the outlier score.
DENSITY_K = 5
#: Radii for the "synthetic records within r" counts: these quantiles of the population's nearest-neighbour distances.
RADIUS_QUANTILES = (0.01, 0.1, 0.5)
#: Per-target TPR is read at this FPR; pooled over targets at POOLED_FPR.
TARGET_FPR = 0.1
POOLED_FPR = 0.01
FOLDS = 5
BOOTSTRAP = 200
MIN_SHADOWS = 20
CLASSIFIERS = ("logistic", "random-forest")
#: Nearest synthetic records whose mean distance is a feature (a wider view of the density around the target).
WIDE_K = 20
#: Per-coordinate window of the marginal density ratio: the share of population records nearest the target on it.
MARGINAL_WINDOW = 0.05
FEATURES = ([f"d{i + 1}" for i in range(K_NEAREST)] + [f"mean_d{WIDE_K}"]
            + [f"share_within_p{int(q * 100)}" for q in RADIUS_QUANTILES]
            + ["share_within_own_radius", "share_exact", "density_ratio", "marginal_density_ratio",
               "marginal_closeness"])

FitSample = Callable[[Records, int], Records]
Progress = Callable[[int, int], None]


def outlier_scores(population: Records, records: Records, distance: Distance, k: int = DENSITY_K,
                   exclude_self: bool = False) -> np.ndarray:
    """Mean distance of each record to its ``k`` nearest population records: how isolated it is (higher = more).

    ``exclude_self`` drops each record's first neighbour (itself, when ``records`` is ``population``).
    """
    index = NearestRecords(distance, population)
    d = index.kneighbors(records, min(k + int(exclude_self), len(population)))[0]
    return d[:, int(exclude_self):].mean(axis=1)


def choose_targets(population: Records, distance: type[Distance], *, outliers: int = 5, random: int = 5,
                   seed: int = 0) -> dict[str, Any]:
    """Targets as in the literature: the ``outliers`` most isolated distinct records plus ``random`` others.

    Returns ``{"indices": positions in population, "kinds": "outlier"/"random" each, "outlier_scores": each,
    "records": the targets}``. Isolation is the mean distance to the 5 nearest other records (Meeus et al. 2023),
    in ``distance`` fitted on the population.
    """
    if outliers < 0 or random < 0 or outliers + random == 0:
        raise DataError(f"outliers={outliers}, random={random}: expected non-negative counts, at least one target")
    hashes = population.record_hashes()
    _, first = np.unique(hashes, return_index=True)  # one position per distinct record
    if len(first) < outliers + random + DENSITY_K + 1:
        raise DataError(f"the population holds {len(first)} distinct records: expected more than "
                        f"{outliers + random + DENSITY_K} to choose {outliers + random} targets")
    d = distance().fit(population)
    scores = outlier_scores(population, population, d, exclude_self=True)
    distinct = np.sort(first)
    by_isolation = distinct[np.argsort(-scores[distinct], kind="stable")]
    top = by_isolation[:outliers]
    rng = np.random.default_rng(seed)
    rest = np.setdiff1d(distinct, top)
    picked = np.sort(rng.choice(rest, size=random, replace=False)) if random else np.zeros(0, dtype=int)
    indices = np.r_[top, picked].astype(int)
    return {"indices": indices, "kinds": ["outlier"] * len(top) + ["random"] * len(picked),
            "outlier_scores": scores[indices], "records": population.take(indices)}


def generator_fit_sample(make: Callable[[], Any], rows: int, *, device: str = "cpu") -> FitSample:
    """A ``fit_sample`` for :func:`shadow_attack` from a factory of unfitted :class:`~synthguard.Generator` objects.

    Each call fits a fresh generator on the shadow training set with the run's seed and samples ``rows``
    records with the next seed, e.g. ``generator_fit_sample(lambda: engine.generator(name, config), 500)``.
    """
    def fit_sample(train: Records, seed: int) -> Records:
        return make().fit(train, seed=seed, device=device).sample(rows, seed=seed + 1)

    return fit_sample


def _auc_tpr(labels: np.ndarray, scores: np.ndarray, fpr: float) -> tuple[np.ndarray, np.ndarray]:
    """AUC (ties count half) and the largest TPR at FPR ≤ ``fpr``, along the last axis (vectorised over rows)."""
    from scipy.stats import rankdata

    labels, scores = np.atleast_2d(labels).astype(bool), np.atleast_2d(scores).astype(np.float64)
    n_pos = labels.sum(-1)
    n_neg = labels.shape[-1] - n_pos
    ranks = rankdata(scores, axis=-1)
    auc = ((ranks * labels).sum(-1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    neg = np.sort(np.where(labels, -np.inf, scores), axis=-1)[..., ::-1]  # negatives first, largest first
    allowed = np.floor(fpr * n_neg + 1e-9).astype(int)  # false positives allowed
    kth = np.take_along_axis(neg, np.minimum(allowed, n_neg - 1)[..., None], -1)[..., 0]
    threshold = np.where(allowed < n_neg, kth, -np.inf)  # positives strictly above the (allowed+1)-th negative
    tpr = ((scores > threshold[..., None]) & labels).sum(-1) / n_pos
    return auc, tpr


def _score(labels: np.ndarray, scores: np.ndarray, fpr: float, seed: int) -> dict[str, Any]:
    """AUC and TPR at ``fpr`` with 95% percentile bootstrap intervals.

    1-d ``labels``/``scores`` (one target's runs): resampled within each label. 2-d (targets, runs), pooled:
    whole runs are resampled, since one run's scores for different targets come from one synthetic dataset
    and one classifier and are not independent.
    """
    rng = np.random.default_rng(seed)
    if labels.ndim == 1:
        auc, tpr = (float(v[0]) for v in _auc_tpr(labels, scores, fpr))
        pos, neg = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
        idx = np.hstack([rng.choice(pos, (BOOTSTRAP, len(pos))), rng.choice(neg, (BOOTSTRAP, len(neg)))])
        aucs, tprs = _auc_tpr(labels[idx], scores[idx], fpr)
        negatives = len(neg)
    else:
        auc, tpr = (float(v[0]) for v in _auc_tpr(labels.ravel(), scores.ravel(), fpr))
        runs = rng.integers(0, labels.shape[1], (BOOTSTRAP, labels.shape[1]))
        aucs, tprs = _auc_tpr(labels[:, runs].transpose(1, 0, 2).reshape(BOOTSTRAP, -1),
                              scores[:, runs].transpose(1, 0, 2).reshape(BOOTSTRAP, -1), fpr)
        negatives = int((labels == 0).sum())
    q = lambda x: [round(float(np.quantile(x, 0.025)), 4), round(float(np.quantile(x, 0.975)), 4)]  # noqa: E731
    out: dict[str, Any] = {"auc": round(auc, 4), "auc_ci": q(aucs), "fpr": fpr}
    if negatives * fpr >= 1:
        out["tpr"], out["tpr_ci"] = round(tpr, 4), q(tprs)
    else:
        out["tpr"] = None
        out["tpr_skipped"] = f"{negatives} 'out' runs: TPR at {fpr:.0%} FPR needs {int(np.ceil(1 / fpr))}"
    return out


def _classifier(kind: str, seed: int, pooled: bool):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if kind == "logistic":  # strongly regularised: a few hundred runs, a dozen correlated features
        return make_pipeline(StandardScaler(), LogisticRegression(C=0.01 if pooled else 0.1, solver="liblinear"))
    return RandomForestClassifier(n_estimators=200, min_samples_leaf=10 if pooled else 2, random_state=seed, n_jobs=1)


def _out_of_fold(x: np.ndarray, labels: np.ndarray, kind: str, per_target: bool, seed: int) -> np.ndarray:
    """(targets, runs) P(in), each from a classifier trained on other runs only (k-fold over the runs).

    Pooled (``per_target=False``): one classifier for all targets, on features standardised per target (label-free),
    trained on the other folds' runs of every target. Per target: one classifier per target on its own runs.
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    n_t, n_r, n_f = x.shape
    out = np.zeros((n_t, n_r))
    if per_target:
        for t in range(n_t):
            y = labels[t]
            folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed + t)
            for train, test in folds.split(x[t], y):
                out[t, test] = _classifier(kind, seed, False).fit(x[t, train], y[train]).predict_proba(x[t, test])[:, 1]
        return out
    z = (x - x.mean(1, keepdims=True)) / np.where(x.std(1, keepdims=True) > 0, x.std(1, keepdims=True), 1.0)
    for train, test in KFold(n_splits=FOLDS, shuffle=True, random_state=seed).split(np.arange(n_r)):
        model = _classifier(kind, seed, True).fit(z[:, train].reshape(-1, n_f), labels[:, train].ravel())
        out[:, test] = model.predict_proba(z[:, test].reshape(-1, n_f))[:, 1].reshape(n_t, len(test))
    return out


class _Featuriser:
    """Features of each synthetic dataset seen from each target, in the attacker's distance (fitted on the
    population)."""

    def __init__(self, distance: Distance, population: Records, background: Records, targets: Records):
        self.distance = distance
        self.targets = distance.embed(targets).astype(np.float64)
        loo = NearestRecords(distance, population).leave_one_out()
        self.radii = np.quantile(loo, RADIUS_QUANTILES)
        k = min(DENSITY_K, len(background))
        self.pop_radius = NearestRecords(distance, background).kneighbors_embedded(self.targets, k)[0][:, -1]
        # per coordinate, a window around the target's value: exact for a coordinate with few values (a category),
        # else the 5% of background records nearest on it; the background's share in it is the density ratio's base
        pop = distance.embed(background).astype(np.float64)
        discrete = np.array([len(np.unique(pop[:, c])) <= 3 for c in range(pop.shape[1])])
        self.windows = np.zeros_like(self.targets)
        self.pop_share = np.zeros_like(self.targets)
        for t, x in enumerate(self.targets):
            diff = np.abs(pop - x)
            self.windows[t] = np.where(discrete, 1e-9, np.quantile(diff, MARGINAL_WINDOW, axis=0) + 1e-9)
            self.pop_share[t] = ((diff <= self.windows[t]).sum(0) + 0.5) / (len(pop) + 1)

    def __call__(self, synthetic: Records) -> np.ndarray:
        """(targets, features) for one synthetic dataset."""
        points = self.distance.embed(synthetic).astype(np.float64)
        index = NearestRecords(self.distance, synthetic)
        k = min(WIDE_K, len(synthetic))
        near = np.pad(index.kneighbors_embedded(self.targets, k)[0], ((0, 0), (0, WIDE_K - k)), mode="edge")
        n_t = len(self.targets)
        within = np.zeros((n_t, len(self.radii) + 2))
        marginal = np.zeros((n_t, 2))
        for t, x in enumerate(self.targets):  # one target at a time: (synthetic, dims) in memory
            diff = np.abs(points - x)
            d = diff.sum(1) if self.distance.metric == "l1" else np.sqrt((diff ** 2).sum(1))
            within[t] = [(d <= r).mean() for r in self.radii] + [(d <= self.pop_radius[t]).mean(), (d <= 1e-9).mean()]
            share = ((diff <= self.windows[t]).sum(0) + 0.5) / (len(points) + 1)
            marginal[t] = [np.mean(np.log(share) - np.log(self.pop_share[t])), diff.min(axis=0).sum()]
        eps = 1e-9
        ratio = np.log(self.pop_radius + eps) - np.log(near[:, DENSITY_K - 1] + eps)
        return np.column_stack([near[:, :K_NEAREST], near.mean(1), within, ratio, marginal])


def _check(population: Records, targets: Records, shadows: int, train_rows: int, synthetic_rows: int | None,
           classifier: str, permutations: int) -> None:
    if not isinstance(population, Records) or not isinstance(targets, Records):
        raise DataError("population and targets must be synthguard Records (Table, SequenceSet, ImageSet): got "
                        f"{type(population).__name__} and {type(targets).__name__}")
    if type(population) is not type(targets):
        raise DataError(f"targets are a {type(targets).__name__}, the population a {type(population).__name__}: "
                        "expected records of one kind")
    if len(targets) == 0:
        raise DataError("no targets: expected at least one record to attack (see choose_targets)")
    if len(np.unique(targets.record_hashes())) < len(targets):
        raise DataError("targets repeat a record: expected distinct targets")
    if not isinstance(shadows, int) or shadows < MIN_SHADOWS or shadows % 2:
        raise DataError(f"shadows={shadows!r}: expected an even number of at least {MIN_SHADOWS} "
                        "(half the runs with each target, half without; scored by 5-fold cross-validation)")
    if not isinstance(train_rows, int) or train_rows < 2:
        raise DataError(f"train_rows={train_rows!r}: expected the shadow training size, at least 2 records")
    if len(targets) > train_rows // 2:
        raise DataError(f"{len(targets)} targets for shadow training sets of {train_rows} records: expected at most "
                        f"{train_rows // 2} (about half the targets sit in each set)")
    if synthetic_rows is not None and (not isinstance(synthetic_rows, int) or synthetic_rows < 1):
        raise DataError(f"synthetic_rows={synthetic_rows!r}: expected a positive number of records")
    if not isinstance(permutations, int) or permutations < 0:
        raise DataError(f"permutations={permutations!r}: expected a count of label permutations, 0 for none")
    if classifier not in CLASSIFIERS:
        raise DataError(f"classifier {classifier!r}: expected one of {CLASSIFIERS}")


def shadow_attack(fit_sample: FitSample, population: Records, targets: Records, *, shadows: int = 100,
                  synthetic_rows: int | None = None, distance: type[Distance], train_rows: int | None = None,
                  classifier: str = "logistic", per_target: bool = False, permutations: int = 50, seed: int = 0,
                  progress: Progress | None = None) -> dict[str, Any]:
    """Membership inference with shadow models (TAPAS / Stadler et al. 2022) against each target record.

    ``fit_sample(train, seed)`` trains the generator under test on ``train`` (with ``seed``) and returns
    its synthetic records (see :func:`generator_fit_sample`); it is called ``shadows`` times, on training
    sets of ``train_rows`` records (default: half the population) drawn from ``population`` (the attacker's
    real records; records equal to a target are left out) with a balanced random half of the ``targets``
    inserted. Each synthetic dataset is cut to ``synthetic_rows`` records (a seeded subset; default: as
    returned). A ``classifier`` (``"logistic"`` or ``"random-forest"``; one for all targets on features
    standardised per target, or one per target with ``per_target=True``) tells "in" from "out" runs from
    distance and density features, scored by 5-fold cross-validation over the runs. ``permutations``
    refits the classifiers on shuffled in/out labels (no new fits of the generator) to give the AUCs their
    null: the 95th percentile of the worst and pooled AUC when nothing leaks, and p-values.
    ``progress(done, total)`` is called after each fit.

    Returns a dict: ``targets`` (per target: AUC and TPR at 10% FPR with 95% intervals, the cheap
    no-box scores' AUC on the same runs, outlier score), ``worst_auc`` / ``mean_auc`` over targets,
    ``pooled`` (AUC, TPR at 1% FPR over all targets' runs), ``above_chance``, ``null``,
    ``worst_auc_significant`` and ``pooled_auc_significant`` (with permutations), the cost (``fits``,
    ``wall_s``, ``fit_s``) and the set-up. Raises :class:`~synthguard.errors.DataError` on arguments the
    attack cannot run with (too few population records for the shadow size, too few runs...).
    """
    train_rows = len(population) // 2 if train_rows is None else train_rows
    _check(population, targets, shadows, train_rows, synthetic_rows, classifier, permutations)
    start = time.perf_counter()
    target_hashes = targets.record_hashes()
    pool = np.flatnonzero(~np.isin(population.record_hashes(), target_hashes))
    if len(pool) < train_rows:
        raise DataError(f"the population holds {len(pool)} records besides the targets: expected at least "
                        f"train_rows={train_rows} to draw each shadow training set from (more population "
                        "records or a smaller train_rows)")
    background = population.take(pool)
    dist = distance().fit(population)
    featurise = _Featuriser(dist, population, background, targets)
    in_population = np.isin(target_hashes, population.record_hashes())

    rng = np.random.default_rng(seed)
    n_t = len(targets)
    member = np.zeros((n_t, shadows), dtype=bool)  # member[t, r]: target t is in run r's training set
    for t in range(n_t):
        member[t, rng.permutation(shadows)[: shadows // 2]] = True
    run_seeds = rng.integers(0, 2**31 - 1, size=shadows)
    cut = np.random.default_rng([seed, 1])  # subsets of the synthetic data: apart, so the shadow sets do not move
    features = np.zeros((n_t, shadows, len(FEATURES)))
    fit_s = 0.0
    for r in range(shadows):
        inside = np.flatnonzero(member[:, r])
        rest = background.take(np.sort(rng.choice(len(background), size=train_rows - len(inside), replace=False)))
        train = type(population).concat([rest, targets.take(inside)]) if len(inside) else rest
        train = train.take(rng.permutation(len(train)))  # targets not always last
        began = time.perf_counter()
        synthetic = fit_sample(train, int(run_seeds[r]))
        fit_s += time.perf_counter() - began
        if not isinstance(synthetic, type(population)) or len(synthetic) == 0:
            size = len(synthetic) if isinstance(synthetic, Records) else "?"
            raise DataError(f"fit_sample returned {type(synthetic).__name__} of {size} records: expected a non-empty "
                            f"{type(population).__name__}")
        if synthetic_rows is not None:
            if len(synthetic) < synthetic_rows:
                raise DataError(f"fit_sample returned {len(synthetic)} records: expected at least "
                                f"synthetic_rows={synthetic_rows}")
            synthetic = synthetic.take(np.sort(cut.choice(len(synthetic), size=synthetic_rows, replace=False)))
        features[:, r] = featurise(synthetic)
        if progress is not None:
            progress(r + 1, shadows)

    attack_start = time.perf_counter()
    result = _evaluate(features, member.astype(int), classifier, per_target, permutations, seed)
    scores = outlier_scores(background, targets, dist)
    for row in result["targets"]:
        row["outlier_score"] = round(float(scores[row["target"]]), 5)
        row["in_population"] = bool(in_population[row["target"]])
    end = time.perf_counter()
    return {
        "attack": "shadow-model membership inference (TAPAS; Stadler et al. 2022)",
        "distance": dist.name, "classifier": classifier, "per_target_classifiers": per_target,
        "features": FEATURES, "folds": FOLDS, "shadows": shadows, "fits": shadows, "train_rows": train_rows,
        "synthetic_rows": synthetic_rows,
        "population": len(population), "background": len(background), "targets_count": n_t, "seed": seed,
        **result,
        "tpr_at_fpr": {"per_target": TARGET_FPR, "pooled": POOLED_FPR},
        "wall_s": round(end - start, 2), "fit_s": round(fit_s, 2), "attack_s": round(end - attack_start, 2),
        "note": ("AUC of a classifier trained on shadow runs, scored on runs it never saw (cross-validation). The "
                 "worst target's AUC is a maximum of noisy estimates: compare it with null.worst_auc_p95, the 95th "
                 "percentile of the worst AUC when the in/out labels are permuted"),
    }


def _evaluate(features: np.ndarray, labels: np.ndarray, classifier: str, per_target: bool, permutations: int,
              seed: int) -> dict[str, Any]:
    """Per-target, pooled and cheap-baseline scores of (targets, runs, features) with in/out ``labels``, plus the
    permutation null of the worst, mean and pooled AUC."""
    n_t = len(labels)
    x = np.nan_to_num(features, nan=0.0, posinf=1e6, neginf=-1e6)
    oof = _out_of_fold(x, labels, classifier, per_target, seed)
    cheap = {"dcr": -x[:, :, 0], "density-ratio": x[:, :, FEATURES.index("density_ratio")]}
    cheap_auc = {name: _auc_tpr(labels, s, TARGET_FPR)[0] for name, s in cheap.items()}
    aucs = _auc_tpr(labels, oof, TARGET_FPR)[0]
    rows = [{"target": t, **_score(labels[t], oof[t], TARGET_FPR, seed + t),
             "cheap_auc": {name: round(float(a[t]), 4) for name, a in cheap_auc.items()}} for t in range(n_t)]
    worst = int(np.argmax(aucs))
    out: dict[str, Any] = {
        "targets": rows, "worst_auc": round(float(aucs[worst]), 4), "worst_target": worst,
        "mean_auc": round(float(aucs.mean()), 4), "pooled": _score(labels, oof, POOLED_FPR, seed),
        "above_chance": [t for t in range(n_t) if rows[t]["auc_ci"][0] > 0.5],
        "cheap_on_same_runs": {name: {"worst_auc": round(float(a.max()), 4), "mean_auc": round(float(a.mean()), 4)}
                               for name, a in cheap_auc.items()},
    }
    if permutations:
        rng = np.random.default_rng(seed + 7919)
        null = np.zeros((permutations, n_t))
        pooled = np.zeros(permutations)
        for p in range(permutations):
            shuffled = np.stack([rng.permutation(labels[t]) for t in range(n_t)])
            scores = _out_of_fold(x, shuffled, classifier, per_target, seed)
            null[p] = _auc_tpr(shuffled, scores, TARGET_FPR)[0]
            pooled[p] = _auc_tpr(shuffled.ravel(), scores.ravel(), POOLED_FPR)[0][0]
        for t, row in enumerate(rows):
            row["p_value"] = round(float((1 + (null[:, t] >= aucs[t]).sum()) / (permutations + 1)), 4)  # this target
        pooled_auc = _auc_tpr(labels.ravel(), oof.ravel(), POOLED_FPR)[0][0]
        p95 = lambda v: round(float(np.quantile(v, 0.95)), 4)  # noqa: E731
        p_value = lambda v, x: round(float((1 + (v >= x).sum()) / (permutations + 1)), 4)  # noqa: E731
        out["null"] = {"permutations": permutations, "worst_auc_p95": p95(null.max(1)),
                       "mean_auc_p95": p95(null.mean(1)),
                       "pooled_auc_p95": p95(pooled), "mean_of_worst_auc": round(float(null.max(1).mean()), 4),
                       "worst_p_value": p_value(null.max(1), aucs.max()), "pooled_p_value": p_value(pooled, pooled_auc)}
        out["worst_auc_significant"] = bool(aucs.max() > np.quantile(null.max(1), 0.95))
        out["pooled_auc_significant"] = bool(pooled_auc > np.quantile(pooled, 0.95))
    return out


__all__ = ["shadow_attack", "choose_targets", "generator_fit_sample", "outlier_scores"]
