"""Validators and privacy filters: checks that reject records with a reason.

A check looks at a batch of synthetic records and returns a :class:`Verdict`:
one reason per record (``None`` = keep). It never drops data itself; the
pipeline removes rejected records, writes them with their reasons to
``rejected.*`` and resamples. Validators ask "is this plausible?", privacy
filters ask "does this leak a real record?" — same shape, different hooks,
different section of the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable

import numpy as np

from .data import Records


class Verdict:
    """Per-record outcome of a check: ``reasons[i]`` is None (keep) or a short reason string."""

    def __init__(self, reasons: Iterable[str | None]):
        self.reasons = np.asarray(list(reasons), dtype=object)

    @classmethod
    def keep_all(cls, n: int) -> "Verdict":
        return cls([None] * n)

    @classmethod
    def from_mask(cls, rejected: np.ndarray, reason: str | Iterable[str]) -> "Verdict":
        """Reject where ``rejected`` is True, with one reason or one reason per record."""
        rejected = np.asarray(rejected, dtype=bool)
        per = np.full(len(rejected), reason, dtype=object) if isinstance(reason, str) else np.asarray(list(reason), dtype=object)
        return cls(np.where(rejected, per, None))

    def __len__(self) -> int:
        return len(self.reasons)

    @property
    def rejected(self) -> np.ndarray:
        return np.array([r is not None for r in self.reasons], dtype=bool)

    def merge(self, other: "Verdict") -> "Verdict":
        """Both checks' reasons, joined with '; ' where both reject."""
        if len(other) != len(self):
            raise ValueError("verdicts of different lengths")
        out = []
        for a, b in zip(self.reasons, other.reasons):
            out.append(a if b is None else b if a is None else f"{a}; {b}")
        return Verdict(out)


@dataclass
class CheckContext:
    """What a check may use besides the records under test.

    ``meta`` is the training data's metadata (e.g. :class:`~synthguard.data.TableMeta`),
    always present. ``reference`` is the real training data when it is at hand
    (``generate``), None when sampling from a bundle alone; ``holdout`` is real data
    kept away from training, when there is some. ``reference_hashes``
    are the training records' hashes, always present (bundles carry them).
    ``options`` holds user settings such as ``rules`` and ``bounds``.
    ``distance`` is the :class:`~synthguard.privacy.Distance` class chosen for this
    modality and domain (see ``register_distances``); :meth:`nearest_reference`
    builds the nearest-training-record index once per run and shares it.
    """

    meta: Any
    reference_hashes: np.ndarray
    reference: Records | None = None
    holdout: Records | None = None
    domain: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    distance: Any = None
    _shared: dict[str, Any] = field(default_factory=dict, repr=False)

    def nearest_reference(self):
        """:class:`~synthguard.privacy.NearestRecords` over the training records (built on first use)."""
        if self.reference is None or self.distance is None:
            raise ValueError("nearest_reference needs the training records and a distance")
        if "nearest" not in self._shared:
            from .privacy.distance import NearestRecords

            self._shared["nearest"] = NearestRecords(self.distance().fit(self.reference), self.reference)
        return self._shared["nearest"]

    def reference_neighbours(self, records: Records, k: int = 2) -> tuple[np.ndarray, np.ndarray]:
        """Distances and indices (n, k) of each record's nearest training records; the last batch's search is reused."""
        cached = self._shared.get("last_search")
        if cached is None or cached[0] is not records or cached[1] != k:
            cached = (records, k, self.nearest_reference().kneighbors(records, k))
            self._shared["last_search"] = cached
        return cached[2]


class Scoped:
    """Something that runs only for some modalities and, optionally, some domains."""

    modalities: ClassVar[frozenset[str]] = frozenset({"table"})
    domains: ClassVar[frozenset[str] | None] = None

    def applies_to(self, modality: str, domain: str | None) -> bool:
        return modality in self.modalities and (self.domains is None or domain in self.domains)


class Check(Scoped):
    """Base of validators and privacy filters.

    Subclasses set ``name`` (unique, dotted by plugin, e.g. ``finance.bounds``),
    ``modalities`` (which containers they accept), ``domains`` (None = every
    domain, or e.g. ``{"finance"}`` to run only behind that domain's generators)
    and implement :meth:`check`. An instance is created once per run with no
    arguments; per-run settings come in through :class:`CheckContext`.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""

    def prepare(self, context: CheckContext) -> None:
        """Called once per run before the first batch: validate options, precompute lookups."""

    def check(self, records: Records, context: CheckContext) -> Verdict:  # pragma: no cover - abstract
        raise NotImplementedError

    def summary(self) -> dict[str, Any]:
        """Thresholds and settings to show in the report beside the rejection count."""
        return {}


class Validator(Check):
    """A plausibility / safety check (physical range, business rule, PII pattern...)."""

    kind: ClassVar[str] = "validator"


class PrivacyFilter(Check):
    """A leak filter (exact/near copy, rare combination...)."""

    kind: ClassVar[str] = "privacy"


__all__ = ["Verdict", "CheckContext", "Check", "Validator", "PrivacyFilter"]
