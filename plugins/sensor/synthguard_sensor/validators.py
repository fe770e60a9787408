"""Sensor safety checks: physical range, rate of change, stuck readings, spikes.

Limits are learned from the training recordings (kept in the bundle's metadata,
so they hold when sampling from a bundle alone) with a margin, or declared by
the user: ``bounds={"acc_x": (-16, 16)}`` (a sensor's full-scale range) and
``rate_limits={"acc_x": 5.0}`` (largest change per step). NaN/inf readings are
rejected by the core's ``core.finite`` check for every modality.
"""

from __future__ import annotations

import numpy as np
from synthguard import CheckContext, ConfigError, SequenceSet, Validator, Verdict
from synthguard import longest_runs

#: Learned range is widened by this share of the real range on each side.
RANGE_MARGIN = 0.05
#: Learned step and spike limits are this multiple of the largest real one.
STEP_FACTOR = 1.5
#: A run of identical readings is "stuck" when longer than both of these.
FLAT_FACTOR, FLAT_MIN_STEPS = 2, 5


class _SensorCheck(Validator):
    modalities = frozenset({"sequence"})
    domains = frozenset({"sensor"})

    def _declared(self, context: CheckContext, key: str) -> dict:
        declared = dict(context.options.get(key) or {})
        for channel in declared:
            context.meta.stats(channel)  # DataError naming an unknown channel
        return declared


def _reasons(records: SequenceSet, bad: np.ndarray, rank: np.ndarray, reason) -> Verdict:
    """One reason per record: ``reason(record, step, channel)`` at the highest-``rank`` bad reading, None if none.

    ``bad`` and ``rank`` are (records, steps, channels) arrays over the same grid (steps may be fewer
    than the recording's, e.g. one per pair of consecutive readings).
    """
    flat_bad = bad.reshape(len(bad), -1)
    where = np.where(flat_bad, np.broadcast_to(rank, bad.shape).reshape(len(bad), -1), -np.inf).argmax(axis=1)
    channels = bad.shape[2]
    return Verdict([reason(i, *divmod(int(where[i]), channels)) if flat_bad[i].any() else None
                    for i in range(len(records))])


def _earliest(shape: tuple[int, ...]) -> np.ndarray:
    """A rank that prefers the first bad reading in time (then channel order)."""
    return -np.arange(int(np.prod(shape[1:]))).reshape(shape[1:])


class RangeValidator(_SensorCheck):
    """A reading outside the channel's declared range, or the real range widened by 5% each side."""

    name = "sensor.range"
    reads_options = frozenset({"bounds"})
    description = "reading outside the channel's declared or learned physical range"

    def prepare(self, context: CheckContext) -> None:
        declared = self._declared(context, "bounds")
        self.channels = list(context.meta.channels)
        self.limits, self.sources = [], []
        for channel in context.meta.channels:
            s = context.meta.stats(channel)
            pad = RANGE_MARGIN * (s.maximum - s.minimum)
            lo, hi = declared.get(channel, (s.minimum - pad, s.maximum + pad))
            self.limits.append((-np.inf if lo is None else lo, np.inf if hi is None else hi))
            self.sources.append("declared" if channel in declared else "learned")

    def check(self, records: SequenceSet, context: CheckContext) -> Verdict:
        lo = np.array([a for a, _ in self.limits])
        hi = np.array([b for _, b in self.limits])
        v = records.values
        bad = (v < lo) | (v > hi)

        def reason(i: int, t: int, c: int) -> str:
            return (f"{records.channels[c]}={v[i, t, c]:.4g} at step {t} outside {self.sources[c]} range "
                    f"[{self.limits[c][0]:.4g}, {self.limits[c][1]:.4g}]")
        return _reasons(records, bad, _earliest(bad.shape), reason)

    def summary(self) -> dict:
        return {"range": {ch: [round(float(a), 6), round(float(b), 6)] for ch, (a, b) in zip(self.channels, self.limits)},
                "margin": RANGE_MARGIN}


class RateValidator(_SensorCheck):
    """A change between consecutive readings larger than declared, or 1.5× the largest real one."""

    name = "sensor.rate"
    reads_options = frozenset({"rate_limits"})
    description = "change per step faster than the channel can physically move"

    def prepare(self, context: CheckContext) -> None:
        declared = self._declared(context, "rate_limits")
        for channel, limit in declared.items():
            if not limit > 0:
                raise ConfigError(f"rate limit for {channel!r} is {limit}: expected a positive change per step")
        self.limits = np.array([declared.get(ch, STEP_FACTOR * context.meta.stats(ch).step_max) for ch in context.meta.channels])

    def check(self, records: SequenceSet, context: CheckContext) -> Verdict:
        step = np.abs(np.diff(records.values, axis=1))

        def reason(i: int, t: int, c: int) -> str:
            return (f"{records.channels[c]} changes by {step[i, t, c]:.4g} between steps {t} and {t + 1}: "
                    f"limit {self.limits[c]:.4g} per step")
        return _reasons(records, step > self.limits, _earliest(step.shape), reason)

    def summary(self) -> dict:
        return {"limits": [round(float(x), 6) for x in self.limits], "factor": STEP_FACTOR}


class FlatlineValidator(_SensorCheck):
    """A channel stuck at one value for longer than twice the longest real run (and over 5 steps)."""

    name = "sensor.flatline"
    description = "stuck sensor: identical readings for longer than the real data ever shows"

    def prepare(self, context: CheckContext) -> None:
        stats = [context.meta.stats(ch) for ch in context.meta.channels]
        self.max_run = np.array([max(FLAT_FACTOR * s.flat_run_max, FLAT_MIN_STEPS) for s in stats])
        self.tolerance = np.array([1e-6 * (s.std or 1.0) for s in stats])  # "identical" up to float noise

    def check(self, records: SequenceSet, context: CheckContext) -> Verdict:
        longest = longest_runs(np.abs(np.diff(records.values, axis=1)) <= self.tolerance)
        bad = longest > self.max_run
        reasons = []
        for i in range(len(records)):
            c = np.flatnonzero(bad[i])
            reasons.append(None if not len(c) else
                           f"{records.channels[c[0]]} stuck for {longest[i, c[0]]} readings: at most {self.max_run[c[0]]} expected")
        return Verdict(reasons)

    def summary(self) -> dict:
        return {"max_run": self.max_run.tolist()}


class SpikeValidator(_SensorCheck):
    """One reading jumping away from both neighbours more than 1.5× any real reading does."""

    name = "sensor.spike"
    description = "implausible single-reading spike"

    def prepare(self, context: CheckContext) -> None:
        self.limits = np.array([STEP_FACTOR * context.meta.stats(ch).spike_max for ch in context.meta.channels])

    def check(self, records: SequenceSet, context: CheckContext) -> Verdict:
        v = records.values
        if v.shape[1] < 3:
            return Verdict.keep_all(len(records))
        spike = np.abs(v[:, 1:-1] - (v[:, :-2] + v[:, 2:]) / 2)
        excess = spike / self.limits

        def reason(i: int, t: int, c: int) -> str:
            return f"{records.channels[c]} spikes by {spike[i, t, c]:.4g} at step {t + 1}: limit {self.limits[c]:.4g}"
        return _reasons(records, excess > 1, excess, reason)  # the spike itself, not its neighbours

    def summary(self) -> dict:
        return {"limits": [round(float(x), 6) for x in self.limits], "factor": STEP_FACTOR}


VALIDATORS = (RangeValidator, RateValidator, FlatlineValidator, SpikeValidator)
