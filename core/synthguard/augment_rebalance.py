"""Rebalancing: synthetic records whose target holds its minority class at a requested share.

``--rebalance y=0.5`` gives the target's rarest class (in the training records) half of every sampled
batch; the other classes share the rest in their real proportions. A generator that samples
conditionally (``supports_conditions``: the finance model) draws each class's records conditioned on it;
any other draws unconditionally and keeps records by class until each class's quota is met (rejection
sampling from the same model). The batch is shuffled; since the privacy gate rejects some classes more often than others
(a rare class's records are more often a rare quasi-identifier combination), ``augment`` gates and audits 10%
more records than it delivers and keeps each class's quota of them (:class:`synthguard.augment.AugmentRun`).
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .contract import Generator
from .data import Records, SequenceSet, Table, text_values
from .errors import ConfigError, DataError, SamplingError

#: Unconditional rounds a generator without conditional sampling gets to fill every class's quota.
MAX_REJECTION_ROUNDS = 50


def parse_rebalance(text: str | None) -> tuple[str, float] | None:
    """``"y=0.5"`` -> ``("y", 0.5)``; one :class:`ConfigError` naming what is wrong."""
    if text is None:
        return None
    column, sep, share = str(text).partition("=")
    try:
        value = float(share)
    except ValueError:
        value = None
    if not sep or not column.strip() or value is None or not 0 < value < 1:
        raise ConfigError(f"--rebalance {text!r}: expected COLUMN=SHARE with a share between 0 and 1 "
                          "(exclusive), e.g. --rebalance default=0.5")
    return column.strip(), value


def class_shares(labels: np.ndarray, column: str, share: float) -> tuple[str, dict[str, float]]:
    """The minority class of ``labels`` and every class's share once the minority holds ``share``."""
    values, counts = np.unique([str(v) for v in labels if v is not None and v == v], return_counts=True)
    if len(values) < 2:
        raise DataError(f"--rebalance {column}={share}: column {column!r} holds {len(values)} class in the training "
                        "records: expected at least two to rebalance")
    minority = str(values[np.argmin(counts)])
    rest = {str(v): c for v, c in zip(values, counts) if str(v) != minority}
    total = sum(rest.values())
    return minority, {minority: share, **{v: float((1 - share) * c / total) for v, c in rest.items()}}


def quotas(n: int, shares: Mapping[str, float]) -> dict[str, int]:
    """``n`` split by ``shares`` in whole records (largest remainder)."""
    raw = {k: n * s for k, s in shares.items()}
    out = {k: math.floor(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: raw[k] - out[k], reverse=True)[: n - sum(out.values())]:
        out[k] += 1
    return out


class Rebalanced:
    """A fitted generator whose ``sample`` holds ``column``'s classes at ``shares``; everything else is the model's.

    It stands in for the model in the pipeline (sampling, the gate, the report read the model's name,
    config, fit info and metadata through it).
    """

    supports_screening = False  # each class's quota is drawn in full: stopping draws early would skew the shares

    def __init__(self, model: Generator, column: str, shares: Mapping[str, float], values: Mapping[str, Any]):
        self.model, self.column, self.shares, self.values = model, column, dict(shares), dict(values)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)

    def sample(self, n: int, *, seed: int = 0, conditions: Mapping[str, Any] | None = None) -> Records:
        want = quotas(n, self.shares)
        if self.model.supports_conditions:
            parts = [self.model.sample(k, seed=int(np.random.SeedSequence([seed, i]).generate_state(1)[0]),
                                       conditions={**dict(conditions or {}), self.column: self.values[c]})
                     for i, (c, k) in enumerate(want.items()) if k]
        else:
            parts = self._by_rejection(want, seed, conditions)
        batch = type(parts[0]).concat(parts)
        return batch.take(np.random.default_rng([seed, 1]).permutation(len(batch)))

    def _by_rejection(self, want: dict[str, int], seed: int, conditions: Mapping[str, Any] | None) -> list[Records]:
        have = {c: [] for c in want}
        missing = dict(want)
        for round_no in range(MAX_REJECTION_ROUNDS):
            if not any(missing.values()):
                break
            draw = self.model.sample(max(64, 2 * sum(want.values())), seed=int(
                np.random.SeedSequence([seed, 7, round_no]).generate_state(1)[0]), conditions=conditions)
            labels = class_labels(draw, self.column)
            for c, k in missing.items():
                idx = np.flatnonzero(labels == c)[:k]
                if len(idx):
                    have[c].append(draw.take(idx))
                    missing[c] -= len(idx)
        if any(missing.values()):
            short = {c: k for c, k in missing.items() if k}
            raise SamplingError(f"--rebalance {self.column}: generator {self.model.name!r} samples without conditions "
                                f"and produced too few records of class(es) {short} in {MAX_REJECTION_ROUNDS} rounds: "
                                "expected a generator that samples conditionally (the domain's default) or a smaller share")
        return [p for parts in have.values() for p in parts]


def _column(records: Records, column: str) -> pd.Series:
    """A table's column, or a sequence set's static attribute (what a sequence generator conditions on)."""
    if isinstance(records, Table):
        return records.frame[column]
    if isinstance(records, SequenceSet):
        return records.statics[column]
    raise DataError(f"--rebalance {column}: {records.modality} data: expected a table or sequences")


def class_labels(records: Records, column: str) -> np.ndarray:
    """Each record's class in ``column`` as text (None where missing)."""
    return text_values(pd.Series(_column(records, column))).to_numpy()


def class_values(records: Records, column: str) -> dict[str, Any]:
    """Each class as text -> the value as the data holds it (what a condition names)."""
    out = {}
    for v in _column(records, column).dropna().unique():
        out[str(v)] = v.item() if hasattr(v, "item") else v
    return out


def delivered_shares(records: Records, column: str) -> dict[str, float]:
    labels = class_labels(records, column)
    values, counts = np.unique([v for v in labels if v is not None], return_counts=True)
    return {str(v): round(float(c / len(labels)), 4) for v, c in zip(values, counts)}


__all__ = ["parse_rebalance", "class_shares", "quotas", "Rebalanced", "class_values", "class_labels", "delivered_shares"]
