"""Utility and measured privacy of the finance generator at ε = 1, 3, 10 and ∞ (no DP), one run, same split.

    .venv/bin/python benchmarks/dp_utility.py                        # german_credit
    .venv/bin/python benchmarks/dp_utility.py --dataset credit_data --epochs 30

Each row is one `generate` (holdout 20%, seed 0): DP-SGD for finite ε (epochs fixed,
no early stopping), the default non-DP training for ∞. Writes
benchmarks/results/dp_utility_<dataset>.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="german_credit")
    ap.add_argument("--epsilons", nargs="+", type=float, default=[1.0, 3.0, 10.0])
    ap.add_argument("--epochs", type=int, default=40, help="DP-SGD epochs (the noise is calibrated to them)")
    ap.add_argument("--rows", type=int, default=1000)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    import synthguard as sg

    engine = sg.Engine()
    rows = []
    for eps in [*args.epsilons, None]:
        # ∞: the default training (early stopping), forced to train here rather than load the pretrained bundle
        config = {"epsilon": eps, "epochs": args.epochs} if eps is not None else {"epochs": 300}
        t0 = time.perf_counter()
        result = engine.generate("finance", args.rows, dataset=args.dataset, config=config)
        seconds = time.perf_counter() - t0
        rep = result.report
        dp = rep["privacy_ledger"]["dp"]
        mia = rep["audit"]["membership_inference"]
        rows.append({
            "epsilon": eps, "epsilon_spent": dp["epsilon_spent"] if dp else None,
            "noise_multiplier": dp["noise_multiplier"] if dp else None, "delta": dp["delta"] if dp else None,
            "epochs": rep["generator"]["fit"]["epochs_run"], "fit_seconds": rep["timings"]["fit_seconds"],
            "quality": rep["metrics"]["core.quality"]["score"], "ceiling": rep["metrics"]["core.quality"]["ceiling"],
            "tstr": rep["metrics"]["core.tstr"]["tstr"], "trtr": rep["metrics"]["core.tstr"]["trtr"],
            "tstr_ratio": rep["metrics"]["core.tstr"]["ratio"], "dcr_share": rep["audit"]["dcr"]["share_closer_to_train"],
            "worst_mia_auc": mia["worst_auc"], "worst_tpr": mia["worst_tpr"], "tpr_fpr": mia["fpr"],
            "rejected": rep["sampling"]["rejected"], "run_seconds": round(seconds, 1),
        })
        print(rows[-1], flush=True)
    out = {"dataset": args.dataset, "dp_epochs": args.epochs, "machine": {"cpus": os.cpu_count(),
           "python": platform.python_version()}, "results": rows}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"dp_utility_{args.dataset}.json").write_text(json.dumps(out, indent=2))
    print("\n| ε | ε spent | noise σ | epochs | fit s | quality | TSTR AUC (TRTR) | TSTR/TRTR | DCR share | worst MIA AUC |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        eps = "∞ (no DP)" if r["epsilon"] is None else f"{r['epsilon']:g}"
        print(f"| {eps} | {r['epsilon_spent'] or '—'} | {r['noise_multiplier'] or '—'} | {r['epochs']} | {r['fit_seconds']} | "
              f"{r['quality']} | {r['tstr']} ({r['trtr']}) | {r['tstr_ratio']} | {r['dcr_share']} | {r['worst_mia_auc']} |")


if __name__ == "__main__":
    main()
