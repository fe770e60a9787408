"""Database round trip (issue 23): a loans table in SQLite -> fit finance-gaussian-copula -> rows to Postgres.

Runs the user's command, ``synthguard generate finance-gaussian-copula --data sqlite:///loans.db --table loans
--rows N --out postgresql://... --out-table loans``, in a child process and records its wall time, its peak
RSS (``getrusage(RUSAGE_CHILDREN)``) and the report's own timings. The table is made up here (seeded; ids,
ages, incomes with NULLs, terms, grades, flags, dates), not real data. Postgres is a throwaway server started
like the tests' (``tests/conftest.py``), unless ``--out`` names one.

    python benchmarks/database_roundtrip.py --rows 1000000          # results/database_roundtrip.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "database_roundtrip.json"


def make_loans(path: Path, rows: int, seed: int = 0) -> float:
    """A ``loans`` table of ``rows`` rows in a new SQLite file; returns the seconds it took."""
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    con = sqlite3.connect(path)
    con.execute("create table loans (id integer primary key, age integer not null, income real, amount integer, "
                "term integer, grade text, purpose text, approved boolean, opened date)")
    chunk = 200_000
    for lo in range(0, rows, chunk):
        n = min(chunk, rows - lo)
        age = rng.integers(18, 80, n)
        income = np.round(rng.lognormal(10.5, 0.5, n), 2)
        amount = (income * rng.uniform(0.05, 0.6, n) // 100 * 100).astype(int)
        term = rng.choice([36, 60], n, p=[0.7, 0.3])
        grade = rng.choice(list("ABCDE"), n, p=[0.2, 0.3, 0.25, 0.15, 0.1])
        purpose = rng.choice(["car", "home", "debt", "education", "other"], n)
        approved = (rng.random(n) < 0.4 + 0.1 * (grade < "C")).astype(int)
        opened = (np.datetime64("2012-01-01") + rng.integers(0, 4000, n)).astype(str)
        income_null = rng.random(n) < 0.05
        term_null = rng.random(n) < 0.03
        con.executemany("insert into loans values (?,?,?,?,?,?,?,?,?)", (
            (lo + i + 1, int(age[i]), None if income_null[i] else float(income[i]), int(amount[i]),
             None if term_null[i] else int(term[i]), str(grade[i]), str(purpose[i]), int(approved[i]), opened[i])
            for i in range(n)))
    con.commit()
    con.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the SQLite table and rows generated")
    parser.add_argument("--out", default=None, help="a Postgres URL (default: a throwaway server)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--no-audit", action="store_true", help="skip the privacy audit (the gate still runs)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="synthguard-dbbench-"))
    server = None
    if args.out is None:
        sys.path.insert(0, str(ROOT / "tests"))
        from conftest import PostgresServer, _postgres_bindir

        server = PostgresServer(_postgres_bindir())
        why = server.start()
        if why:
            raise SystemExit(f"Postgres could not be started: {why}")
        args.out = server.url()
    try:
        make_seconds = make_loans(work / "loans.db", args.rows)
        cmd = [str(Path(sys.executable).with_name("synthguard")), "generate", "finance-gaussian-copula",
               "--data", f"sqlite:///{work / 'loans.db'}", "--table", "loans", "--rows", str(args.rows),
               "--out", args.out, "--out-table", "loans", "--overwrite", *(["--no-audit"] if args.no_audit else [])]
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - start
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(proc.stdout, proc.stderr, sep="\n")
        engine = sa.create_engine(sa.make_url(args.out).set(drivername="postgresql+psycopg"))
        with engine.connect() as conn:
            written = conn.exec_driver_sql("select count(*) from loans").scalar() if proc.returncode == 0 else 0
            report = conn.exec_driver_sql("select report from loans_report").scalar() if proc.returncode == 0 else {}
            types = dict(conn.exec_driver_sql("select column_name, data_type from information_schema.columns "
                                              "where table_name = 'loans' order by ordinal_position").all())
        engine.dispose()
        result = {
            "date": dt.date.today().isoformat(),
            "command": "python benchmarks/database_roundtrip.py --rows " + str(args.rows)
                       + (" --no-audit" if args.no_audit else ""),
            "machine": "2 shared CPU cores, no GPU; Postgres 15 on a local socket/port, SQLite file on local disk",
            "rows_in_sqlite": args.rows, "rows_requested": args.rows, "rows_written_to_postgres": written,
            "exit_code": proc.returncode, "error": proc.stderr.strip()[-500:] if proc.returncode else None,
            "wall_seconds": round(wall, 1), "peak_rss_mib": round(peak_mib, 1),
            "make_sqlite_seconds": round(make_seconds, 1),
            "report_timings": report.get("timings"), "sampling": report.get("sampling"),
            "postgres_column_types": types, "audit_decision": (report.get("release") or {}).get("decision"),
        }
    finally:
        if server is not None:
            server.stop()
        for f in work.iterdir():
            f.unlink()
        work.rmdir()
    args.results.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
