"""What ``explain`` reads: an output directory (synthetic + rejected + report.json) or a model bundle, the real
data the generator learned from (found from report.json, the bundle's dataset, or ``--data``), and the model
when it is at hand. Everything is checked before anything is sampled or written."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..bundle import MANIFEST
from ..contract import Generator
from ..data import SequenceSet, Table, TableMeta, holdout_split, restore_types
from ..errors import BundleError, ConfigError, DataError
from ..io.readers import read_table
from ..quality.html import read_report

if TYPE_CHECKING:  # pragma: no cover
    from ..engine import Engine


@dataclass
class Inputs:
    """One explanation's material: the delivered and rejected records, the real split, the model if any."""

    directory: Path
    report: dict[str, Any]
    synthetic: Table
    rejected: pd.DataFrame | None
    train: Table
    holdout: Table | None
    model: Generator | None
    notes: list[str] = field(default_factory=list)

    @property
    def target(self) -> str | None:
        return (self.report.get("data") or {}).get("target")


def kind_of(path: str | Path) -> str:
    """``"output"`` (has report.json), ``"bundle"`` (has manifest.json), or one DataError saying what is wrong."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{str(path)!r} not found: expected an output directory (generate/sample --out) or a model "
                        "bundle (fit --out)")
    if not path.is_dir():
        raise DataError(f"{str(path)!r} is a file: expected an output directory (generate/sample --out) or a model "
                        "bundle (fit --out)")
    if (path / "report.json").is_file():
        return "output"
    if (path / MANIFEST).is_file():
        return "bundle"
    raise DataError(f"{str(path)!r} holds neither report.json nor {MANIFEST}: expected an output directory "
                    "(generate/sample --out) or a model bundle (fit --out)")


#: What explain reads per modality: the container, what to call the real data, and the expected kind in words.
_REAL = {"table": (Table, "the table", "explain reads tables"),
         "sequence": (SequenceSet, "the recordings", "expected sequences, as the output holds")}


def real_data(engine: "Engine", data: Any, source: dict[str, Any], split: dict[str, Any] | None,
              where: str, modality: str = "table", sequence_format: Any = None) -> tuple[Any, Any, list[str]]:
    """The real records (``data``, else the recorded reference dataset) cut into the recorded training/holdout
    split: a table, or recordings with ``modality="sequence"``. ``data`` is read as the run read it (its
    lineage's ``read_as``: a table's people column, a sensor log's format) unless ``sequence_format`` is given."""
    container, noun, expected = _REAL[modality]
    notes = []
    if data is not None:
        from ..engine import read_as

        records = engine.to_records(data, "real", modality=None if modality == "table" else modality,
                                    sequence_format=read_as(source, sequence_format))
        notes.append("real data: as given (--data)")  # its name could name a person (synthguard.lineage)
    elif source.get("dataset"):
        records = engine.dataset(source["dataset"]).load()
        notes.append(f"real data: reference dataset {source['dataset']!r}, as recorded")  # `where` is a user's path
    else:
        raise ConfigError(f"{where} does not name the real data (source {source.get('source', 'unknown')!r}): "
                          f"expected --data REAL, {noun} the generator learned from")
    if not isinstance(records, container):
        raise DataError(f"the real data is {records.modality} data: {expected}")
    if split and split.get("fraction"):
        train, hold = holdout_split(records, float(split["fraction"]), seed=int(split.get("seed", 0)))
        notes.append(f"split as the run split it: {len(train)} training, {len(hold) if hold is not None else 0} "
                     f"holdout records (fraction {split['fraction']}, seed {split.get('seed', 0)})")
    else:
        train, hold = records, None
        notes.append("no holdout recorded: every real record counts as training data")
    return train, hold, notes


def _read(path: Path) -> pd.DataFrame:
    """A written table; from CSV with the ``'`` that neutralised formula-like cells and names taken off again."""
    frame = read_table(path)
    if path.suffix.lower() != ".csv":
        return frame

    def undo(v: Any) -> Any:
        return v[1:] if isinstance(v, str) and v.startswith("'") and v[1:2] in ("=", "+", "-", "@") else v

    frame.columns = [undo(c) for c in frame.columns]
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].map(undo)
    return frame


def _restrict(real: Table, names: list[str]) -> Table:
    """Real records with the columns the synthetic data has (value protection drops identifier columns)."""
    missing = [c for c in names if c not in real.meta.names]
    if missing:
        raise DataError(f"the real data lacks the synthetic data's column(s) {missing}: expected the table the "
                        "generator learned from")
    meta = TableMeta(name=real.meta.name, columns=[real.meta.column(c) for c in names])
    return Table(real.frame[names], meta, real.entities, real.entity_name)


def _bundle_for(engine: "Engine", report: dict[str, Any], model: Any, source: dict[str, Any]) -> tuple[Generator | None, str]:
    gen = report.get("generator") or {}
    want = gen.get("bundle_sha256")
    if model is not None:
        loaded = model if isinstance(model, Generator) else engine.load(model)
        have = getattr(loaded, "bundle_sha256_", None)
        if want and have and have != want:
            raise BundleError(f"model bundle sha256 {have[:12]}… did not make this output (report.json names "
                              f"{want[:12]}…): expected the bundle the run sampled from")
        return loaded, "model: the given bundle"
    lineage = report.get("lineage") or {}
    if lineage.get("pretrained") and source.get("dataset"):
        path = engine.dataset(source["dataset"]).bundles().get(gen.get("name"))
        if path is not None:
            loaded = engine.load(path)
            if getattr(loaded, "bundle_sha256_", None) == want:
                return loaded, f"model: the pretrained {gen.get('name')} bundle of {source['dataset']}"
    return None, ("model: not at hand (an output does not hold its model): pass --model BUNDLE, the bundle "
                  "'fit' or 'generate --save-model' wrote, for what the model learned")


def from_output(engine: "Engine", directory: str | Path, data: Any = None, model: Any = None,
                sequence_format: Any = None) -> Inputs:
    """Everything ``explain`` needs about an output directory written by generate/sample."""
    directory = Path(directory)
    report = read_report(directory)
    if report.get("modality", "table") != "table":
        raise DataError(f"{str(directory)!r} holds {report.get('modality')} records: explain reads tables")
    files = report.get("files") or {}
    syn_path = directory / str(files.get("synthetic", "synthetic.parquet"))
    if not syn_path.is_file():
        raise DataError(f"{str(syn_path)!r} not found: expected the synthetic table its report.json names")
    lineage, fit = report.get("lineage") or {}, (report.get("generator") or {}).get("fit") or {}
    source = lineage.get("data_source") or fit.get("source") or {}
    train, hold, notes = real_data(engine, data, source, lineage.get("holdout") or fit.get("holdout"),
                                   f"{str(directory)!r}/report.json", sequence_format=sequence_format)
    frame = _read(syn_path)
    trained_on = train.fingerprint()
    train = _restrict(train, [c for c in frame.columns])
    hold = _restrict(hold, train.meta.names) if hold is not None else None
    synthetic = Table(restore_types(frame, train.meta), train.meta)
    rejected = None
    rej_path = directory / str(files.get("rejected", ""))
    if files.get("rejected") and rej_path.is_file():
        rejected = _read(rej_path)
        rejected = restore_types(rejected, train.meta) if len(rejected) else rejected
    fingerprint = fit.get("source_fingerprint", fit.get("data_fingerprint"))
    if fingerprint and fingerprint != trained_on:
        notes.append("the real training records differ from those the model was fitted on (fingerprint): "
                     "comparisons are against the data given, not what the model saw")
    loaded, how = _bundle_for(engine, report, model, source)
    return Inputs(directory, report, synthetic, rejected, train, hold, loaded, [*notes, how])
