"""Calendar features of every step: hour of day, day of week, public holiday, season, long-term trend.

Traffic follows the clock and the calendar more than anything else; the
generator reads these features at each step (they are known in advance, like
the weather), so a Monday morning peak is drawn on Monday mornings. Holidays are
US federal holidays (pandas' calendar: the reference data is American); pass
``holidays="none"`` for other countries until a calendar is configured.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.tseries.holiday import USFederalHolidayCalendar

DAY = 86400.0


def step_times(start_times: np.ndarray, length: int, period: float) -> np.ndarray:
    """(N, length) datetime64[ns] of every step."""
    offsets = (np.arange(length) * period * 1e9).round().astype("int64").astype("timedelta64[ns]")
    return np.asarray(start_times, dtype="datetime64[ns]")[:, None] + offsets[None, :]


def holiday_mask(times: np.ndarray, holidays: str = "US") -> np.ndarray:
    if holidays == "none":
        return np.zeros(times.shape, dtype=bool)
    days = times.astype("datetime64[D]")
    cal = USFederalHolidayCalendar().holidays(pd.Timestamp(days.min()) - pd.Timedelta(days=1),
                                               pd.Timestamp(days.max()) + pd.Timedelta(days=1))
    return np.isin(days, cal.values.astype("datetime64[D]"))


def local_times(times: np.ndarray, time_zone: str | None) -> np.ndarray:
    """UTC instants as the wall clock of ``time_zone`` (unchanged when None)."""
    if time_zone is None:
        return times
    idx = pd.DatetimeIndex(times.ravel()).tz_localize("UTC").tz_convert(time_zone).tz_localize(None)
    return idx.values.reshape(times.shape)


def calendar_features(start_times: np.ndarray, length: int, period: float, trend_range: tuple[float, float],
                      holidays: str = "US", time_zone: str | None = None) -> np.ndarray:
    """(N, length, 14): hour sin/cos, 7 weekday flags, holiday, day-of-year sin/cos, trend in [0, 1] over training."""
    instants = step_times(start_times, length, period)
    ns = instants.view("int64").astype(np.float64)
    times = local_times(instants, time_zone)
    local_ns = times.view("int64").astype(np.float64)
    seconds_of_day = (local_ns / 1e9) % DAY
    hour = 2 * np.pi * seconds_of_day / DAY
    frame = pd.DatetimeIndex(times.ravel())
    weekday = np.eye(7, dtype=np.float32)[frame.dayofweek.to_numpy()].reshape(*times.shape, 7)
    doy = 2 * np.pi * (frame.dayofyear.to_numpy().reshape(times.shape) - 1) / 365.25
    lo, hi = trend_range
    trend = (ns - lo) / max(hi - lo, 1.0)
    daily = period < DAY  # a daily series has no hour of day: leave those features at zero
    parts = [np.sin(hour) * daily, np.cos(hour) * daily, holiday_mask(times, holidays).astype(float),
             np.sin(doy), np.cos(doy), trend]
    return np.concatenate([np.stack(parts[:2], -1), weekday, np.stack(parts[2:], -1)], axis=-1).astype(np.float32)
