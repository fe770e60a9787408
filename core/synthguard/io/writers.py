"""Write records and rejected records in the format the user asked for."""

from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from ..data import ImageSet, Records, SequenceSet, Table
from ..errors import ConfigError
from .atomic import pause_point

FORMATS = ("parquet", "csv")

#: First characters that make a spreadsheet read a cell as a formula (OWASP "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_RAW_CSV: ContextVar[bool] = ContextVar("synthguard_raw_csv", default=False)


@contextmanager
def raw_csv(raw: bool = True) -> Iterator[None]:
    """Within the block, CSV output keeps text cells as they are (``--raw-csv``): formulas are not neutralised."""
    token = _RAW_CSV.set(raw)
    try:
        yield
    finally:
        _RAW_CSV.reset(token)


def neutralise_cell(value):
    """A text cell a spreadsheet would run as a formula, prefixed with ``'`` (shown as text); anything else as is.

    Plain numbers written as text (``-12.5``) are left alone: they cannot run anything.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with formula-like text cells and column names neutralised; numeric columns untouched."""
    out = frame.copy()
    for col in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[col]) or pd.api.types.is_datetime64_any_dtype(out[col])):
            if isinstance(out[col].dtype, pd.CategoricalDtype):
                out[col] = out[col].astype(object)
            out[col] = out[col].map(neutralise_cell, na_action="ignore")
    out.columns = [neutralise_cell(c) for c in out.columns]
    return out


def free_name(name: str, taken) -> str:
    """``name``, or ``_synthguard`` + name (repeated) where a user column already has it."""
    while name in taken:
        name = f"_synthguard{name}"
    return name


def json_default(obj):
    """``json.dumps(default=...)`` for everything SynthGuard writes as JSON (reports, bundles).

    NumPy scalars and arrays become Python numbers and lists, tuples lists, paths and timestamps
    strings; anything else is a bug to see, not a string to guess (TypeError).
    """
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, tuple):
        return list(obj)
    if isinstance(obj, (Path, pd.Timestamp)):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON-serialisable")


def write_frame(frame: pd.DataFrame, path_stem: Path, fmt: str) -> Path:
    if fmt not in FORMATS:
        raise ConfigError(f"unknown output format {fmt!r}: expected one of {', '.join(FORMATS)}")
    path = path_stem.with_suffix(f".{fmt}")
    if fmt == "parquet":
        frame.to_parquet(path, index=False)
    else:
        (frame if _RAW_CSV.get() else neutralise_formulas(frame)).to_csv(path, index=False)
    return path


def write_records(records: Records, path_stem: Path, fmt: str, extra: dict[str, np.ndarray] | None = None,
                  empty: bool = False) -> Path:
    """Tables go to Parquet/CSV; sequences and images to NPZ (arrays + metadata columns). ``empty``: the same
    file with no records (a run that rejected none still writes ``rejected.*`` in its records' format).

    ``extra`` columns (the rejected records' ``_stage``, ``_checks``, ``_reason``) never overwrite a user's
    column of the same name: they are written as ``_synthguard_stage``... instead.
    """
    extra = extra or {}
    if isinstance(records, Table):
        frame = records.frame.iloc[:0].copy() if empty else records.frame.copy()
        for key, values in extra.items():
            frame[free_name(key, frame.columns)] = values
        path = write_frame(frame, path_stem, fmt)
        pause_point("writing")
        return path
    path = path_stem.with_suffix(".npz")
    per_record, shared = _npz_arrays(records)
    if empty:
        per_record = {k: v[:0] for k, v in per_record.items()}
    arrays = {**per_record, **shared, **{k: np.asarray(v) for k, v in extra.items()}}
    np.savez_compressed(path, **{k: (v.astype(str) if v.dtype == object else v) for k, v in arrays.items()})
    pause_point("writing")
    return path


def _npz_arrays(records: Records) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """A sequence or image set's NPZ arrays: those with one entry per record, and those describing all of them."""
    if isinstance(records, SequenceSet):
        per_record = {"values": records.values, "entity_ids": records.entity_ids,
                      **{f"static__{c}": records.statics[c].to_numpy() for c in records.statics.columns}}
        shared = {"channels": np.array(records.channels)}
        if records.start_times is not None:
            per_record["start_times"] = records.start_times.astype("datetime64[ns]")
        if records.sampling_period:
            shared["sampling_period"] = np.asarray(records.sampling_period)
        return per_record, shared
    if isinstance(records, ImageSet):
        return {"images": records.images,
                **{f"meta__{c}": records.metadata[c].to_numpy() for c in records.metadata.columns}}, {}
    raise ConfigError(f"no writer for {type(records).__name__}")  # pragma: no cover - a new container adds its own
