"""What does the gate's rule against copies of training records cost the finance default's quality? (issue 21)

On AER HealthInsurance TabularARGN's quality led the default's (0.965 vs 0.949, one draw; benchmarks/README.md, "Two
health surveys where the audit can tell"), and the gate rejected 381 draws to deliver 1,000, most as exact copies:
24% of that table's unseen real records equal a training record. Is the gap the model's or the gate's?

Per table and fit seed this runs `generate finance --data T --target Y --rows 1000 --seed S` in process (the same
split, value protection, gate and audit as the command; the audit's decision is recorded, not enforced), then scores
against the training records, by `core.quality`:

* ``delivered``: the 1,000 records the run delivered (through the gate);
* ``raw``: the model's first 1,000 draws with the gate off (its own sampler, seeds 0..draws-1);
* ``raw_minus_copies``: those draws without the ones equal to a training record, topped up from later draws, and
  the same with the copies of records also held by someone unseen (holdout) kept;
* ``holdout`` and ``holdout_minus_copies``: the real unseen records, all and without the ones equal to a training
  record: what removing copies costs real data.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/gate_cost.py --tables AER/HealthInsurance --seeds 0 1 2
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/gate_cost.py --tables AER/NMES1988 --seeds 0 1 2
    # appends to benchmarks/experiments/gate_cost.jsonl
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main() -> None:
    from unseen_tables import TABLES, load_table

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", nargs="+", default=["AER/HealthInsurance"], choices=list(TABLES))
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--draws", type=int, default=3, help="raw draws of 1,000 scored per fit")
    ap.add_argument("--out", type=Path, default=HERE / "gate_cost.jsonl")
    args = ap.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    import synthguard as sg
    from synthguard.quality.fidelity import quality_score

    for table in args.tables:
        name, frame = load_table(table)
        with tempfile.TemporaryDirectory(prefix="gate_cost_") as tmp:
            data = Path(tmp) / f"{name}.csv"
            frame.to_csv(data, index=False)
            for seed in args.seeds:
                start = time.perf_counter()
                res = sg.generate("finance", data=str(data), target=TABLES[table], rows=1000, seed=seed,
                                  save_model=str(Path(tmp) / f"model_{seed}"),
                                  options={"override_audit": "benchmark: record the decision"})
                fit_s = time.perf_counter() - start
                train, hold = res.context.reference, res.context.holdout
                columns = list(train.frame.columns)

                def table_of(f: pd.DataFrame) -> sg.Table:
                    return sg.Table(f[columns].reset_index(drop=True), train.meta)

                def score(f: pd.DataFrame) -> float:
                    return round(quality_score(train, table_of(f))["score"], 4)

                in_train = pd.Series(train.record_hashes()).value_counts()
                in_hold = pd.Series(hold.record_hashes()).value_counts()
                copies = np.isin(hold.record_hashes(), in_train.index.to_numpy())
                model = sg.load(Path(tmp) / f"model_{seed}")
                raws = []
                for draw in range(args.draws):
                    raw = model.sample(3000, seed=draw).frame
                    hashes = table_of(raw).record_hashes()
                    copy = np.isin(hashes, in_train.index.to_numpy())
                    unseen_too = copy & np.isin(hashes, in_hold.index.to_numpy())
                    raws.append({"raw": score(raw.iloc[:1000]), "copies": round(float(copy[:1000].mean()), 4),
                                 "copies_of_training_unique": round(float(np.isin(
                                     hashes[:1000], in_train.index[in_train == 1].to_numpy()).mean()), 4),
                                 "raw_minus_copies": score(raw[~copy].iloc[:1000]),
                                 "raw_minus_copies_unseen_kept": score(raw[~copy | unseen_too].iloc[:1000])})
                row = {"date": dt.date.today().isoformat(), "table": table, "seed": seed,
                       "fit_and_run_seconds": round(fit_s, 1), "decision": res.report["release"]["decision"],
                       "rejected": {k: v["rejected"] for k, v in res.report["privacy"].items() if v["rejected"]},
                       "delivered": score(res.data),
                       "holdout": score(hold.frame), "holdout_records": len(hold.frame),
                       "holdout_copies": round(float(copies.mean()), 4),
                       "holdout_minus_copies": score(hold.frame[~copies]), "raw_draws": raws}
                print(json.dumps(row), flush=True)
                with args.out.open("a") as fh:
                    fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
