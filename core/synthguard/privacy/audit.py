"""The privacy audit every run with a holdout gets, and ``synthguard audit`` gives any pair of datasets.

Three kinds of evidence, each measured against real records the generator
never saw (the holdout), never asserted:

* DCR — share of synthetic records closer to the training data than to the
  holdout (0.5 = no preference) and the DCR distributions beside the holdout's.
* membership inference — several attacks (:mod:`.attacks`) on every holdout unit
  (entity or record) against as many training units: AUC and TPR at the
  false-positive rate that size can read, with intervals, the smallest excess
  the audit could have detected, the worst case as headline, and positive
  controls (an exact copy and a half copy of the training data, attacked the
  same way in the same run) that must be flagged for the audit to count as valid.
* WP29 singling-out, linkability and inference risks (tables, :mod:`.wp29`).

:func:`synthguard.privacy.release.judge` turns these into the release decision.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..data import Records, Table, entity_groups, shared_by_people
from .attacks import (FPR_TARGETS, AttackSetup, detectable_auc_excess, detectable_tpr_excess, evaluate_attacks,
                      positive_controls, readable_fpr)
from .canaries import Canaries, audit_canaries
from .distance import Distance, NearestRecords
from .filters import K_ANONYMITY, NEAR_COPY_QUANTILE, QI_BINS, QuasiIdentifiers
from .release import TARGET_AUC, judge, plural
from .wp29 import wp29_risks

#: A positive control is "flagged" when its worst attack AUC reaches this.
CONTROL_FLAG_AUC = 0.6
MIN_HOLDOUT = 20


def closer_share(d_train: np.ndarray, d_holdout: np.ndarray) -> float:
    """Share of records nearer to train than to holdout (ties count half): 0.5 = no closer to the trained-on rows."""
    return float(np.mean(d_train < d_holdout) + 0.5 * np.mean(d_train == d_holdout))


def nearer_share(d_synthetic: np.ndarray, d_real: np.ndarray) -> float:
    """Share of (synthetic, real) pairs where the synthetic record is nearer to the training data (ties half).

    ``d_real`` are distances of real records the generator did not see to the training data (holdout
    rows, or each training row's distance to the other training rows). 0.5 = synthetic records sit as
    near the training data as a new real record does; above it, nearer. Unlike :func:`closer_share`,
    every training record counts, so a copy of any of them registers.
    """
    d_real = np.sort(np.asarray(d_real, dtype=np.float64))
    d_synthetic = np.asarray(d_synthetic, dtype=np.float64)
    if not len(d_real) or not len(d_synthetic):
        raise ValueError("nearer_share needs at least one synthetic and one real distance")
    right = np.searchsorted(d_real, d_synthetic, side="right")
    ties = right - np.searchsorted(d_real, d_synthetic, side="left")
    return float(np.mean((len(d_real) - right + 0.5 * ties) / len(d_real)))


#: Draws of whole training entities the DCR share is averaged over (when the holdout has fewer entities than train).
ENTITY_DRAWS = 10


def dcr_share(train: Records, holdout: Records, synthetic: Records, distance: type[Distance], seed: int = 0) -> dict[str, Any]:
    """Share of synthetic records closer to (an equal-sized sample of) train than to holdout, plus DCR quantiles.

    Where records belong to entities (windows of recordings, a customer's rows), the sample takes whole training
    entities, as many as the holdout has: a sample of rows spread over every training entity is more varied than a
    holdout of a few entities' records, so anything reads closer to it. Measured on ACSF1 cut into 256-step windows
    (real unseen windows in the synthetic's place, 10 splits, ``sensor.shape``): 0.654 by rows, 0.554 by entities
    (``benchmarks/experiments/dcr_share_by_entity.py``). With few entities one draw decides the figure (the shipped
    ``dicom_patches`` bundle's 50 images against 3 of 7 training patients: 0.16 to 0.74 over 30 draws, mean 0.56), so
    the share is the mean over :data:`ENTITY_DRAWS` draws, their range beside it (``share_draws``).
    """
    rng = np.random.default_rng(seed)
    groups, held = entity_groups(train), entity_groups(holdout)
    by_entity = groups is not None and held is not None
    d = distance().fit(train)
    d_hold = NearestRecords(d, holdout).distances(synthetic)
    held_entities = len(np.unique(held)) if by_entity else 0
    subset = by_entity and len(np.unique(groups)) > held_entities
    shares = []
    for _ in range(ENTITY_DRAWS if subset else 1):
        picked = (_whole_entities(groups, held_entities, rng) if by_entity
                  else np.sort(rng.choice(len(train), size=min(len(train), len(holdout)), replace=False)))
        sample = train.take(picked)
        shares.append(closer_share(NearestRecords(d, sample).distances(synthetic), d_hold))
    share = float(np.mean(shares))
    full = NearestRecords(d, train)

    def q(x):
        return {"p5": round(float(np.quantile(x, 0.05)), 5), "median": round(float(np.median(x)), 5)}

    out = {"share_closer_to_train": round(share, 4), "synthetic_to_train": q(full.distances(synthetic)),
           "holdout_to_train": q(full.distances(holdout)), "holdout_records": len(holdout),
           "train_sample": len(sample), "distance": d.name}
    if by_entity:
        out["train_sample_entities"] = len(np.unique(groups[picked]))
    if len(shares) > 1:
        out["share_draws"] = {"draws": len(shares), "min": round(min(shares), 4), "max": round(max(shares), 4)}
    return out


def _whole_entities(groups: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Positions of the records of ``count`` entities drawn at random (all of them when there are fewer)."""
    ids, inverse = np.unique(groups, return_inverse=True)
    return np.flatnonzero(np.isin(inverse, rng.permutation(len(ids))[:count]))


def audit(train: Records, holdout: Records | None, synthetic: Records, distance: type[Distance], *,
          seed: int = 0, controls: bool = True, quasi_identifiers: list[str] | None = None,
          k_anonymity: int = K_ANONYMITY, qi_bins: int = QI_BINS, secrets: list[str] | None = None,
          canaries: Canaries | None = None, near_copy_quantile: float = NEAR_COPY_QUANTILE) -> dict[str, Any]:
    """Every privacy measurement for ``synthetic`` made from ``train``; ``holdout`` = real records never trained on.

    ``secrets`` are the columns whose WP29 inference risk the release decision judges (others are reported).
    ``canaries`` (tables) are records planted in ``train``: each is checked for copies, near copies (at the
    gate's ``near_copy_quantile``) and membership exposure (:mod:`.canaries`).
    """
    # the unit of privacy the data declares (a recording, a patient), named even when the audit is skipped
    unit = train.entity_name if entity_groups(train) is not None else "record"
    out: dict[str, Any] = {"distance": distance.name, "unit": unit,
                           "targets": {"worst_auc_max": TARGET_AUC,
                                       "worst_tpr_max": {f"{f:.0%} FPR": t for f, t in FPR_TARGETS.items()}}}
    out["exact_copies"] = exact_copies(train, holdout, synthetic, k_anonymity)
    if canaries is not None:  # exact copies only, unless the membership audit below can run
        out["canaries"] = audit_canaries(train, None, synthetic, canaries, distance, unit=unit)
    if holdout is None or len(holdout) < MIN_HOLDOUT:
        out["skipped"] = (f"membership inference and DCR share need at least {MIN_HOLDOUT} holdout records "
                          "(real records the generator never saw): got " + str(0 if holdout is None else len(holdout)))
        out["release"] = judge(out, secrets)
        return out
    out["dcr"] = dcr_share(train, holdout, synthetic, distance, seed=seed)
    setup = AttackSetup.draw(train, holdout, seed=seed)
    n1, n0 = setup.n_members, setup.n_non_members
    if n0 < MIN_HOLDOUT:
        out["skipped"] = (f"membership inference needs at least {MIN_HOLDOUT} unseen {plural(setup.unit)}: the holdout "
                          f"holds {n0}")
        out["release"] = judge(out, secrets)
        return out
    fpr, fpr_readable = readable_fpr(n1, n0)
    mia = evaluate_attacks(setup, synthetic, distance, fpr, seed=seed)
    out["unit"] = setup.unit
    mia.update(members=n1, non_members=n0, unit=setup.unit, fpr_readable=fpr_readable,
               detectable_auc_excess=round(detectable_auc_excess(n1, n0), 4),
               detectable_tpr_excess=round(detectable_tpr_excess(n1, n0, fpr), 4),
               population="cross-fitted: each half of the holdout is the attacker's reference for the other half")
    # attacks whose AUC interval lies above 0.5: a signal, not the luck of the worst draw
    mia["above_chance"] = [k for k, v in mia["attacks"].items() if v.get("auc_ci") and v["auc_ci"][0] > 0.5]
    if controls:
        mia["controls"] = positive_controls(setup, train, synthetic, distance, fpr, seed=seed)
        flagged = {k: v["worst_auc"] >= CONTROL_FLAG_AUC for k, v in mia["controls"].items()}
        mia["controls_flagged"] = flagged
        mia["valid"] = all(flagged.values())
        if not mia["valid"]:
            mia["warning"] = ("a positive control was not flagged: these attacks cannot see leaks in this data, "
                              "so a low score here is no evidence of privacy")
    out["membership_inference"] = mia
    if canaries is not None:
        out["canaries"] = audit_canaries(train, holdout, synthetic, canaries, distance, setup=setup,
                                         near_copy_quantile=near_copy_quantile, unit=unit)
    if isinstance(synthetic, Table):
        out["wp29"] = wp29_risks(synthetic, setup.members, setup.non_members, seed=seed,
                                 secrets=_secrets_first(synthetic, secrets, seed))
        if quasi_identifiers:
            out["quasi_identifiers"] = output_uniqueness(train, holdout, synthetic, quasi_identifiers,
                                                         k=k_anonymity, bins=qi_bins)
    out["release"] = judge(out, secrets)
    return out


def exact_copies(train: Records, holdout: Records | None, synthetic: Records, k: int = K_ANONYMITY) -> dict[str, Any]:
    """Synthetic records identical to a training record, beside how often an unseen real record is one.

    Some tables repeat naturally (few, coarse columns), so a copy is judged against the holdout's own
    rate of coinciding with a training record, not against zero. A record at least ``k`` people hold (entity ids
    only) points to none of them: the gate keeps such copies, and they are reported apart, not counted.
    """
    shared = shared_by_people([p for p in (train, holdout) if p is not None and len(p)], k)
    train_hashes = np.setdiff1d(train.record_hashes(), shared)
    synthetic_hashes = synthetic.record_hashes()
    copies = np.isin(synthetic_hashes, train_hashes)
    out = {"count": int(copies.sum()), "share": round(float(copies.mean()), 6), "synthetic": len(synthetic)}
    if len(shared):
        out["shared_records"] = {"k": k, "records": int(len(shared)),
                                 "copies_not_counted": int(np.isin(synthetic_hashes, shared).sum())}
    if holdout is not None and len(holdout):
        natural = np.isin(holdout.record_hashes(), train_hashes)
        out.update(holdout_count=int(natural.sum()), holdout_share=round(float(natural.mean()), 6),
                   holdout=len(holdout))
    return out


def _secrets_first(synthetic: Table, secrets: list[str] | None, seed: int) -> list[str] | None:
    """The WP29 inference attack's columns: the declared secrets, then a seeded sample of the others."""
    if not secrets:
        return None
    from .wp29 import MAX_SECRETS

    others = [c for c in synthetic.meta.names if c not in secrets]
    rng = np.random.default_rng(seed)
    extra = max(0, MAX_SECRETS - len(secrets))
    return list(secrets) + [others[i] for i in sorted(rng.choice(len(others), size=min(extra, len(others)), replace=False))]


def output_uniqueness(train: Table, holdout: Table, synthetic: Table, columns: list[str], k: int = K_ANONYMITY,
                      bins: int = QI_BINS) -> dict[str, Any]:
    """How many output records are unique on the quasi-identifiers, and whether any such combination is rare in real data."""
    qi = QuasiIdentifiers(train, columns, bins)
    real = type(train).concat([train, holdout])
    counts = qi.keys(real).value_counts()
    syn = qi.keys(synthetic)
    syn_counts = syn.value_counts()
    unique = syn[syn.map(syn_counts) == 1]
    real_n = unique.map(counts).fillna(0)
    return {"columns": columns, "unique_in_output": int(len(unique)),
            "unique_in_output_and_absent_from_real": int((real_n == 0).sum()),
            "unique_in_output_and_rare_in_real": int(((real_n > 0) & (real_n < k)).sum()),
            "unique_in_output_and_common_in_real": int((real_n >= k).sum()), "k": k}
