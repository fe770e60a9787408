"""Does the finance default's output carry the outcome's dependence on the other columns? (issue 21, TSTR)

Per draw, TSTR / TRTR asks a model trained on the synthetic rows to predict the real holdout. This adds the
reverse, ``trts``: the AUC of a model trained on the *real* training rows, scored against the synthetic rows' own
outcomes — how predictable the synthetic outcome is from its row, beside the real holdout's figure (the TRTR AUC).
An output whose outcome is drawn too loosely from its row reads a low ``trts`` and a low TSTR together.

Each variant is a fresh fit on `generate`'s 80% split (value protection as `generate` applies it,
`Engine.fit_records`), fit seed S, then ``--draws`` raw 1,000-row draws (no gate), seeds 0..N-1:

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/target_dependence.py --dataset german_credit \\
        --seeds 0 1 2 --variant default --variant target_weight=4 --variant target_weight=10
    .venv/bin/python benchmarks/experiments/target_dependence.py --bundle      # the shipped bundle, no fit

A variant is ``default`` (the generator's defaults: ``target_weight`` 1, every column alike) or
``KEY=VALUE[,KEY=VALUE]`` of finance config fields over them; every fit names the dataset's declared outcome as
``target`` (what `generate` does when a weight is asked for). Each fit's summary is appended to
target_dependence.jsonl beside this script (or --log).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
LOG = HERE / "target_dependence.jsonl"


def parse(variant: str) -> dict:
    if variant == "default":
        return {}
    out = {}
    for item in variant.split(","):
        key, value = item.split("=", 1)
        out[key] = json.loads(value) if value[:1] in "0123456789-[{tf" else value
    return out


class Scorer:
    """Quality, TSTR / TRTR and TRTS (`core.tstr`'s) of 1,000-row outputs against `generate`'s split of one table."""

    def __init__(self, dataset: str):
        import synthguard as sg
        from synthguard.contract import MetricContext
        from synthguard.data import holdout_split
        from synthguard.pipeline import HOLDOUT, SPLIT_SEED

        self.engine = engine = sg.Engine()
        self.train, self.hold = holdout_split(engine.dataset(dataset).load(), HOLDOUT, seed=SPLIT_SEED)
        self.target = engine.dataset(dataset).target
        self.context = MetricContext(holdout=self.hold, target=self.target)
        self.positive = sorted(self.train.frame[self.target].dropna().astype(str).unique())[-1]
        self.trtr_auc = None

    def score(self, frame) -> dict:
        import synthguard as sg
        from synthguard.quality.fidelity import quality_score
        from synthguard.quality.utility import TSTRMetric

        frame = frame[list(self.train.frame.columns)].reset_index(drop=True)
        table = sg.Table(frame, self.train.meta)
        tstr = TSTRMetric().compute(self.train, table, self.context)
        self.trtr_auc = tstr["trtr"]
        return {"quality": quality_score(self.train, table)["score"], "tstr_ratio": tstr["ratio"], "trts": tstr["trts"],
                "positive_share": round(float((frame[self.target].astype(str) == self.positive).mean()), 4)}


def summarise(draws: list[dict]) -> dict:
    return {k: {"mean": round(float(np.mean([d[k] for d in draws])), 4),
                "sd": round(float(np.std([d[k] for d in draws], ddof=1)), 4)} for k in draws[0]}


def run(dataset: str, variant: str, seed: int, n_draws: int, log: Path) -> None:
    import torch

    torch.set_num_threads(1)
    scorer = Scorer(dataset)
    settings = {"target": scorer.target, **parse(variant)}  # the outcome, as `generate` names it for a weight
    start = time.time()
    model = scorer.engine.fit_records("finance", scorer.train, source={"source": "target_dependence"},
                                      config=settings, seed=seed)
    fit_s = time.time() - start
    draws = [scorer.score(model.sample(1000, seed=s).frame) for s in range(n_draws)]
    row = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "dataset": dataset, "variant": variant,
           "seed": seed, "fit_s": round(fit_s, 1), "best_epoch": model.fit_info_.get("best_epoch"),
           "epochs_run": model.fit_info_.get("epochs_run"), "trtr_auc": round(scorer.trtr_auc, 4),
           "load_avg": round(os.getloadavg()[0], 1), "draws": len(draws), **summarise(draws)}
    with open(log, "a") as f:
        f.write(json.dumps(row) + "\n")
    print(json.dumps(row), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", default="german_credit")
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--variant", action="append", default=[])
    ap.add_argument("--draws", type=int, default=10)
    ap.add_argument("--bundle", action="store_true", help="score the shipped bundle's raw draws (no fit)")
    ap.add_argument("--log", type=Path, default=LOG)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    if args.bundle:
        scorer = Scorer(args.dataset)
        model = scorer.engine.load(scorer.engine.dataset(args.dataset).bundles()["finance"])
        draws = [scorer.score(model.sample(1000, seed=s).frame) for s in range(args.draws)]
        row = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "dataset": args.dataset,
               "variant": "shipped bundle", "trtr_auc": round(scorer.trtr_auc, 4), **summarise(draws)}
        with open(args.log, "a") as f:
            f.write(json.dumps(row) + "\n")
        print(json.dumps(row))
        return
    for seed in args.seeds:
        for variant in args.variant or ["default"]:
            run(args.dataset, variant, seed, args.draws, args.log)


if __name__ == "__main__":
    main()
