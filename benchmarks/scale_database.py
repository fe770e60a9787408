"""Chunked database round trip (issue 23): SQLite table -> fit finance-gaussian-copula -> N rows streamed to Postgres.

Runs the user's command in a child process,

    synthguard generate finance-gaussian-copula --data sqlite:///loans.db --table loans --rows N \
        --chunk-rows 50000 --out postgresql://... --out-table loans --overwrite --no-audit

(chunks sampled and gated one after another in that process; each appended to a staging table in Postgres as it
completes; the tables swapped in at the end) and records wall time, rows/s and peak RSS of the process tree
(sampled every 0.2 s with psutil; the Postgres server's own memory is not counted), then reads back from Postgres
the row count, the column types and whether any staging table is left. The ``loans`` table is made up
(database_roundtrip.make_loans: seeded ids, ages, incomes with NULLs, amounts, terms, grades, purposes, flags,
dates), not real data. Postgres is a throwaway server started like the tests' (tests/conftest.py), stopped after.

    python benchmarks/scale_database.py --rows 100000 300000       # results/scale_database.json
    python benchmarks/scale_database.py --read-only 250000 1000000  # results/scale_database_read.json

``--read-only`` measures what the training side holds instead: ``Database(url, table="loans").read()`` of the
made-up table in a fresh child process (peak RSS before and after the read, the frame's own size), as the
generator fits on that frame in memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "scale_database.json"
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT / "tests")]

from database_roundtrip import make_loans  # noqa: E402  (the same made-up table as the in-memory round trip)
from scale_generate import run  # noqa: E402  (wall time and peak RSS of the process tree)


def read_back(url: str) -> dict:
    engine = sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg"), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        count = conn.exec_driver_sql("select count(*) from loans").scalar()
        rejected = conn.exec_driver_sql("select count(*) from loans_rejected").scalar()
        report = conn.exec_driver_sql("select report from loans_report").scalar()
        types = dict(conn.exec_driver_sql("select column_name, data_type from information_schema.columns "
                                          "where table_name = 'loans' order by ordinal_position").all())
        staging = [t for t in sa.inspect(conn).get_table_names() if t.startswith("_synthguard")]
    engine.dispose()
    t = report["timings"]
    return {"rows_in_postgres": count, "rejected_rows_in_postgres": rejected, "postgres_column_types": types,
            "staging_tables_left": staging, "chunks": report["scale"]["chunks"],
            "written_by": report["scale"]["written_by"], "sampling": report["sampling"],
            "timings": {"fit_seconds": t["fit_seconds"], "sample_seconds_summed": t["sample_seconds"],
                        "gate_seconds_summed": t["checks_seconds"], "metrics_seconds": t["metrics_seconds"]},
            "measured_on": {k: report["measured_on"][k] for k in ("rows", "of")}}


READ = """
import json, resource, sys, time
import synthguard as sg
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
frame = sg.Database(sys.argv[1], table="loans").read()
seconds = time.perf_counter() - start
print(json.dumps({"read_seconds": round(seconds, 1), "rss_before_read_mib": round(before / 1024),
                  "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                  "frame_mib": round(frame.memory_usage(deep=True).sum() / 2**20), "shape": list(frame.shape)}))
"""


def measure_reads(sizes: list[int], results: Path) -> None:
    import subprocess

    runs = []
    with tempfile.TemporaryDirectory(prefix="synthguard-dbread-") as work:
        for rows in sizes:
            source = Path(work) / f"loans{rows}.db"
            make_loans(source, rows)
            proc = subprocess.run([sys.executable, "-c", READ, f"sqlite:///{source}"], capture_output=True, text=True,
                                  check=True)
            runs.append({"rows": rows, **json.loads(proc.stdout.strip().splitlines()[-1])})
            print(json.dumps(runs[-1]), flush=True)
            source.unlink()
    results.write_text(json.dumps({"date": dt.date.today().isoformat(),
                                   "command": "python benchmarks/scale_database.py --read-only "
                                              + " ".join(map(str, sizes)),
                                   "what": "Database(sqlite:///loans.db, table='loans').read() in a fresh process "
                                           "(9 columns; ru_maxrss)", "runs": runs}, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 300_000], help="rows generated, one run each")
    parser.add_argument("--source-rows", type=int, default=10_000, help="rows of the SQLite loans table")
    parser.add_argument("--chunk-rows", type=int, default=50_000)
    parser.add_argument("--results", type=Path, default=None)
    parser.add_argument("--read-only", type=int, nargs="+", default=None, metavar="ROWS",
                        help="only measure reading a table of ROWS rows into memory (the training side)")
    args = parser.parse_args()
    if args.read_only:
        return measure_reads(args.read_only, args.results or RESULTS.with_name("scale_database_read.json"))
    args.results = args.results or RESULTS

    from conftest import PostgresServer, _postgres_bindir

    server = PostgresServer(_postgres_bindir())
    why = server.start()
    if why:
        raise SystemExit(f"Postgres could not be started: {why}")
    runs = []
    try:
        with tempfile.TemporaryDirectory(prefix="synthguard-scaledb-") as work:
            source = Path(work) / "loans.db"
            make_loans(source, args.source_rows)
            for rows in args.rows:
                cmd = ["generate", "finance-gaussian-copula", "--data", f"sqlite:///{source}", "--table", "loans",
                       "--rows", str(rows), "--chunk-rows", str(args.chunk_rows), "--out", server.url(),
                       "--out-table", "loans", "--overwrite", "--no-audit", "--seed", "0"]
                got = run(cmd)
                row = {"rows": rows, "source_rows": args.source_rows, "chunk_rows": args.chunk_rows,
                       "wall_seconds": got["wall_seconds"], "rows_per_second": round(rows / got["wall_seconds"]),
                       "peak_rss_mib": got["peak_rss_mib"], **read_back(server.url())}
                runs.append(row)
                print(json.dumps(row), flush=True)
                save(args, runs)  # after each run: a long one stopped later keeps the ones before
    finally:
        server.stop()


def save(args, runs: list[dict]) -> None:
    result = {"date": dt.date.today().isoformat(),
              "command": "python benchmarks/scale_database.py --rows " + " ".join(map(str, args.rows))
                         + f" --source-rows {args.source_rows} --chunk-rows {args.chunk_rows}",
              "machine": f"{os.cpu_count()} shared CPU cores, no GPU; Postgres on 127.0.0.1 (throwaway, fsync off), "
                         "SQLite file on local disk",
              "generator": "finance-gaussian-copula (fitted on the SQLite table's 80% training split; gate on, "
                           "audit off)",
              "peak_rss_is": "the synthguard process tree (in-process chunks: one process), sampled every 0.2 s",
              "runs": runs}
    args.results.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
