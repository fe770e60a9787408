"""Finance safety checks: learned/declared bounds, category domains, declared rules, PII patterns."""

from __future__ import annotations

import numpy as np
import pandas as pd
from synthguard import CheckContext, ColumnKind, ConfigError, DataError, Table, Validator, Verdict
from synthguard import numeric_values, text_values

from .pii import find_pii
from .rules import parse_rule


class BoundsValidator(Validator):
    """Numeric and date values outside the declared range, or the real data's range when none is declared.

    Amounts, balances and incomes that are never negative in the real data are thus
    never negative in the output; declare ``bounds={"balance": (0, None)}`` to be explicit.
    """

    name = "finance.bounds"
    reads_options = frozenset({"bounds"})
    description = "value outside the declared or learned [min, max] of its column"
    domains = frozenset({"finance"})

    def prepare(self, context: CheckContext) -> None:
        meta = context.meta
        declared = context.options.get("bounds") or {}
        self.limits = {}
        for name, (lo, hi) in declared.items():
            col = meta.column(name)
            if col.kind not in (ColumnKind.numeric, ColumnKind.datetime):
                raise ConfigError(f"bounds for column {name!r}: it is {col.kind.value}, expected a numeric column")
        for col in meta.columns:
            if col.kind not in (ColumnKind.numeric, ColumnKind.datetime):
                continue
            lo, hi = declared.get(col.name, (col.minimum, col.maximum))
            self.limits[col.name] = (col.kind, lo, hi, col.name in declared)

    def check(self, records: Table, context: CheckContext) -> Verdict:
        verdict = Verdict.keep_all(len(records))
        for name, (kind, lo, hi, declared) in self.limits.items():
            x = numeric_values(records.frame[name], kind)
            how = "declared" if declared else "real-data"
            if lo is not None:
                verdict = verdict.merge(Verdict.from_mask(x < lo, lambda i: f"{name}={x[i]:g} below {how} minimum {lo:g}"))
            if hi is not None:
                verdict = verdict.merge(Verdict.from_mask(x > hi, lambda i: f"{name}={x[i]:g} above {how} maximum {hi:g}"))
        return verdict

    def summary(self) -> dict:
        return {"bounds": {n: [lo, hi] for n, (_, lo, hi, _) in self.limits.items()}}


class CategoryValidator(Validator):
    """Categories never seen in the real column (a generator inventing a new product code, say)."""

    name = "finance.categories"
    description = "category outside the real column's domain"
    domains = frozenset({"finance"})

    def check(self, records: Table, context: CheckContext) -> Verdict:
        verdict = Verdict.keep_all(len(records))
        for col in context.meta.columns:
            if col.kind not in (ColumnKind.categorical, ColumnKind.boolean):
                continue
            s = records.frame[col.name]
            allowed = {str(v) for v in col.categories or []}
            keys = text_values(s.map(bool, na_action="ignore") if col.kind is ColumnKind.boolean else s)
            bad = keys.notna() & ~keys.isin(allowed)
            verdict = verdict.merge(Verdict.from_mask(bad.to_numpy(), lambda i: f"{col.name}={s.iloc[i]!r} not a known category"))
        return verdict


class RuleValidator(Validator):
    """Inter-column rules the user declares (``--rule 'balance <= limit'``)."""

    name = "finance.rules"
    reads_options = frozenset({"rules"})
    description = "violates a declared inter-column rule"
    domains = frozenset({"finance"})

    def prepare(self, context: CheckContext) -> None:
        self.rules = [parse_rule(text, context.meta) for text in context.options.get("rules") or []]

    def check(self, records: Table, context: CheckContext) -> Verdict:
        verdict = Verdict.keep_all(len(records))
        for rule in self.rules:
            verdict = verdict.merge(Verdict.from_mask(rule.violated(records.frame), f"violates rule {rule.text!r}"))
        return verdict

    def summary(self) -> dict:
        return {"rules": [r.text for r in self.rules]}


class PIIValidator(Validator):
    """Card numbers (Luhn), IBANs (mod-97), e-mail addresses and phone numbers in any text column."""

    name = "finance.pii"
    description = "text value contains a personal identifier"
    domains = frozenset({"finance"})

    def prepare(self, context: CheckContext) -> None:
        self.columns = [c.name for c in context.meta.columns if c.kind is ColumnKind.categorical]
        for col in context.meta.columns:
            cats = [str(v) for v in col.categories or []] if col.kind is ColumnKind.categorical else []
            hits = [k for k in (find_pii(v) for v in cats) if k]
            if cats and len(hits) > len(cats) / 2:
                raise DataError(
                    f"column {col.name!r} of the training data holds {hits[0]}s: every synthetic value would copy a "
                    "real one; expected no identifier columns (drop or mask it before synthesis)"
                )

    def check(self, records: Table, context: CheckContext) -> Verdict:
        verdict = Verdict.keep_all(len(records))
        for name in self.columns:
            values = records.frame[name]
            found = {v: find_pii(str(v)) for v in values.dropna().unique()}
            kinds = values.map(found)  # missing values and values without an identifier map to NaN
            verdict = verdict.merge(Verdict.from_mask(kinds.notna().to_numpy(), lambda i: f"{name} contains a {kinds.iloc[i]}"))
        return verdict
