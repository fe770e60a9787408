"""The traffic domain's record distance: the traffic channels only, not the weather the record was conditioned on."""

from __future__ import annotations

from synthguard import DataError, SequenceSet
from synthguard.privacy import SequenceDistance

from .roles import is_covariate


class TrafficSeriesDistance(SequenceDistance):
    """Per-channel z-normalised RMS over the traffic channels; weather covariates are left out.

    The generator reuses the weather of real days as its input; counting those
    channels would make every synthetic day look close to the real day whose
    weather it borrowed, and the near-copy filter would reject it for that.
    """

    name = "traffic.series"
    description = "per-channel z-normalised RMS over traffic channels (weather covariates excluded)"
    domains = frozenset({"traffic"})

    def fit(self, train: SequenceSet) -> "TrafficSeriesDistance":
        self.channels = [c for c in train.channels if not is_covariate(c)]
        if not self.channels:
            raise DataError(f"no traffic channel among {train.channels}: every channel looks like weather")
        return super().fit(self._traffic(train))

    def embed(self, records: SequenceSet):
        return super().embed(self._traffic(records))

    def _traffic(self, records: SequenceSet) -> SequenceSet:
        missing = [c for c in self.channels if c not in records.channels]
        if missing:
            raise DataError(f"records lack the traffic channels {missing}: expected {self.channels}")
        idx = [records.channels.index(c) for c in self.channels]
        return SequenceSet(records.values[..., idx], self.channels)
