"""What each column of a traffic file means, read from its name (and overridable by the user).

Detector channels: a name containing one of the role words (``flow``, ``count``,
``volume``, ``speed``, ``occupancy``/``occ``) has that role, and the rest of the
name is its station: ``s12_flow``, ``s12_speed`` and ``s12_occupancy`` are one
detector. Channels with no role word (bikeshare riders, boardings per station)
are counts when they are never negative in the training data. Weather channels
(``temp``, ``hum``, ``wind``, ``precip``/``percip``, ``rain``, ``snow``,
``weather``...) are covariates: inputs the generator is conditioned on, not
traffic it generates.

Trip columns: origin, destination, departure, arrival, duration and distance are
found by the usual names (``origin``/``dest``, ``pickup_zone``/``dropoff_zone``,
``dep_time``/``arr_time``, ``air_time``/``duration``...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from synthguard import DataError

ROLE_WORDS = {"flow": "flow", "count": "flow", "counts": "flow", "volume": "flow", "speed": "speed",
              "occupancy": "occupancy", "occ": "occupancy"}
WEATHER_WORDS = ("temp", "atemp", "hum", "humidity", "wind", "windspeed", "precip", "percip", "rain", "snow",
                 "weather", "weathersit", "dew", "pressure", "visibility", "cloud", "gust", "storm")

TRIP_NAMES = {
    "origin": ("origin", "orig", "from_zone", "pickup_zone", "start_zone", "origin_zone", "pu_location", "o_zone"),
    "destination": ("dest", "destination", "to_zone", "dropoff_zone", "end_zone", "destination_zone", "do_location", "d_zone"),
    "departure": ("dep_time", "departure", "departure_time", "pickup_time", "start_time", "pickup_datetime"),
    "arrival": ("arr_time", "arrival", "arrival_time", "dropoff_time", "end_time", "dropoff_datetime"),
    "duration": ("duration", "air_time", "trip_time", "travel_time", "trip_duration", "duration_min"),
    "distance": ("distance", "trip_distance", "dist", "distance_km", "distance_miles"),
    "mode": ("mode", "carrier", "vehicle_type", "company"),
}


def _tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[^a-z0-9]+", name.lower()) if t]


def is_covariate(channel: str) -> bool:
    """A weather/exogenous channel by its name (``temp``, ``weather_rain``, ``percip``...)."""
    return any(t.startswith(w) or t == w for t in _tokens(channel) for w in WEATHER_WORDS)


def covariate_channels(channels: list[str]) -> list[str]:
    return [c for c in channels if is_covariate(c)]


@dataclass(frozen=True)
class DetectorChannel:
    channel: str
    station: str
    role: str | None  # flow / speed / occupancy, or None (a count-like series without a role word)


def detector_channels(channels: list[str]) -> list[DetectorChannel]:
    """The traffic channels (not covariates), each with its station and role."""
    out = []
    for ch in channels:
        if is_covariate(ch):
            continue
        tokens = _tokens(ch)
        role = next((ROLE_WORDS[t] for t in tokens if t in ROLE_WORDS), None)
        # "s12_flow" belongs to detector s12; a bare "flow" to the record's own detector (one per entity)
        station = "_".join(t for t in tokens if t not in ROLE_WORDS) or "detector"
        out.append(DetectorChannel(ch, station if role else ch, role))
    return out


def trip_columns(columns: list[str], declared: dict[str, str] | None = None) -> dict[str, str]:
    """role -> column for the trip roles found in ``columns`` (``declared`` roles win)."""
    lower = {c.lower(): c for c in columns}
    found = {}
    for role, names in TRIP_NAMES.items():
        hit = next((lower[n] for n in names if n in lower), None)
        if hit is not None:
            found[role] = hit
    found.update(declared or {})
    return found


def clock_numbers(values: pd.Series) -> np.ndarray | None:
    """The column as float clock numbers, or None when it holds datetimes or datetime strings."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return None
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().sum() == 0 and values.notna().any():
        return None
    return numbers.dropna().to_numpy(dtype=float)


def departure_unit(values: pd.Series, column: str) -> float | None:
    """Seconds per unit of a numeric departure column, by its (real) range: hours (≤ 24), minutes (≤ 1440) or
    seconds (≤ 86400) after midnight; None for datetimes."""
    numbers = clock_numbers(values)
    if numbers is None:
        return None
    if len(numbers) and numbers.min() < 0:
        raise DataError(f"departure column {column!r} holds negative times: expected clock times after midnight")
    top = numbers.max() if len(numbers) else 0.0
    for limit, unit in ((24.0, 3600.0), (1440.0, 60.0), (86400.0, 1.0)):
        if top <= limit:
            return unit
    raise DataError(f"departure column {column!r} reaches {top:g}: expected datetimes or hours (≤ 24), minutes "
                    f"(≤ 1440) or seconds (≤ 86400) after midnight")
