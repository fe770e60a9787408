"""Report metrics for traffic counts and trips: would a planner draw the same conclusions from the synthetic data?

- ``traffic.profiles``: per station, error of the hour-of-day and weekday mean profiles, peak-time shift, peak-time TVD.
- ``traffic.spatial``: mean |difference| of the station × station correlations, per step and on record totals.
- ``traffic.forecast_tstr``: next-step MAE on real held-out records, forecaster trained on synthetic vs on real.
- ``traffic.od``: TVD and correlation of origin-destination shares, pair coverage, novel pairs, departure-hour TVD.

Definitions. *Profile NMAE*: mean over bins of |real − synthetic mean profile| / mean real level (0 = same
profile). *Peak shift*: circular distance between the hour (weekday) where the real and the synthetic mean
profile peak. *Peak-time TVD*: total variation distance between the histograms of each record's peak hour
(0 = same, 1 = disjoint). *Correlation MAD*: mean |r_real − r_synthetic| over pairs of stations (0–2).
*TSTR / TRTR MAE*: HistGradientBoosting trained on synthetic / real records, MAE in real-std units on the real
holdout (the real training records when there is none; TRTR then is not computed), beside a last-value and a
historical-average (same channel, hour, weekday) baseline. *OD TVD*: ½ Σ |real − synthetic share| over
(origin, destination) pairs; *coverage*: share of real pairs (of real trips) whose pair appears in the
synthetic trips; *novel-pair share*: share of synthetic trips on pairs no real trip has.

Weather covariates (``temp``, ``hum``, ``percip``... see :func:`~synthguard_traffic.roles.covariate_channels`)
are left out of every sequence metric: the generator copies them from real days, so scoring them would
flatter it. Time of each step: ``start_times + step × sampling_period`` when every record set compared carries
start times, else ``step × sampling_period`` from midnight of day 0 ("weekday" then means day of the record).
Departures: datetimes, or hours / minutes / seconds after midnight, told apart by the real column's range
(convert HHMM clock numbers first).
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import numpy as np
import pandas as pd
import synthguard as sg
from scipy.stats import pearsonr, spearmanr
from synthguard.quality.figures import (axis_title, bar_figure, difference_heatmap, panel_figure, real_synthetic_lines,
                                        round_matrix, round_value, rounded_mean)

from .roles import TRIP_NAMES, clock_numbers, covariate_channels, departure_unit, detector_channels, trip_columns

DAY, HOUR = 86400.0, 3600.0
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
PLOTTED_CHANNELS = 6  # profile panels per figure
TOP_PAIRS = 20  # OD pairs in the bar chart
MAX_TRAIN_ROWS = 60_000  # forecaster training rows (channel × step), subsampled beyond: keeps a report to seconds


# --- helpers -----------------------------------------------------------------------------------

@contextmanager
def _nan_quiet() -> Iterator[None]:
    """Silence numpy's warnings about all-missing slices: those give NaN, which callers handle."""
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _tvd(p: np.ndarray, q: np.ndarray) -> float | None:
    """Total variation distance between two histograms (each normalised to sum 1); None if one is empty."""
    p, q = np.asarray(p, float), np.asarray(q, float)
    if p.sum() <= 0 or q.sum() <= 0:
        return None
    return round_value(0.5 * np.abs(p / p.sum() - q / q.sum()).sum())


def _sequences(real: Any, synthetic: Any, holdout: Any = None) -> None:
    for label, records in (("real", real), ("synthetic", synthetic), ("holdout", holdout)):
        if records is not None and not isinstance(records, sg.SequenceSet):
            raise sg.DataError(f"{label} records are a {type(records).__name__}: expected a SequenceSet")


def traffic_channels(real: sg.SequenceSet, *others: sg.SequenceSet | None) -> list[str]:
    """The real record's traffic channels (weather covariates left out), checked present in ``others``."""
    channels = [d.channel for d in detector_channels(list(real.channels))]
    if not channels:
        raise sg.DataError(f"no traffic channel among {list(real.channels)}: all are weather covariates; expected "
                           "at least one count, flow, speed or occupancy channel")
    for label, records in zip(("synthetic", "holdout"), others):
        if records is None:
            continue
        missing = [c for c in channels if c not in records.channels]
        if missing:
            raise sg.DataError(f"{label} records lack traffic channel(s) {missing}: expected the real channels "
                               f"{channels}")
    return channels


def _select(records: sg.SequenceSet, channels: Sequence[str]) -> np.ndarray:
    """(N, T, C) readings of ``channels`` in that order."""
    return records.values[:, :, [records.channels.index(c) for c in channels]]


# --- calendar ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Axis:
    """A cyclic (or positional) time axis: which bin each step falls in."""

    name: str  # hour / weekday / step
    bins: int
    circular: bool
    label: str  # for plots and the report

    def tick_text(self) -> list[str] | None:
        return WEEKDAYS if self.name == "weekday" and "weekday" in self.label else None


def use_start_times(*records: sg.SequenceSet | None) -> bool:
    """True when every given record set carries start times without gaps (else steps count from midnight)."""
    given = [r for r in records if r is not None]
    return all(r.start_times is not None and not np.isnat(r.start_times).any() for r in given)


def step_calendar(records: sg.SequenceSet, period: float | None, starts: bool) -> dict[str, np.ndarray]:
    """(N, T) int arrays: ``hour`` of day, ``weekday`` (Monday 0) and ``step`` position of every reading."""
    n, t = records.values.shape[:2]
    step = np.broadcast_to(np.arange(t), (n, t))
    if period is None:
        return {"step": step}
    offsets = np.arange(t) * float(period)
    if starts:
        stamps = records.start_times[:, None] + (offsets * 1e9).astype("timedelta64[ns]")[None, :]
        day = stamps.astype("datetime64[D]")
        seconds = (stamps - day).astype("timedelta64[s]").astype(float)
        weekday = (day.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    else:
        seconds = np.broadcast_to(offsets % DAY, (n, t))
        weekday = np.broadcast_to((offsets // DAY) % 7, (n, t))
    return {"hour": (seconds // HOUR).astype(int) % 24, "weekday": weekday.astype(int), "step": step}


def profile_axes(period: float | None, length: int, starts: bool, real_calendar: dict[str, np.ndarray]) -> list[Axis]:
    """Hour of day (sub-daily sampling) and weekday (sub-weekly sampling) where the real data covers ≥ 2 bins;
    the step position when neither applies."""
    axes = []
    if period is not None and period < DAY:
        axes.append(Axis("hour", 24, True, "hour of day"))
    if period is not None and period < 7 * DAY:
        axes.append(Axis("weekday", 7, True, "weekday" if starts else "day of record (no start times)"))
    axes = [a for a in axes if len(np.unique(real_calendar[a.name])) >= 2]
    return axes or [Axis("step", length, False, "step of record")]


def _calendars(real: sg.SequenceSet, *others: sg.SequenceSet | None) -> tuple[list[dict[str, np.ndarray]], bool, str]:
    """Calendars of each record set (the real sampling period where another lacks one), and how times were found."""
    starts = use_start_times(real, *others)
    period = real.sampling_period
    calendars = [step_calendar(r, r.sampling_period or period, starts) if r is not None else None
                 for r in (real, *others)]
    source = ("start_times + step × sampling_period" if starts and period is not None else
              "step × sampling_period from midnight of day 0 (some records lack start times)" if period is not None
              else "step position (no sampling period)")
    return calendars, starts, source


# --- traffic.profiles ------------------------------------------------------------------------

def mean_profile(x: np.ndarray, bins: np.ndarray, n_bins: int) -> np.ndarray:
    """(C, n_bins) mean reading per bin (NaN where a bin has no observed reading)."""
    flat, b = x.reshape(-1, x.shape[2]), bins.reshape(-1)
    observed = ~np.isnan(flat)
    sums = np.stack([np.bincount(b, weights=np.where(observed[:, c], flat[:, c], 0.0), minlength=n_bins)[:n_bins]
                     for c in range(flat.shape[1])])
    counts = np.stack([np.bincount(b, weights=observed[:, c], minlength=n_bins)[:n_bins] for c in range(flat.shape[1])])
    with _nan_quiet():
        return np.where(counts > 0, sums / counts, np.nan)


def profile_nmae(real_profile: np.ndarray, syn_profile: np.ndarray) -> float | None:
    """Mean |real − synthetic| over bins observed on both sides, divided by the mean |real| level there."""
    both = ~np.isnan(real_profile) & ~np.isnan(syn_profile)
    level = np.abs(real_profile[both]).mean() if both.any() else 0.0
    if not both.any() or level == 0:
        return None
    return round_value(np.abs(real_profile[both] - syn_profile[both]).mean() / level)


def _shift(a: int, b: int, axis: Axis) -> int:
    d = abs(a - b)
    return min(d, axis.bins - d) if axis.circular else d


def record_peak_bins(x: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """(N, C) bin of each record's highest reading per channel; -1 where the record's channel is all missing."""
    observed = ~np.isnan(x)
    peak_step = np.argmax(np.where(observed, x, -np.inf), axis=1)  # (N, C)
    peak = np.take_along_axis(bins, peak_step, axis=1) if bins.shape[1] else peak_step
    return np.where(observed.any(axis=1), peak, -1)


def profile_comparison(real: sg.SequenceSet, synthetic: sg.SequenceSet) -> dict[str, Any]:
    """The numbers and figures of ``traffic.profiles`` (see the module docstring)."""
    _sequences(real, synthetic)
    channels = traffic_channels(real, synthetic)
    (cal_r, cal_s), starts, source = _calendars(real, synthetic)
    r, s = _select(real, channels), _select(synthetic, channels)
    axes = profile_axes(real.sampling_period, r.shape[1], starts, cal_r)
    by_axis, profiles = {}, {}
    for axis in axes:
        if axis.name == "step" and r.shape[1] != s.shape[1]:
            raise sg.DataError(f"synthetic records have {s.shape[1]} steps, the real ones {r.shape[1]}: without a "
                               "sampling period the profiles compare step positions, which needs the same length")
        pr, ps = mean_profile(r, cal_r[axis.name], axis.bins), mean_profile(s, cal_s[axis.name], axis.bins)
        profiles[axis.name] = (pr, ps)
        per_channel = {}
        for i, ch in enumerate(channels):
            if np.isnan(pr[i]).all() or np.isnan(ps[i]).all():
                per_channel[ch] = {"profile_nmae": None, "real_peak": None, "synthetic_peak": None, "peak_shift": None}
                continue
            peak_r, peak_s = int(np.nanargmax(pr[i])), int(np.nanargmax(ps[i]))
            per_channel[ch] = {"profile_nmae": profile_nmae(pr[i], ps[i]), "real_peak": peak_r,
                               "synthetic_peak": peak_s, "peak_shift": _shift(peak_r, peak_s, axis)}
        by_axis[axis.name] = {
            "profile_nmae": rounded_mean([v["profile_nmae"] for v in per_channel.values()]),
            "peak_shift_mean": rounded_mean([v["peak_shift"] for v in per_channel.values()]),
            "bins": axis.label, "channels": per_channel}
    # per-record peak time: on the first axis that varies within a record (the hour for daily records)
    peak_axis = next((a for a in axes if (cal_r[a.name] != cal_r[a.name][:, :1]).any()), None)
    peak_time: dict[str, Any] = {"axis": None, "tvd_mean": None, "channels": {}}
    if peak_axis is not None:
        peaks_r, peaks_s = record_peak_bins(r, cal_r[peak_axis.name]), record_peak_bins(s, cal_s[peak_axis.name])
        per_channel = {}
        for i, ch in enumerate(channels):
            hist = [np.bincount(p[p >= 0], minlength=peak_axis.bins)[:peak_axis.bins]
                    for p in (peaks_r[:, i], peaks_s[:, i])]
            per_channel[ch] = _tvd(*hist)
        peak_time = {"axis": peak_axis.label, "tvd_mean": rounded_mean(list(per_channel.values())),
                     "channels": per_channel}
    hour, weekday = by_axis.get("hour"), by_axis.get("weekday")
    return {
        "profile_nmae": rounded_mean([a["profile_nmae"] for a in by_axis.values()]),
        "peak_shift_hours": hour["peak_shift_mean"] if hour else None,
        "peak_shift_days": weekday["peak_shift_mean"] if weekday else None,
        "peak_time_tvd": peak_time["tvd_mean"],
        "profiles": by_axis,
        "peak_time": peak_time,
        "channels": channels,
        "covariates_left_out": covariate_channels(list(real.channels)),
        "time_of_step": source,
        "figures": [_profile_figure(axis, *profiles[axis.name], channels) for axis in axes],
    }


# --- traffic.spatial ----------------------------------------------------------------------------

def correlation_matrix(x: np.ndarray) -> np.ndarray:
    """(C, C) Pearson correlation of the columns of (rows, C), pairwise-complete."""
    return pd.DataFrame(x).corr().to_numpy()


def record_totals(x: np.ndarray) -> np.ndarray:
    """(N, C) each record's total per channel (mean of the observed steps × steps, so gaps don't bias it)."""
    with _nan_quiet():
        return np.nanmean(x, axis=1) * x.shape[1]


def _matrix_difference(real: np.ndarray, syn: np.ndarray, channels: list[str]) -> dict[str, Any]:
    rc, sc = correlation_matrix(real), correlation_matrix(syn)
    upper = np.triu_indices(len(channels), k=1)
    diff = np.abs(rc - sc)[upper]
    finite = np.isfinite(diff)
    worst = None
    if finite.any():
        k = int(np.nanargmax(np.where(finite, diff, -1)))
        worst = [channels[upper[0][k]], channels[upper[1][k]]]
    return {"mean_abs_difference": round_value(diff[finite].mean()) if finite.any() else None,
            "max_abs_difference": round_value(diff[finite].max()) if finite.any() else None,
            "worst_pair": worst, "real": round_matrix(rc), "synthetic": round_matrix(sc)}


def spatial_comparison(real: sg.SequenceSet, synthetic: sg.SequenceSet) -> dict[str, Any]:
    """The numbers and figures of ``traffic.spatial`` (see the module docstring)."""
    _sequences(real, synthetic)
    channels = traffic_channels(real, synthetic)
    if len(channels) < 2:
        return {"skipped": f"needs at least 2 traffic channels (stations), got {channels}"}
    r, s = _select(real, channels), _select(synthetic, channels)
    step = _matrix_difference(r.reshape(-1, len(channels)), s.reshape(-1, len(channels)), channels)
    total = _matrix_difference(record_totals(r), record_totals(s), channels)
    return {"step_correlation_mad": step["mean_abs_difference"],
            "total_correlation_mad": total["mean_abs_difference"],
            "step": step, "total": total, "channels": channels,
            "covariates_left_out": covariate_channels(list(real.channels)),
            "figures": [difference_heatmap(f"Correlation between stations, synthetic − real ({what})", m["real"],
                                           m["synthetic"], channels, "Δ r")
                        for what, m in (("per-step readings", step), ("record totals", total))]}


# --- traffic.forecast_tstr ------------------------------------------------------------------

@dataclass
class _Rows:
    """Forecasting rows (one per record × target step ≥ 1 × channel) in real-std units."""

    features: np.ndarray  # (rows, F)
    target: np.ndarray  # (rows,)
    channel: np.ndarray  # (rows,) channel index
    last: np.ndarray  # (rows,) the channel's previous reading (persistence forecast)
    yesterday: np.ndarray  # (rows,) the reading one day earlier in the record (NaN where the record is too short)
    time_key: np.ndarray  # (rows,) calendar bin of the target step, for the historical average


def forecast_rows(x: np.ndarray, calendar: dict[str, np.ndarray], steps_per_day: int | None,
                  time_axes: Sequence[str], lag2: bool = True, yesterday: bool = False) -> _Rows:
    """Features for predicting x[:, t, c] from x[:, :t]: channel, lag 1, lag 2 (``lag2``), same step yesterday
    (``yesterday``: records longer than a day), the record's mean so far, all channels' mean at t−1, the target step's
    position and hour/weekday (``time_axes``). The flags keep one feature layout for records of any length.
    Rows with missing target or previous reading are dropped."""
    n, t, c = x.shape
    if t < 2:
        raise sg.DataError(f"records have {t} step: forecasting the next step needs at least 2")
    target = x[:, 1:]  # (N, T-1, C)
    lag1 = x[:, :-1]
    second = np.concatenate([np.full((n, 1, c), np.nan), x[:, :-2]], axis=1)
    day_before = np.full_like(target, np.nan)
    if steps_per_day and 1 < steps_per_day < t:
        day_before[:, steps_per_day - 1:] = x[:, : t - steps_per_day]
    observed = ~np.isnan(x)
    with _nan_quiet():
        so_far = (np.cumsum(np.where(observed, x, 0.0), axis=1) / np.cumsum(observed, axis=1))[:, :-1]
        network = np.broadcast_to(np.nanmean(lag1, axis=2, keepdims=True), lag1.shape)
    channel = np.broadcast_to(np.arange(c), target.shape).astype(float)
    position = np.broadcast_to(np.arange(1, t)[None, :, None], target.shape).astype(float)
    times = [np.broadcast_to(calendar[a][:, 1:, None], target.shape).astype(float) for a in time_axes]
    key = np.zeros(target.shape, dtype=np.int64)
    for a in time_axes:
        key = key * 100 + calendar[a][:, 1:, None].astype(np.int64)
    columns = [channel, lag1, *([second] if lag2 else []), *([day_before] if yesterday else []),
               so_far, network, position, *times]
    features = np.stack([np.ascontiguousarray(col).reshape(-1) for col in columns], axis=1)
    keep = ~np.isnan(target.reshape(-1)) & ~np.isnan(lag1.reshape(-1))
    return _Rows(features[keep], target.reshape(-1)[keep], channel.reshape(-1)[keep].astype(int),
                 lag1.reshape(-1)[keep], day_before.reshape(-1)[keep], key.reshape(-1)[keep])


def fit_forecaster(rows: _Rows, seed: int = 0, max_iter: int = 150):
    """A HistGradientBoostingRegressor (channel as a categorical feature) on at most MAX_TRAIN_ROWS random rows."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    idx = np.arange(len(rows.target))
    if len(idx) > MAX_TRAIN_ROWS:
        idx = np.random.default_rng(seed).choice(idx, MAX_TRAIN_ROWS, replace=False)
    features = rows.features[idx]
    empty = np.isnan(features).all(axis=0)  # e.g. a channel missing from every synthetic record
    features[:, empty] = 0.0
    model = HistGradientBoostingRegressor(max_iter=max_iter, learning_rate=0.1, max_leaf_nodes=31,
                                          early_stopping=False, categorical_features=[0], random_state=seed)
    return model.fit(features, rows.target[idx])


def _mae_by_channel(error: np.ndarray, channel: np.ndarray, n_channels: int) -> np.ndarray:
    """(C,) mean absolute error per channel (NaN where a channel has no row)."""
    ok = ~np.isnan(error)
    total = np.bincount(channel[ok], weights=np.abs(error[ok]), minlength=n_channels)
    count = np.bincount(channel[ok], minlength=n_channels)
    with _nan_quiet():
        return np.where(count > 0, total / count, np.nan)


def historical_average(train: _Rows, test: _Rows, n_channels: int) -> np.ndarray:
    """Forecast of each test row: the training mean of its channel at the same hour/weekday (channel mean if unseen)."""
    frame = pd.DataFrame({"c": train.channel, "k": train.time_key, "y": train.target})
    by_bin = frame.groupby(["c", "k"])["y"].mean()
    by_channel = frame.groupby("c")["y"].mean().reindex(range(n_channels)).fillna(0.0).to_numpy()
    forecast = by_bin.reindex(pd.MultiIndex.from_arrays([test.channel, test.time_key])).to_numpy(dtype=float)
    return np.where(np.isnan(forecast), by_channel[test.channel], forecast)


def forecast_comparison(real: sg.SequenceSet, synthetic: sg.SequenceSet, holdout: sg.SequenceSet | None,
                        seed: int = 0, max_iter: int = 150) -> dict[str, Any]:
    """The numbers of ``traffic.forecast_tstr`` (see the module docstring)."""
    _sequences(real, synthetic, holdout)
    channels = traffic_channels(real, synthetic, holdout)
    test_set = holdout if holdout is not None else real
    (cal_r, cal_s, cal_t), starts, source = _calendars(real, synthetic, test_set)
    with _nan_quiet():
        mean = np.nanmean(_select(real, channels), axis=(0, 1))
        std = np.nanstd(_select(real, channels), axis=(0, 1))
    std = np.where(std > 0, std, 1.0)
    standard = lambda records: (_select(records, channels) - mean) / std  # noqa: E731
    period = real.sampling_period
    steps_per_day = int(round(DAY / period)) if period and period <= DAY else None
    axes = [a.name for a in profile_axes(period, real.values.shape[1], starts, cal_r) if a.name != "step"]
    length = real.values.shape[1]
    layout = {"lag2": length > 2, "yesterday": bool(steps_per_day and 1 < steps_per_day < length)}
    rows_r = forecast_rows(standard(real), cal_r, steps_per_day, axes, **layout)
    rows_s = forecast_rows(standard(synthetic), cal_s, steps_per_day, axes, **layout)
    rows_t = forecast_rows(standard(test_set), cal_t, steps_per_day, axes, **layout)
    if not len(rows_s.target) or not len(rows_t.target):
        side = "synthetic" if not len(rows_s.target) else "test"
        raise sg.DataError(f"the {side} records hold no pair of consecutive observed readings to forecast from")
    c = len(channels)
    tstr = rows_t.target - fit_forecaster(rows_s, seed, max_iter).predict(rows_t.features)
    trtr = (rows_t.target - fit_forecaster(rows_r, seed, max_iter).predict(rows_t.features)
            if holdout is not None else None)
    history = historical_average(rows_r, rows_t, c)
    errors = {"tstr_mae": tstr, "trtr_mae": trtr, "naive_mae": rows_t.target - rows_t.last,
              "historical_average_mae": rows_t.target - history,
              "seasonal_naive_mae": rows_t.target - rows_t.yesterday}
    per_channel_std = {k: _mae_by_channel(e, rows_t.channel, c) if e is not None else None for k, e in errors.items()}
    overall = {k: round_value(np.nanmean(v)) if v is not None and not np.isnan(v).all() else None
               for k, v in per_channel_std.items()}
    tstr_mae, trtr_mae = overall["tstr_mae"], overall["trtr_mae"]
    return {
        "tstr_mae": tstr_mae, "trtr_mae": trtr_mae,
        "ratio": round_value(tstr_mae / trtr_mae) if tstr_mae is not None and trtr_mae else None,
        "naive_mae": overall["naive_mae"], "historical_average_mae": overall["historical_average_mae"],
        "seasonal_naive_mae": overall["seasonal_naive_mae"],
        "units": "real std of each channel, averaged over channels",
        "tested_on": "holdout" if holdout is not None else "real training data (no holdout: no TRTR)",
        "test_rows": int(len(rows_t.target)),
        "model": f"HistGradientBoostingRegressor ({max_iter} trees), one model for all channels, features: "
                 + ", ".join(["channel", "lag 1", *(["lag 2"] if layout["lag2"] else []),
                              *(["same step yesterday"] if layout["yesterday"] else []), "record mean so far",
                              "all channels' mean at t-1", "step position", *axes]),
        "baselines": "naive: last value; seasonal naive: same step one day earlier (records longer than a day only); "
                     "historical average: real training mean of the channel"
                     + (f" at the same {' and '.join(axes)}" if axes else ""),
        "time_of_step": source,
        "channels": {ch: {k: round_value(v[i] * std[i]) if v is not None else None for k, v in per_channel_std.items()}
                     for i, ch in enumerate(channels)},
        "channel_units": "each channel's own units",
        "covariates_left_out": covariate_channels(list(real.channels)),
    }


# --- traffic.od --------------------------------------------------------------------------------

def _trip_roles(real: sg.Table, synthetic: sg.Table, declared: dict[str, str] | None) -> dict[str, str]:
    for label, records in (("real", real), ("synthetic", synthetic)):
        if not isinstance(records, sg.Table):
            raise sg.DataError(f"{label} records are a {type(records).__name__}: expected a Table of trips")
    roles = trip_columns(list(real.frame.columns), declared)
    for role in ("origin", "destination"):
        if role not in roles:
            raise sg.DataError(f"no {role} column among {list(real.frame.columns)}: expected one named like "
                               f"{', '.join(TRIP_NAMES[role][:4])}...")
    for role, column in roles.items():
        if column not in real.frame.columns:
            raise sg.DataError(f"{role} column {column!r} is not in the real trips: expected one of "
                               f"{list(real.frame.columns)}")
        if role in ("origin", "destination", "departure") and column not in synthetic.frame.columns:
            raise sg.DataError(f"synthetic trips lack the {role} column {column!r}")
    return roles


def od_shares(frame: pd.DataFrame, origin: str, destination: str) -> pd.Series:
    """Share of trips per (origin, destination) pair; trips with a missing end are left out."""
    pairs = frame[[origin, destination]].dropna().astype(str)
    return pairs.value_counts(normalize=True).rename("share")


def departure_hours(values: pd.Series, column: str, unit: float | None) -> np.ndarray:
    """Hour of day (0–23) of each departure: datetimes, or clock numbers of ``unit`` seconds after midnight."""
    numbers = clock_numbers(values)
    if unit is not None and numbers is not None:
        return (numbers * unit // HOUR).astype(int) % 24
    stamps = pd.to_datetime(values, errors="coerce").dropna()
    if stamps.empty and values.notna().any():
        raise sg.DataError(f"departure column {column!r} holds neither clock numbers nor datetimes")
    return stamps.dt.hour.to_numpy(dtype=int)


def od_comparison(real: sg.Table, synthetic: sg.Table, declared: dict[str, str] | None = None) -> dict[str, Any]:
    """The numbers and figures of ``traffic.od`` (see the module docstring)."""
    roles = _trip_roles(real, synthetic, declared)
    o, d = roles["origin"], roles["destination"]
    pr, ps = od_shares(real.frame, o, d), od_shares(synthetic.frame, o, d)
    if pr.empty or ps.empty:
        raise sg.DataError(f"the {'real' if pr.empty else 'synthetic'} trips have no row with both {o!r} and {d!r}")
    joint = pd.concat([pr.rename("real"), ps.rename("synthetic")], axis=1).fillna(0.0)
    p, q = joint["real"].to_numpy(), joint["synthetic"].to_numpy()
    covered = q[p > 0] > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pearson = pearsonr(p, q).statistic if len(p) > 1 else np.nan
        spearman = spearmanr(p, q).statistic if len(p) > 1 else np.nan
    marginal = lambda col: _tvd(*pd.concat([real.frame[col].dropna().astype(str).value_counts(),  # noqa: E731
                                            synthetic.frame[col].dropna().astype(str).value_counts()],
                                           axis=1).fillna(0.0).to_numpy().T)
    result: dict[str, Any] = {
        "od_tvd": round_value(0.5 * np.abs(p - q).sum()),
        "share_pearson": round_value(pearson), "share_spearman": round_value(spearman),
        "real_pair_coverage": round_value(covered.mean()),
        "real_trip_coverage": round_value(p[p > 0][covered].sum()),
        "novel_pair_trip_share": round_value(q[p == 0].sum()),
        "departure_hour_tvd": None,
        "origin_tvd": marginal(o), "destination_tvd": marginal(d),
        "real_pairs": int((p > 0).sum()), "synthetic_pairs": int((q > 0).sum()),
        "columns": {role: roles.get(role) for role in ("origin", "destination", "departure")},
    }
    figures = [_od_bars(joint)]
    if "departure" in roles:
        dep = roles["departure"]
        unit = departure_unit(real.frame[dep], dep)  # the real column's unit is the synthetic one's
        hr = np.bincount(departure_hours(real.frame[dep], dep, unit), minlength=24)[:24]
        hs = np.bincount(departure_hours(synthetic.frame[dep], dep, unit), minlength=24)[:24]
        result["departure_hour_tvd"] = _tvd(hr, hs)
        figures.append(_departure_figure(hr, hs, dep))
    result["figures"] = figures
    return result


# --- figures -----------------------------------------------------------------------------------

def _profile_figure(axis: Axis, real: np.ndarray, syn: np.ndarray, channels: list[str]) -> dict[str, Any]:
    """Real (solid blue) vs synthetic (dashed orange) mean profiles of the first channels, one panel each."""
    shown = channels[:PLOTTED_CHANNELS]
    more = f" (first {len(shown)} of {len(channels)} channels)" if len(channels) > len(shown) else ""
    return panel_figure(f"Mean reading by {axis.label}, real vs synthetic{more}", range(axis.bins), real, syn, shown,
                        axis.label, markers=True, tick_text=axis.tick_text())


def _od_bars(joint: pd.DataFrame) -> dict[str, Any]:
    top = joint.sort_values("real", ascending=False).head(TOP_PAIRS)
    return bar_figure(f"Top {len(top)} real origin-destination pairs: share of trips",
                      [f"{o} → {d}" for o, d in top.index], top["real"], top["synthetic"], "share of trips")


def _departure_figure(real: np.ndarray, syn: np.ndarray, column: str) -> dict[str, Any]:
    return {"title": f"Departures by hour of day ({column})",
            "data": real_synthetic_lines(range(24), real / max(real.sum(), 1), syn / max(syn.sum(), 1), markers=True),
            "layout": {"xaxis": axis_title("hour of day"), "yaxis": axis_title("share of trips")}}


# --- report metrics ----------------------------------------------------------------------------

class _TrafficSequenceMetric(sg.Metric):
    modalities = frozenset({"sequence"})
    domains = frozenset({"traffic"})


class ProfilesMetric(_TrafficSequenceMetric):
    """Daily and weekly profiles and peak timing of each traffic channel, real vs synthetic."""

    name = "traffic.profiles"
    description = ("mean profile by hour of day and weekday per station: normalised MAE (0 best), peak-time shift "
                   "of the mean profile, and TVD of per-record peak times")

    def compute(self, real: sg.SequenceSet, synthetic: sg.SequenceSet, context: sg.MetricContext) -> dict[str, Any]:
        return profile_comparison(real, synthetic)


class SpatialMetric(_TrafficSequenceMetric):
    """Correlation between stations (per step and per record total), real vs synthetic."""

    name = "traffic.spatial"
    description = ("station × station correlation of per-step readings and of record totals: mean absolute "
                   "difference real vs synthetic (0 best), with heatmaps of the difference")

    def compute(self, real: sg.SequenceSet, synthetic: sg.SequenceSet, context: sg.MetricContext) -> dict[str, Any]:
        return spatial_comparison(real, synthetic)


class ForecastTSTRMetric(_TrafficSequenceMetric):
    """Next-step forecaster trained on synthetic (TSTR) vs on real (TRTR), tested on real held-out records."""

    name = "traffic.forecast_tstr"
    description = ("next-step MAE on real held-out records of a gradient-boosted forecaster trained on synthetic "
                   "(TSTR) vs real (TRTR) data, ratio near 1 best, beside naive and historical-average baselines")
    seed = 0
    max_iter = 150

    def compute(self, real: sg.SequenceSet, synthetic: sg.SequenceSet, context: sg.MetricContext) -> dict[str, Any]:
        return forecast_comparison(real, synthetic, context.holdout, self.seed, self.max_iter)


class ODMetric(sg.Metric):
    """Origin-destination matrix and departure-time profile of trip tables, real vs synthetic."""

    name = "traffic.od"
    description = ("OD-matrix TVD and share correlations, coverage of real OD pairs, synthetic trips on unseen pairs, "
                   "departure-hour TVD")
    modalities = frozenset({"table"})
    domains = frozenset({"traffic"})
    columns: dict[str, str] | None = None  # role -> column, overriding the names roles.trip_columns recognises

    def compute(self, real: sg.Table, synthetic: sg.Table, context: sg.MetricContext) -> dict[str, Any]:
        return od_comparison(real, synthetic, self.columns)


METRICS = [ProfilesMetric, SpatialMetric, ForecastTSTRMetric, ODMetric]
