"""finance-mst (marginal-based DP, MST on mbi) on the three finance reference tables at ε = 1 and 3, several seeds.

    .venv/bin/python benchmarks/dp_marginal.py                      # 3 x ε {1, 3} x 3 seeds, target + codebook
    .venv/bin/python benchmarks/dp_marginal.py --datasets german_credit --epsilons 1 --seeds 0 \
        --set target=none --set codebook=none                      # MST's plain tree
    .venv/bin/python benchmarks/dp_marginal.py --audit [--no-privacy-filters]   # + the release decision

Since the defaults changed (commit 0ee1b9f), ``generate`` on a reference dataset gives finance-mst the dataset's
declared outcome column (tree-augmented naive Bayes) and its published codebook (synthguard_finance.codebooks) by
itself; ``--set target=auto`` (the declared target, named explicitly) and ``--set public_domains=codebook`` (``@D``)
ask for the same and are what the earlier result files were run with. Each row records the ledger's
``public_knowledge`` (which target, which codebook columns). ``--rows 0`` (the
default) samples as many rows as the training split has. Each row is one `generate` (holdout 20%, split seed 0,
the run's seed for the mechanism's noise and sampling),
in a fresh process (harness.run_isolated), with the engine's own metrics: core.quality (SDV quality score on the
training rows) and core.tstr (gradient boosting trained on the synthetic rows vs on the real training rows, AUC
on the real holdout: TRTR is the non-DP reference of the same split). Writes benchmarks/results/dp_marginal.json
and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import parse_settings, run_isolated  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def one_run(dataset: str, epsilon: float, seed: int, rows: int, settings: dict, audit: bool = False,
            filters: bool = True) -> dict:
    import warnings

    warnings.filterwarnings("ignore")
    import synthguard as sg

    from synthguard.data import holdout_split
    from synthguard.pipeline import HOLDOUT, SPLIT_SEED

    ds = sg.datasets()[dataset]
    if rows == 0:  # as many synthetic rows as real training rows (the usual TSTR protocol)
        rows = len(holdout_split(ds.load(), HOLDOUT, seed=SPLIT_SEED)[0])
    config = {"epsilon": epsilon, **settings}
    if config.get("public_domains") == "codebook":  # the dataset's published category lists (public knowledge)
        config["public_domains"] = "@" + dataset
    if config.get("target") == "auto":  # the dataset's declared outcome column (public: named by the user)
        config["target"] = ds.target
    t0 = time.perf_counter()
    options = {"audit": audit, "privacy_filters": filters}
    if audit:  # the decision is recorded, not enforced: every case is scored
        options["override_audit"] = "benchmark: the release decision is recorded, not enforced"
    result = sg.Engine().generate("finance-mst", rows, dataset=dataset, seed=seed, config=config, options=options)
    rep = result.report
    mi = rep["audit"]["membership_inference"] if audit else {}
    dp = rep["privacy_ledger"]["dp"]
    tstr = rep["metrics"]["core.tstr"]
    return {"dataset": dataset, "epsilon": epsilon, "seed": seed, "epsilon_spent": dp["epsilon_spent"],
            "delta": dp["delta"], "fit_seconds": rep["timings"]["fit_seconds"],
            "quality": rep["metrics"]["core.quality"]["score"], "tstr": tstr["tstr"], "trtr": tstr["trtr"],
            "tstr_ratio": tstr["ratio"], "rows": rows, "rejected": rep["sampling"]["rejected"],
            "rejected_by": {k: v["rejected"] for k, v in {**rep["validators"], **rep["privacy"]}.items()
                            if v["rejected"]},
            "structure": dp.get("structure"), "public_knowledge": dp.get("public_knowledge"),
            "columns": dp["columns"], "tree": dp["tree"], "privacy_filters": filters,
            **({"release": rep["release"]["decision"], "release_reason": rep["release"]["reason"],
                "worst_auc": mi["worst_auc"], "worst_auc_attack": mi["worst_auc_attack"], "worst_tpr": mi["worst_tpr"],
                "worst_tpr_attack": mi["worst_tpr_attack"], "tpr_at_fpr": mi["fpr"], "audited_units": mi["members"]}
               if audit else {}),
            "run_seconds": round(time.perf_counter() - t0, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", nargs="+", default=["german_credit", "credit_data", "lending_club"])
    ap.add_argument("--epsilons", nargs="+", type=float, default=[1.0, 3.0])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--rows", type=int, default=0, help="synthetic rows (0: as many as the training split)")
    ap.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--audit", action="store_true", help="run the privacy audit and record its release decision")
    ap.add_argument("--no-privacy-filters", action="store_true",
                    help="release the DP model's samples unfiltered (generate --no-privacy-filters)")
    ap.add_argument("--out", default=str(RESULTS / "dp_marginal.json"))
    args = ap.parse_args()
    settings = parse_settings(args.settings)
    rows = []
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for dataset in args.datasets:
        for eps in args.epsilons:
            for seed in args.seeds:
                label = {"dataset": dataset, "epsilon": eps, "seed": seed}
                rows.append(run_isolated(one_run, dataset, eps, seed, args.rows, settings, args.audit,
                                         not args.no_privacy_filters, label=label))
                print({k: v for k, v in rows[-1].items() if k not in ("columns", "tree")}, flush=True)
    out = {"generator": "finance-mst", "started": started, "rows": args.rows, "settings": settings,
           "audit": args.audit, "privacy_filters": not args.no_privacy_filters,
           "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "results": rows}
    Path(args.out).parent.mkdir(exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2))
    print("\n| dataset | ε | seed | ε spent | fit s | quality | TSTR AUC | TRTR AUC | TSTR/TRTR | release |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['dataset']} | {r['epsilon']:g} | {r['seed']} | error: {r['error']} |")
            continue
        print(f"| {r['dataset']} | {r['epsilon']:g} | {r['seed']} | {r['epsilon_spent']} | {r['fit_seconds']} | "
              f"{r['quality']} | {r['tstr']} | {r['trtr']} | {r['tstr_ratio']} | {r.get('release', '')} |")


if __name__ == "__main__":
    main()
