"""Tables in and out of databases (SQLAlchemy): a table or read-only query as data, tables as output.

A :class:`Database` names a database URL and a table (or, as a source, a ``SELECT`` query)::

    sg.generate("finance", 1000, data=sg.Database("sqlite:///bank.db", table="loans"),
                out=sg.Database("postgresql://analyst@warehouse/synthetic", table="loans_synth"))

Reading keeps the database's column types: integer columns are remembered as integers (in memory a
column with NULLs is float, as from CSV), ``DATE`` and ``TIMESTAMP`` columns become datetimes,
NULL is missing, text is categorical. Reads run read-only (SQLite opened ``mode=ro``, Postgres in a
``READ ONLY`` transaction that is rolled back) and a ``--query`` must be one ``SELECT``/``WITH`` statement.

Writing creates three tables — ``NAME`` (synthetic rows), ``NAME_rejected`` (rejected rows with
``_stage``, ``_checks``, ``_reason``) and ``NAME_report`` (one row: ``created_at``, ``report`` as JSON,
``html``) — as staging tables, then swaps them in under their names, all in one transaction: a
failure leaves the database as it was. An existing table is replaced only with ``overwrite``.
Column types follow the source's (an integer column is written as ``BIGINT``, a date as ``DATE``).
A chunked run (:mod:`synthguard.scale`) uses :meth:`Database.stream` instead: the same staging tables,
appended to chunk by chunk inside that one transaction, swapped in at its end.

A URL's password never leaves this module: everything shown (errors, reports, ``repr``) renders the
URL with ``hide_password=True`` and strips the password from driver messages.
"""

from __future__ import annotations

import datetime as dt
import decimal
import importlib.util
import json
import os
import re
import secrets
import sys
import uuid
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError, OutputError
from .atomic import check_writable_target
from .writers import json_default


def _lazy(name: str):
    """``import name``, run at first use (importlib's ``LazyLoader``): SQLAlchemy takes ~0.2 s to import and most
    commands never open a database."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


sa = _lazy("sqlalchemy")

#: Rows fetched / written per round trip.
CHUNK_ROWS = 100_000
#: Seconds to wait for a database server before giving up (unless the URL sets ``connect_timeout``).
CONNECT_TIMEOUT = 10
#: Default ``--out-table``.
DEFAULT_TABLE = "synthetic"
#: Tables written next to ``NAME``.
SUFFIXES = {"synthetic": "", "rejected": "_rejected", "report": "_report"}
#: Longest identifier Postgres keeps (it silently truncates longer ones).
MAX_IDENTIFIER = 63

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
#: Column kinds this module reads and writes (recorded in the report's data source as ``columns``).
KINDS = ("integer", "float", "boolean", "date", "datetime", "datetime_tz", "text")


def is_database_url(value: Any) -> bool:
    """Whether ``value`` is a ``dialect[+driver]://`` URL string (not a file path)."""
    return isinstance(value, str) and bool(_URL.match(value))


class Database:
    """A table (or, as a source, a read-only ``query``) in the database at ``url``.

    ``url`` is any SQLAlchemy URL (``sqlite:///bank.db``, ``postgresql://user:pw@host:5432/db``;
    ``postgresql://`` uses psycopg 3). As a data source give exactly one of ``table`` and ``query``;
    as an output ``table`` names the synthetic table (default ``synthetic``). ``schema.table`` names
    a table in another schema. ``repr``/``str`` never show the password.
    """

    def __init__(self, url: str | sa.URL, table: str | None = None, query: str | None = None):
        self.url = _parse_url(url)
        self.table = table
        self.query = query
        self.columns_: dict[str, str] | None = None  # column kinds of the last read

    # ------------------------------------------------------------------ display, never with the password

    @property
    def display_url(self) -> str:
        return self.url.render_as_string(hide_password=True)

    @property
    def name(self) -> str:
        """A short name for the records read (the table's, else ``query``)."""
        return (self.table or "query").split(".")[-1]

    def __repr__(self) -> str:
        what = f"table={self.table!r}" if self.table else f"query={self.query!r}"
        return f"Database({self.display_url!r}, {what})"

    def __str__(self) -> str:
        return f"table {self.table!r} in {self.display_url}" if self.table else f"query in {self.display_url}"

    # ------------------------------------------------------------------ reading

    def read(self, sample=None) -> pd.DataFrame:
        """The table or query's rows as a DataFrame, with types from the database (see module docstring).

        ``sample`` (a :class:`~synthguard.io.sampled.BottomK`) keeps only its sample of the rows as they stream by;
        the column types are still read from every row."""
        if (self.table is None) == (self.query is None):
            raise ConfigError(f"database {self.display_url}: expected exactly one of a table (--table NAME) "
                              "or a query (--query \"select ...\")")
        if self.query is not None:
            check_read_only(self.query)
        with _connect(self.url, read_only=True, error=DataError) as conn:
            tx = conn.begin()
            try:
                if conn.dialect.name in ("postgresql", "mysql"):
                    conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                if self.table is not None:
                    table = self._reflect(conn)
                    kinds = {c.name: _sql_kind(c.type, c.name, self) for c in table.columns}
                    frame = _fetch(conn, sa.select(table), kinds, sample)
                else:
                    frame = _fetch(conn, sa.text(self.query), None, sample)
            except sa.exc.DBAPIError as err:
                raise DataError(self._failure(err)) from None
            finally:
                tx.rollback()  # a read changes nothing, whatever the query was
        if len(frame) == 0:
            raise DataError(f"{self} returned no rows: expected at least one")
        self.columns_ = frame.attrs.pop("kinds")
        return frame

    def _reflect(self, conn: sa.Connection) -> sa.Table:
        schema, name = _split(self.table)
        if not sa.inspect(conn).has_table(name, schema=schema):
            known = sorted(sa.inspect(conn).get_table_names(schema=schema))
            shown = ", ".join(known[:20]) + (" ..." if len(known) > 20 else "")
            raise DataError(f"table {self.table!r} not found in database {self.display_url}: "
                            f"expected one of {shown or 'no tables'}")
        return sa.Table(name, sa.MetaData(), schema=schema, autoload_with=conn)

    def _failure(self, err: sa.exc.DBAPIError) -> str:
        msg = _driver_message(err, self.url)
        if self.query is None:
            return f"reading table {self.table!r} from database {self.display_url} failed: {msg}"
        if any(s in msg for s in ("read-only", "readonly", "data-modifying")):
            return f"query {_short(self.query)!r} is not a read: the database refused it read-only ({msg})"
        return f"query {_short(self.query)!r} failed in database {self.display_url}: {msg}"

    # ------------------------------------------------------------------ writing

    def tables(self) -> dict[str, str]:
        """The output tables by role: synthetic, rejected, report."""
        name = self.table or DEFAULT_TABLE
        return {role: name + suffix for role, suffix in SUFFIXES.items()}

    def check_writable(self, overwrite: bool) -> None:
        """Fail before any training if the tables cannot be written: unreachable, no permission, or taken."""
        if self.query is not None:
            raise ConfigError(f"output {self.display_url}: a query cannot be written to: expected --out-table NAME")
        name = self.table or DEFAULT_TABLE
        if not name.strip() or len(_split(name)[1]) + max(map(len, SUFFIXES.values())) > MAX_IDENTIFIER:
            raise ConfigError(f"output table {name!r}: expected a name of 1 to "
                              f"{MAX_IDENTIFIER - max(map(len, SUFFIXES.values()))} characters")
        path = _sqlite_path(self.url)
        if path is not None and not path.exists():  # a new SQLite file: created only when the tables are written
            parent = path.absolute().parent
            if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
                raise OutputError(f"output database {self.display_url} cannot be created: "
                                  f"{str(parent)!r} is not a writable directory")
            return
        with _connect(self.url, read_only=False, error=OutputError) as conn:
            tx = conn.begin()
            try:
                taken = self._existing(conn)
                if taken and not overwrite:
                    raise OutputError(f"table {taken[0]!r} already exists in {self.display_url}: choose another "
                                      "--out-table or pass --overwrite")
                schema, _ = _split(name)  # may we create tables here? (a probe, rolled back)
                probe = sa.Table(f"_synthguard_probe_{secrets.token_hex(4)}", sa.MetaData(),
                                 sa.Column("x", sa.Integer), schema=schema)
                probe.create(conn)
            except sa.exc.DBAPIError as err:
                raise OutputError(f"output database {self.display_url} cannot be written: "
                                  f"{_driver_message(err, self.url)}") from None
            finally:
                tx.rollback()

    def _existing(self, conn: sa.Connection) -> list[str]:
        inspector = sa.inspect(conn)
        return [t for t in self.tables().values() if inspector.has_table(_split(t)[1], schema=_split(t)[0])]

    def write(self, frames: Mapping[str, pd.DataFrame], report: dict[str, Any], html: str | None,
              kinds: Mapping[str, str] | None, overwrite: bool) -> dict[str, str]:
        """Write ``frames`` (by role) and the report row into staging tables and swap them in, in one transaction:
        a :meth:`stream` with one chunk per role.

        Returns the table names written by role. ``kinds`` are the source's column kinds (integer,
        date...), which decide the SQL types; columns without one get the type of their pandas dtype.
        """
        with self.stream(kinds, overwrite) as staging:
            for role, frame in frames.items():
                staging.append(role, frame)
            staging.finish(report, html)
        return {role: staging.names[role] for role in staging.staged}

    @contextmanager
    def stream(self, kinds: Mapping[str, str] | None, overwrite: bool) -> Iterator["Staging"]:
        """Staging tables filled chunk by chunk (:meth:`Staging.append`) and swapped in by :meth:`Staging.finish`,
        all inside one transaction on one connection: nobody sees them, and a failure, an exit without
        ``finish`` or a killed process (the server drops the connection's transaction; SQLite rolls its journal
        back on the next open) leaves the database as it was."""
        path = _sqlite_path(self.url)
        created = path is not None and not path.exists()
        try:
            with _connect(self.url, read_only=False, error=OutputError) as conn, conn.begin():
                staging = Staging(conn, self, dict(kinds or {}), overwrite)
                yield staging
                if not staging.finished:
                    raise OutputError(f"writing to {self.display_url} stopped before the end, nothing was written")
        except sa.exc.DBAPIError as err:
            raise OutputError(f"writing to {self.display_url} failed, nothing was written: "
                              f"{_driver_message(err, self.url)}") from None
        finally:
            if created and path.exists() and not _has_tables(self.url):
                path.unlink()  # a SQLite file this failed write created


class Staging:
    """The output tables of a streamed run while it runs (:meth:`Database.stream`): appended to, then swapped in.

    The first frame of a role creates its staging table and fixes its SQL types (the source's kinds, else the
    first chunk's dtypes); every later chunk is written with those kinds, so all chunks share one schema.
    """

    def __init__(self, conn: sa.Connection, target: Database, kinds: dict[str, str], overwrite: bool):
        self.conn, self.target, self.kinds, self.overwrite = conn, target, kinds, overwrite
        self.names = target.tables()
        self.staged: dict[str, str] = {}
        self.fixed: dict[str, dict[str, str]] = {}
        self.empty: pd.DataFrame | None = None  # the synthetic columns, no rows (an empty rejected table's model)
        self.rows = {role: 0 for role in self.names}
        self.finished = False

    def append(self, role: str, frame: pd.DataFrame) -> None:
        """Append ``frame`` (the synthetic rows, or rejected rows with ``_stage``, ``_checks``, ``_reason``)."""
        if role not in self.staged:
            if role == "synthetic":
                self.empty = frame.iloc[:0].copy()
            self.fixed[role] = {c: ("text" if c.startswith("_") else self.kinds.get(c) or _dtype_kind(frame[c]))
                                for c in frame.columns}
            self.staged[role] = _stage_name(self.names[role])
            self._write(frame, role, append=False)
        else:
            self._write(frame, role, append=True)
        self.rows[role] += len(frame)

    def finish(self, report: dict[str, Any], html: str | None) -> None:
        """Write the report row and swap every staging table in under its name (committed when the block ends)."""
        if "rejected" not in self.staged and self.empty is not None:  # no rejected row: the table, with its columns
            rejected = self.empty.copy()
            for col in ("_stage", "_checks", "_reason"):
                rejected[col] = pd.Series(dtype=object)
            self.append("rejected", rejected)
        self.staged["report"] = _stage_name(self.names["report"])
        _write_report(self.conn, self.staged["report"], report, html)
        _swap(self.conn, {self.staged[r]: self.names[r] for r in self.staged}, self.overwrite, self.target.display_url)
        self.finished = True

    def _write(self, frame: pd.DataFrame, role: str, append: bool) -> None:
        try:
            _write_frame(self.conn, frame, self.staged[role], self.fixed[role], append=append)
        except self.conn.dialect.loaded_dbapi.Error as err:  # raised by COPY through the driver's own cursor
            msg = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            if self.target.url.password:
                msg = msg.replace(str(self.target.url.password), "***")
            raise OutputError(f"writing to {self.target.display_url} failed, nothing was written: {msg}") from None


# --------------------------------------------------------------------------- sources and targets


def as_source(data: Any, table: str | None = None, query: str | None = None) -> Any:
    """``data`` as given, or a :class:`Database` where it is a database URL (``--data URL --table/--query``)."""
    if isinstance(data, Database):
        if table is not None or query is not None:
            raise ConfigError("give the table or query inside Database(...), not beside it")
        return data
    if is_database_url(data):
        return Database(data, table=table, query=query)
    if table is not None or query is not None:
        flag = "--table" if table is not None else "--query"
        raise ConfigError(f"{flag} reads from a database: expected --data (or --real) to be a database URL "
                          f"such as sqlite:///bank.db, got {str(data)!r}")
    return data


def as_target(out: Any, table: str | None = None) -> Any:
    """``out`` as given, or a :class:`Database` where it is a database URL (``--out URL --out-table NAME``)."""
    if isinstance(out, Database):
        return out
    if is_database_url(out):
        return Database(out, table=table or DEFAULT_TABLE)
    if table is not None:
        raise ConfigError(f"--out-table names a table in a database: expected --out to be a database URL, got {str(out)!r}")
    return out


def check_output(out: Any, overwrite: bool, modality: str = "table") -> None:
    """Fail before any training if ``out`` (a directory or a :class:`Database`) cannot receive the output
    (``modality``: what the run writes; only tables go to a database)."""
    if isinstance(out, Database):
        _tables_only(modality)
        out.check_writable(overwrite)
    else:
        check_writable_target(out, overwrite)


def _tables_only(modality: str) -> None:
    if modality != "table":
        raise OutputError(f"{modality} records cannot go to a database: expected a table "
                          "(write sequences and images to a directory)")


def check_read_only(query: str) -> None:
    """Refuse a ``--query`` that is not one ``SELECT`` (or ``WITH ... SELECT``) statement."""
    body = _COMMENTS.sub(" ", query).strip().rstrip(";").strip()
    first = body.split(None, 1)[0].lower() if body else ""
    if first not in ("select", "with") or ";" in body:
        raise ConfigError(f"query {_short(query)!r} is not a read: expected one SELECT (or WITH ... SELECT) statement")


def write_result(result: Any, target: Database, overwrite: bool = False) -> dict[str, Any]:
    """Write a run's synthetic rows, rejected rows and report to ``target`` (all or nothing); returns the report."""
    from ..quality.html import render_html

    _tables_only(result.records.modality)
    frames = {"synthetic": result.records.frame}
    if result.rejected is not None and len(result.rejected):  # none rejected: Staging.finish writes the empty table
        frames["rejected"] = result.rejected.frame.copy()
        for col in result.rejected_info.columns:
            frames["rejected"][f"_{col}"] = result.rejected_info[col].to_numpy()
    report = dict(result.report)
    report["tables"] = {"database": target.display_url, **target.tables()}
    report = json.loads(json.dumps(report, default=json_default))
    target.write(frames, report, render_html(report), source_kinds(report), overwrite)
    return report


def write_report(report: dict[str, Any], target: Database, overwrite: bool = False) -> dict[str, Any]:
    """``evaluate --out URL``: the report row alone, in ``NAME_report`` (all or nothing)."""
    from ..quality.html import render_html

    report = json.loads(json.dumps({**report, "tables": {"database": target.display_url,
                                                         "report": target.tables()["report"]}},
                                   default=json_default))
    target.write({}, report, render_html(report), None, overwrite)
    return report


def source_kinds(report: Mapping[str, Any]) -> dict[str, str]:
    """The column kinds a run's data came with from a database (bundle or this run's source), else {}."""
    fit_source = ((report.get("generator") or {}).get("fit") or {}).get("source") or {}
    run_source = (report.get("lineage") or {}).get("data_source") or {}
    return dict(fit_source.get("columns") or run_source.get("columns") or {})


# --------------------------------------------------------------------------- connecting


def _parse_url(url: str | sa.URL) -> sa.URL:
    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        shown = _hide(str(url))
        raise ConfigError(f"database URL {shown!r} is malformed: expected dialect://user@host/db "
                          "(e.g. sqlite:///bank.db, postgresql://user@host:5432/db)") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3 is what synthguard installs
    return parsed


def _hide(text: str) -> str:
    """A URL string with whatever stands between ``user:`` and ``@`` masked (for URLs that do not parse)."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", text)


def _engine(url: sa.URL, read_only: bool = False) -> sa.Engine:
    path = _sqlite_path(url)
    connect_args: dict[str, Any] = {}
    if path is not None and read_only:
        if not path.is_file():
            raise DataError(f"database file {str(path)!r} not found: expected an existing SQLite file "
                            f"({url.render_as_string(hide_password=True)})")
        url = url.set(database=f"file:{path}", query={**url.query, "mode": "ro", "uri": "true"})
    if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT
    try:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args=connect_args)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as err:
        raise ConfigError(f"database URL {url.render_as_string(hide_password=True)}: {err}: expected a "
                          "sqlite:/// or postgresql:// URL") from None
    if engine.dialect.name == "sqlite":
        _transactional_ddl(engine)
    return engine


@contextmanager
def _connect(url: sa.URL, read_only: bool, error: type[Exception]) -> Iterator[sa.Connection]:
    """A connection (the engine disposed after); a failure to connect is one ``error`` naming the database."""
    engine = _engine(url, read_only=read_only)
    try:
        try:
            conn = engine.connect()
        except sa.exc.DBAPIError as err:
            raise error(f"cannot connect to database {url.render_as_string(hide_password=True)}: "
                        f"{_driver_message(err, url)}") from None
        with conn:
            yield conn
    finally:
        engine.dispose()


def _has_tables(url: sa.URL) -> bool:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return bool(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()


def _transactional_ddl(engine: sa.Engine) -> None:
    """SQLite through pysqlite commits DDL on its own; make CREATE/DROP/RENAME part of our transaction.

    The recipe of SQLAlchemy's SQLite dialect documentation ("Serializable isolation / Savepoints /
    Transactional DDL").
    """

    @sa.event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_connection, _record):
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN")


def _sqlite_path(url: sa.URL) -> Path | None:
    """The file of a SQLite URL (None for other dialects and in-memory SQLite)."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database.removeprefix("file:"))


def _driver_message(err: sa.exc.DBAPIError, url: sa.URL) -> str:
    """The driver's first line, without the password (drivers sometimes echo a DSN)."""
    lines = [ln.strip() for ln in str(err.orig).strip().splitlines() if ln.strip()]
    msg = lines[0] if lines else type(err.orig).__name__
    for line in lines[1:]:  # psycopg puts the reason ("password authentication failed ...") after the address
        if line.startswith(("FATAL", "ERROR", "DETAIL")):
            msg += f" ({line})"
            break
    if url.password:
        msg = msg.replace(str(url.password), "***")
    return msg


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _split(name: str) -> tuple[str | None, str]:
    """``schema.table`` -> (schema, table); ``table`` -> (None, table)."""
    schema, dot, table = name.rpartition(".")
    return (schema or None) if dot else None, table


# --------------------------------------------------------------------------- types


def _sql_kind(sql_type: sa.types.TypeEngine, column: str, where: Database) -> str:
    """The kind of a reflected column type; an unsupported one is refused, naming the column."""
    if isinstance(sql_type, sa.Enum):
        return "text"
    try:
        python_type = sql_type.python_type
    except NotImplementedError:
        python_type = None
    kind = {bool: "boolean", int: "integer", float: "float", decimal.Decimal: "float", dt.date: "date",
            dt.datetime: "datetime", str: "text", uuid.UUID: "text"}.get(python_type)
    if kind == "datetime" and getattr(sql_type, "timezone", False):
        return "datetime_tz"
    if kind is not None:
        return kind
    raise DataError(f"column {column!r} of {where} has type {sql_type}: expected numbers, text, booleans, "
                    "dates or timestamps (leave it out with --query \"select ... from ...\")")


def _value_kind(values: Iterable[Any], column: str) -> str | None:
    """The kind of a query column from its Python values (None when all are NULL so far)."""
    types = {type(v) for v in values if v is not None}
    if not types:
        return None
    if types <= {bool}:
        return "boolean"
    if types <= {int}:
        return "integer"
    if types <= {int, float, decimal.Decimal}:
        return "float"
    if types <= {dt.datetime, pd.Timestamp}:
        return "datetime"
    if types <= {dt.date}:
        return "date"
    if types <= {str, uuid.UUID}:
        return "text"
    names = ", ".join(sorted(t.__name__ for t in types))
    raise DataError(f"query column {column!r} holds {names} values: expected numbers, text, booleans, dates or "
                    "timestamps (cast or leave it out in the query)")


def _fetch(conn: sa.Connection, statement: Any, kinds: dict[str, str] | None, sample=None) -> pd.DataFrame:
    """Rows in chunks of :data:`CHUNK_ROWS` (server-side cursor where the driver has one), typed per kind; with
    ``sample``, only the rows it keeps (the kinds are still read from every row)."""
    result = conn.execution_options(stream_results=True, yield_per=CHUNK_ROWS).execute(statement)
    keys = list(result.keys())
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise DataError(f"the query returns column name(s) {dup} more than once: expected unique names (use AS)")
    found: dict[str, str | None] = dict(kinds) if kinds is not None else {k: None for k in keys}
    parts = []
    for rows in result.partitions():
        for i, key in enumerate(keys):
            if found[key] is None:
                found[key] = _value_kind((row[i] for row in rows), key)
        part = pd.DataFrame.from_records(rows, columns=keys, coerce_float=True)
        if sample is None:
            parts.append(part)
        else:
            sample.offer(part)
    if sample is not None and sample.seen:
        parts = [sample.result()]
    if len(parts) > 1:
        with warnings.catch_warnings():  # a chunk whose column is all NULL: its dtype must not decide
            warnings.simplefilter("ignore", FutureWarning)
            frame = pd.concat(parts, ignore_index=True)
    else:
        frame = parts[0] if parts else pd.DataFrame(columns=keys)
    for key in keys:
        kind = found[key] or "text"
        if kind == "text" and kinds is None:  # text dates from SQLite (which has no date type)
            kind = _text_dates(frame[key])
        frame[key] = _to_memory(frame[key], kind, key)
        found[key] = kind
    frame.attrs["kinds"] = found
    return frame


def _text_dates(series: pd.Series) -> str:
    values = series.dropna()
    if not len(values) or not all(isinstance(v, str) for v in values.iloc[:1000]):
        return "text"
    text = values.astype(str)
    if text.str.fullmatch(_ISO_DATE).all():
        return "date"
    if text.str.fullmatch(_ISO_DATETIME).all():
        return "datetime"
    return "text"


def _to_memory(series: pd.Series, kind: str, column: str) -> pd.Series:
    """A fetched column in the dtype SynthGuard's tables use (as read from CSV/Parquet)."""
    try:
        if kind in ("date", "datetime"):
            return pd.to_datetime(series, format="ISO8601" if series.dtype == object and _is_text(series) else None)
        if kind == "datetime_tz":
            return pd.to_datetime(series, utc=True).dt.tz_convert(None)  # UTC, as naive datetimes
    except (pd.errors.OutOfBoundsDatetime, ValueError, TypeError) as err:
        raise DataError(f"column {column!r} holds a date SynthGuard cannot represent ({err}): expected dates "
                        "between 1677 and 2262 (filter or cast them in a --query)") from None
    if kind == "integer":
        if series.isna().any():
            return pd.to_numeric(series).astype("float64")  # like CSV: a whole-number column with gaps
        return pd.to_numeric(series).astype("int64")
    if kind == "float":
        return pd.to_numeric(series).astype("float64")
    if kind == "boolean":
        if series.isna().any():
            return series.astype(object).where(series.notna(), None)
        return series.astype(bool)
    if kind == "text":
        return series.map(lambda v: v if v is None or isinstance(v, str) else str(v))
    return series


def _is_text(series: pd.Series) -> bool:
    first = series.dropna()
    return bool(len(first)) and isinstance(first.iloc[0], str)


def _to_sql(series: pd.Series, kind: str | None) -> tuple[pd.Series, sa.types.TypeEngine]:
    """A column as written, and its SQL type: the source's kind where known, else its dtype's."""
    if kind is None:
        kind = _dtype_kind(series)
    if kind == "integer":
        numbers = pd.to_numeric(series, errors="coerce")
        whole = numbers.dropna()
        if (np.mod(whole.to_numpy(dtype="float64"), 1) == 0).all():
            return numbers.astype("Int64"), sa.BigInteger()
        kind = "float"  # never round silently: a non-integral value keeps its fraction
    if kind == "float":
        return pd.to_numeric(series, errors="coerce").astype("float64"), sa.Float(precision=53)
    if kind == "boolean":
        return series.map(lambda v: None if _missing(v) else str(v) == "True"), sa.Boolean()
    if kind in ("date", "datetime", "datetime_tz"):
        stamps = pd.to_datetime(series, errors="coerce")
        if kind == "date":
            return stamps.dt.date.where(stamps.notna(), None), sa.Date()
        if kind == "datetime_tz":
            return stamps.dt.tz_localize("UTC") if stamps.dt.tz is None else stamps, sa.DateTime(timezone=True)
        return stamps, sa.DateTime()
    return series.map(lambda v: None if _missing(v) else str(v)), sa.Text()


def _dtype_kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime_tz" if getattr(series.dt, "tz", None) is not None else "datetime"
    return "text"


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, (str, bytes)) and bool(pd.isna(value)))


# --------------------------------------------------------------------------- writing


def _stage_name(final: str) -> str:
    schema, _ = _split(final)
    return (f"{schema}." if schema else "") + f"_synthguard_stage_{secrets.token_hex(6)}"


def _write_frame(conn: sa.Connection, frame: pd.DataFrame, staged: str, kinds: Mapping[str, str],
                 append: bool = False) -> None:
    columns, types = {}, {}
    for col in frame.columns:
        columns[col], types[col] = _to_sql(frame[col], kinds.get(col) if not col.startswith("_") else "text")
    out = pd.DataFrame(columns, index=frame.index)
    schema, name = _split(staged)
    method = _copy_rows if conn.dialect.name == "postgresql" else None
    out.to_sql(name, conn, schema=schema, index=False, dtype=types, chunksize=CHUNK_ROWS, method=method,
               if_exists="append" if append else "fail")


def _copy_rows(table, conn: sa.Connection, keys: list[str], rows: Iterable[tuple]) -> int:
    """pandas' ``to_sql(method=...)`` for Postgres: ``COPY ... FROM STDIN`` through psycopg (the bulk path)."""
    prep = conn.dialect.identifier_preparer
    target = prep.format_table(table.table)
    cols = ", ".join(prep.quote(k) for k in keys)
    count = 0
    with conn.connection.dbapi_connection.cursor() as cur:
        with cur.copy(f"COPY {target} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


def _write_report(conn: sa.Connection, staged: str, report: dict[str, Any], html: str | None) -> None:
    schema, name = _split(staged)
    table = sa.Table(name, sa.MetaData(), sa.Column("created_at", sa.DateTime(timezone=True)),
                     sa.Column("report", sa.JSON), sa.Column("html", sa.Text), schema=schema)
    table.create(conn)
    conn.execute(table.insert().values(created_at=dt.datetime.now(dt.timezone.utc), report=report, html=html))


def _swap(conn: sa.Connection, renames: Mapping[str, str], overwrite: bool, where: str) -> None:
    """Inside the caller's transaction: drop the targets (``overwrite``) and rename the staging tables to them."""
    prep = conn.dialect.identifier_preparer
    inspector = sa.inspect(conn)
    for staged, final in renames.items():
        schema, name = _split(final)
        qualified = (f"{prep.quote_schema(schema)}." if schema else "") + prep.quote(name)
        if inspector.has_table(name, schema=schema):
            if not overwrite:
                raise OutputError(f"table {final!r} already exists in {where}: choose another --out-table or "
                                  "pass --overwrite")
            conn.exec_driver_sql(f"DROP TABLE {qualified}")
        staged_name = _split(staged)[1]
        staged_q = (f"{prep.quote_schema(schema)}." if schema else "") + prep.quote(staged_name)
        conn.exec_driver_sql(f"ALTER TABLE {staged_q} RENAME TO {prep.quote(name)}")


__all__ = ["Database", "Staging", "as_source", "as_target", "check_output", "check_read_only", "is_database_url", "write_result",
           "write_report", "source_kinds", "DEFAULT_TABLE"]
