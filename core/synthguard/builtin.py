"""Checks every run gets, registered through the same hooks as any plugin (pytest's default plugins)."""

from __future__ import annotations

import numpy as np

from .contract import CheckContext, PrivacyFilter, Validator, Verdict
from .data import ColumnKind, ImageSet, Records, SequenceSet, Table, numeric_values
from .hookspecs import hookimpl
from .privacy import BUILTIN_DISTANCES, NearCopyFilter, NNDRFilter, RareCombinationFilter
from .privacy.filters import K_ANONYMITY, shared_summary
from .quality import DistributionsMetric, QualityMetric, TSTRMetric


#: Share of held-out real records equal to a training record from which a run without entity ids says that it
#: withheld every copy of them (``--entity-column @row``): on AER DoctorVisits, where 35% do, the finance default's
#: output lost 0.024-0.037 of quality to it (benchmarks/experiments/unseen_tables.py, results/row_people_*.json).
NATURAL_COPIES_NOTE = 0.05


class ExactCopyFilter(PrivacyFilter):
    """Rejects any synthetic record equal to a real record: training (by hash) or holdout; but not one that at
    least k distinct people share (``CheckContext.shared_records``: with entity ids only), which points to no one."""

    name = "core.exact-copy"
    description = "synthetic record identical to a real record"
    modalities = frozenset({"table", "sequence", "image"})

    def prepare(self, context: CheckContext) -> None:
        self._known = np.unique(np.asarray(context.reference_hashes, dtype=np.uint64))
        held = context.holdout.record_hashes() if context.holdout is not None else np.array([], dtype=np.uint64)
        self._held = np.setdiff1d(np.unique(held.astype(np.uint64)), self._known)
        self.k = int(context.options.get("k_anonymity", K_ANONYMITY))
        self._people_share = context.shared_records(self.k)
        self.shared_kept = self.copies_withheld = 0
        # how often a held-out real record equals a training record (the table's natural duplicates), and whether
        # identical rows can be told apart as people at all
        self.natural_share = float(np.isin(held, self._known).mean()) if len(held) else 0.0
        self.without_ids = not context.people_are_entities()

    def check(self, records: Records, context: CheckContext) -> Verdict:
        hashes = records.record_hashes()
        shared = np.isin(hashes, self._people_share)
        self.shared_kept += int(shared.sum())
        copies = ~shared & np.isin(hashes, self._known)
        self.copies_withheld += int(copies.sum())
        reasons = np.where(copies, "identical to a training record",
                           np.where(~shared & np.isin(hashes, self._held), "identical to a holdout record", None))
        return Verdict(reasons)

    def summary(self) -> dict:
        out = {"training_records_known": int(len(self._known)), "holdout_records_known": int(len(self._held)),
               **shared_summary(self.k, self._people_share, self.shared_kept)}
        if self.without_ids and self.natural_share >= NATURAL_COPIES_NOTE and self.copies_withheld:
            out["note"] = (f"{self.natural_share:.0%} of the held-out real records equal a training record, yet all "
                           f"{self.copies_withheld:,} draws equal to one were withheld: without entity ids identical "
                           "rows count as one person's. If every row is a different person (a survey), "
                           f"--entity-column @row keeps the records at least {self.k} people share")
        return out


class FiniteValidator(Validator):
    """Rejects inf anywhere, and missing values where the real data had none."""

    name = "core.finite"
    description = "inf, or NaN in a field that is never missing in the real data"
    modalities = frozenset({"table", "sequence", "image"})

    def check(self, records: Records, context: CheckContext) -> Verdict:
        if isinstance(records, Table):
            verdict = Verdict.keep_all(len(records))
            for col in records.meta.columns:
                s = records.frame[col.name]
                if col.kind is ColumnKind.numeric:
                    values = numeric_values(s, col.kind)
                    verdict = verdict.merge(Verdict.from_mask(np.isinf(values), f"{col.name} is infinite"))
                if not col.nullable:
                    verdict = verdict.merge(Verdict.from_mask(s.isna().to_numpy(), f"{col.name} is missing"))
            return verdict
        if isinstance(records, SequenceSet):
            bad = ~np.isfinite(records.values).reshape(len(records), -1).all(axis=1)
            return Verdict.from_mask(bad, "non-finite reading")
        if isinstance(records, ImageSet):
            bad = ~np.isfinite(records.images).reshape(len(records), -1).all(axis=1)
            return Verdict.from_mask(bad, "non-finite pixel")
        return Verdict.keep_all(len(records))


@hookimpl
def register_validators(register):
    register(FiniteValidator)


@hookimpl
def register_privacy_filters(register):
    register(ExactCopyFilter)
    register(NearCopyFilter)
    register(NNDRFilter)
    register(RareCombinationFilter)


@hookimpl
def register_distances(register):
    for distance in BUILTIN_DISTANCES:
        register(distance)


@hookimpl
def register_metrics(register):
    register(QualityMetric)
    register(TSTRMetric)
    register(DistributionsMetric)


@hookimpl
def register_downstream_tasks(register):
    from .augment_tasks import SequenceTask, TableTask

    register(TableTask)
    register(SequenceTask)
