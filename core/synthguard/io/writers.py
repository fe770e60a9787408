"""Write records and rejected records in the format the user asked for."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..data import ImageSet, Records, SequenceSet, Table
from ..errors import ConfigError

FORMATS = ("parquet", "csv")


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
        frame.to_csv(path, index=False)
    return path


def write_records(records: Records, path_stem: Path, fmt: str, extra: dict[str, np.ndarray] | None = None) -> Path:
    """Tables go to Parquet/CSV; sequences and images to NPZ (arrays + metadata columns)."""
    extra = extra or {}
    if isinstance(records, Table):
        frame = records.frame.copy()
        for key, values in extra.items():
            frame[key] = values
        return write_frame(frame, path_stem, fmt)
    path = path_stem.with_suffix(".npz")
    if isinstance(records, SequenceSet):
        arrays = {"values": records.values, "channels": np.array(records.channels), "entity_ids": records.entity_ids,
                  **{f"static__{c}": records.statics[c].to_numpy() for c in records.statics.columns}}
        if records.start_times is not None:
            arrays["start_times"] = records.start_times.astype("datetime64[ns]")
        if records.sampling_period:
            arrays["sampling_period"] = np.asarray(records.sampling_period)
    elif isinstance(records, ImageSet):
        arrays = {"images": records.images, **{f"meta__{c}": records.metadata[c].to_numpy() for c in records.metadata.columns}}
    else:  # pragma: no cover - a new container must add its writer here
        raise ConfigError(f"no writer for {type(records).__name__}")
    arrays.update({k: np.asarray(v) for k, v in extra.items()})
    np.savez_compressed(path, **{k: (v.astype(str) if v.dtype == object else v) for k, v in arrays.items()})
    return path
