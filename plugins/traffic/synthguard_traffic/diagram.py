"""The fundamental diagram at a detector: flow ≈ occupancy × speed / g.

g is the effective vehicle length (PeMS' "g-factor"), calibrated as the median of
occupancy × speed / flow over the readings where all three are positive. The
generator models flow as its log residual from the diagram; the validator rejects
records whose residuals are larger than the real readings' ever are.
"""

from __future__ import annotations

import numpy as np

from .roles import detector_channels

ROLES = ("flow", "speed", "occupancy")
#: Fewest readings with flow, speed and occupancy all positive that calibrate g.
MIN_READINGS = 10


def diagram_detectors(channels: list[str]) -> dict[str, dict[str, str]]:
    """station -> {flow, speed, occupancy: channel} for the detectors that report all three."""
    by_station: dict[str, dict[str, str]] = {}
    for d in detector_channels(channels):
        if d.role:
            by_station.setdefault(d.station, {})[d.role] = d.channel
    return {s: roles for s, roles in by_station.items() if set(ROLES) <= set(roles)}


def g_factor(q: np.ndarray, v: np.ndarray, o: np.ndarray) -> float | None:
    """Median occupancy × speed / flow over the readings where all three are positive (None: too few)."""
    ok = (q > 0) & (v > 0) & (o > 0)
    return float(np.median(o[ok] * v[ok] / q[ok])) if ok.sum() >= MIN_READINGS else None


def log_residual(q: np.ndarray, v: np.ndarray, o: np.ndarray, g: float) -> np.ndarray:
    """log(flow · g / (occupancy · speed)) where all three are positive, NaN elsewhere."""
    ok = (q > 0) & (v > 0) & (o > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok, np.log(q * g / (o * v)), np.nan)


def flow_from_residual(r: np.ndarray, v: np.ndarray, o: np.ndarray, g: float) -> np.ndarray:
    """The inverse of :func:`log_residual`: flow from speed, occupancy and the residual (never negative)."""
    return np.maximum(o, 0) * np.maximum(v, 0) / g * np.exp(r)
