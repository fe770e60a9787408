"""A CONSTRUCTED detector log (not real data) for the tests and the benchmark's fundamental-diagram check.

No package ships loop-detector flow, speed and occupancy offline, so the checks that
need all three are exercised on this log, built to obey the fundamental diagram:
three detectors, two weeks hourly, occupancy following a daily bump, speed falling
with occupancy, flow = occupancy x speed / 0.0045 (mi, ~7 m per vehicle) with 5% noise.
Never presented as real anywhere: its name says what it is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The effective vehicle length the log is built with (miles), which calibration should recover.
G_FACTOR = 0.0045


def constructed_detector_log(seed: int = 0, days: int = 14, stations: tuple[str, ...] = ("s1", "s2", "s3")) -> pd.DataFrame:
    """Long format: station, timestamp, flow (veh/h), speed (mph), occupancy (0-1)."""
    rng = np.random.default_rng(seed)
    t = pd.date_range("2024-03-04", periods=24 * days, freq="h")
    rows = []
    for station in stations:
        bump = np.sin(np.pi * (t.hour.to_numpy() - 5) / 14).clip(0)
        occ = np.clip(0.05 + 0.1 * bump + rng.normal(0, 0.005, len(t)), 0.01, 1)
        speed = np.clip(65 - 120 * occ + rng.normal(0, 2, len(t)), 5, 75)
        flow = occ * speed / G_FACTOR * np.exp(rng.normal(0, 0.05, len(t)))
        rows.append(pd.DataFrame({"station": station, "timestamp": t, "flow": flow, "speed": speed, "occupancy": occ}))
    return pd.concat(rows, ignore_index=True)
