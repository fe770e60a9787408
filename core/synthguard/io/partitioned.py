"""Partitioned output: ``synthetic/part-00000.parquet``, ``part-00001.parquet``... one file per chunk.

Each partition is written under a hidden name and renamed into place, so a partition file that exists is
complete; a chunk run twice (a retried Dask task) writes the same bytes to the same name. The folder itself
sits inside the run's temporary output directory (:func:`synthguard.io.atomic.atomic_directory`): the
dataset appears only when every partition passed and the report is written.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import Table
from ..errors import DataError, OutputError
from .writers import FORMATS, free_name, write_frame

#: Digits of a partition's number: part-00000 ... part-99999 sort in chunk order.
DIGITS = 5


def partition_name(index: int, fmt: str) -> str:
    return f"part-{index:0{DIGITS}d}.{fmt}"


def write_partition(table: Table, folder: Path, index: int, fmt: str = "parquet",
                    extra: dict[str, np.ndarray] | None = None) -> Path:
    """Write chunk ``index`` of ``table`` as ``folder/part-NNNNN.fmt`` (complete or absent, never half)."""
    if fmt not in FORMATS:
        raise OutputError(f"unknown output format {fmt!r}: expected one of {', '.join(FORMATS)}")
    frame = table.frame.reset_index(drop=True)
    if extra:
        frame = frame.copy()
        for key, values in extra.items():
            frame[free_name(key, frame.columns)] = values
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / partition_name(index, fmt)
    stem = folder / f".{final.stem}-writing-{os.getpid()}-{threading.get_ident()}"
    try:
        written = write_frame(frame, stem, fmt)
        os.replace(written, final)
    except OSError as err:
        for left in folder.glob(f"{stem.name}*"):
            left.unlink(missing_ok=True)
        raise OutputError(f"partition {str(final)!r} could not be written: {err.strerror or err}") from None
    return final


def partitions(folder: str | Path) -> list[Path]:
    """The complete partitions of ``folder``, in chunk order."""
    folder = Path(folder)
    return sorted(p for p in folder.glob("part-*") if p.suffix.lstrip(".") in FORMATS)


def read_partitioned(folder: str | Path) -> pd.DataFrame:
    """All partitions of ``folder`` as one DataFrame (fine for tests and small outputs; use Dask or pyarrow for big)."""
    parts = partitions(folder)
    if not parts:
        raise DataError(f"{str(folder)!r} holds no part-*.parquet/csv: expected a chunked run's synthetic/ folder")
    read = {".parquet": pd.read_parquet, ".csv": pd.read_csv}
    return pd.concat([read[p.suffix](p) for p in parts], ignore_index=True)
