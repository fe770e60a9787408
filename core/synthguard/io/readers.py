"""Read a user's table from CSV or Parquet, with errors that say what is wrong."""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd

from ..errors import DataError

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
#: Numbers written with thousands separators: "1,169", "-12,345.50" (plain numbers may sit beside them).
_GROUPED = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
#: Text that reads as a calendar date in some other form than ISO 8601: 05/01/2020, 5.1.2020, Jan 5 2020, 5 Jan 2020.
_DATE_LIKE = re.compile(r"^(\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}[ -][A-Za-z]{3,9}[ -]\d{2,4}|"
                        r"[A-Za-z]{3,9}[ .-]\d{1,2},?[ ]\d{2,4})([ T]\d{1,2}:\d{2}(:\d{2})?)?$")
#: Non-ISO date layouts read when a column uses exactly one of them unambiguously.
_DATE_FORMATS = ("%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y", "%m-%d-%Y", "%b %d %Y", "%b %d, %Y",
                 "%d %b %Y", "%d-%b-%Y", "%m/%d/%y", "%d/%m/%y")
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
    return _parse_dates(_parse_grouped_numbers(frame, path), path)


def _read_csv(path, shown: Path | None = None) -> pd.DataFrame:
    """``path`` (or a text buffer, named ``shown`` in errors) read as CSV."""
    source, path = path, shown if shown is not None else path
    with csv_errors(path):
        names = csv_header(source, path)
        if hasattr(source, "seek"):
            source.seek(0)
        # in a one-column file a missing value is an empty line: keep it as a row (pandas would drop it)
        return pd.read_csv(source, encoding="utf-8", encoding_errors="strict", low_memory=False,
                           skip_blank_lines=len(names) != 1)


def csv_header(source, path: Path) -> list[str]:
    """The column names of a CSV ``source``; a DataError naming ``path`` if one is repeated."""
    header = pd.read_csv(source, header=None, nrows=1, dtype=str, encoding="utf-8", keep_default_na=False)
    names = [str(v).strip() for v in header.iloc[0]] if len(header) else []
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:  # pandas would rename the second one 'name.1' and model it as another column
        raise DataError(f"data file {str(path)!r} repeats column name(s) {', '.join(map(repr, repeated))} in its "
                        "header: expected each column named once")
    return names


@contextmanager
def csv_errors(path: Path) -> Iterator[None]:
    """pandas' errors while reading the CSV file ``path`` as one DataError that says what is wrong with it."""
    try:
        yield
    except UnicodeDecodeError as err:
        raise DataError(
            f"data file {str(path)!r} is not UTF-8 (byte {err.object[err.start]:#04x} at offset {err.start}): "
            "expected UTF-8 text; re-save it as UTF-8"
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"data file {str(path)!r} is empty: expected a header row and at least one data row") from None
    except pd.errors.ParserError as err:
        raise DataError(f"data file {str(path)!r} is not valid CSV: {str(err).strip()}") from None


def _text_values(series: pd.Series) -> pd.Series | None:
    """The non-missing values of a text column, stripped; None when the column is not all text."""
    if series.dtype != object:
        return None
    values = series.dropna()
    if not len(values) or not values.map(lambda v: isinstance(v, str)).all():
        return None
    return values.str.strip()


def _parse_grouped_numbers(frame: pd.DataFrame, path: Path | None = None) -> pd.DataFrame:
    """Text columns of numbers with thousands separators ("1,169") become numbers, not categories."""
    for col in frame.columns:
        values = _text_values(frame[col])
        if values is None or not values.str.contains(",", regex=False).any():
            continue
        if values.map(lambda v: bool(_GROUPED.match(v))).all():
            numbers = pd.to_numeric(values.str.replace(",", "", regex=False))
            frame[col] = numbers.reindex(frame.index)
    return frame


def _parse_dates(frame: pd.DataFrame, path: Path | None = None) -> pd.DataFrame:
    """ISO-date text columns become datetimes; other date layouts too when one layout reads every value
    unambiguously. Dates in mixed or ambiguous layouts are refused: read as text they would become
    categories that replay exact real dates."""
    for col in frame.columns:
        s = frame[col]
        values = _text_values(s)
        if values is None:
            continue
        if values.map(lambda v: bool(_ISO_DATE.match(v))).all():
            mixed = values.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True).any()
            try:  # UTC offsets (a log across a daylight-saving change: +01:00, then +02:00) are exact instants
                frame[col] = pd.to_datetime(s, format="ISO8601", utc=bool(mixed))
            except (ValueError, TypeError):
                pass  # looks like a date but is not one: keep it as text
        elif values.map(lambda v: bool(_DATE_LIKE.match(v) or _ISO_DATE.match(v))).all():
            frame[col] = _one_date_layout(col, s, values, path)
    return frame


def _one_date_layout(col: str, series: pd.Series, values: pd.Series, path: Path | None) -> pd.Series:
    where = f"data file {str(path)!r}, column {col!r}" if path is not None else f"column {col!r}"
    fits, readable = [], values.map(lambda v: bool(_ISO_DATE.match(v))).to_numpy()
    for fmt in _DATE_FORMATS:
        parsed = pd.to_datetime(values, format=fmt, errors="coerce")
        readable |= parsed.notna().to_numpy()
        if parsed.notna().all():
            fits.append((fmt, parsed))
    if not readable.all():
        return series  # some value is no date in any layout (a version number, a code): text
    distinct = {tuple(p.to_numpy()) for _, p in fits}
    if len(distinct) == 1:
        return fits[0][1].reindex(series.index)
    example = ", ".join(repr(v) for v in values.drop_duplicates().iloc[:2])
    if fits:
        raise DataError(f"{where} holds dates whose day and month order is ambiguous (e.g. {example}: "
                        f"{' or '.join(f for f, _ in fits[:2])}): expected ISO 8601 dates (YYYY-MM-DD)")
    raise DataError(f"{where} holds dates in more than one layout (e.g. {example}): expected one layout, "
                    "ideally ISO 8601 (YYYY-MM-DD)")


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
