"""Would sampling the finance default's 64-row column orders together be faster? (issue 23, 1M rows in 2 minutes)

The default draws one random column order per 64 rows (`order_rows`, benchmarks/README.md "One column order per 64
rows"), so each 4,096-row chunk runs 64 groups of 23 small passes. Batching all groups into one pass per step would
cost at most what one order for every row costs today; this times both on the pretrained lending_club bundle, one
process, one thread, alternating, so the ratio is the most such batching could gain:

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/order_rows_speed.py
    # writes benchmarks/results/order_rows_speed.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "order_rows_speed.json")
    args = parser.parse_args()

    import torch
    from synthguard import Engine

    torch.set_num_threads(1)
    engine = Engine()
    model = engine.dataset("lending_club").bundles()["finance"]
    model = engine.load(model)
    base = model.config
    runs = []
    for rep in range(args.repeats):
        for order_rows in (base.order_rows, 10 * args.rows):  # the default, then one order for every row
            model.config = base.model_copy(update={"order_rows": order_rows})
            start = time.perf_counter()
            model.sample(args.rows, seed=rep)
            seconds = time.perf_counter() - start
            runs.append({"repeat": rep, "order_rows": order_rows, "seconds": round(seconds, 3),
                         "rows_per_s": round(args.rows / seconds, 1)})
            print(runs[-1], flush=True)
    by = {o: [r["rows_per_s"] for r in runs if r["order_rows"] == o] for o in (base.order_rows, 10 * args.rows)}
    result = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="minutes"), "rows": args.rows,
              "threads": 1, "runs": runs,
              "rows_per_s": {str(k): v for k, v in by.items()},
              "one_order_over_default": round(sum(by[10 * args.rows]) / sum(by[base.order_rows]), 3)}
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}))


if __name__ == "__main__":
    main()
