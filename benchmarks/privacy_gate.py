"""Rows per second through the privacy gate (exact copy, near copy, NNDR, k-anonymity) by nearest-neighbour backend.

    .venv/bin/python benchmarks/privacy_gate.py                      # lending_club (7.9k training records)
    .venv/bin/python benchmarks/privacy_gate.py --dataset credit_data --rows 200000

Queries are synthetic records from the finance plugin's pretrained bundle, resampled
(with replacement) up to --rows; exact search cost does not depend on which records
are queried. Index = the training split `generate` uses. Writes
benchmarks/results/privacy_gate_<dataset>.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="lending_club")
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--backends", nargs="+", default=["faiss", "sklearn"])
    args = ap.parse_args()

    import synthguard as sg
    from synthguard.builtin import ExactCopyFilter
    from synthguard import CheckContext
    from synthguard.data import holdout_split
    from synthguard.pipeline import HOLDOUT, SPLIT_SEED
    from synthguard.privacy import NNDRFilter, NearCopyFilter, NearestRecords, RareCombinationFilter, TableDistance

    engine = sg.Engine()
    ds = engine.dataset(args.dataset)
    train, holdout = holdout_split(ds.load(), HOLDOUT, seed=SPLIT_SEED)
    model = engine.load(ds.bundles()["finance"])
    base = model.sample(min(args.rows, 20_000), seed=0)
    queries = base.take(np.random.default_rng(0).integers(0, len(base), args.rows))
    qi = list(ds.quasi_identifiers) or train.meta.names[:3]
    rows = []
    for backend in args.backends:
        t0 = time.perf_counter()
        ctx = CheckContext(meta=train.meta, reference_hashes=train.record_hashes(), reference=train, holdout=holdout,
                           options={"quasi_identifiers": qi}, distance=TableDistance)
        ctx._shared["nearest"] = NearestRecords(TableDistance().fit(train), train, backend=backend)
        filters = [ExactCopyFilter(), NearCopyFilter(), NNDRFilter(), RareCombinationFilter()]
        for f in filters:
            f.prepare(ctx)
        prepare = time.perf_counter() - t0
        t0 = time.perf_counter()
        rejected = {}
        for f in filters:
            rejected[f.name] = int(f.check(queries, ctx).rejected.sum())
        seconds = time.perf_counter() - t0
        rows.append({"backend": backend, "rows": args.rows, "index_records": len(train), "prepare_seconds": round(prepare, 2),
                     "gate_seconds": round(seconds, 2), "rows_per_second": round(args.rows / seconds),
                     "rejected": rejected, "embedding_dims": int(TableDistance().fit(train).embed(train.take([0])).shape[1])})
        print(rows[-1], flush=True)
    out = {"dataset": args.dataset, "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
           "quasi_identifiers": qi, "results": rows}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"privacy_gate_{args.dataset}.json").write_text(json.dumps(out, indent=2))
    print("\n| backend | index records | rows gated | rows/s | near-copy / NNDR / k-anon rejected |\n|---|---|---|---|---|")
    for r in rows:
        rej = r["rejected"]
        print(f"| {r['backend']} | {r['index_records']} | {r['rows']} | {r['rows_per_second']} | "
              f"{rej['core.near-copy']} / {rej['core.nndr']} / {rej['core.k-anonymity']} |")


if __name__ == "__main__":
    main()
