"""Chunked runs into databases: each gated chunk appended to staging tables, swapped in at the end, all or nothing.

SQLite is a file here; Postgres is the real server of tests/conftest.py. The generator is the fast SDV
GaussianCopula baseline (finance) on test_database's made-up 80-row loans table, or the toy copycat.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
import synthguard as sg
from synthguard.errors import OutputError
from synthguard.io import database
from synthguard.io.partitioned import read_partitioned
from test_database import GEN, loans_rows, pg_types, shell, sql, sqlite_bank, tables  # noqa: F401 (shell: fixture)

pytest.importorskip("distributed")

CHUNKED = ("--rows", "600", "--chunk-rows", "200", "--seed", "3", "--no-audit")


def declared(path: Path, table: str) -> dict[str, str]:
    with sqlite3.connect(path) as con:
        return {row[1]: row[2] for row in con.execute(f"pragma table_info({table})")}


def test_a_chunked_run_appends_each_chunk_and_keeps_the_in_memory_column_types(tmp_path, shell):
    bank = sqlite_bank(tmp_path / "bank.db")
    out = f"sqlite:///{tmp_path / 'out.db'}"
    proc = shell("generate", GEN, "--data", bank, "--table", "loans", *CHUNKED, "--out", out, "--out-table", "chunked")
    assert proc.returncode == 0, proc.stderr
    assert "wrote 600 records to table 'chunked'" in proc.stdout
    assert "3 chunks appended to table 'chunked'" in proc.stdout
    memory = shell("generate", GEN, "--data", bank, "--table", "loans", "--rows", "600", "--seed", "3", "--no-audit",
                   "--out", out, "--out-table", "memory")
    assert memory.returncode == 0, memory.stderr

    assert tables(out) == {"chunked", "chunked_rejected", "chunked_report", "memory", "memory_rejected",
                           "memory_report"}  # no staging table left
    assert declared(tmp_path / "out.db", "chunked") == declared(tmp_path / "out.db", "memory") == {
        "age": "BIGINT", "income": "FLOAT", "term": "BIGINT", "grade": "TEXT", "approved": "BOOLEAN", "opened": "DATE"}
    assert declared(tmp_path / "out.db", "chunked_rejected") == declared(tmp_path / "out.db", "memory_rejected")
    assert sql(out, "select count(*) from chunked") == [(600,)]
    assert sql(out, "select count(*) from chunked where term is null")[0][0] > 0  # NULLs stay NULL
    (report,), = sql(out, "select report from chunked_report")
    report = json.loads(report)
    assert report["scale"]["chunks"] == 3 and report["scale"]["written_by"].startswith("the driver")
    assert report["tables"]["synthetic"] == "chunked" and report["measured_on"]["of"] == 600
    rejected, = sql(out, "select count(*) from chunked_rejected")
    assert rejected == (report["sampling"]["rejected"],)

    # the same rows as the same chunked run written as partitions (the database holds them in completion order)
    files = shell("generate", GEN, "--data", bank, "--table", "loans", *CHUNKED, "--out", str(tmp_path / "files"))
    assert files.returncode == 0, files.stderr
    parts = read_partitioned(tmp_path / "files" / "synthetic")
    back = sg.Database(out, table="chunked").read()
    key = list(parts.columns)
    pd.testing.assert_frame_equal(back[key].sort_values(key).reset_index(drop=True),
                                  parts.sort_values(key).reset_index(drop=True), check_dtype=False)


def test_a_chunked_run_into_postgres_types_the_columns_and_hides_the_password(tmp_path, shell, postgres_url,
                                                                           postgres_server):
    bank = sqlite_bank(tmp_path / "bank.db")
    proc = shell("generate", GEN, "--data", bank, "--table", "loans", *CHUNKED, "--out", postgres_url,
                 "--out-table", "loans_synth")
    assert proc.returncode == 0, proc.stderr
    assert postgres_server.password not in proc.stdout + proc.stderr
    assert tables(postgres_url) == {"loans_synth", "loans_synth_rejected", "loans_synth_report"}
    assert pg_types(postgres_url, "loans_synth") == {
        "age": "bigint", "income": "double precision", "term": "bigint", "grade": "text", "approved": "boolean",
        "opened": "date"}
    assert sql(postgres_url, "select count(*) from loans_synth") == [(600,)]
    (report, html), = sql(postgres_url, "select report, html from loans_synth_report")
    assert report["scale"]["chunks"] == 3 and "***" in report["tables"]["database"]
    assert postgres_server.password not in json.dumps(report) + html


@pytest.mark.parametrize("where", ["sqlite", "postgres"])
def test_a_failure_after_the_first_chunk_leaves_the_old_tables_as_they_were(tmp_path, monkeypatch, where, request):
    out = f"sqlite:///{tmp_path / 'out.db'}" if where == "sqlite" else request.getfixturevalue("postgres_url")
    bank = sg.Database(sqlite_bank(tmp_path / "bank.db"), table="loans")
    engine = sg.Engine()
    engine.generate(GEN, 300, data=bank, out=out, options={"audit": False}, scale={"chunk_rows": 100})
    before, before_tables = sql(out, "select * from synthetic order by age, income, opened"), tables(out)

    appended = []
    original = database.Staging.append

    def full_disk(self, role, frame):
        if role == "synthetic" and appended:
            raise OutputError("writing to the database failed, nothing was written: could not extend file: "
                              "No space left on device")
        if role == "synthetic":
            appended.append(len(frame))
        original(self, role, frame)

    monkeypatch.setattr(database.Staging, "append", full_disk)
    with pytest.raises(OutputError, match="No space left on device"):
        engine.generate(GEN, 300, data=bank, out=out, overwrite=True, seed=9, options={"audit": False},
                        scale={"chunk_rows": 100})
    assert appended == [100]  # one chunk was in the staging table when it failed
    assert sql(out, "select * from synthetic order by age, income, opened") == before
    assert tables(out) == before_tables  # the staging tables went with the transaction


KILLED_RUN = textwrap.dedent("""
    import os, sys, time
    import synthguard as sg
    from toy import toy_plugin

    class Slow(sg.Validator):  # a gate that takes a while, so the run is still going when it is killed
        name = "test.slow"
        modalities = frozenset({"table"})
        def check(self, records, context):
            time.sleep(float(os.environ.get("SLOW_GATE", "0")))
            return sg.Verdict.keep_all(len(records))

    import types
    slow = types.ModuleType("slow")
    slow.register_validators = sg.hookimpl(lambda register: register(Slow))
    engine = sg.Engine(plugins=[toy_plugin, slow], load_entrypoints=False)
    frame = sg.Database(sys.argv[1], table="loans").read()
    engine.generate("test-copycat", 2000, data=frame, out=sg.Database(sys.argv[2], table="synthetic"), seed=1,
                    options={"audit": False}, scale={"chunk_rows": 200}, progress=True)
    print("finished")
""")


@pytest.mark.parametrize("where", ["sqlite", "postgres"])
def test_a_killed_run_leaves_no_table_and_the_next_run_completes(tmp_path, where, request):
    bank = sqlite_bank(tmp_path / "bank.db")
    out = f"sqlite:///{tmp_path / 'out.db'}" if where == "sqlite" else request.getfixturevalue("postgres_url")
    script = tmp_path / "run.py"
    script.write_text(KILLED_RUN)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent), "OMP_NUM_THREADS": "1", "SLOW_GATE": "0.5"}
    proc = subprocess.Popen([sys.executable, str(script), bank, out], stderr=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env=env)
    seen = []
    for line in proc.stderr:  # kill -9 as soon as the first chunk is in the staging table
        seen.append(line)
        if "chunk 0 done" in line:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "".join(seen)
    assert "finished" not in proc.stdout.read()

    assert not (tmp_path / "out.db").exists() or tables(out) == set()  # nothing that looks complete, nor half
    if where == "postgres":
        assert tables(out) == set()
    from toy import toy_plugin  # the next run, here: it finds the database as it was and completes

    engine = sg.Engine(plugins=[toy_plugin], load_entrypoints=False)
    engine.generate("test-copycat", 2000, data=sg.Database(bank, table="loans"), out=sg.Database(out, table="synthetic"),
                    seed=1, options={"audit": False}, scale={"chunk_rows": 200})
    assert tables(out) == {"synthetic", "synthetic_rejected", "synthetic_report"}
    assert sql(out, "select count(*) from synthetic") == [(2000,)]


def test_an_unreachable_scheduler_with_a_database_out_is_one_error_and_no_file(tmp_path, shell):
    bank = sqlite_bank(tmp_path / "bank.db")
    proc = shell("generate", GEN, "--data", bank, "--table", "loans", "--rows", "1000", "--scheduler",
                 "tcp://127.0.0.1:9", "--out", f"sqlite:///{tmp_path / 'out.db'}")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Dask scheduler tcp://127.0.0.1:9 cannot be reached")
    assert "fit" not in proc.stdout and not (tmp_path / "out.db").exists()
