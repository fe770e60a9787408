"""Checks every run gets, registered through the same hooks as any plugin (pytest's default plugins)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .checks import CheckContext, PrivacyFilter, Validator, Verdict
from .data import ColumnKind, ImageSet, Records, SequenceSet, Table
from .hookspecs import hookimpl


class ExactCopyFilter(PrivacyFilter):
    """Rejects any synthetic record equal to a training record (compared by record hash)."""

    name = "core.exact-copy"
    description = "synthetic record identical to a training record"
    modalities = frozenset({"table", "sequence", "image"})

    def prepare(self, context: CheckContext) -> None:
        self._known = np.unique(np.asarray(context.reference_hashes, dtype=np.uint64))

    def check(self, records: Records, context: CheckContext) -> Verdict:
        hits = np.isin(records.record_hashes(), self._known)
        return Verdict.from_mask(hits, "identical to a training record")

    def summary(self) -> dict:
        return {"training_records_known": int(len(self._known))}


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
                    values = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
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
