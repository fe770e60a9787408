"""One finance setting against another, on the three reference tables (docs/finance_fidelity.md).

    .venv/bin/python benchmarks/peers_finance_ablation.py --dataset german_credit --tag ord16 \\
        --config '{"epochs": 40, "val_fraction": 0, "ordinal_basis": 16}'

Fits `finance` with CONFIG (over its defaults) on `generate`'s 80% training split (seed 0), with value protection
as `generate` applies it, samples 1,000 rows twice (seeds 0 and 1, no gate: the gate is the same for every
setting) and prints one JSON line: quality, its column shapes and pair trends, TSTR and TSTR/TRTR, each the mean
of the two samples (per-sample values alongside), the fit's seconds and epochs. One process per setting, so
several run side by side; results are appended to benchmarks/results/peers_finance_ablation.jsonl.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--tag", required=True)
    ap.add_argument("--config", default="{}", help="JSON of finance config fields")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    import synthguard as sg
    import torch
    from synthguard.contract import MetricContext
    from synthguard.data import holdout_split
    from synthguard.pipeline import HOLDOUT, SPLIT_SEED
    from synthguard.quality.fidelity import quality_score
    from synthguard.quality.utility import TSTRMetric

    torch.set_num_threads(1)
    config = json.loads(args.config)
    engine = sg.Engine()
    train, hold = holdout_split(engine.dataset(args.dataset).load(), HOLDOUT, seed=SPLIT_SEED)
    start = time.time()
    model = engine.fit_records("finance", train, source={"source": "ablation"}, config=config, seed=0)
    fit_s = time.time() - start
    context = MetricContext(holdout=hold, target=engine.dataset(args.dataset).target)
    per_seed = []
    for seed in (0, 1):
        synthetic = sg.Table(model.sample(1000, seed=seed).frame, train.meta)
        q, t = quality_score(train, synthetic), TSTRMetric().compute(train, synthetic, context)
        per_seed.append((q["score"], q["column_shapes"], q["column_pair_trends"], t["tstr"], t["ratio"]))
    mean = np.mean(per_seed, axis=0)
    row = {"date": time.strftime("%Y-%m-%d"), "dataset": args.dataset, "tag": args.tag, "config": config,
           "fit_s": round(fit_s), "epochs_run": model.fit_info_.get("epochs_run"),
           "best_epoch": model.fit_info_.get("best_epoch"), "quality": round(mean[0], 4), "shapes": round(mean[1], 4),
           "pairs": round(mean[2], 4), "tstr": round(mean[3], 4), "ratio": round(mean[4], 4), "per_seed": per_seed}
    RESULTS.mkdir(exist_ok=True)
    with open(RESULTS / "peers_finance_ablation.jsonl", "a") as f:
        f.write(json.dumps(row) + "\n")
    print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
