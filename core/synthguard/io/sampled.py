"""A uniform sample of a table too big for memory, kept while the file or database streams past in batches.

:class:`SampledSource` wraps a CSV/Parquet path or a :class:`~synthguard.Database` source and reads ``rows``
rows of it — or every row of a uniform sample of its entities (people, devices) when an entity column is
given — holding at most about twice the sample plus one batch in memory, never the whole table::

    sg.generate("finance", 10_000, data=sg.SampledSource("loans.parquet", rows=1_000_000), out="out/")
    synthguard generate finance --data loans.parquet --data-sample 1000000 --rows 10000 --out out/

Why a sample and not epochs streamed over the whole table: a generator's fidelity stops improving long before a
warehouse runs out of rows (``benchmarks/README.md``, "fit time against rows"), and the run's split, gate, metrics
and audit all need the training records at hand; MOSTLY AI's engine samples its training records the same way
(``max_training_records``). Rows outside the sample are never read into the model.

The selection is a bottom-k sample: every unit (a row, or an entity's value) gets a key from a seeded hash of its
position in the stream (of its value, for entities), and the sample is the units with the smallest keys. So it is
uniform without replacement, the same seed picks the same rows whatever the batch size, and an entity's rows are
kept or left out together (the threshold only falls, so an entity below the final one never lost a row).
"""

from __future__ import annotations

import io
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError

#: Rows read per batch from a file (a database reads its own ``CHUNK_ROWS``).
BATCH_ROWS = 65_536
_MASK53 = np.uint64((1 << 53) - 1)


def _mix(values: np.ndarray, seed: int) -> np.ndarray:
    """splitmix64 of ``values`` (uint64) salted by ``seed``, as floats in [0, 1): one key per unit."""
    with np.errstate(over="ignore"):
        z = values.astype(np.uint64) + np.uint64((seed * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) % (1 << 64))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return ((z >> np.uint64(11)) & _MASK53).astype(np.float64) / float(1 << 53)


def _entity_codes(series: pd.Series) -> np.ndarray:
    """A uint64 per value that does not depend on the batch's dtype (an id read as 7 in one batch, 7.0 in another)."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        numbers = pd.to_numeric(series, errors="coerce").astype("float64")
        whole = (numbers % 1 == 0).to_numpy()
        text = numbers.astype(str).to_numpy(object)
        text[whole] = numbers[whole].astype("int64").astype(str).to_numpy(object)
        text = pd.Series(text, dtype=object)
    else:
        text = series.astype(str)
    return pd.util.hash_pandas_object(text, index=False).to_numpy(np.uint64)


@dataclass
class BottomK:
    """Keeps the units with the ``rows`` smallest keys (a unit: a row, or all rows of one entity) as batches arrive."""

    rows: int
    seed: int = 0
    entity: str | None = None
    seen: int = 0
    batches: int = 0
    on_batch: Callable[[int], None] | None = None  # told the rows seen so far after every batch (progress)
    _parts: list[pd.DataFrame] = field(default_factory=list)
    _held: int = 0
    _threshold: float = np.inf

    def offer(self, batch: pd.DataFrame) -> None:
        positions = np.arange(self.seen, self.seen + len(batch), dtype=np.uint64)
        self.seen += len(batch)
        self.batches += 1
        if self.entity is not None:
            if self.entity not in batch.columns:
                names = ", ".join(map(str, batch.columns[:8])) + (", ..." if len(batch.columns) > 8 else "")
                raise DataError(f"entity column {self.entity!r} is not in the data: expected one of its columns "
                                f"({names})")
            keys = _mix(_entity_codes(batch[self.entity]), self.seed)
        else:
            keys = _mix(positions, self.seed)
        keep = keys <= self._threshold
        if self.on_batch is not None:
            self.on_batch(self.seen)
        if not keep.any():
            return
        part = batch.loc[keep].copy()
        part["__key"], part["__pos"] = keys[keep], positions[keep]
        self._parts.append(part)
        self._held += len(part)
        if self._held > 2 * self.rows:
            self._tighten()

    def _tighten(self) -> None:
        if len(self._parts) > 1:
            with warnings.catch_warnings():  # a batch whose column is all missing: its dtype must not decide
                warnings.simplefilter("ignore", FutureWarning)
                held = pd.concat(self._parts, ignore_index=True)
        else:
            held = self._parts[0]
        sizes = held.groupby("__key", sort=True).size()
        reach = np.searchsorted(sizes.cumsum().to_numpy(), self.rows)  # the first unit whose rows complete the sample
        if reach < len(sizes):
            self._threshold = float(sizes.index[reach])
            held = held[held["__key"] <= self._threshold]
        self._parts, self._held = [held], len(held)

    def result(self) -> pd.DataFrame:
        if not self._parts:
            raise DataError("the data has no rows: expected at least one")
        self._tighten()
        frame = self._parts[0].sort_values("__pos", kind="stable")
        units = frame["__key"].nunique()
        self.info = {"rows": len(frame), "of_rows": self.seen, "unit": f"entity column {self.entity!r}"
                     if self.entity is not None else "row", "units": int(units), "batches": self.batches,
                     "seed": self.seed, "method": "bottom-k of seeded hash keys: uniform, without replacement"}
        return frame.drop(columns=["__key", "__pos"]).reset_index(drop=True)


@dataclass
class SampledSource:
    """``rows`` rows of ``source`` (a CSV/Parquet path or a :class:`~synthguard.Database`), read in batches.

    ``entity`` names a column whose values are people (or devices, recordings): then the sample is whole
    entities, as many as it takes to reach ``rows`` rows; without it, the entity column the run declares
    (``--entity-column``) is used. After :meth:`read`, ``info`` says what was kept of how much.
    """

    source: Any
    rows: int
    seed: int = 0
    entity: str | None = None
    batch_rows: int = BATCH_ROWS
    progress: bool = False  # a live count of the rows read (the CLI: when stderr is a terminal)
    info: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.rows, bool) or not isinstance(self.rows, (int, np.integer)) or self.rows < 1:
            raise ConfigError(f"data sample of {self.rows!r} rows: expected a whole number of rows, at least 1")
        from .database import Database, as_source

        self.source = as_source(self.source)
        if not isinstance(self.source, (str, Path, Database)):
            raise ConfigError(f"a data sample reads a CSV/Parquet file or a database table as it streams: got "
                              f"{type(self.source).__name__} (a DataFrame is already in memory: use df.sample)")

    def read(self, entity: str | None = None) -> pd.DataFrame:
        """The sample, typed as a whole read of the source would be (dates, grouped numbers, database kinds)."""
        from .database import Database
        from .readers import _parse_dates, _parse_grouped_numbers

        keeper = BottomK(int(self.rows), self.seed, self.entity or entity)
        if isinstance(self.source, Database):
            with _shown(self.progress, f"sampling {self.rows:,} rows of {self.source}", None) as keeper.on_batch:
                frame = self.source.read(sample=keeper)
            self.info = keeper.info
            return frame
        path = Path(self.source)
        if not path.is_file():
            raise DataError(f"data file {str(path)!r} not found: expected a CSV or Parquet file")
        lower = path.name.lower()
        if lower.endswith((".parquet", ".pq")):
            batches, total, typed = _parquet_batches(path, self.batch_rows), _parquet_rows(path), None
        elif lower.endswith((".csv", ".csv.gz", ".txt")):
            batches, total, typed = _csv_batches(path, self.batch_rows), None, _retyped_csv
        else:
            raise DataError(f"data file {str(path)!r} cannot be sampled as it streams: expected CSV or Parquet")
        with _shown(self.progress, f"sampling {self.rows:,} rows of {path.name}", total) as keeper.on_batch:
            for batch in batches:
                keeper.offer(batch)
        frame = keeper.result() if typed is None else typed(keeper.result(), path)
        self.info = keeper.info
        return _parse_dates(_parse_grouped_numbers(frame, path), path)


@contextmanager
def _shown(progress: bool, description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A live count of the rows read (a bar where the total is known): yields the callback that updates it."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = [TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,} rows read"),
               TimeElapsedColumn()]
    with Progress(*columns, disable=not progress, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda seen: bar.update(task, completed=seen)


def _parquet_rows(path: Path) -> int | None:
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path).metadata.num_rows
    except (OSError, ValueError):
        return None  # the read itself names the problem


def _parquet_batches(path: Path, batch_rows: int) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        for batch in parquet.iter_batches(batch_size=batch_rows):
            yield batch.to_pandas()
    except (OSError, ValueError) as err:
        raise DataError(f"data file {str(path)!r} is not readable Parquet: {err}") from None


def _csv_batches(path: Path, batch_rows: int) -> Iterator[pd.DataFrame]:
    """Raw text cells (nothing inferred per batch: a column's type is decided on the sample, as on a whole read)."""
    from .readers import csv_errors, csv_header

    with csv_errors(path):
        names = csv_header(path, path)
        yield from pd.read_csv(path, chunksize=batch_rows, dtype=str, keep_default_na=False, na_filter=False,
                               encoding="utf-8", encoding_errors="strict", skip_blank_lines=len(names) != 1)


def _retyped_csv(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The sampled text cells read back as CSV, so each column gets the type a whole read would give it."""
    from .readers import _read_csv

    text = io.StringIO()
    frame.to_csv(text, index=False)
    text.seek(0)
    return _read_csv(text, shown=path)
