"""The three record containers every plugin speaks: Table, SequenceSet, ImageSet.

A container is a set of *records* (a row, a recording, an image). The pipeline
only needs the operations of :class:`Records` — length, take, concat and a
per-record hash — so validators, privacy filters and resampling work the same
way for every modality. Each container validates itself on construction and
raises :class:`~synthguard.errors.DataError` naming the offending column,
channel or field.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from enum import Enum
from typing import Any, ClassVar, Sequence

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from .errors import DataError

#: Bumped when the JSON form of the metadata below changes incompatibly.
METADATA_SPEC_VERSION = 1


class Records(ABC):
    """What the pipeline needs from any container of records."""

    modality: ClassVar[str]

    @property
    @abstractmethod
    def meta(self) -> BaseModel:
        """Pydantic metadata learned from the records (stored in bundles as JSON)."""

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def take(self, indices: np.ndarray | Sequence[int]) -> "Records":
        """A new container holding the records at ``indices`` (positions, in order)."""

    @classmethod
    @abstractmethod
    def concat(cls, parts: Sequence["Records"]) -> "Records":
        """Records of ``parts`` one after the other (all of this class, same schema)."""

    @abstractmethod
    def record_hashes(self) -> np.ndarray:
        """One uint64 per record; equal records give equal hashes (used by exact-copy checks)."""

    #: What one group of :meth:`groups` is, as the split, audit and report name it ("patient" for images).
    entity_name: ClassVar[str] = "entity"
    #: Fewest groups for :func:`entity_groups` to honour them; a container whose groups are always the unit says 1.
    min_groups: ClassVar[int | None] = None

    def groups(self) -> np.ndarray | None:
        """Which records belong together (windows of one stream); None when each record stands alone."""
        return None

    def fingerprint(self) -> str:
        """sha256 over the sorted record hashes: identifies a training set without holding it."""
        hashes = np.sort(self.record_hashes().astype(np.uint64))
        return hashlib.sha256(hashes.tobytes()).hexdigest()


def numeric_values(series: pd.Series, kind: "ColumnKind | str") -> np.ndarray:
    """A numeric or datetime column as float64 (datetimes as ns since epoch); missing values are NaN."""
    if ColumnKind(kind) is ColumnKind.datetime:
        stamps = pd.to_datetime(series, errors="coerce")
        out = stamps.to_numpy(dtype="datetime64[ns]").view("int64").astype("float64")
        out[stamps.isna().to_numpy()] = np.nan
        return out
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def text_values(series: pd.Series, missing: Any = None) -> pd.Series:
    """Each value as ``str(value)`` (object dtype), missing values as ``missing``; vectorised, the gate runs it
    on every sampled row. Nullable integers read as "1", not "1.0" (``Series.map`` would pass them as floats)."""
    return series.astype(str).astype(object).where(series.notna().to_numpy(), missing)


#: Fewer distinct groups than this (one long stream cut into days) and records are their own units.
MIN_GROUPS = 5


#: ``--entity-column @row``: a table whose every row is a different person (a survey, a register). Without it identical
#: rows may be one person's repeats, so the gate withholds every copy of a training record; with it a record at least
#: k people share points to none of them and is kept (``CheckContext.shared_records``).
ROW_ENTITIES = "@row"


def entity_groups(records: Records) -> np.ndarray | None:
    """The entity of each record when records group into at least :data:`MIN_GROUPS` entities, else None.

    The one rule for the holdout split and the audit: with fewer groups (one long stream cut into days)
    each record is its own unit.
    """
    groups = records.groups()
    least = MIN_GROUPS if records.min_groups is None else records.min_groups
    if groups is None or len(np.unique(groups)) < least:
        return None
    return np.asarray(groups)


def shared_by_people(parts: list[Records], k: int) -> np.ndarray:
    """Hashes of the records at least ``k`` distinct entities hold over ``parts`` (training, holdout), for the gate
    (``CheckContext.shared_records``) and the audit's exact copies alike; empty unless every part carries entity ids."""
    ids = [entity_groups(p) for p in parts]
    if not parts or any(i is None for i in ids):
        return np.array([], dtype=np.uint64)
    held = pd.DataFrame({"hash": np.concatenate([p.record_hashes() for p in parts]),
                         "person": np.concatenate([np.asarray(i).astype(str) for i in ids])})
    counts = held.drop_duplicates()["hash"].value_counts()
    return counts.index[counts >= k].to_numpy(dtype=np.uint64)


def holdout_split(records: Records, fraction: float, seed: int = 0) -> tuple[Records, Records | None]:
    """Split off ``fraction`` of the records (seeded) as real data the generator never sees.

    The holdout is what privacy and utility are measured against: distances of
    synthetic records to training records mean little without the distances of
    unseen real records beside them.
    """
    if not 0 <= fraction < 1:
        raise DataError(f"holdout fraction {fraction}: expected a number in [0, 1)")
    n_hold = int(round(len(records) * fraction))
    if n_hold == 0:
        return records, None
    if len(records) - n_hold < 2:
        raise DataError(f"{len(records)} records are too few to hold out {fraction:.0%}: expected more data or --holdout 0")
    rng = np.random.default_rng(seed)
    groups = entity_groups(records)
    if groups is not None:
        # windows of one stream overlap and resemble each other: a stream goes wholly to one side
        names, inverse = np.unique(groups, return_inverse=True)
        held_groups, count = [], 0
        for g in rng.permutation(len(names)):
            if count >= n_hold:
                break
            held_groups.append(g)
            count += int((inverse == g).sum())
        held = np.isin(inverse, held_groups)
        if (~held).sum() < 2:
            raise DataError(f"{len(names)} {records.entity_name}s are too few to hold out {fraction:.0%}: expected more data or --holdout 0")
        return records.take(np.flatnonzero(~held)), records.take(np.flatnonzero(held))
    perm = rng.permutation(len(records))
    return records.take(np.sort(perm[n_hold:])), records.take(np.sort(perm[:n_hold]))


#: Fewest held-out records, unseen in training, the near-copy and NNDR filters calibrate on; as many distinct
#: records must remain to train on. A table that cannot give both is too small to protect and is refused.
MIN_PROTECTABLE = 5


def check_protectable(records: Records, train: Records, holdout: Records | None, fraction: float) -> None:
    """Refuse, before any training, records too few or too alike for the gate to protect.

    With a holdout (``fraction`` > 0) it must hold at least :data:`MIN_PROTECTABLE` records equal to no
    training record (the near-copy and NNDR filters calibrate their thresholds on them), and the training
    side at least as many distinct records. ``fraction`` 0 (no holdout, asked for) still needs that many
    distinct records. A table whose rows belong to people (entity ids) needs as many people.
    """
    what = (f"{records.modality} data" if not isinstance(records, Table)
            else "the table" if records.meta.name == "table" else f"table {records.meta.name!r}")  # a file's: unnamed
    distinct = len(np.unique(records.record_hashes()))
    if fraction > 0:
        need = next(n for n in range(MIN_PROTECTABLE, 100_000)
                    if round(n * fraction) >= MIN_PROTECTABLE and n - round(n * fraction) >= MIN_PROTECTABLE)
        held = round(need * fraction)
        needs = (f"expected at least {need} distinct records (with --holdout {fraction:g}: {held} held out, unseen in "
                 f"training, to calibrate the near-copy and NNDR filters, and {need - held} to train on; at least "
                 f"{MIN_PROTECTABLE} each)")
    else:
        need = MIN_PROTECTABLE
        needs = f"expected at least {need} distinct records"
    if isinstance(records, Table) and records.entities is not None:
        people = len(pd.unique(records.entities))
        if people < MIN_GROUPS or (fraction > 0 and people < need):
            raise DataError(f"{what} holds {people} distinct entities: too few to hold any out and protect them; "
                            f"expected at least {max(need, MIN_GROUPS)} (or fewer rows per entity)")
    if distinct < need:
        rows = f"{len(records)} record" + ("s" if len(records) != 1 else "")
        raise DataError(f"{what} has {rows}, {distinct} of them distinct: too few to protect; {needs}")
    if fraction <= 0:
        return
    unseen = 0 if holdout is None else int((~np.isin(holdout.record_hashes(), train.record_hashes())).sum())
    trained = len(np.unique(train.record_hashes()))
    if unseen < MIN_PROTECTABLE or trained < MIN_PROTECTABLE:
        raise DataError(f"{what}: the split leaves {unseen} held-out records unseen in training and {trained} distinct "
                        f"records to train on: too few to protect; {needs}")


# --------------------------------------------------------------------------- tables


class ColumnKind(str, Enum):
    """How a table column is modelled and compared: numbers, categories, booleans, dates."""

    numeric = "numeric"
    categorical = "categorical"
    boolean = "boolean"
    datetime = "datetime"


class ColumnMeta(BaseModel):
    """What is known of one column of the real data (learned by :meth:`Table.from_frame`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: ColumnKind
    dtype: str = Field(description="pandas dtype of the real column, restored on output")
    nullable: bool = Field(description="the real column has missing values")
    integer: bool = Field(False, description="numeric column whose values are all whole numbers")
    minimum: float | None = Field(None, description="smallest real value (numeric/datetime as ns)")
    maximum: float | None = Field(None, description="largest real value (numeric/datetime as ns)")
    categories: list[Any] | None = Field(None, description="observed values of a categorical/boolean column")
    n_unique: int = 0

    @property
    def constant(self) -> bool:
        return self.n_unique == 1


class TableMeta(BaseModel):
    """Column metadata of a table; stored in bundles as JSON."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    spec_version: int = METADATA_SPEC_VERSION
    name: str = "table"
    columns: list[ColumnMeta]

    def column(self, name: str) -> ColumnMeta:
        for col in self.columns:
            if col.name == name:
                return col
        known = ", ".join(c.name for c in self.columns)
        raise DataError(f"unknown column {name!r}: expected one of {known}")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


#: A categorical column with more distinct values than this is refused (it is an ID or free text).
MAX_CATEGORIES = 5000
#: A table wider than this is refused: every column is modelled and every pair compared (the finance
#: transformer took 98 s per epoch and 306 s to sample 300 rows of a 100-column, 300-row table on 2 busy cores).
MAX_COLUMNS = 200


def _infer_column(name: str, series: pd.Series, max_categories: int) -> ColumnMeta:
    nullable = bool(series.isna().any())
    values = series.dropna()
    if values.empty:
        raise DataError(f"column {name!r} is entirely missing: expected at least one value (drop or fill it)")
    n_unique = int(values.nunique())
    dtype = str(series.dtype)
    if pd.api.types.is_bool_dtype(series) or (
        series.dtype == object and values.map(type).isin([bool, np.bool_]).all()
    ):
        cats = sorted(bool(v) for v in values.unique())
        return ColumnMeta(name=name, kind=ColumnKind.boolean, dtype=dtype, nullable=nullable, categories=cats, n_unique=n_unique)
    if pd.api.types.is_datetime64_any_dtype(series):
        if getattr(series.dt, "tz", None) is not None:
            raise DataError(f"column {name!r} is timezone-aware: expected naive datetimes (convert to UTC and drop the zone)")
        ns = values.to_numpy(dtype="datetime64[ns]").view("int64")
        return ColumnMeta(name=name, kind=ColumnKind.datetime, dtype=dtype, nullable=nullable,
                          minimum=float(ns.min()), maximum=float(ns.max()), n_unique=n_unique)
    if pd.api.types.is_numeric_dtype(series):
        arr = values.to_numpy(dtype="float64")
        if not np.isfinite(arr).all():
            raise DataError(f"column {name!r} holds inf values: expected finite numbers or missing values")
        integer = bool(np.all(np.mod(arr, 1) == 0))
        return ColumnMeta(name=name, kind=ColumnKind.numeric, dtype=dtype, nullable=nullable, integer=integer,
                          minimum=float(arr.min()), maximum=float(arr.max()), n_unique=n_unique)
    if n_unique > max_categories:
        raise DataError(
            f"column {name!r} has {n_unique} distinct values: expected at most {max_categories} for a categorical "
            "column (drop identifiers and free text before synthesis)"
        )
    cats = sorted(str(v) for v in values.unique())
    return ColumnMeta(name=name, kind=ColumnKind.categorical, dtype=dtype, nullable=nullable, categories=cats, n_unique=n_unique)


def restore_types(frame: pd.DataFrame, meta: TableMeta) -> pd.DataFrame:
    """Give columns a generator produced as text or floats their real type back (numbers, whole numbers,
    booleans, integer category codes), as ``meta`` learned them from the real data."""
    for col in meta.columns:
        if col.name not in frame.columns:
            continue
        if col.kind is ColumnKind.numeric:
            frame[col.name] = pd.to_numeric(frame[col.name], errors="coerce")
            if col.integer and frame[col.name].notna().all():
                frame[col.name] = frame[col.name].round().astype(np.int64)
        elif col.kind is ColumnKind.boolean:
            frame[col.name] = frame[col.name].map(lambda v: str(v) == "True")
        elif col.kind is ColumnKind.categorical and col.categories:
            first = col.categories[0]
            if isinstance(first, (int, np.integer)) and not isinstance(first, bool):
                frame[col.name] = pd.to_numeric(frame[col.name], errors="coerce").astype("Int64")
    return frame


class Table(Records):
    """A single table: a pandas DataFrame plus its :class:`TableMeta`.

    ``entities`` (optional, one id per row, not a modelled column) says whose record each row is —
    a customer with several loans. The holdout split, value protection and the audit then count
    people, not rows (:meth:`groups`).
    """

    modality = "table"

    def __init__(self, frame: pd.DataFrame, meta: TableMeta, entities: np.ndarray | None = None,
                 entity_name: str | None = None):
        missing = [n for n in meta.names if n not in frame.columns]
        if missing:
            raise DataError(f"table {meta.name!r} lacks column(s) {missing}: expected columns {meta.names}")
        self.frame = frame[meta.names].reset_index(drop=True)
        self._meta = meta
        if entities is not None:
            entities = np.asarray(entities)
            if len(entities) != len(self.frame):
                raise DataError(f"table {meta.name!r}: {len(entities)} entity ids for {len(self.frame)} rows: expected one per row")
            if pd.isna(pd.Series(entities)).any():
                raise DataError(f"table {meta.name!r}: some rows have no entity id: expected one for every row")
        self.entities = entities
        if entity_name:  # what an entity is: the --entity-column's name ("customer"), "record" for planted canaries
            self.entity_name = entity_name

    def groups(self) -> np.ndarray | None:
        return self.entities

    def with_entities(self, column: str) -> "Table":
        """This table with ``column`` taken out of the modelled columns and used as the entity id of each row;
        :data:`ROW_ENTITIES` (``@row``): every row is a different person, identical rows included."""
        if column == ROW_ENTITIES:
            return Table(self.frame, self.meta, np.arange(len(self.frame)), entity_name="person")
        if column not in self.meta.names:
            raise DataError(f"entity column: unknown column {column!r}: expected one of {', '.join(self.meta.names)}, "
                            f"or {ROW_ENTITIES} (every row a different person)")
        frame = self.frame.drop(columns=column)
        if frame.shape[1] == 0:
            raise DataError(f"table {self.meta.name!r}: the entity column {column!r} is its only column: expected others")
        meta = TableMeta(name=self.meta.name, columns=[c for c in self.meta.columns if c.name != column])
        return Table(frame, meta, self.frame[column].to_numpy(), entity_name=column)

    @property
    def meta(self) -> TableMeta:
        return self._meta

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, name: str = "table", max_categories: int = MAX_CATEGORIES) -> "Table":
        """Validate a DataFrame and learn its column metadata."""
        if not isinstance(frame, pd.DataFrame):
            raise DataError(f"table {name!r}: expected a pandas DataFrame, got {type(frame).__name__}")
        if frame.shape[1] == 0:
            raise DataError(f"table {name!r} has no columns: expected at least one")
        if len(frame) == 0:
            raise DataError(f"table {name!r} is empty: expected at least one row")
        if frame.shape[1] > MAX_COLUMNS:
            raise DataError(f"table {name!r} has {frame.shape[1]} columns: expected at most {MAX_COLUMNS} "
                            "(select the columns to synthesise; each is modelled and every pair compared)")
        bad = [c for c in frame.columns if not isinstance(c, str) or not c.strip()]
        if bad:
            raise DataError(f"table {name!r} has column names {bad!r}: expected non-empty strings")
        dup = frame.columns[frame.columns.duplicated()].tolist()
        if dup:
            raise DataError(f"table {name!r} repeats column name(s) {dup}: expected unique names")
        cols = [_infer_column(c, frame[c], max_categories) for c in frame.columns]
        return cls(frame, TableMeta(name=name, columns=cols))

    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        return f"Table({self.meta.name!r}, rows={len(self)}, columns={len(self.meta.columns)})"

    def take(self, indices) -> "Table":
        idx = np.asarray(indices, dtype=int)
        return Table(self.frame.iloc[idx], self.meta, None if self.entities is None else self.entities[idx],
                     self.entity_name)

    @classmethod
    def concat(cls, parts: Sequence["Table"]) -> "Table":
        if not parts:
            raise ValueError("concat needs at least one table")
        entities = (np.concatenate([p.entities for p in parts]) if all(p.entities is not None for p in parts)
                    else None)
        return cls(pd.concat([p.frame for p in parts], ignore_index=True), parts[0].meta, entities,
                   parts[0].entity_name if entities is not None else None)

    def canonical(self) -> pd.DataFrame:
        """Values in one comparable form per kind (float64 / int64 ns / str), used for equality."""
        out = {}
        for col in self.meta.columns:
            s = self.frame[col.name]
            if col.kind is ColumnKind.numeric:
                out[col.name] = pd.to_numeric(s, errors="coerce").astype("float64")
            elif col.kind is ColumnKind.datetime:
                out[col.name] = pd.to_datetime(s, errors="coerce").to_numpy(dtype="datetime64[ns]").view("int64")
            else:
                out[col.name] = text_values(s, "\x00<NA>")
        return pd.DataFrame(out)

    def record_hashes(self) -> np.ndarray:
        return pd.util.hash_pandas_object(self.canonical(), index=False).to_numpy(dtype=np.uint64)


# --------------------------------------------------------------------------- sequences


class ChannelStats(BaseModel):
    """What one channel's real readings look like: the plausibility checks' learned limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    minimum: float
    maximum: float
    mean: float
    std: float
    step_max: float = Field(description="largest change between consecutive readings")
    step_q99: float = Field(description="99th percentile of the absolute change between consecutive readings")
    spike_max: float = Field(description="largest |x[t] - (x[t-1] + x[t+1]) / 2|: how far one reading leaves its neighbours")
    flat_run_max: int = Field(description="longest run of identical consecutive readings, in steps")
    missing: float = Field(description="share of missing readings")


class SequenceMeta(BaseModel):
    """Metadata of a sequence set: channel names, static attribute columns and per-channel statistics."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    spec_version: int = METADATA_SPEC_VERSION
    channels: list[str]
    static: TableMeta | None = None
    length: int
    sampling_period: float | None = Field(None, description="seconds between steps, if regular")
    channel_stats: list[ChannelStats] | None = None

    def stats(self, channel: str) -> ChannelStats:
        """One channel's statistics; unknown names raise :class:`DataError` listing the channels."""
        if channel not in self.channels:
            raise DataError(f"unknown channel {channel!r}: expected one of {self.channels}")
        if self.channel_stats is None:
            raise DataError("this metadata carries no channel statistics")
        return self.channel_stats[self.channels.index(channel)]


def channel_stats(values: np.ndarray) -> list[ChannelStats]:
    """Per-channel statistics of (N, T, C) readings, NaN-aware."""
    out = []
    step = np.abs(np.diff(values, axis=1)) if values.shape[1] > 1 else np.zeros((len(values), 0, values.shape[2]))
    spike = (np.abs(values[:, 1:-1] - (values[:, :-2] + values[:, 2:]) / 2) if values.shape[1] > 2
             else np.zeros((len(values), 0, values.shape[2])))
    flat = _longest_flat_runs(values)
    for c in range(values.shape[2]):
        v = values[:, :, c]
        finite = v[np.isfinite(v)]
        st, sp = step[:, :, c], spike[:, :, c]
        st, sp = st[np.isfinite(st)], sp[np.isfinite(sp)]
        out.append(ChannelStats(
            minimum=float(finite.min()), maximum=float(finite.max()), mean=float(finite.mean()), std=float(finite.std()),
            step_max=float(st.max()) if len(st) else 0.0, step_q99=float(np.quantile(st, 0.99)) if len(st) else 0.0,
            spike_max=float(sp.max()) if len(sp) else 0.0, flat_run_max=int(flat[c]),
            missing=round(float(np.isnan(v).mean()), 6)))
    return out


def _longest_flat_runs(values: np.ndarray) -> np.ndarray:
    """Per channel, the longest run (in readings) of identical consecutive values in any recording."""
    if values.shape[1] < 2:
        return np.ones(values.shape[2], dtype=int)
    return longest_runs(np.diff(values, axis=1) == 0).max(axis=0)  # NaN compares unequal: gaps break runs


def longest_runs(same: np.ndarray) -> np.ndarray:
    """(N, C) longest run of readings joined by ``same`` (N, T-1, C): "reading t+1 repeats reading t"."""
    run = np.zeros((same.shape[0], same.shape[2]), dtype=int)
    best = np.zeros_like(run)
    for i in range(same.shape[1]):  # loop over time, vectorised over recordings and channels
        run = np.where(same[:, i], run + 1, 0)
        best = np.maximum(best, run)
    return best + 1  # readings, not steps


class SequenceSet(Records):
    """Entities × time × channels, with one row of static attributes per entity.

    ``values`` is float (N, T, C); NaN marks a missing reading. ``statics`` holds
    N rows (labels, device type...). ``entity_ids`` names each recording.
    ``sources`` names the stream each record was cut from when records are
    windows of longer streams (see :func:`synthguard.sequences.cut_windows`):
    the holdout split keeps a stream's windows on one side. ``start_times``
    (datetime64, one per record) say when each record's first step was taken, so
    calendar-aware generators know each step's hour, weekday and holiday.

    ``entity_name`` says what the unit of privacy is ("recording", "device", "day"): a source when
    records are windows of streams, else each record. Declared (not None), it is honoured however few
    there are (``min_groups`` 1): windows of one recording never sit on both sides of the holdout split,
    and the audit and report count these units by name. Undeclared, sources count only when there are
    :data:`MIN_GROUPS` of them (the "entity" of older code).
    """

    modality = "sequence"

    def __init__(self, values: np.ndarray, channels: Sequence[str], statics: pd.DataFrame | None = None,
                 entity_ids: Sequence[Any] | None = None, sampling_period: float | None = None,
                 sources: Sequence[Any] | None = None, start_times: Sequence[Any] | None = None,
                 entity_name: str | None = None):
        values = np.asarray(values)
        if values.ndim != 3:
            raise DataError(f"sequence values have shape {values.shape}: expected (entities, time, channels)")
        if not np.issubdtype(values.dtype, np.number):
            raise DataError(f"sequence values have dtype {values.dtype}: expected numbers")
        n, t, c = values.shape
        if n == 0 or t == 0:
            raise DataError(f"sequence set has shape {values.shape}: expected at least one entity and one step")
        if len(channels) != c:
            raise DataError(f"{len(channels)} channel names for {c} channels: expected one name per channel")
        if np.isinf(values).any():
            raise DataError("sequence values hold inf: expected finite readings or NaN for missing")
        for i, ch in enumerate(channels):
            if np.isnan(values[:, :, i]).all():
                raise DataError(f"channel {ch!r} is entirely missing: expected at least one reading")
        statics = pd.DataFrame(index=range(n)) if statics is None else statics.reset_index(drop=True)
        if len(statics) != n:
            raise DataError(f"{len(statics)} static rows for {n} entities: expected one row per entity")
        self.values = values.astype(np.float64, copy=False)
        self.channels = list(channels)
        self.statics = statics
        self.entity_ids = np.arange(n) if entity_ids is None else np.asarray(entity_ids)
        if len(self.entity_ids) != n:
            raise DataError(f"{len(self.entity_ids)} entity ids for {n} entities: expected one per entity")
        self.sampling_period = sampling_period
        self.sources = None if sources is None else np.asarray(sources)
        if self.sources is not None and len(self.sources) != n:
            raise DataError(f"{len(self.sources)} sources for {n} entities: expected one per entity")
        self.start_times = None if start_times is None else np.asarray(start_times, dtype="datetime64[ns]")
        if self.start_times is not None and len(self.start_times) != n:
            raise DataError(f"{len(self.start_times)} start times for {n} entities: expected one per entity")
        self.declared_unit = entity_name
        self._meta: SequenceMeta | None = None

    @property
    def meta(self) -> SequenceMeta:
        if self._meta is None:
            static = None
            if self.statics.shape[1]:
                static = Table.from_frame(self.statics, name="statics").meta
            self._meta = SequenceMeta(channels=self.channels, static=static, length=self.values.shape[1],
                                      sampling_period=self.sampling_period, channel_stats=channel_stats(self.values))
        return self._meta

    @property
    def entity_name(self) -> str:
        return self.declared_unit or "entity"

    @property
    def min_groups(self) -> int | None:
        return 1 if self.declared_unit else None

    def groups(self) -> np.ndarray | None:
        if self.sources is None and self.declared_unit:
            return np.arange(len(self))  # each record is one unit (a day, a recording); positions keep the split's order
        return self.sources

    def __len__(self) -> int:
        return self.values.shape[0]

    def take(self, indices) -> "SequenceSet":
        idx = np.asarray(indices, dtype=int)
        return SequenceSet(self.values[idx], self.channels, self.statics.iloc[idx], self.entity_ids[idx],
                           self.sampling_period, None if self.sources is None else self.sources[idx],
                           None if self.start_times is None else self.start_times[idx], self.declared_unit)

    @classmethod
    def concat(cls, parts: Sequence["SequenceSet"]) -> "SequenceSet":
        sources = None
        if all(p.sources is not None for p in parts):
            sources = np.concatenate([p.sources for p in parts])
        starts = None
        if all(p.start_times is not None for p in parts):
            starts = np.concatenate([p.start_times for p in parts])
        return cls(np.concatenate([p.values for p in parts]), parts[0].channels,
                   pd.concat([p.statics for p in parts], ignore_index=True),
                   np.concatenate([p.entity_ids for p in parts]), parts[0].sampling_period, sources, starts,
                   parts[0].declared_unit)

    def record_hashes(self) -> np.ndarray:
        static_h = (pd.util.hash_pandas_object(self.statics.astype(str), index=False).to_numpy(dtype=np.uint64)
                    if self.statics.shape[1] else np.zeros(len(self), dtype=np.uint64))
        return np.array([_hash_bytes(self.values[i].tobytes()) ^ static_h[i] for i in range(len(self))], dtype=np.uint64)


# --------------------------------------------------------------------------- images


class ImageMeta(BaseModel):
    """Metadata of an image set: (C, H, W), intensity range and per-image metadata columns."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    spec_version: int = METADATA_SPEC_VERSION
    shape: list[int]
    minimum: float
    maximum: float
    metadata: TableMeta | None = None


class ImageSet(Records):
    """N images as a float array (N, C, H, W) plus one metadata row per image (labels, modality...).

    NaN may appear only in what a generator produced (a failed pixel): ``core.finite`` rejects
    such images with a reason. Readers refuse NaN in real images, and so do image generators' ``fit``.

    ``entities`` (optional, one id per image, never modelled or written) says whose image each is —
    slices of one patient's volume. The holdout split and the audit then count these units (``entity_name``,
    "patient"), however few: slices of one patient never sit on both sides of the split.
    """

    modality = "image"
    min_groups = 1

    def __init__(self, images: np.ndarray, metadata: pd.DataFrame | None = None, entities: np.ndarray | None = None,
                 entity_name: str = "patient"):
        images = np.asarray(images)
        if images.ndim != 4:
            raise DataError(f"images have shape {images.shape}: expected (N, channels, height, width)")
        if images.shape[0] == 0:
            raise DataError("image set is empty: expected at least one image")
        if images.shape[1] not in (1, 3):
            raise DataError(f"images have {images.shape[1]} channels: expected 1 (grayscale) or 3 (RGB)")
        if np.isinf(images).any():
            raise DataError("images hold inf pixels: expected finite values")
        metadata = pd.DataFrame(index=range(len(images))) if metadata is None else metadata.reset_index(drop=True)
        if len(metadata) != len(images):
            raise DataError(f"{len(metadata)} metadata rows for {len(images)} images: expected one per image")
        if entities is not None:
            entities = np.asarray(entities)
            if len(entities) != len(images):
                raise DataError(f"{len(entities)} {entity_name} ids for {len(images)} images: expected one per image")
            if pd.isna(pd.Series(entities)).any():
                raise DataError(f"some images have no {entity_name} id: expected one for every image")
        self.images = images
        self.metadata = metadata
        self.entities = entities
        self.entity_name = entity_name

    def groups(self) -> np.ndarray | None:
        return self.entities

    @property
    def meta(self) -> "ImageMeta":
        labels = Table.from_frame(self.metadata, name="image_metadata").meta if self.metadata.shape[1] else None
        return ImageMeta(shape=list(self.images.shape[1:]), metadata=labels,
                         minimum=float(np.nanmin(self.images)), maximum=float(np.nanmax(self.images)))

    def __len__(self) -> int:
        return self.images.shape[0]

    def take(self, indices) -> "ImageSet":
        idx = np.asarray(indices, dtype=int)
        return ImageSet(self.images[idx], self.metadata.iloc[idx],
                        None if self.entities is None else self.entities[idx], self.entity_name)

    @classmethod
    def concat(cls, parts: Sequence["ImageSet"]) -> "ImageSet":
        entities = None  # kept only when every part names its patients (real images; generated ones have none)
        if all(p.entities is not None for p in parts):
            entities = np.concatenate([p.entities.astype(object) for p in parts])
        return cls(np.concatenate([p.images for p in parts]), pd.concat([p.metadata for p in parts], ignore_index=True),
                   entities, parts[0].entity_name)

    def record_hashes(self) -> np.ndarray:
        return np.array([_hash_bytes(np.ascontiguousarray(im).tobytes()) for im in self.images], dtype=np.uint64)


def _hash_bytes(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


__all__ = [
    "holdout_split", "check_protectable", "MIN_PROTECTABLE", "MAX_COLUMNS", "numeric_values", "Records", "Table", "TableMeta", "ColumnMeta", "ColumnKind",
    "SequenceSet", "SequenceMeta", "ChannelStats", "channel_stats", "longest_runs", "ImageSet", "ImageMeta", "META_TYPES", "METADATA_SPEC_VERSION", "MAX_CATEGORIES",
]


#: The metadata model of each modality, for reading it back from JSON.
META_TYPES: dict[str, type[BaseModel]] = {"table": TableMeta, "sequence": SequenceMeta, "image": ImageMeta}
