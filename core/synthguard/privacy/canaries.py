"""Planted canaries: records put into training on purpose, and whether the synthetic data gives them away.

A canary is a record a user (or a benchmark) plants in the training data, often several times, to test the
generator the way an attacker would: if a record seen once, five times or ten times comes back out, the
generator leaks what it was trained on, whatever the average attack over all records says. The audit checks
each canary three ways, on the synthetic records it is given (the delivered output):

* **exact copy** — a synthetic record equal to the canary;
* **near copy** — a synthetic record nearer to it than the gate's near-copy distance (the holdout's
  ``near_copy_quantile`` of distance to the training data, computed as :class:`~.filters.NearCopyFilter`
  does);
* **membership score** — under the audit's attacks (``dcr``, ``dcr-difference``, ``density-ratio``, with the
  same attacker's view and cross-fitted reference populations as :mod:`.attacks`) the canary scores above
  the non-members' 99th percentile under at least one attack (each half of the holdout is scored against
  the other, cross-fitted as the audit does; the canary's share of non-members scoring at least as high is
  averaged over the two halves).

A canary is **one entity** however often it is planted: it is reported once, with its number of copies, and
:func:`plant` gives its copies one entity id (so value protection counts one person, not ten).

The release figure (:func:`judge_canaries`) compares the number of flagged canaries with the rate at which
the same three checks flag *unseen* real records (the non-members: what chance alone gives) — one-sided
binomial at 1%, the rule the exact-copy figure uses, so that an honest generator is not refused because
one of twelve canaries happened to sit near a synthetic record. A figure that even all canaries flagged
could not fail (too few canaries for the natural rate) reads "cannot tell".

The report names canaries by their row in the canaries table and never holds their values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binom

from ..data import ColumnKind, Records, Table, TableMeta, numeric_values
from ..errors import DataError
from .attacks import DENSITY_K, AttackSetup, _record_scores
from .distance import Distance, NearestRecords
from .filters import NEAR_COPY_QUANTILE

#: Optional column of a canaries table: how many times each canary is planted in training.
COPIES = "copies"
MAX_COPIES = 1000
#: A canary is "exposed" when its combined membership score is above this quantile of the non-members'.
SCORE_QUANTILE = 0.99
#: One-sided level of the release figure (as for exact copies).
LEVEL = 0.01
#: Natural flag rate assumed when there is no holdout to measure it (exact copies only).
RATE_WITHOUT_HOLDOUT = 0.01
ATTACKS = ("dcr", "dcr-difference", "density-ratio")


@dataclass(frozen=True)
class Canaries:
    """Distinct canary records in a training table's schema, and how many copies of each are (to be) planted."""

    records: Table
    copies: np.ndarray

    def __len__(self) -> int:
        return len(self.records)

    def restrict(self, meta: TableMeta) -> "Canaries":
        """The same canaries on ``meta``'s columns (value protection may leave identifier columns unmodelled)."""
        if meta.names == self.records.meta.names:
            return self
        return Canaries(Table(self.records.frame[meta.names], meta), self.copies)

    def summary(self) -> dict[str, Any]:
        return {"canaries": len(self), "copies": [int(c) for c in self.copies], "rows": int(self.copies.sum())}


def read_canaries(data: pd.DataFrame | Table | str | Path, meta: TableMeta, what: str = "canaries") -> Canaries:
    """Canaries from a DataFrame, a Table or a CSV/Parquet file, checked against the training table's ``meta``.

    Columns: the training table's, plus an optional ``copies`` column (a whole number 1..1000 per row).
    Without it, a record repeated in the file is planted as often as it is repeated; with it, the copies
    of repeated rows add up. Every value must be one the training data could hold (a known category, a
    number within the column's range), so the canaries fit the model's schema. Raises one
    :class:`DataError` naming the first problem.
    """
    if isinstance(data, (str, Path)):
        from ..io.readers import read_table

        what = f"{what} file {Path(data).name!r}"
        frame = read_table(data)
    elif isinstance(data, Table):
        frame = data.frame.copy()
    elif isinstance(data, pd.DataFrame):
        frame = data.copy()
    else:
        raise DataError(f"{what} of type {type(data).__name__}: expected a DataFrame, a Table or a CSV/Parquet path")
    if len(frame) == 0:
        raise DataError(f"{what} is empty: expected at least one canary record")
    extra = [c for c in frame.columns if c not in meta.names and c != COPIES]
    missing = [c for c in meta.names if c not in frame.columns]
    if extra or missing:
        raise DataError(f"{what} columns differ from the training data's: missing {missing}, unexpected {extra} "
                        f"(expected the training columns, and optionally {COPIES!r})")
    if COPIES in frame.columns:
        copies = pd.to_numeric(frame[COPIES], errors="coerce").to_numpy(dtype=float)
        if np.isnan(copies).any() or (copies != np.round(copies)).any() or not (1 <= copies).all() \
                or (copies > MAX_COPIES).any():
            raise DataError(f"{what} column {COPIES!r}: expected a whole number from 1 to {MAX_COPIES} in every row")
        copies = copies.astype(int)
    else:
        copies = np.ones(len(frame), dtype=int)
    for col in meta.columns:
        _check_values(frame[col.name], col, what)
    table = Table(frame[meta.names], meta)
    hashes = table.record_hashes()
    _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    order = np.argsort(first)  # canaries in the order the file first names them
    summed = np.bincount(inverse, weights=copies).astype(int)
    if summed.max() > MAX_COPIES:
        raise DataError(f"{what}: a canary is planted {summed.max()} times: expected at most {MAX_COPIES}")
    return Canaries(table.take(first[order]), summed[order])


def _check_values(s: pd.Series, col, what: str) -> None:
    present = s.notna()
    if not col.nullable and not present.all():
        raise DataError(f"{what} column {col.name!r} has missing values: expected a value in every row "
                        "(the training data has none missing)")
    if col.kind in (ColumnKind.numeric, ColumnKind.datetime):
        x = numeric_values(s, col.kind)
        if np.isnan(x[present.to_numpy()]).any():
            raise DataError(f"{what} column {col.name!r}: expected {col.kind.value} values")
        x = x[~np.isnan(x)]
        low, high = col.minimum, col.maximum
        if low is not None and high is not None and ((x < low) | (x > high)).any():
            raise DataError(f"{what} column {col.name!r} holds values outside the training data's range: expected "
                            "canaries built from values the training data has")
        if col.integer and (x != np.round(x)).any():
            raise DataError(f"{what} column {col.name!r}: expected whole numbers, as in the training data")
    elif col.categories is not None:
        known = {str(v) for v in col.categories}
        unknown = int((~s[present].astype(str).isin(known)).sum())
        if unknown:
            raise DataError(f"{what} column {col.name!r} has {unknown} value(s) the training data does not: "
                            "expected canaries built from values the training data has")


def plant(train: Table, canaries: Canaries) -> Table:
    """``train`` with each canary appended ``copies`` times; every canary is one entity (its copies share an id).

    Real rows keep their entity ids (``--entity-column``) or, without them, each row becomes its own entity
    (the unit is then still called "record": a canary's copies count once, as one record).
    """
    idx = np.repeat(np.arange(len(canaries)), canaries.copies)
    planted = canaries.restrict(train.meta).records.take(idx)
    own = (np.asarray(train.entities, dtype=object) if train.entities is not None
           else np.array([f"row-{i}" for i in range(len(train))], dtype=object))
    ids = np.array([f"canary-{i}" for i in idx], dtype=object)
    clash = set(ids) & set(map(str, own))
    if clash:
        raise DataError(f"entity id(s) {sorted(clash)[:3]} of the training data clash with the canaries' ids: "
                        "expected entity ids that do not start with 'canary-'")
    return Table(pd.concat([train.frame, planted.frame], ignore_index=True), train.meta,
                 np.concatenate([own, ids]), train.entity_name if train.entities is not None else "record")


def _tail_shares(scores: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Share of ``reference`` scoring at or above each score."""
    ref = np.sort(reference)
    return (len(ref) - np.searchsorted(ref, scores, side="left")) / len(ref)


def _membership(setup: AttackSetup, canaries: Table, synthetic: Records, distance: type[Distance]
                ) -> tuple[np.ndarray, list[str], pd.Series]:
    """Per canary, its smallest tail share over the attacks (the share of non-members scoring at least as high,
    averaged over the two folds) and that attack; per non-member unit, the same among the other non-members
    of its fold (indexed by unit). A tail share below 1% is a score above the non-members' 99th percentile.
    """
    d = distance().fit(synthetic)  # the attacker's view, as in attacks.attack_scores
    to_syn = NearestRecords(d, synthetic)
    canary_x, non_member_x = d.embed(canaries), d.embed(setup.non_members)
    canary_tails = np.zeros((2, len(canaries), len(ATTACKS)))
    non_member_tails: list[pd.Series] = []
    for fold in (0, 1):
        population = setup.population(fold)
        h = setup.non_member_fold == fold
        k = max(1, min(DENSITY_K, len(synthetic) - 1, len(population) - 1))
        to_pop = NearestRecords(d, population)
        nm = _record_scores(non_member_x[h], to_syn, to_pop, k)
        nm = pd.DataFrame({"unit": setup.non_member_units[h], **{a: nm[a] for a in ATTACKS}}).groupby("unit").max()
        ca = _record_scores(canary_x, to_syn, to_pop, k)
        n = len(nm)
        own = []
        for j, a in enumerate(ATTACKS):
            ref = nm[a].to_numpy()
            canary_tails[fold, :, j] = _tail_shares(ca[a], ref)
            own.append((_tail_shares(ref, ref) * n - 1) / max(n - 1, 1))  # among the others: itself left out
        non_member_tails.append(pd.Series(np.min(own, axis=0), index=nm.index))
    tails = canary_tails.mean(axis=0)
    return tails.min(axis=1), [ATTACKS[i] for i in tails.argmin(axis=1)], pd.concat(non_member_tails).sort_index()


def near_copy_threshold(train: Table, holdout: Table, distance: type[Distance],
                        quantile: float = NEAR_COPY_QUANTILE) -> tuple[float, Distance, NearestRecords | None]:
    """The gate's near-copy distance: ``quantile`` of unseen holdout records' distance to the distinct training
    records (as :class:`~.filters.NearCopyFilter` computes it), the distance fitted on train, and the index."""
    d = distance().fit(train)
    hashes = train.record_hashes()
    _, first = np.unique(hashes, return_index=True)
    distinct = NearestRecords(d, train.take(np.sort(first)))
    unseen = holdout.take(np.flatnonzero(~np.isin(holdout.record_hashes(), hashes)))
    if not len(unseen):
        return 0.0, d, distinct
    return float(np.quantile(distinct.distances(unseen), quantile)), d, distinct


def audit_canaries(train: Table, holdout: Table | None, synthetic: Table, canaries: Canaries,
                   distance: type[Distance], *, setup: AttackSetup | None = None,
                   near_copy_quantile: float = NEAR_COPY_QUANTILE, unit: str = "record") -> dict[str, Any]:
    """Per canary: copies planted and found in training, exact and near copies in ``synthetic``, membership
    p-value; the non-members' flag rate under the same checks; and the release figure (:func:`judge_canaries`).

    ``setup`` is the audit's :class:`AttackSetup` (non-members and their folds); without it (no usable
    holdout) only exact copies are checked. ``unit`` names what the non-members are counted by (the audit's
    unit: "record", or the table's entity column). Raises :class:`DataError` when a canary is not in ``train``.
    """
    canaries = canaries.restrict(train.meta)
    c_hash = canaries.records.record_hashes()
    in_training = np.array([int(n) for n in (pd.Series(train.record_hashes()).value_counts()
                                             .reindex(c_hash).fillna(0).to_numpy())])
    absent = np.flatnonzero(in_training == 0)
    if len(absent):
        raise DataError(f"canary row(s) {absent.tolist()[:5]} are not in the training data: expected records "
                        "planted in training (generate --canaries plants them)")
    syn_hash = synthetic.record_hashes()
    exact = np.array([int((syn_hash == h).sum()) for h in c_hash])
    out: dict[str, Any] = {"canaries": len(canaries), "rows_in_training": int(in_training.sum()), "unit": unit,
                           "checks": ["exact copy"]}
    near = np.zeros(len(canaries), dtype=int)
    nearest = np.full(len(canaries), np.nan)
    p = np.full(len(canaries), np.nan)
    attack = [None] * len(canaries)
    natural: dict[str, Any]
    if holdout is not None and setup is not None:
        threshold, d, _ = near_copy_threshold(train, holdout, distance, near_copy_quantile)
        to_syn = NearestRecords(d, synthetic)
        k = min(50, len(synthetic))
        dist = to_syn.kneighbors(canaries.records, k)[0]
        nearest, near = dist[:, 0], (dist < threshold).sum(axis=1)
        p, attack, p_non = _membership(setup, canaries.records, synthetic, distance)  # tail shares
        non = setup.non_members
        # the natural rate: unseen people flagged by the same three checks (a copy or near copy of them by
        # chance, or a score beyond the others' 99th percentile under one of the attacks: about 1% per attack)
        copied = pd.Series(np.isin(non.record_hashes(), syn_hash) | (to_syn.distances(non) < threshold))
        copied = copied.groupby(setup.non_member_units, sort=True).max()
        scored = (p_non < 1 - SCORE_QUANTILE).reindex(copied.index).to_numpy()
        copied = copied.to_numpy()
        n0 = len(copied)
        flagged_units = int((copied | scored).sum())
        natural = {"non_members": n0, "flagged": flagged_units, "rate": round((flagged_units + 1) / (n0 + 2), 6),
                   "near_or_exact": int(copied.sum()), "score": int(scored.sum())}
        out.update(checks=["exact copy", "near copy", "membership score"], near_copy_threshold=round(threshold, 6),
                   near_copy_quantile=near_copy_quantile, score_quantile=SCORE_QUANTILE, attacks=list(ATTACKS))
    else:
        natural = {"non_members": 0, "rate": RATE_WITHOUT_HOLDOUT,
                   "note": "no holdout: exact copies only, against an assumed 1% chance rate"}
    rows = []
    for i in range(len(canaries)):
        reproduced = "exact copy" if exact[i] else "near copy" if near[i] else None
        exposed = bool(p[i] < 1 - SCORE_QUANTILE) if not np.isnan(p[i]) else False
        rows.append({"canary": i, "copies": int(canaries.copies[i]), "in_training": int(in_training[i]),
                     "exact_copies": int(exact[i]), "near_copies": int(near[i]),
                     "nearest_synthetic": None if np.isnan(nearest[i]) else round(float(nearest[i]), 6),
                     "score_tail": None if np.isnan(p[i]) else round(float(p[i]), 4), "attack": attack[i],
                     "reproduced": reproduced, "exposed": exposed, "flagged": bool(reproduced) or exposed})
    out["per_canary"] = rows
    out["flagged"] = int(sum(r["flagged"] for r in rows))
    out["natural"] = natural
    out["figure"] = judge_canaries(out)
    return out


def _exposure(row: dict[str, Any]) -> str:
    if row["score_tail"] == 0:
        return f"membership score above every unseen record's ({row['attack']})"
    return f"membership score in the top {row['score_tail']:.1%} of unseen records ({row['attack']})"


def judge_canaries(report: dict[str, Any]) -> dict[str, Any]:
    """The release figure: flagged canaries against the non-members' natural flag rate (one-sided binomial, 1%)."""
    n, k, rate = report["canaries"], report["flagged"], report["natural"]["rate"]
    p = float(binom.sf(k - 1, n, rate)) if k else 1.0
    readable = float(binom.sf(n - 1, n, rate)) < LEVEL  # could even all n flagged fail?
    verdict = "fail" if p < LEVEL else "pass" if readable else "cannot tell"
    flagged = [r for r in report["per_canary"] if r["flagged"]]
    how = ", ".join(f"canary {r['canary']} ({r['copies']}x): {r['reproduced'] or _exposure(r)}" for r in flagged[:4])
    if len(flagged) > 4:
        how += f", and {len(flagged) - 4} more"
    if verdict == "fail":
        text = (f"{k} of {n} planted canaries leaked ({how}), more than the {rate:.1%} of unseen records the same "
                f"checks flag by chance (p = {p:.2g}); the generator reproduces records it was trained on — "
                "train with --epsilon (differential privacy), keep value protection on, or group repeated "
                "records as one person with --entity-column")
    elif verdict == "cannot tell":
        text = (f"{k} of {n} planted canaries flagged cannot be read against the {rate:.1%} chance rate "
                f"(plant more canaries: even all {n} flagged would not exceed chance at the 1% level)")
    else:
        text = f"{k} of {n} planted canaries flagged, within the {rate:.1%} chance rate (p = {p:.2g})"
    return {"figure": "planted canaries flagged", "value": k, "canaries": n, "target": round(rate, 6),
            "target_is": "chance rate of unseen records", "p_value": round(p, 6), "verdict": verdict,
            "flagged": [r["canary"] for r in flagged], "description": text,
            "needs": "more canaries" if verdict == "cannot tell" else None}


__all__ = ["Canaries", "read_canaries", "plant", "audit_canaries", "judge_canaries", "near_copy_threshold", "COPIES"]
