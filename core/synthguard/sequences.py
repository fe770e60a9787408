"""Long-format sensor logs <-> SequenceSet, and windows cut from long streams (shared by sequence plugins).

A user's log is long format: one row per reading, ``entity, timestamp, channel
columns..., static attributes...``. :func:`from_long_frame` turns it into a
:class:`~synthguard.SequenceSet` and says what it had to do on the way
(sorting, resampling irregular timestamps, padding ragged entities); those
notes land in the run's report. :func:`cut_windows` cuts long streams into
fixed-length records and :func:`stitch_windows` puts windows back together.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from .data import SequenceSet, entity_groups
from .errors import DataError

#: Steps deviating from the mean step by more than this share make a log irregular (resampled).
JITTER_TOLERANCE = 0.1
#: A gap longer than this many regular steps is left missing instead of interpolated.
MAX_INTERPOLATED_GAP = 2


class SequenceFormat(BaseModel):
    """How to read a long-format log and cut it into records. Defaults read ``entity, timestamp, ...``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entity: str | None = Field("entity", description="column naming the device/recording; None = one stream")
    time: str | None = Field("timestamp", description="column with the reading's time; None = rows are in order")
    channels: list[str] | None = Field(None, description="sensor columns; default: numeric columns that vary within an entity")
    statics: list[str] | None = Field(None, description="per-entity attributes; default: columns constant within every entity")
    window: int | None = Field(None, ge=2, description="cut streams into windows of this many steps")
    stride: int | None = Field(None, ge=1, description="steps between window starts (default: window, no overlap)")
    max_missing: float = Field(0.5, ge=0, le=1, description="drop windows with a larger share of missing readings")


# --------------------------------------------------------------------------- long format


def from_long_frame(frame: pd.DataFrame, fmt: SequenceFormat | None = None) -> tuple[SequenceSet, dict[str, Any]]:
    """A long-format log as a SequenceSet (+ notes on what was done). Raises DataError naming the problem."""
    fmt = fmt or SequenceFormat()
    if frame.empty:
        raise DataError("the sensor log has no rows: expected one row per reading")
    notes: dict[str, Any] = {}
    frame = frame.copy()
    for role, col in (("entity", fmt.entity), ("time", fmt.time)):
        if col is not None and col not in frame.columns:
            raise DataError(f"{role} column {col!r} not found in {list(frame.columns)}: expected it, "
                            f"or name yours (--{role}-column), or set it to none for a single ordered stream")
    entity = fmt.entity
    if entity is None:
        entity = "__entity__"
        frame[entity] = "stream"
    if frame[entity].isna().any():
        raise DataError(f"entity column {entity!r} has {int(frame[entity].isna().sum())} missing values: expected every row to name its entity")
    channels, statics = _roles(frame, fmt, entity)
    streams, statics_rows, ids, periods, starts = [], [], [], [], []
    unordered = 0
    for key, part in frame.groupby(entity, sort=False):
        if fmt.time is not None:
            t = _times(part[fmt.time], fmt.time)
            if np.isnan(t).any():
                raise DataError(f"time column {fmt.time!r} has missing values for entity {key!r}: expected a time on every reading")
            _check_one_timeline(t, part[fmt.time], key)
            order = np.argsort(t, kind="stable")
            unordered += int((np.diff(t) < 0).any())
            t, part = t[order], part.iloc[order]
            dup = np.flatnonzero(np.diff(t) == 0)
            if len(dup):
                raise DataError(f"entity {key!r} has {len(dup)} duplicated timestamp(s), first at "
                                f"{part[fmt.time].iloc[dup[0]]!r}: expected one reading per time (aggregate them first)")
        else:
            t = np.arange(len(part), dtype=float)
        values = part[channels].to_numpy(dtype=float)
        if np.isnan(values).all():
            raise DataError(f"entity {key!r} has no reading in any channel {channels}: expected data for every entity "
                            "(drop it, or check the export)")
        if len(values) < 2:
            raise DataError(f"entity {key!r} has a single reading: expected at least 2 steps per series")
        streams.append((t, values))
        starts.append(t[0])
        periods.append(np.diff(t))
        ids.append(key)
        statics_rows.append(part[statics].iloc[0] if statics else pd.Series(dtype=object))
    if unordered:
        notes["sorted_by_time"] = f"{unordered} entit{'y' if unordered == 1 else 'ies'} had rows out of time order: sorted"
    steps = np.concatenate(periods)
    # the mean step, not the median: 64 Hz logged in whole milliseconds steps 15, 16, 16, 16 ms
    period = float(sum(t[-1] - t[0] for t, _ in streams) / sum(len(t) - 1 for t, _ in streams))
    jitter = float(np.abs(steps - period).max())
    if jitter > JITTER_TOLERANCE * period and fmt.time is not None:
        period = float(np.median(steps))
        streams = [(t, _resample(t, v, period)) for t, v in streams]
        notes["resampled"] = (f"irregular timestamps (steps {steps.min():.6g} to {steps.max():.6g}): resampled to a regular "
                              f"step of {period:.6g} by linear interpolation; gaps over {MAX_INTERPOLATED_GAP} steps left missing")
    elif jitter > 0 and fmt.time is not None:
        notes["jitter"] = (f"timestamps jitter by up to {jitter:.3g} around a regular step of {period:.6g} "
                           f"(≤ {JITTER_TOLERANCE:.0%}, e.g. rounding): treated as regular")
    lengths = [len(v) for _, v in streams]
    if len(set(lengths)) > 1 and fmt.window is None:
        notes["padded"] = (f"entities have {min(lengths)} to {max(lengths)} steps: shorter ones padded with missing "
                           "readings (masked in training); set a window to cut equal-length records instead")
    values = np.full((len(streams), max(lengths), len(channels)), np.nan)
    for i, (_, v) in enumerate(streams):
        values[i, : len(v)] = v
    if len(ids) == 1 and fmt.window is None and fmt.entity is not None:
        notes["single_entity"] = "one entity: set a window to cut it into records"
    missing = float(np.isnan(values).mean())
    if missing:
        notes["missing_readings"] = round(missing, 6)
    static_frame = pd.DataFrame(statics_rows).reset_index(drop=True) if statics else None
    dated = fmt.time is not None and pd.api.types.is_datetime64_any_dtype(frame[fmt.time])
    sampling_period = period / 1e9 if dated else None  # ns -> s
    start_times = np.asarray(starts).astype(np.int64).view("datetime64[ns]") if dated else None
    if dated and getattr(frame[fmt.time].dt, "tz", None) is not None:
        notes["time_zone"] = (f"timestamps carry time zone {frame[fmt.time].dt.tz}: ordered and stored as UTC instants "
                              "(no daylight-saving gaps or repeats)")
    # the entity column names the unit of privacy (a device, a recording): its windows stay on one side of the split
    records = SequenceSet(values, channels, static_frame, entity_ids=np.asarray(ids), sampling_period=sampling_period,
                          start_times=start_times, entity_name=fmt.entity)
    records, windows = apply_window(records, fmt, lengths)
    return records, {**notes, **windows}


def to_long_frame(records: SequenceSet, entity: str = "entity", time: str = "step") -> pd.DataFrame:
    """The inverse: one row per reading (``entity``, ``step``, channels..., statics...).

    With start times and a sampling period, ``time`` holds each reading's timestamp; otherwise its step.
    """
    n, t, _ = records.values.shape
    frame = pd.DataFrame(records.values.reshape(n * t, -1), columns=records.channels)
    steps = np.tile(np.arange(t), n)
    if records.start_times is not None and records.sampling_period:
        offsets = (steps * records.sampling_period * 1e9).round().astype("int64").astype("timedelta64[ns]")
        frame.insert(0, time, np.repeat(records.start_times, t) + offsets)
    else:
        frame.insert(0, time, steps)
    frame.insert(0, entity, np.repeat(records.entity_ids, t))
    for col in records.statics.columns:
        frame[col] = np.repeat(records.statics[col].to_numpy(), t)
    return frame


def _roles(frame: pd.DataFrame, fmt: SequenceFormat, entity: str) -> tuple[list[str], list[str]]:
    others = [c for c in frame.columns if c not in (entity, fmt.time)]
    for given in (fmt.channels or []) + (fmt.statics or []):
        if given not in frame.columns:
            raise DataError(f"column {given!r} not found in {list(frame.columns)}")
    for c in others:
        if frame[c].isna().all():
            kind = "channel" if c in (fmt.channels or [c]) else "column"
            raise DataError(f"{kind} {c!r} is entirely missing: expected at least one reading (or drop the column)")
    constant = frame.groupby(entity, sort=False)[others].nunique(dropna=False).le(1).all() if others else pd.Series(dtype=bool)
    several = frame[entity].nunique() > 1  # with one stream, only text columns can be told apart from flat channels
    statics = list(fmt.statics) if fmt.statics is not None else [
        c for c in others if constant[c] and c not in (fmt.channels or []) and (several or not _numeric(frame[c]))]
    channels = list(fmt.channels) if fmt.channels is not None else [c for c in others if c not in statics]
    if not channels:
        raise DataError(f"no sensor channels among {others}: expected numeric columns that vary over time")
    for c in channels:
        if pd.api.types.is_datetime64_any_dtype(frame[c]) or isinstance(frame[c].dtype, pd.PeriodDtype):
            raise DataError(f"channel {c!r} holds timestamps: expected numeric readings (name the time column "
                            f"--time-column {c} if it is the time; drop the column if it is a second clock)")
        if not _numeric(frame[c]):
            bad = frame[c][pd.to_numeric(frame[c], errors="coerce").isna() & frame[c].notna()]
            example = f" (e.g. {bad.iloc[0]!r})" if len(bad) else f" (dtype {frame[c].dtype})"
            raise DataError(f"channel {c!r} holds non-numeric readings{example}: expected numbers "
                            "(or declare it a static attribute if it is constant per entity)")
        if frame[c].isna().all():
            raise DataError(f"channel {c!r} is entirely missing: expected at least one reading")
    if np.isinf(frame[channels].to_numpy(dtype=float)).any():
        raise DataError("a channel holds inf: expected finite readings, or empty cells for missing")
    return channels, statics


def _numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _times(series: pd.Series, name: str) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(series):
        if getattr(series.dt, "tz", None) is not None:
            series = series.dt.tz_convert("UTC")
        return series.to_numpy(dtype="datetime64[ns]").view("int64").astype(float)
    if _numeric(series):
        return series.to_numpy(dtype=float)
    raise DataError(f"time column {name!r} has dtype {series.dtype}: expected datetimes or numbers (seconds)")


#: Fewest readings that must fall back before an earlier time for a step back to be a restarted timeline.
RESTART_READINGS = 3


def _check_one_timeline(t: np.ndarray, times: pd.Series, key: Any) -> None:
    """Rows out of order are sorted (shuffled rows, a newest-first export, a swapped pair); a timeline that
    *restarts* — time steps back a few times and whole stretches of readings fall before readings already seen
    (a clock reset, two recordings under one entity) — is refused here, before any training: sorting would
    interleave two recordings into one series and the model would learn that."""
    back = np.flatnonzero(np.diff(t) < 0)
    if not len(back) or len(back) > max(1, len(t) // 10):  # no step back, or out of order throughout: sorted
        return
    for i in back:
        fallen = int((t[i + 1:] < t[i]).sum())
        if fallen >= RESTART_READINGS:
            raise DataError(f"entity {key!r}: time {times.name!r} goes back from {times.iloc[i]} to {times.iloc[i + 1]} "
                            f"(row {i + 2} of the entity) and {fallen} later readings fall before it: expected one "
                            "timeline per entity (a clock reset or two recordings under one entity: give each its "
                            "own entity, or fix the times)")


def _resample(t: np.ndarray, values: np.ndarray, period: float) -> np.ndarray:
    """Linear interpolation onto a regular grid; grid points far from any reading stay missing."""
    grid = t[0] + period * np.arange(int(np.floor((t[-1] - t[0]) / period + 1e-9)) + 1)
    out = np.empty((len(grid), values.shape[1]))
    for c in range(values.shape[1]):
        ok = np.isfinite(values[:, c])
        out[:, c] = np.interp(grid, t[ok], values[ok, c]) if ok.sum() >= 2 else np.nan
    # distance from each grid point to the nearest real reading
    pos = np.clip(np.searchsorted(t, grid), 1, len(t) - 1)
    gap = t[pos] - t[pos - 1]
    out[gap > MAX_INTERPOLATED_GAP * period] = np.nan
    return out


# --------------------------------------------------------------------------- windows


def apply_window(records: SequenceSet, fmt: SequenceFormat,
                 lengths: list[int] | None = None) -> tuple[SequenceSet, dict[str, str]]:
    """Cut ``records`` as ``fmt`` says (unchanged when it names no window), with the note for the report."""
    if fmt.window is None:
        return records, {}
    records = cut_windows(records, fmt.window, fmt.stride, max_missing=fmt.max_missing, lengths=lengths)
    return records, {"windows": f"{len(records)} windows of {fmt.window} steps, stride {fmt.stride or fmt.window}"}


def window_long_recordings(records: SequenceSet, fmt: SequenceFormat, window: int,
                           generator: str) -> tuple[SequenceSet, SequenceFormat | None, dict[str, str]]:
    """A generator's default for long recordings: when ``fmt`` names no window and some recording is longer than
    twice ``window`` steps, cut every recording into windows of ``window`` steps (no overlap).

    Returns the records, the format that reads them so again (None when nothing was cut) and the note for the
    run. An LSTM's fit grows with the steps it backpropagates through: ACSF1's 1,460-step recordings took 649 s
    whole (docs/design/sensor-generators.md, "Long recordings").
    """
    if fmt.window is not None or records.values.shape[1] <= 2 * window:
        return records, None, {}
    observed = np.isfinite(records.values).any(axis=2)  # padded recordings: their real lengths
    lengths = [int(np.flatnonzero(row)[-1]) + 1 if row.any() else 0 for row in observed]
    cut = cut_windows(records, window, max_missing=fmt.max_missing, lengths=lengths)
    split = ("each recording's windows on one side of the holdout" if entity_groups(cut) is not None
             else "too few recordings to hold out whole: split window by window")
    note = (f"recordings of up to {max(lengths):,} steps are long for {generator}, which trains whole recordings of "
            f"up to {2 * window} steps: cut into {len(cut):,} windows of {window} steps ({split}), so the synthetic "
            f"records are {window}-step windows; --window STEPS chooses another length")
    return cut, fmt.model_copy(update={"window": window}), {"windows": note}


def cut_windows(records: SequenceSet, window: int, stride: int | None = None, *, max_missing: float = 0.5,
                lengths: list[int] | None = None) -> SequenceSet:
    """Windows of ``window`` steps every ``stride`` steps (default: no overlap) from every stream.

    Each window keeps its stream's statics; ``entity_ids`` become ``"<entity>/<start>"``
    and ``sources`` the stream, so :func:`stitch_windows` can undo the cut and the
    holdout split keeps a stream's windows together (always, when the streams declare their
    ``entity_name``; else from :data:`~synthguard.data.MIN_GROUPS` streams on). Windows whose share of
    missing readings exceeds ``max_missing`` are dropped. ``lengths`` are the
    streams' real lengths when ``values`` is padded.
    """
    stride = stride or window
    n, t, _ = records.values.shape
    lengths = lengths or [t] * n
    if window > max(lengths):
        raise DataError(f"window of {window} steps is longer than every series (longest {max(lengths)}): "
                        "expected a shorter window")
    parts, ids, sources, rows, starts = [], [], [], [], []
    for i in range(n):
        for start in range(0, lengths[i] - window + 1, stride):
            chunk = records.values[i, start:start + window]
            if np.isnan(chunk).mean() > max_missing:
                continue
            parts.append(chunk)
            ids.append(f"{records.entity_ids[i]}/{start}")
            sources.append(str(records.entity_ids[i]))
            rows.append(i)
            if records.start_times is not None and records.sampling_period:
                starts.append(records.start_times[i] + np.timedelta64(int(round(start * records.sampling_period * 1e9)), "ns"))
    if not parts:
        raise DataError(f"no window of {window} steps has at most {max_missing:.0%} missing readings: "
                        "expected shorter windows or fewer gaps")
    return SequenceSet(np.stack(parts), records.channels, records.statics.iloc[rows].reset_index(drop=True),
                       entity_ids=np.asarray(ids), sampling_period=records.sampling_period, sources=np.asarray(sources),
                       start_times=np.asarray(starts, dtype="datetime64[ns]") if starts else None,
                       entity_name=records.declared_unit)


def stitch_windows(windows: SequenceSet) -> SequenceSet:
    """Undo :func:`cut_windows`: one stream per source, overlapping readings averaged, uncovered steps missing."""
    if windows.sources is None:
        raise DataError("these records are not windows of streams (no sources): nothing to stitch")
    starts = np.array([int(str(e).rsplit("/", 1)[1]) for e in windows.entity_ids])
    names = list(dict.fromkeys(windows.sources.tolist()))
    w = windows.values.shape[1]
    length = max(int(starts[windows.sources == s].max()) + w for s in names)
    total = np.zeros((len(names), length, windows.values.shape[2]))
    count = np.zeros_like(total)
    first = []
    for k, name in enumerate(names):
        idx = np.flatnonzero(windows.sources == name)
        first.append(idx[0])
        for i in idx:
            ok = np.isfinite(windows.values[i])
            total[k, starts[i]:starts[i] + w][ok] += windows.values[i][ok]
            count[k, starts[i]:starts[i] + w] += ok
    with np.errstate(invalid="ignore"):
        values = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    stream_starts = None
    if windows.start_times is not None and windows.sampling_period:
        stream_starts = np.array([windows.start_times[i] - np.timedelta64(int(round(starts[i] * windows.sampling_period * 1e9)), "ns")
                                  for i in first], dtype="datetime64[ns]")
    return SequenceSet(values, windows.channels, windows.statics.iloc[first].reset_index(drop=True),
                       entity_ids=np.asarray(names), sampling_period=windows.sampling_period, start_times=stream_starts,
                       entity_name=windows.declared_unit)


__all__ = ["SequenceFormat", "from_long_frame", "to_long_frame", "apply_window", "cut_windows", "stitch_windows",
           "window_long_recordings"]
