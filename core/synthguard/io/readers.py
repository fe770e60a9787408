"""Read a user's table from CSV or Parquet, with errors that say what is wrong."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..errors import DataError

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq")


def read_table(path: str | Path) -> pd.DataFrame:
    """Load ``path`` (CSV, gzipped CSV or Parquet) into a DataFrame; ISO-date text columns become datetimes."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"data file {str(path)!r} not found: expected a CSV or Parquet file")
    if path.is_dir():
        raise DataError(f"data path {str(path)!r} is a directory: expected a CSV or Parquet file")
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        try:
            frame = pd.read_parquet(path)
        except Exception as err:
            raise DataError(f"data file {str(path)!r} is not readable Parquet: {err}") from None
    elif name.endswith((".csv", ".csv.gz", ".txt")):
        frame = _read_csv(path)
    else:
        raise DataError(f"data file {str(path)!r} has an unknown type: expected one of {', '.join(SUFFIXES)}")
    return _parse_dates(frame)


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, encoding="utf-8", encoding_errors="strict", low_memory=False)
    except UnicodeDecodeError as err:
        raise DataError(
            f"data file {str(path)!r} is not UTF-8 (byte {err.object[err.start]:#04x} at offset {err.start}): "
            "expected UTF-8 text; re-save it as UTF-8"
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"data file {str(path)!r} is empty: expected a header row and at least one data row") from None
    except pd.errors.ParserError as err:
        raise DataError(f"data file {str(path)!r} is not valid CSV: {str(err).strip()}") from None


def _parse_dates(frame: pd.DataFrame) -> pd.DataFrame:
    for col in frame.columns:
        s = frame[col]
        if s.dtype != object:
            continue
        values = s.dropna()
        if len(values) and values.map(lambda v: isinstance(v, str) and bool(_ISO_DATE.match(v))).all():
            mixed = values.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True).any()
            try:  # UTC offsets (a log across a daylight-saving change: +01:00, then +02:00) are exact instants
                frame[col] = pd.to_datetime(s, format="ISO8601", utc=bool(mixed))
            except (ValueError, TypeError):
                pass  # looks like a date but is not one: keep it as text
    return frame


def read_sequences(path: str | Path, fmt=None):
    """A sensor log as (SequenceSet, notes): long-format CSV/Parquet, or NPZ arrays as ``synthguard`` writes them.

    NPZ holds ``values`` (entities, steps, channels), optional ``channels``,
    ``entity_ids``, ``start_times`` (datetime64), ``sampling_period`` (seconds)
    and ``static__<name>`` arrays (one value per entity).
    """
    from ..sequences import SequenceFormat, apply_window, from_long_frame

    fmt = fmt or SequenceFormat()
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file {str(path)!r} not found: expected an NPZ, CSV or Parquet sensor log")
    if path.name.lower().endswith(".npz"):
        return apply_window(_read_npz(path), fmt)
    return from_long_frame(read_table(path), fmt)


def load_npz(path: Path) -> dict:
    """Every array of an NPZ file, refusing pickled objects; DataError naming the file if it cannot be read."""
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except Exception as err:
        raise DataError(f"data file {str(path)!r} is not a readable NPZ without pickles: {err}") from None


def _read_npz(path: Path):
    from ..data import SequenceSet

    arrays = load_npz(path)
    if "values" not in arrays:
        raise DataError(f"NPZ {str(path)!r} has arrays {sorted(arrays)}: expected 'values' (entities, steps, channels)")
    values = arrays["values"]
    if values.ndim == 2:
        values = values[:, :, None]
    channels = [str(c) for c in arrays.get("channels", [f"channel_{i}" for i in range(values.shape[-1])])]
    statics = {k.removeprefix("static__"): v for k, v in arrays.items() if k.startswith("static__")}
    frame = pd.DataFrame(statics) if statics else None
    period = float(arrays["sampling_period"]) if "sampling_period" in arrays else None
    return SequenceSet(values, channels, frame, entity_ids=arrays.get("entity_ids"), sampling_period=period,
                       start_times=arrays.get("start_times"))
