"""The core privacy gate: near copies, nearest-neighbour distance ratio, rare quasi-identifier combinations.

Near copy and NNDR ask the same question of a synthetic record — "is it closer
to some training record than real, unseen records are?" — so both thresholds
come from the holdout: the ``quantile`` (default 1%) of the holdout records'
own values. A synthetic record beyond what 99% of unseen real records show is
rejected. Exact copies are caught by hash (``core.exact-copy``, in builtin).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from ..contract import CheckContext, PrivacyFilter, Verdict
from ..data import ColumnKind, Table, numeric_values
from ..errors import ConfigError, DataError

NEAR_COPY_QUANTILE = 0.01
#: The near-copy/NNDR thresholds are estimated from at most this many unseen holdout records: a larger holdout
#: calibrates on a uniform sample of them (seed 0), said in the report. 500 of 50,000 lie below a 1% quantile, so its
#: estimate moves by about ±0.05 percentage points (binomial); the exact search of a 200,000-record holdout against
#: 800,000 training records took ~15 minutes on one core (benchmarks/README.md, "Databases").
CALIBRATION_RECORDS = 50_000
K_ANONYMITY = 5
QI_BINS = 10

_NEEDS = ("needs the training data and a holdout split (generate; sample with --reference and --holdout, or of a "
          "bundle fitted on a reference dataset with a holdout)")


def shared_summary(k: int, shared: np.ndarray, kept: int) -> dict[str, Any]:
    """The report's line on records k people share (:meth:`CheckContext.shared_records`), when there are some."""
    if not len(shared):
        return {}
    return {"shared_records": {"k": k, "real_records_k_people_share": int(len(shared)), "kept": kept,
                               "why": f"identical to a real record that at least {k} distinct people (entities) hold: "
                                      "it points to none of them"}}


class _HoldoutCalibrated(PrivacyFilter):
    """Shared: a per-record score against the training records, thresholded at a holdout quantile."""

    modalities = frozenset({"table", "sequence", "image"})
    option = "near_copy_quantile"

    def score(self, distances: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def prepare(self, context: CheckContext) -> None:
        self.quantile = float(context.options.get(self.option, NEAR_COPY_QUANTILE))
        self.active = context.reference is not None and context.holdout is not None and context.distance is not None
        if not self.active:
            return
        self.distance_name = context.nearest_reference().distance.name
        # calibrating on holdout records that equal training records would put the threshold at distance 0
        # and switch the filter off: only unseen records count
        holdout, self.holdout_copies, self.unseen_records = context.calibration_holdout(CALIBRATION_RECORDS)
        if holdout is None:
            raise DataError(f"{self.name}: every holdout record equals a training record: expected real records the "
                            "generator never saw (deduplicate the data, or split by entity)")
        self.calibration_records = len(holdout)
        self.k = int(context.options.get("k_anonymity", K_ANONYMITY))
        self.shared, self.shared_kept = context.shared_records(self.k), 0
        scores = self.score(context.reference_neighbours(holdout, 2)[0])  # one search for near-copy and NNDR
        self.threshold = float(np.quantile(scores, self.quantile))
        if self.threshold <= 0:
            raise DataError(f"{self.name}: the holdout's {self.quantile:.0%} quantile is 0 ({int((scores <= 0).sum())} of "
                            f"{len(scores)} unseen records sit at distance 0 from the training data), so the filter would "
                            "reject nothing: expected distinct records (deduplicate the data)")

    def check(self, records, context: CheckContext) -> Verdict:
        if not self.active:
            return Verdict.keep_all(len(records))
        s = self.score(context.reference_neighbours(records, 2)[0])  # one search shared by near-copy and NNDR
        near = s < self.threshold
        if len(self.shared) and near.any():  # a record k people share sits at distance 0 from them all: not a copy
            shared = near & np.isin(records.record_hashes(), self.shared)
            self.shared_kept += int(shared.sum())
            near &= ~shared
        return Verdict.from_mask(near, lambda i: self.reason(s[i]))

    def summary(self) -> dict[str, Any]:
        if not self.active:
            return {"applied": False, "reason": _NEEDS}
        return {"applied": True, "threshold": round(self.threshold, 6), "quantile": self.quantile,
                **shared_summary(self.k, self.shared, self.shared_kept),
                "distance": self.distance_name, "holdout_records_equal_to_training": self.holdout_copies,
                "calibrated_on": {"records": self.calibration_records, "of": self.unseen_records,
                                  "how": "uniform sample of the unseen holdout records, seed 0"
                                         if self.calibration_records < self.unseen_records
                                         else "every unseen holdout record"}}


class NearCopyFilter(_HoldoutCalibrated):
    """Rejects records closer to a training record than the holdout's 1st-percentile DCR."""

    name = "core.near-copy"
    description = "closer to a training record than (almost) any real unseen record is"

    def score(self, distances: np.ndarray) -> np.ndarray:
        return distances[:, 0]

    def reason(self, x: float) -> str:
        return f"distance {x:.4f} to a training record is below the holdout's {self.quantile:.0%} quantile {self.threshold:.4f}"


class NNDRFilter(_HoldoutCalibrated):
    """Rejects records whose nearest training record is much nearer than the second (it points at one person).

    NNDR = d(nearest) / d(second nearest). Where the two nearest training records
    are identical (d2 = 0) no single record is singled out: NNDR = 1.
    """

    name = "core.nndr"
    description = "nearest training record far nearer than the next one (singles out one record)"

    def score(self, distances: np.ndarray) -> np.ndarray:
        if distances.shape[1] < 2:
            return np.ones(len(distances))
        d1, d2 = distances[:, 0], distances[:, 1]
        return np.where(d2 > 0, d1 / np.where(d2 > 0, d2, 1.0), 1.0)

    def reason(self, x: float) -> str:
        return f"nearest/second-nearest training distance ratio {x:.3f} is below the holdout's {self.quantile:.0%} quantile {self.threshold:.3f}"


class QuasiIdentifiers:
    """Generalised quasi-identifier keys: categories as they are, numbers/dates in training-quantile bins."""

    def __init__(self, train: Table, columns: list[str], bins: int = QI_BINS):
        self.columns = list(columns)
        self.edges: dict[str, np.ndarray] = {}
        for name in self.columns:
            col = train.meta.column(name)  # DataError naming an unknown column
            if col.kind in (ColumnKind.numeric, ColumnKind.datetime) and col.n_unique > bins:
                x = numeric_values(train.frame[name], col.kind)
                self.edges[name] = np.unique(np.nanquantile(x[~np.isnan(x)], np.linspace(0, 1, bins + 1)[1:-1]))
        self.kinds = {name: train.meta.column(name).kind for name in self.columns}

    def keys(self, table: Table) -> pd.Series:
        parts = []
        for name in self.columns:
            s = table.frame[name]
            if name in self.edges:
                x = numeric_values(s, self.kinds[name])
                b = np.searchsorted(self.edges[name], x, side="right").astype(object)
                b[np.isnan(x)] = "<NA>"
                parts.append(pd.Series(b, index=s.index).astype(str))
            else:
                parts.append(s.astype(object).where(s.notna(), "<NA>").astype(str))
        if not parts:
            return pd.Series([""] * len(table), index=table.frame.index)
        out = parts[0]
        for p in parts[1:]:
            out = out + "\x1f" + p
        return out


class RareCombinationFilter(PrivacyFilter):
    """k-anonymity on declared quasi-identifiers: rejects a record whose QI combination fewer than k real people share.

    Quasi-identifiers come from ``--quasi-identifiers`` (or the dataset's
    declaration); numbers and dates are generalised into ``qi_bins`` training
    quantile bins first (exact ages/amounts would make everyone unique). A
    combination that no real record has points to no one and is kept; one that
    1..k-1 distinct real records share would disclose them, and is rejected. Records are
    counted once however often they repeat: ten copies of one person's row are one person. Where records
    carry entity ids (``--entity-column``) people are the entities: two of them with one record are two.
    """

    name = "core.k-anonymity"
    description = "quasi-identifier combination shared by fewer than k real records"

    def prepare(self, context: CheckContext) -> None:
        opts = context.options
        self.columns = list(opts.get("quasi_identifiers") or [])
        self.k = int(opts.get("k_anonymity", K_ANONYMITY))
        self.bins = int(opts.get("qi_bins", QI_BINS))
        self.active = bool(self.columns) and context.reference is not None
        if not self.columns:
            self.why = "no quasi-identifiers declared (--quasi-identifiers COL,...)"
        elif context.reference is None:
            self.why = "needs the training data to count combinations (generate, or sample with --reference)"
        if not self.active:
            return
        if not isinstance(context.reference, Table):
            raise ConfigError("quasi-identifiers apply to tables only")
        self.qi = QuasiIdentifiers(context.reference, self.columns, self.bins)
        parts = [context.reference] + ([context.holdout] if context.holdout is not None else [])  # all real people
        _, who, self.people = context.real_people()  # entities where records carry ids, else distinct records
        real = pd.DataFrame({"key": pd.concat([self.qi.keys(p) for p in parts], ignore_index=True), "person": who})
        distinct = real.drop_duplicates()
        self.counts = Counter(distinct["key"].tolist())
        self.rare = {key for key, n in self.counts.items() if n < self.k}
        self.real_records_in_rare = int(sum(self.counts[key] for key in self.rare))
        self.real_records = int(len(distinct))
        self.duplicate_rows = int(len(real) - len(distinct))

    def screen_columns(self) -> tuple[str, ...]:
        return tuple(self.columns) if self.active else ()

    def check(self, records: Table, context: CheckContext) -> Verdict:
        if not self.active:
            return Verdict.keep_all(len(records))
        keys = self.qi.keys(records)
        return Verdict.from_mask(keys.isin(self.rare).to_numpy(),
                                 lambda i: f"quasi-identifiers {self.columns} match a combination only "
                                           f"{self.counts.get(keys.iloc[i], 0)} distinct real record(s) share (k={self.k})")

    def summary(self) -> dict[str, Any]:
        if not self.active:
            return {"applied": False, "reason": self.why}
        return {"applied": True, "k": self.k, "quasi_identifiers": self.columns, "numeric_bins": self.bins,
                "generalised": sorted(self.qi.edges), "real_combinations": len(self.counts),
                "rare_real_combinations": len(self.rare),
                "real_records_in_rare_combinations": self.real_records_in_rare, "real_records": self.real_records,
                "duplicate_rows_counted_once": self.duplicate_rows, "people_counted_as": self.people}


class WithheldUnderDP(PrivacyFilter):
    """Stands in for a privacy filter not run on a differentially private model's output (``--no-privacy-filters``).

    Records sampled from an ε-DP model are ε-DP themselves (post-processing). A filter that compares them with the
    training records (copies, distances, rare combinations) makes what is released depend on those records again,
    outside the ledger: the output is then not covered by ε, only the model is. Without the filters the guarantee
    covers the records; the report lists each filter with ``applied: false`` and this reason, and the audit still
    measures what was released and decides.
    """

    def __init__(self, original: PrivacyFilter, epsilon: float):
        self.name = original.name
        self.description = original.description
        self.reason = (f"not run (--no-privacy-filters): the model is differentially private (ε = {epsilon:g}) and "
                       "comparing its output with the training records would release records outside ε")

    def check(self, records: Any, context: CheckContext) -> Verdict:
        return Verdict.keep_all(len(records))

    def summary(self) -> dict[str, Any]:
        return {"applied": False, "reason": self.reason}
