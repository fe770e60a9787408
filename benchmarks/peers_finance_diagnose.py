"""Where the finance default's quality and TSTR go, table by table (docs/finance_fidelity.md).

    .venv/bin/python benchmarks/peers_finance_diagnose.py                       # the shipped bundles
    .venv/bin/python benchmarks/peers_finance_diagnose.py --datasets german_credit --temperatures 1.0 0.9

For each reference table, on `generate`'s 80/20 split (seed 0) and 1,000 rows as in peers_privacy.py:
quality split into column shapes and pair trends, the worst columns and pairs, the gate's rejections (what
`generate finance --dataset D` delivers), the same bundle sampled without the gate (at each temperature), and
TSTR of 1,000 *real* training rows (three draws): the ratio a perfect generator would get at this size.
Prints one JSON line per table; writes nothing.
"""

from __future__ import annotations

import argparse
import json
import warnings

import numpy as np

DATASETS = ["german_credit", "credit_data", "lending_club"]


def diagnose(dataset: str, temperatures: list[float]) -> dict:
    import synthguard as sg
    from sdmetrics.reports.single_table import QualityReport
    from synthguard.contract import MetricContext
    from synthguard.data import holdout_split
    from synthguard.pipeline import HOLDOUT, SPLIT_SEED
    from synthguard.quality.fidelity import quality_score, sdv_metadata
    from synthguard.quality.utility import TSTRMetric

    engine = sg.Engine()
    ds = engine.dataset(dataset)
    train, hold = holdout_split(ds.load(), HOLDOUT, seed=SPLIT_SEED)
    context = MetricContext(holdout=hold, target=ds.target)
    result = engine.generate("finance", 1000, dataset=dataset, options={"override_audit": "diagnosis"})
    rep = result.report
    quality, tstr = rep["metrics"]["core.quality"], rep["metrics"]["core.tstr"]
    report = QualityReport()
    report.generate(train.frame, result.data.frame, sdv_metadata(train.meta), verbose=False)
    pairs = report.get_details("Column Pair Trends").dropna(subset=["Score"]).sort_values("Score")
    out = {"dataset": dataset, "quality": quality["score"], "shapes": quality["column_shapes"],
           "pairs": quality["column_pair_trends"], "ceiling": quality.get("ceiling"), "tstr": tstr["tstr"],
           "trtr": tstr["trtr"], "ratio": tstr["ratio"], "gate_rejected": {k: v["rejected"] for k, v in rep["privacy"].items()},
           "sampled": rep["sampling"]["sampled"], "decision": rep["release"].get("decision"),
           "fit": {k: rep["generator"]["fit"].get(k) for k in ("epochs_run", "best_epoch")},
           "value_protection": (rep["generator"]["fit"].get("value_protection") or {}).get("summary"),
           "worst_columns": sorted(quality["columns"].items(), key=lambda kv: kv[1])[:6],
           "worst_pairs": [(r["Column 1"], r["Column 2"], round(float(r["Score"]), 3)) for _, r in pairs.head(6).iterrows()]}
    model = engine.load(ds.bundles()["finance"])
    for t in temperatures:  # the same bundle, no gate
        model.config = model.Config.model_validate({**model.config.model_dump(), "temperature": t})
        synthetic = sg.Table(model.sample(1000, seed=0).frame, train.meta)
        q, r = quality_score(train, synthetic), TSTRMetric().compute(train, synthetic, context)
        out[f"ungated_T{t}"] = {"quality": q["score"], "shapes": q["column_shapes"], "pairs": q["column_pair_trends"],
                                "tstr_ratio": r["ratio"]}
    real = []
    for seed in range(3):  # what 1,000 real rows give the same downstream model
        rows = np.random.default_rng(seed).choice(len(train), min(1000, len(train)), replace=False)
        real.append(TSTRMetric().compute(train, train.take(rows), context)["ratio"])
    out["real_1000_rows_ratio"] = real
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", nargs="+", default=DATASETS)
    ap.add_argument("--temperatures", nargs="+", type=float, default=[1.0])
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    for dataset in args.datasets:
        print(json.dumps(diagnose(dataset, args.temperatures)), flush=True)


if __name__ == "__main__":
    main()
