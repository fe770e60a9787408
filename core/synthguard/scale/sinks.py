"""Where a chunked run's chunks go: partitions in a directory, or rows appended to database staging tables.

Both are all or nothing. A :class:`DirectorySink` is the run's temporary directory (the workers write their
partitions into it; it becomes ``--out`` when the report is written). A :class:`DatabaseSink` is one
transaction on the target database: the driver appends each chunk the workers return to staging tables and
swaps them in, with the report table, at the end (:meth:`synthguard.io.database.Database.stream`).
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Mapping

from ..io.atomic import atomic_directory
from ..io.database import Database
from ..io.partitioned import partition_name
from ..io.writers import json_default


class DirectorySink:
    """``out/synthetic/part-*.parquet``, ``out/rejected/``, report.json and report.html: written by the workers
    into the run's temporary directory, which appears at ``out`` only when :meth:`finish` ran."""

    writes_on_workers = True

    def __init__(self, out: Path, fmt: str, overwrite: bool):
        self.out, self.fmt, self.overwrite = out, fmt, overwrite
        self._stack = ExitStack()
        self.folder: str | None = None

    def __enter__(self) -> "DirectorySink":
        self.folder = str(self._stack.enter_context(atomic_directory(self.out, overwrite=self.overwrite)))
        return self

    def __exit__(self, *exc) -> bool | None:
        return self._stack.__exit__(*exc)

    def add(self, outcome) -> None:
        """Nothing to do: the worker wrote the chunk's partitions."""

    def where(self, chunks: int) -> dict[str, Any]:
        return {"files": {"synthetic": "synthetic/",
                          "partitions": [partition_name(i, self.fmt) for i in range(min(chunks, 3))]
                          + (["..."] if chunks > 3 else []),
                          "rejected": "rejected/", "report": "report.json", "html": "report.html"}}

    def finish(self, report: dict[str, Any]) -> dict[str, Any]:
        from ..result import write_html_report

        tmp = Path(self.folder)
        (tmp / "rejected").mkdir(exist_ok=True)
        (tmp / "report.json").write_text(json.dumps(report, indent=2, default=json_default))
        write_html_report(tmp, report)
        return report


class DatabaseSink:
    """``NAME``, ``NAME_rejected``, ``NAME_report`` in the target database: each chunk the workers return is
    appended by this (the driver) process to staging tables inside one transaction, swapped in by :meth:`finish`."""

    writes_on_workers = False
    folder = None

    def __init__(self, target: Database, kinds: Mapping[str, str], overwrite: bool):
        self.target, self.kinds, self.overwrite = target, dict(kinds), overwrite
        self._stack = ExitStack()
        self.staging = None

    def __enter__(self) -> "DatabaseSink":
        self.staging = self._stack.enter_context(self.target.stream(self.kinds, self.overwrite))
        return self

    def __exit__(self, *exc) -> bool | None:
        return self._stack.__exit__(*exc)

    def add(self, outcome) -> None:
        """Append the chunk's rows (then let them go: the driver holds one chunk at a time)."""
        self.staging.append("synthetic", outcome.records)
        if outcome.rejected_rows is not None and len(outcome.rejected_rows):
            self.staging.append("rejected", outcome.rejected_rows)
        outcome.records = outcome.rejected_rows = None

    def where(self, chunks: int) -> dict[str, Any]:
        return {"tables": {"database": self.target.display_url, **self.target.tables()}}

    def finish(self, report: dict[str, Any]) -> dict[str, Any]:
        from ..quality.html import render_html

        report = json.loads(json.dumps(report, default=json_default))  # what the JSON column holds
        self.staging.finish(report, render_html(report))
        return report
