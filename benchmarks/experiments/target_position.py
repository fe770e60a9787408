"""Does it matter where the finance default draws the target (or the quasi-identifiers) in a row's column order?
(issue 21: TSTR ≥ 0.97 × TRTR at 1,000 rows)

The default fills a row's columns in a random order (one per 64 rows). TSTR trains a classifier on the synthetic
target given the other columns, so the target's place in the order might matter: drawn last, it comes from the
model's p(target | every other column), a discriminative conditional; drawn first, from its marginal, and every
other column is drawn given it. And the gate's k-anonymity screen draws the quasi-identifiers first in every row
(synthguard.screen), so ``qi-first`` separates what that order costs from what the refusals cost.

Each variant samples the pretrained bundle of each reference table (1,000 rows, seeds 0…D-1, no gate), scored as
`generate` scores it: core.quality (SDMetrics' QualityReport, the real table's bins) and core.tstr on the holdout.
The variants put a column group first through the generator's own two-stage draw (the ``screen`` argument of
``FinanceGenerator._sample``, here a screen that keeps every draw):

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/target_position.py --draws 10
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
RESULTS = ROOT / "benchmarks" / "results" / "target_position.json"


class KeepAll:
    """A screen for FinanceGenerator._sample that only orders: ``columns`` are drawn first, every draw is kept."""

    def __init__(self, columns):
        self.columns = tuple(columns)

    def keep(self, drawn):
        return np.ones(len(drawn), dtype=bool)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", nargs="+", default=["german_credit", "credit_data", "lending_club"])
    ap.add_argument("--variants", nargs="+", default=["any", "target-first", "target-last", "qi-first"])
    ap.add_argument("--draws", type=int, default=10)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")

    import synthguard as sg
    from peers_privacy import split, train_table
    from synthguard.contract import MetricContext
    from synthguard.quality.fidelity import quality_score
    from synthguard.quality.utility import TSTRMetric

    engine = sg.Engine()
    results: dict = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="minutes"),
                     "command": "python benchmarks/experiments/target_position.py " + " ".join(sys.argv[1:]),
                     "draws": args.draws, "rows": 1000, "datasets": {}}
    for name in args.datasets:
        ds = engine.dataset(name)
        train, hold = split(name)
        real = train_table(name, train)
        context = MetricContext(holdout=sg.Table(hold[list(train.columns)].reset_index(drop=True), real.meta),
                                target=ds.target)
        bundle = engine.load(ds.bundles()["finance"])
        others = [c for c in bundle.meta_.names if c != ds.target]
        first = {"any": None, "target-first": [ds.target], "target-last": others,
                 "qi-first": list(ds.quasi_identifiers)}
        results["datasets"][name] = {"target": ds.target, "quasi_identifiers": list(ds.quasi_identifiers)}
        for variant in args.variants:
            screen = KeepAll(first[variant]) if first[variant] else None
            rows = []
            for seed in range(args.draws):
                table = bundle._sample(1000, seed=seed, conditions={}, screen=screen)
                table = sg.Table(table.frame[real.meta.names].reset_index(drop=True), real.meta)
                q, t = quality_score(real, table), TSTRMetric().compute(real, table, context)
                rows.append([q["score"], q["column_shapes"], q["column_pair_trends"], t["tstr"], t["ratio"]])
            a = np.array(rows)
            summary = {k: [round(float(a[:, i].mean()), 4), round(float(a[:, i].std(ddof=1)), 4)]
                       for i, k in enumerate(["quality", "column_shapes", "pair_trends", "tstr", "tstr_ratio"])}
            results["datasets"][name][variant] = {"mean_sd": summary, "draws": a.round(4).tolist()}
            print(name, variant, {k: v for k, v in summary.items()}, flush=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
