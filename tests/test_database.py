"""Databases in and out: a loans table in SQLite or Postgres as --data, synthetic tables as --out.

Postgres is a real server started for the session (tests/conftest.py ``postgres_server``), not a mock.
Every run uses the fast SDV GaussianCopula baseline on a few dozen rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import synthguard as sg
from synthguard.errors import ConfigError, DataError, OutputError

GEN = "finance-gaussian-copula"


def loans_rows(n: int = 80, seed: int = 0) -> list[tuple]:
    """Test loans (made up here, not real data): ids, integers with NULLs, money, grades, flags, dates."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        rows.append((
            i + 1,
            int(rng.integers(18, 80)),
            None if rng.random() < 0.1 else float(round(rng.lognormal(10, 0.5), 2)),
            None if rng.random() < 0.15 else int(rng.choice([36, 60])),
            str(rng.choice(["A", "B", "C"])),
            bool(rng.random() < 0.6),
            dt.date(2015, 1, 1) + dt.timedelta(days=int(rng.integers(0, 3000))),
        ))
    return rows


COLUMNS = ("id", "age", "income", "term", "grade", "approved", "opened")


def sqlite_bank(path: Path, n: int = 80) -> str:
    """bank.db with a ``loans`` table declared as a DBA would (INTEGER, REAL, TEXT, BOOLEAN, DATE)."""
    con = sqlite3.connect(path)
    con.execute("create table loans (id integer primary key, age integer not null, income real, term integer, "
                "grade text, approved boolean, opened date)")
    con.executemany("insert into loans values (?,?,?,?,?,?,?)",
                    [(*r[:5], int(r[5]), r[6].isoformat()) for r in loans_rows(n)])
    con.commit()
    con.close()
    return f"sqlite:///{path}"


def postgres_bank(url: str, n: int = 80) -> None:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("create table loans (id integer primary key, age integer not null, income double precision, "
                             "term integer, grade text, approved boolean, opened date)")
        conn.execute(sa.text("insert into loans values (:id, :age, :income, :term, :grade, :approved, :opened)"),
                     [dict(zip(COLUMNS, r)) for r in loans_rows(n)])
    engine.dispose()


def sql(url: str, statement: str) -> list[tuple]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.exec_driver_sql(statement)]
    engine.dispose()
    return rows


def pg_types(url: str, table: str) -> dict[str, str]:
    return dict(sql(url, "select column_name, data_type from information_schema.columns "
                         f"where table_name = '{table}' order by ordinal_position"))


def tables(url: str) -> set[str]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    return names


@pytest.fixture(scope="module")
def engine():
    return sg.Engine()


@pytest.fixture
def shell(capsys, monkeypatch):
    """``synthguard ARGS`` in this process (as the console script runs it: errors are one line, exit 2);
    returns (exit code, stdout, stderr). The first story runs the real console script in a subprocess."""
    from types import SimpleNamespace

    from synthguard import cli

    def run(*args: str) -> SimpleNamespace:
        capsys.readouterr()
        monkeypatch.setattr("sys.argv", ["synthguard", *args])
        try:
            cli.run()
            code = 0
        except SystemExit as stop:
            code = stop.code
        out, err = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)

    return run


# --------------------------------------------------------------------------- the main story


def test_sqlite_loans_to_postgres_keeps_column_types_and_hides_the_password(tmp_path, cli, postgres_url,
                                                                          postgres_server):
    bank = sqlite_bank(tmp_path / "bank.db")
    proc = cli("generate", GEN, "--data", bank, "--table", "loans", "--rows", "60", "--out", postgres_url,
               "--out-table", "loans_synth", "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    assert "wrote 60 records to table 'loans_synth'" in proc.stdout
    assert postgres_server.password not in proc.stdout + proc.stderr

    assert {"loans_synth", "loans_synth_rejected", "loans_synth_report"} <= tables(postgres_url)
    assert not [t for t in tables(postgres_url) if t.startswith("_synthguard")]  # no staging table left behind
    assert sql(postgres_url, "select count(*) from loans_synth") == [(60,)]
    # integers stay integers, dates stay dates, categoricals are text (the id column is not modelled)
    assert pg_types(postgres_url, "loans_synth") == {
        "age": "bigint", "income": "double precision", "term": "bigint", "grade": "text", "approved": "boolean",
        "opened": "date"}
    rejected = pg_types(postgres_url, "loans_synth_rejected")
    assert rejected["opened"] == "date" and {"_stage", "_checks", "_reason"} <= set(rejected)

    (report, html), = sql(postgres_url, "select report, html from loans_synth_report")
    assert report["rows"] == 60 and report["tables"]["synthetic"] == "loans_synth"
    assert report["lineage"]["data_source"]["table"] == "loans"
    assert report["lineage"]["data_source"]["columns"]["opened"] == "date"
    assert "<html" in html.lower()
    assert postgres_server.password not in json.dumps(report) + html
    assert "***" in report["tables"]["database"]


def test_postgres_table_to_sqlite_and_back_reads_the_same_types(tmp_path, engine, postgres_url):
    postgres_bank(postgres_url)
    out = f"sqlite:///{tmp_path / 'out.db'}"
    result = engine.generate(GEN, 40, data=sg.Database(postgres_url, table="loans"), out=sg.Database(out, table="loans"),
                             seed=2)
    assert result.report["tables"]["synthetic"] == "loans"

    back = sg.Database(out, table="loans").read()
    assert len(back) == 40
    assert back["age"].dtype == np.int64 and back["approved"].dtype == bool
    assert pd.api.types.is_datetime64_any_dtype(back["opened"])
    assert back["grade"].map(type).eq(str).all()
    con = sqlite3.connect(tmp_path / "out.db")
    declared = {row[1]: row[2] for row in con.execute("pragma table_info(loans)")}
    assert declared == {"age": "BIGINT", "income": "FLOAT", "term": "BIGINT", "grade": "TEXT", "approved": "BOOLEAN",
                        "opened": "DATE"}


def test_reading_keeps_nulls_integers_and_dates(tmp_path, postgres_url):
    bank = sqlite_bank(tmp_path / "bank.db")
    postgres_bank(postgres_url)
    expected_null_terms = sum(r[3] is None for r in loans_rows())
    for url in (bank, postgres_url):
        frame = sg.Database(url, table="loans").read()
        assert frame["term"].isna().sum() == expected_null_terms  # NULL is missing
        assert (frame["term"].dropna() % 1 == 0).all()
        assert frame["id"].dtype == np.int64 and frame["age"].dtype == np.int64
        assert pd.api.types.is_datetime64_any_dtype(frame["opened"])
        assert frame["opened"].min() >= pd.Timestamp("2015-01-01")
        query = sg.Database(url, query="select age, term, opened from loans where grade = 'A'")
        part = query.read()
        assert query.columns_ == {"age": "integer", "term": "integer", "opened": "date"}
        assert len(part) == sum(r[4] == "A" for r in loans_rows())


# --------------------------------------------------------------------------- all or nothing


def test_existing_target_table_is_refused_unless_overwrite(tmp_path, shell):
    bank = sqlite_bank(tmp_path / "bank.db")
    out = f"sqlite:///{tmp_path / 'out.db'}"
    first = shell("generate", GEN, "--data", bank, "--table", "loans", "--rows", "30", "--out", out, "--no-audit")
    assert first.returncode == 0, first.stderr
    before = sqlite3.connect(tmp_path / "out.db").execute("select * from synthetic").fetchall()

    again = shell("generate", GEN, "--data", bank, "--table", "loans", "--rows", "20", "--out", out, "--no-audit")
    assert again.returncode == 2
    assert again.stderr.strip() == (f"error: table 'synthetic' already exists in {out}: choose another --out-table "
                                    "or pass --overwrite")
    assert sqlite3.connect(tmp_path / "out.db").execute("select * from synthetic").fetchall() == before

    replaced = shell("generate", GEN, "--data", bank, "--table", "loans", "--rows", "20", "--out", out, "--no-audit",
                   "--overwrite")
    assert replaced.returncode == 0, replaced.stderr
    assert sqlite3.connect(tmp_path / "out.db").execute("select count(*) from synthetic").fetchone() == (20,)


@pytest.mark.parametrize("where", ["sqlite", "postgres"])
def test_a_failing_write_leaves_the_old_target_as_it_was(tmp_path, engine, monkeypatch, where, request):
    from synthguard.io import database

    out = (f"sqlite:///{tmp_path / 'out.db'}" if where == "sqlite" else request.getfixturevalue("postgres_url"))
    bank = sqlite_bank(tmp_path / "bank.db")
    engine.generate(GEN, 30, data=sg.Database(bank, table="loans"), out=out, options={"audit": False})
    before = sql(out, "select * from synthetic order by age, income")
    before_tables = tables(out)

    def broken(*args, **kwargs):  # the report row fails after the synthetic and rejected rows were staged
        raise sa.exc.OperationalError("insert", {}, RuntimeError("disk full"))

    monkeypatch.setattr(database, "_write_report", broken)
    with pytest.raises(OutputError, match="nothing was written: disk full"):
        engine.generate(GEN, 20, data=sg.Database(bank, table="loans"), out=out, overwrite=True, seed=5,
                        options={"audit": False})
    assert sql(out, "select * from synthetic order by age, income") == before
    assert tables(out) == before_tables  # no staging table left behind


def test_a_view_on_the_target_stops_overwrite_and_keeps_everything(tmp_path, shell, postgres_url):
    bank = sqlite_bank(tmp_path / "bank.db")
    assert shell("generate", GEN, "--data", bank, "--table", "loans", "--rows", "30", "--out", postgres_url,
               "--no-audit").returncode == 0
    sql_engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    with sql_engine.begin() as conn:  # an analyst's view depends on the table: dropping it must not cascade
        conn.exec_driver_sql("create view young as select * from synthetic where age < 30")
    sql_engine.dispose()
    before = sql(postgres_url, "select * from synthetic order by age, income")

    proc = shell("generate", GEN, "--data", bank, "--table", "loans", "--rows", "20", "--out", postgres_url,
               "--no-audit", "--overwrite")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: writing to postgresql+psycopg://synthguard:***@127.0.0.1")
    assert "nothing was written" in proc.stderr and "depend" in proc.stderr
    assert sql(postgres_url, "select * from synthetic order by age, income") == before
    assert sql(postgres_url, "select count(*) from young") == [(sum(r[0] < 30 for r in before),)]
    assert not [t for t in tables(postgres_url) if t.startswith("_synthguard")]


# --------------------------------------------------------------------------- bad input


def test_bad_input_is_one_error_line_before_training_and_changes_nothing(tmp_path, shell, postgres_url,
                                                                          postgres_server):
    postgres_bank(postgres_url)
    wrong = postgres_url.replace(postgres_server.password, "not-the-password")
    unreachable = postgres_url.replace(f":{postgres_server.port}/", ":1/")
    out = tmp_path / "out"
    cases = [
        (["--data", unreachable, "--table", "loans"], "error: cannot connect to database postgresql+psycopg://synthguard:***@127.0.0.1:1/"),
        (["--data", wrong, "--table", "loans"], "password authentication failed"),
        (["--data", postgres_url, "--table", "payments"], "error: table 'payments' not found in database"),
        (["--data", postgres_url, "--query", "select nosuch from loans"], "error: query 'select nosuch from loans' failed"),
        (["--data", postgres_url, "--query", "delete from loans"], "error: query 'delete from loans' is not a read"),
        (["--data", postgres_url, "--query", "select 1; drop table loans"], "is not a read"),
        (["--data", postgres_url, "--query", "with gone as (delete from loans returning *) select * from gone"],
         "is not a read: the database refused it read-only"),
        (["--data", postgres_url], "expected exactly one of a table (--table NAME) or a query"),
        (["--data", "loans.csv", "--table", "loans"], "error: --table reads from a database"),
    ]
    for args, expected in cases:
        proc = shell("generate", GEN, *args, "--rows", "10", "--out", str(out))
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2, (args, proc.stderr)
        assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], (args, proc.stderr)
        assert postgres_server.password not in proc.stderr and "not-the-password" not in proc.stderr
        assert "fit" not in proc.stdout and not out.exists()
    assert sql(postgres_url, "select count(*) from loans") == [(80,)]  # the source is untouched


def test_a_read_does_not_create_or_change_a_sqlite_file(tmp_path, engine):
    with pytest.raises(DataError, match="database file .*missing.db' not found"):
        engine.fit(GEN, sg.Database(f"sqlite:///{tmp_path / 'missing.db'}", table="loans"))
    assert not (tmp_path / "missing.db").exists()
    bank = sqlite_bank(tmp_path / "bank.db")
    before = (tmp_path / "bank.db").read_bytes()
    with pytest.raises(ConfigError, match="is not a read"):
        engine.fit(GEN, sg.Database(bank, query="/* tidy up */ update loans set age = 0"))
    with pytest.raises(DataError, match="returned no rows"):
        engine.fit(GEN, sg.Database(bank, query="select * from loans where age > 200"))
    assert (tmp_path / "bank.db").read_bytes() == before


def test_output_url_problems_are_found_before_training(tmp_path, engine, postgres_server):
    bank = sqlite_bank(tmp_path / "bank.db")
    wrong = postgres_server.url(password="wrong-one")
    with pytest.raises(OutputError, match=r"cannot connect to database postgresql\+psycopg://synthguard:\*\*\*@") as err:
        engine.generate(GEN, 10, data=sg.Database(bank, table="loans"), out=wrong)
    assert "wrong-one" not in str(err.value)
    with pytest.raises(OutputError, match="is not a writable directory"):
        engine.generate(GEN, 10, data=sg.Database(bank, table="loans"), out=f"sqlite:///{tmp_path}/no/such/dir/out.db")
    assert not (tmp_path / "no").exists()


def test_the_password_never_appears_in_the_report_or_repr(tmp_path, shell, postgres_url, postgres_server):
    postgres_bank(postgres_url)
    assert postgres_server.password not in repr(sg.Database(postgres_url, table="loans"))
    proc = shell("generate", GEN, "--data", postgres_url, "--query", "select age, income, grade, opened from loans",
               "--rows", "30", "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    written = "".join(p.read_text() for p in (tmp_path / "out").glob("report.*"))
    assert postgres_server.password not in written + proc.stdout + proc.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    source = report["lineage"]["data_source"]
    assert source["source"] == "database:postgresql" and "url" not in source  # no host, user or path (lineage.py)
    assert source["query_sha256"] == hashlib.sha256(b"select age, income, grade, opened from loans").hexdigest()


# --------------------------------------------------------------------------- the other verbs


def test_evaluate_and_audit_read_both_sides_from_databases(tmp_path, shell):
    bank = sqlite_bank(tmp_path / "bank.db", n=120)
    out = f"sqlite:///{tmp_path / 'out.db'}"
    assert shell("generate", GEN, "--data", bank, "--query", "select age, income, term, grade, approved, opened from loans",
               "--rows", "50", "--out", out, "--no-audit").returncode == 0
    audit = shell("audit", "--real", bank, "--query", "select age, income, term, grade, approved, opened from loans",
                "--synthetic", out, "--synthetic-table", "synthetic")
    assert audit.returncode == 0, audit.stderr
    assert "50 synthetic vs 120 real records" in audit.stdout
    evaluate = shell("evaluate", "--real", bank, "--query", "select age, income, term, grade, approved, opened from loans",
                   "--synthetic", out, "--synthetic-table", "synthetic", "--out", out, "--out-table", "evaluation")
    assert evaluate.returncode == 0, evaluate.stderr
    assert "wrote the report to table 'evaluation_report'" in evaluate.stdout
    (report,), = sqlite3.connect(tmp_path / "out.db").execute("select report from evaluation_report").fetchall()
    assert json.loads(report)["kind"] == "evaluate"
