"""What a run delivers (:class:`Result`) and how it is written: ``synthetic.*``, ``rejected.*``, ``report.json``,
``report.html`` and the plugins' extra files, all or nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .contract import CheckContext
from .data import Records, Table
from .errors import ConfigError, DataError
from .io.atomic import atomic_directory
from .io.writers import FORMATS, json_default, write_records

#: Version of report.json's layout.
REPORT_VERSION = 1


@dataclass
class Result:
    """What a run delivers. ``records`` passed every check; ``rejected`` holds the rest with reasons."""

    records: Records
    rejected: Records | None
    rejected_info: pd.DataFrame
    report: dict[str, Any]
    writers: Sequence[Any] = ()
    context: CheckContext | None = None

    @property
    def data(self) -> pd.DataFrame:
        """The synthetic table (tables only)."""
        if not isinstance(self.records, Table):
            raise TypeError(f"{type(self.records).__name__} has no single DataFrame: use .records")
        return self.records.frame

    def save(self, out: str | Path, fmt: str = "parquet", overwrite: bool = False) -> Path:
        """Write ``synthetic.*``, ``rejected.*`` and ``report.json`` to ``out`` — all or nothing."""
        if fmt not in FORMATS:
            raise ConfigError(f"unknown output format {fmt!r}: expected one of {', '.join(FORMATS)}")
        with atomic_directory(out, overwrite=overwrite) as tmp:
            synthetic = write_records(self.records, tmp / "synthetic", fmt)
            if self.rejected is not None and len(self.rejected):
                extra = {f"_{c}": self.rejected_info[c].to_numpy() for c in self.rejected_info.columns}
                rejected = write_records(self.rejected, tmp / "rejected", fmt, extra=extra)
            else:  # none rejected: the same file as when some are, with no records
                empty = np.array([], dtype=object)
                rejected = write_records(self.records, tmp / "rejected", fmt, empty=True,
                                         extra={"_stage": empty, "_checks": empty, "_reason": empty})
            report = dict(self.report)
            report["files"] = {"synthetic": synthetic.name, "rejected": rejected.name, "report": "report.json",
                               "html": "report.html"}
            if self.writers:  # plugins' extra formats (register_writers), inside the same all-or-nothing directory
                report["files"]["writers"] = {w.name: list(w.write(self.records, tmp, self.context))
                                              for w in self.writers}
            (tmp / "report.json").write_text(json.dumps(report, indent=2, default=json_default))
            write_html_report(tmp, report)
        self.report = report
        return Path(out)


def write_html_report(directory: Path, report: dict[str, Any] | None = None) -> Path:
    """(Re-)render ``report.html`` in ``directory`` from its ``report.json`` (or the given dict)."""
    from .quality.html import render_html

    if report is None:
        path = Path(directory) / "report.json"
        if not path.is_file():
            raise DataError(f"{str(path)!r} not found: expected an output directory written by generate/sample")
        report = json.loads(path.read_text())
    report = json.loads(json.dumps(report, default=json_default))
    out = Path(directory) / "report.html"
    out.write_text(render_html(report), encoding="utf-8")
    return out


def write_report(out: str | Path, report: dict[str, Any], overwrite: bool = False) -> Path:
    """``report.json`` and ``report.html`` alone (``synthguard evaluate --out``), all or nothing."""
    with atomic_directory(out, overwrite=overwrite) as tmp:
        (tmp / "report.json").write_text(json.dumps(report, indent=2, default=json_default))
        write_html_report(tmp, report)
    return Path(out)
