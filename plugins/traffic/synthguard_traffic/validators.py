"""Traffic safety checks: what a detector or a trip cannot physically report.

Detector series (channel roles from :mod:`.roles`; weather covariates are not checked):

* ``traffic.nonnegative``: a flow or count below zero.
* ``traffic.occupancy``: occupancy outside [0, 1] (or [0, 100] when the training data is in percent).
* ``traffic.speed``: a speed below zero or above the declared limit (``bounds={"s1_speed": (0, 70)}``),
  else 10% above the fastest real reading.
* ``traffic.capacity``: a flow/count above the declared capacity (``bounds``), else 25% above the largest real one.
* ``traffic.fundamental_diagram``: flow far from occupancy × speed / g at a detector with all three.
  g (the effective vehicle length, PeMS' "g-factor") is the median over the real readings and the tolerance
  the 99th percentile of the real readings' |log(flow·g / (occupancy·speed))|; a record is rejected when
  more than 10% of its readings fall outside it. Needs the training data (skipped from a bundle alone).

Trip records:

* ``traffic.trip_order``: a duration that is not positive, or an arrival timestamp before the departure.
* ``traffic.trip_speed``: implied speed (distance / duration) outside the real range widened by
  half its minimum below and a quarter of its maximum above (a declared ``bounds={"implied_speed": ...}`` wins).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from synthguard import CheckContext, ConfigError, SequenceSet, Table, Validator, Verdict

from .diagram import ROLES, diagram_detectors, g_factor, log_residual
from .roles import detector_channels, trip_columns

SPEED_MARGIN, CAPACITY_MARGIN = 1.10, 1.25
FD_QUANTILE, FD_MAX_SHARE = 0.99, 0.10


class _SeriesCheck(Validator):
    modalities = frozenset({"sequence"})
    domains = frozenset({"traffic"})
    reads_options = frozenset({"bounds"})
    roles: tuple[str | None, ...] = ()

    def prepare(self, context: CheckContext) -> None:
        self.targets = []
        for d in detector_channels(list(context.meta.channels)):
            if d.role in self.roles or (None in self.roles and d.role is None
                                        and context.meta.stats(d.channel).minimum >= 0):
                self.targets.append(d.channel)
        self.bounds = dict(context.options.get("bounds") or {})

    def _first(self, records: SequenceSet, bad_by_channel: dict[str, np.ndarray], describe) -> Verdict:
        reasons = []
        for i in range(len(records)):
            reason = None
            for ch, bad in bad_by_channel.items():
                steps = np.flatnonzero(bad[i])
                if len(steps):
                    t = int(steps[0])
                    reason = describe(ch, t, records.values[i, t, records.channels.index(ch)])
                    break
            reasons.append(reason)
        return Verdict(reasons)

    def summary(self):
        return {"channels": self.targets}


class NonNegativeValidator(_SeriesCheck):
    name = "traffic.nonnegative"
    description = "flow or count below zero"
    roles = ("flow", None)

    def check(self, records: SequenceSet, context: CheckContext) -> Verdict:
        bad = {ch: records.values[..., records.channels.index(ch)] < 0 for ch in self.targets}
        return self._first(records, bad, lambda ch, t, v: f"{ch}={v:.4g} at step {t}: a count cannot be negative")


class OccupancyValidator(_SeriesCheck):
    name = "traffic.occupancy"
    description = "occupancy outside [0, 1] (or [0, 100] %)"
    roles = ("occupancy",)

    def prepare(self, context: CheckContext) -> None:
        super().prepare(context)
        self.top = {ch: 100.0 if context.meta.stats(ch).maximum > 1.0 else 1.0 for ch in self.targets}

    def check(self, records: SequenceSet, context: CheckContext) -> Verdict:
        bad = {}
        for ch in self.targets:
            v = records.values[..., records.channels.index(ch)]
            bad[ch] = (v < 0) | (v > self.top[ch])
        return self._first(records, bad, lambda ch, t, v: f"{ch}={v:.4g} at step {t} outside [0, {self.top[ch]:g}]")


class _UpperLimit(_SeriesCheck):
    margin = 1.0

    def prepare(self, context: CheckContext) -> None:
        super().prepare(context)
        self.limits, self.sources = {}, {}
        for ch in self.targets:
            declared = self.bounds.get(ch, (None, None))[1]
            self.limits[ch] = declared if declared is not None else self.margin * context.meta.stats(ch).maximum
            self.sources[ch] = "declared" if declared is not None else "learned"

    def summary(self):
        return {"limits": {ch: {"max": round(float(v), 6), "source": self.sources[ch]} for ch, v in self.limits.items()}}


class SpeedValidator(_UpperLimit):
    name = "traffic.speed"
    description = "speed below zero or above the declared (or learned) limit"
    roles = ("speed",)
    margin = SPEED_MARGIN

    def check(self, records: SequenceSet, context: CheckContext) -> Verdict:
        bad = {}
        for ch in self.targets:
            v = records.values[..., records.channels.index(ch)]
            bad[ch] = (v < 0) | (v > self.limits[ch])
        return self._first(records, bad, lambda ch, t, v: f"{ch}={v:.4g} at step {t} outside [0, {self.limits[ch]:.4g}] "
                                                          f"({self.sources[ch]} speed limit)")


class CapacityValidator(_UpperLimit):
    name = "traffic.capacity"
    description = "flow or count above the declared (or learned) capacity"
    roles = ("flow", None)
    margin = CAPACITY_MARGIN

    def check(self, records: SequenceSet, context: CheckContext) -> Verdict:
        bad = {ch: records.values[..., records.channels.index(ch)] > self.limits[ch] for ch in self.targets}
        return self._first(records, bad, lambda ch, t, v: f"{ch}={v:.4g} at step {t} above the {self.sources[ch]} "
                                                          f"capacity {self.limits[ch]:.4g}")


def _residuals(records: SequenceSet, roles: dict[str, str], g: float) -> np.ndarray:
    """|log residual| from the diagram of every reading at one detector (NaN where it is undefined)."""
    return np.abs(log_residual(*(records.values[..., records.channels.index(roles[r])] for r in ROLES), g))


class FundamentalDiagramValidator(Validator):
    name = "traffic.fundamental_diagram"
    description = "flow inconsistent with occupancy x speed (the fundamental diagram), calibrated on the real data"
    modalities = frozenset({"sequence"})
    domains = frozenset({"traffic"})

    def prepare(self, context: CheckContext) -> None:
        self.stations = diagram_detectors(list(context.meta.channels))
        self.calibration: dict[str, tuple[float, float]] = {}
        self.why = None
        if not self.stations:
            self.why = "no detector reports flow, speed and occupancy"
            return
        if context.reference is None:
            self.why = "needs the training data to calibrate the g-factor (generate, or sample with --reference)"
            return
        ref = context.reference
        for station, roles in self.stations.items():
            g = g_factor(*(ref.values[..., ref.channels.index(roles[r])] for r in ROLES))
            if g is not None:
                self.calibration[station] = (g, float(np.nanquantile(_residuals(ref, roles, g), FD_QUANTILE)))

    def check(self, records: SequenceSet, context: CheckContext) -> Verdict:
        reasons: list[str | None] = [None] * len(records)
        for station, (g, tol) in self.calibration.items():
            dev = _residuals(records, self.stations[station], g)
            outside = np.nan_to_num(dev, nan=0.0) > tol
            share = outside.sum(axis=1) / np.maximum(np.isfinite(dev).sum(axis=1), 1)
            for i in np.flatnonzero(share > FD_MAX_SHARE):
                if reasons[i] is None:
                    reasons[i] = (f"detector {station}: {share[i]:.0%} of readings have flow off occupancy x speed / g "
                                  f"(g={g:.4g}) by more than a factor {np.exp(tol):.3g} (real readings: 1% do)")
        return Verdict(reasons)

    def summary(self):
        if self.why or not self.calibration:
            return {"applied": False, "reason": self.why or "too few real readings with flow, speed and occupancy > 0"}
        return {"applied": True, "detectors": {s: {"g": round(g, 6), "max_factor": round(float(np.exp(t)), 4)}
                                               for s, (g, t) in self.calibration.items()}}


class _TripCheck(Validator):
    modalities = frozenset({"table"})
    domains = frozenset({"traffic"})

    def prepare(self, context: CheckContext) -> None:
        self.roles = trip_columns(context.meta.names)


class TripOrderValidator(_TripCheck):
    name = "traffic.trip_order"
    description = "trip that does not arrive after it departs"

    def check(self, records: Table, context: CheckContext) -> Verdict:
        frame = records.frame
        reasons: list[str | None] = [None] * len(frame)
        if "duration" in self.roles:
            d = pd.to_numeric(frame[self.roles["duration"]], errors="coerce").to_numpy(dtype=float)
            for i in np.flatnonzero(~(d > 0)):
                reasons[i] = f"{self.roles['duration']}={d[i]:.4g}: a trip must take positive time"
        dep, arr = self.roles.get("departure"), self.roles.get("arrival")
        if dep and arr and all(pd.api.types.is_datetime64_any_dtype(frame[c]) for c in (dep, arr)):
            bad = (frame[arr] <= frame[dep]).to_numpy()
            for i in np.flatnonzero(bad):
                reasons[i] = reasons[i] or f"{arr}={frame[arr].iloc[i]} is not after {dep}={frame[dep].iloc[i]}"
        return Verdict(reasons)


class TripSpeedValidator(_TripCheck):
    name = "traffic.trip_speed"
    reads_options = frozenset({"bounds"})
    description = "implied speed (distance / duration) outside the plausible range"

    def prepare(self, context: CheckContext) -> None:
        super().prepare(context)
        self.active = {"distance", "duration"} <= set(self.roles)
        bounds = dict(context.options.get("bounds") or {})
        if set(bounds) - {"implied_speed"} or (bounds and not self.active):  # refused, not ignored
            raise ConfigError(f"--bound {', '.join(sorted(bounds))}: trips take one declared bound, "
                              "implied_speed=LOW:HIGH (distance / duration; needs a distance and a duration column)")
        if not self.active:
            return
        declared = bounds.get("implied_speed")
        if declared is not None:
            self.lo, self.hi, self.source = declared[0] or 0.0, declared[1] or np.inf, "declared"
            return
        dist = context.meta.column(self.roles["distance"])
        dur = context.meta.column(self.roles["duration"])
        # from the columns' learned ranges: the fastest (longest / shortest) and slowest plausible trip
        self.lo = 0.5 * max(dist.minimum or 0.0, 0.0) / max(dur.maximum or 1.0, 1e-9)
        self.hi = 1.25 * (dist.maximum or 0.0) / max(dur.minimum or 1e-9, 1e-9)
        self.source = "learned"
        if context.reference is not None:  # with the real trips at hand, their actual speeds are tighter
            f = context.reference.frame
            speed = (pd.to_numeric(f[self.roles["distance"]], errors="coerce")
                     / pd.to_numeric(f[self.roles["duration"]], errors="coerce")).replace([np.inf, -np.inf], np.nan).dropna()
            if len(speed):
                self.lo, self.hi = 0.5 * float(speed.min()), 1.25 * float(speed.max())

    def check(self, records: Table, context: CheckContext) -> Verdict:
        if not self.active:
            return Verdict.keep_all(len(records))
        f = records.frame
        dist = pd.to_numeric(f[self.roles["distance"]], errors="coerce").to_numpy(dtype=float)
        dur = pd.to_numeric(f[self.roles["duration"]], errors="coerce").to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            speed = dist / dur
        bad = (dur > 0) & ((speed < self.lo) | (speed > self.hi))
        return Verdict([f"implied speed {dist[i]:.4g}/{dur[i]:.4g} = {speed[i]:.4g} outside the {self.source} range "
                        f"[{self.lo:.4g}, {self.hi:.4g}]" if bad[i] else None for i in range(len(f))])

    def summary(self):
        return {"range": [round(self.lo, 6), round(self.hi, 6)], "source": self.source} if self.active else {"applied": False}


VALIDATORS = [NonNegativeValidator, OccupancyValidator, SpeedValidator, CapacityValidator, FundamentalDiagramValidator,
              TripOrderValidator, TripSpeedValidator]
