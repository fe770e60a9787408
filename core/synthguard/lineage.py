"""What a run's real data was, for the report and the bundle, without naming it.

A report, its HTML page and a bundle's manifest are handed to other people; the path of the data they
were made from is not theirs to read. A DICOM folder named after a patient (``/data/Doe_John_MRN12345/``)
or ``loans_for_customer_X.csv`` would name the person. So the lineage (``report.json``
``lineage.data_source``, the manifest's ``fit.source`` and ``fit.trainings[*].source``) records what the
data *is*, never where it lives:

* ``kind``: ``file``, ``folder`` (images), ``database``, ``reference dataset`` or ``in memory``;
* ``format``: ``csv``, ``csv.gz``, ``parquet``, ``npz``; a folder's file types and their counts; a
  database's dialect;
* ``records`` (rows, recordings or images) and, for tables, ``column_count``;
* ``fingerprint``: :meth:`Records.fingerprint` of the records as read (sha256 over their sorted record
  hashes, the fingerprint :mod:`synthguard.trainings` records per training): two runs on the same data
  carry the same one, whatever the file was called or whether it was CSV or Parquet. Compute it for a file
  at hand with ``sg.Engine().to_records("loans.csv").fingerprint()``;
* a reference dataset's ``dataset`` name and licence (public data: its name is what identifies it);
* a database's table name (a schema name, like the column names the output carries anyway) or the
  ``query_sha256`` of its query (a query may hold literal values such as a customer's id), and the column
  kinds it read. Not its URL, even redacted: a SQLite/DuckDB URL is a file path, and a server URL names a
  user account, a host and a database the data's owner did not choose to share.

``source`` keeps its ``kind:detail`` form for readers of earlier reports (``file:csv``, ``folder:dicom``,
``database:postgresql``, ``dataset:german_credit``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from .data import Records, Table
from .io.database import Database, as_source
from .io.sampled import SampledSource

__all__: list[str] = []  # core-internal


def _file_format(path: Path) -> str:
    name = path.name.lower()
    for suffix in (".csv.gz", ".csv", ".parquet", ".pq", ".npz"):
        if name.endswith(suffix):
            return suffix.lstrip(".")
    return "unknown"


def _folder_formats(path: Path) -> dict[str, int]:
    """How many image files of each type the folder holds (what :func:`synthguard.io.images.read_images` read)."""
    from .io.images import _is_dicom, _list_images

    counts: dict[str, int] = {}
    for p in _list_images(path):
        kind = "dicom" if _is_dicom(p) else p.suffix.lower().lstrip(".").replace("jpeg", "jpg")
        counts[kind] = counts.get(kind, 0) + 1
    return dict(sorted(counts.items()))


def _contents(records: Records) -> dict[str, Any]:
    out: dict[str, Any] = {"records": len(records)}
    if isinstance(records, Table):
        out["column_count"] = len(records.meta.names)
    out["fingerprint"] = records.fingerprint()
    return out


def describe(data: Any, records: Records, notes: Any = None) -> dict[str, Any]:
    """The lineage of ``records`` read from ``data`` (a path, database or in-memory object): no path, no URL."""
    data = as_source(data)
    if isinstance(data, SampledSource):  # what was sampled, and how much of it was kept
        return {**describe(data.source, records, notes), "sample": dict(data.info)}
    if isinstance(data, Database):
        fmt = data.url.get_backend_name()
        where = {"table": data.table} if data.table else {
            "query_sha256": hashlib.sha256(str(data.query).encode()).hexdigest()}
        return {"source": f"database:{fmt}", "kind": "database", "format": fmt, **where,
                "columns": dict(data.columns_ or {}),  # the kinds read (io.database.source_kinds)
                **_contents(records), **({"preparation": notes} if notes else {})}
    if isinstance(data, (str, Path)):
        path = Path(data)
        if path.is_dir():
            formats = _folder_formats(path)
            fmt = "+".join(formats) or "unknown"
            described = {"source": f"folder:{fmt}", "kind": "folder", "format": fmt, "files": formats}
        else:
            fmt = _file_format(path)
            described = {"source": f"file:{fmt}", "kind": "file", "format": fmt}
    else:
        described = {"source": type(data).__name__, "kind": "in memory", "format": type(data).__name__}
    return {**described, **_contents(records), **({"preparation": notes} if notes else {})}


def reference_dataset(name: str, licence: str | None, records: Records) -> dict[str, Any]:
    """The lineage of a registered reference dataset: public, so named."""
    return {"source": f"dataset:{name}", "kind": "reference dataset", "dataset": name, "licence": licence,
            **_contents(records)}
