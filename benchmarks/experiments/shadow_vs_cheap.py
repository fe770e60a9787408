"""Experiment: do the audit's cheap attacks see what a shadow-model attack sees (issue 21)?

    .venv/bin/python benchmarks/experiments/shadow_vs_cheap.py                          # GaussianCopula + leaky control
    .venv/bin/python benchmarks/experiments/shadow_vs_cheap.py --generators gaussian-copula leaky finance-vae \\
        --shadows 100 --vae-shadows 100 --vae-epochs 30                                # the committed results

german_credit (1000 rows). The release a cheap audit sees: the generator fitted on a random half (500 rows,
``--seed``) and sampling 500 rows, audited by ``synthguard.privacy.audit`` against the other half (its DCR,
DCR-difference and density-ratio attacks over all members, and on the 20% most isolated records). The
shadow attack (``synthguard.privacy.shadow_attack``): the attacker holds the whole table as its population,
picks the 5 most isolated records and 5 random ones as targets, trains the generator ``--shadows`` times on
500-row sets with a balanced half of the targets inserted, and its per-target classifiers are scored by
cross-validation over those runs; the cheap scores (DCR, density ratio) are scored on the very same runs
and targets, untrained, beside it. ``leaky`` is the positive control: it returns its training rows with
0.1% noise on every number; both attacks must flag it.

Writes benchmarks/results/shadow_vs_cheap.json and prints one line per generator.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "shadow_vs_cheap.json"


def leaky(train, seed: int):
    """Positive control: the training rows, numbers multiplied by 1 + N(0, 0.001) (whole numbers stay whole)."""
    import synthguard as sg

    rng = np.random.default_rng(seed)
    frame = train.frame.copy()
    for col in train.meta.columns:
        if col.kind is sg.ColumnKind.numeric:
            noisy = frame[col.name] * (1 + rng.normal(0, 0.001, len(frame)))
            frame[col.name] = noisy.round() if col.integer else noisy
    return sg.Table(frame, train.meta)


def fit_sample_for(name: str, engine, rows: int, vae_epochs: int):
    """``fit_sample(train, seed)`` for a generator of this experiment (what the engine would build from its name)."""
    from synthguard.privacy import generator_fit_sample

    if name == "leaky":
        return leaky
    if name == "gaussian-copula":
        return generator_fit_sample(lambda: engine.generator("finance-gaussian-copula"), rows)
    if name == "finance-vae":
        return generator_fit_sample(lambda: engine.generator("finance-vae", {"epochs": vae_epochs}), rows)
    raise SystemExit(f"unknown generator {name!r}")


def cheap_audit(fit_sample, table, train_rows: int, seed: int) -> dict:
    """The per-run audit's attacks on one release: fitted on a random half, audited against the other."""
    import synthguard as sg
    from synthguard.privacy import TableDistance, audit

    idx = np.random.default_rng(seed).permutation(len(table))
    train, holdout = table.take(np.sort(idx[:train_rows])), table.take(np.sort(idx[train_rows:]))
    began = time.perf_counter()
    synthetic = fit_sample(train, seed)
    synthetic = sg.Table(synthetic.frame, train.meta)
    report = audit(train, holdout, synthetic, TableDistance, seed=seed)
    mia = report["membership_inference"]  # kept whole: the audit's schema is still moving (issue 21)
    return {"worst_auc": mia["worst_auc"], "worst_auc_attack": mia["worst_auc_attack"],
            "valid": mia.get("valid"), "dcr_share": report["dcr"]["share_closer_to_train"],
            "seconds": round(time.perf_counter() - began, 2), "membership_inference": mia}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generators", nargs="+", default=["gaussian-copula", "leaky"])
    ap.add_argument("--shadows", type=int, default=100)
    ap.add_argument("--outliers", type=int, default=5)
    ap.add_argument("--random", type=int, default=5)
    ap.add_argument("--train-rows", type=int, default=500)
    ap.add_argument("--permutations", type=int, default=50)
    ap.add_argument("--vae-epochs", type=int, default=30)
    ap.add_argument("--vae-shadows", type=int, default=60, help="shadow runs for finance-vae (a fit takes ~10 s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    import synthguard as sg
    from synthguard.privacy import TableDistance, choose_targets, shadow_attack

    engine = sg.Engine()
    table = engine.dataset("german_credit").load()
    chosen = choose_targets(table, TableDistance, outliers=args.outliers, random=args.random, seed=args.seed)
    out = {"date": date.today().isoformat(), "dataset": "german_credit", "rows": len(table),
           "machine": f"{platform.machine()}, {os.cpu_count()} cores", "python": platform.python_version(),
           "parameters": {k: v for k, v in vars(args).items() if k != "out"},
           "targets": [{"index": int(i), "kind": k, "outlier_score": round(float(s), 5)}
                       for i, k, s in zip(chosen["indices"], chosen["kinds"], chosen["outlier_scores"])],
           "generators": {}}
    print("generator | shadow: worst AUC (null p95) / mean / pooled [CI] | cheap on the same runs: DCR worst / mean, "
          "density ratio worst / mean | per-run audit: worst AUC (attack) | fits, seconds")
    for name in args.generators:
        fit_sample = fit_sample_for(name, engine, args.train_rows, args.vae_epochs)
        began = time.perf_counter()
        shadows = args.vae_shadows if name == "finance-vae" else args.shadows
        def progress(done: int, total: int) -> None:
            if done % 10 == 0:
                seconds = time.perf_counter() - began
                print(f"  {name}: {done}/{total} fits, {seconds:.0f} s", file=sys.stderr, flush=True)

        shadow = shadow_attack(fit_sample, table, chosen["records"], shadows=shadows, train_rows=args.train_rows,
                               distance=TableDistance, permutations=args.permutations, seed=args.seed,
                               progress=progress)
        for row in shadow["targets"]:
            row["kind"] = chosen["kinds"][row["target"]]
        out["generators"][name] = {"shadow": shadow}
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(out, indent=1, default=str) + "\n")
        cheap = cheap_audit(fit_sample, table, args.train_rows, args.seed)
        out["generators"][name]["per_run_audit"] = cheap
        c = shadow["cheap_on_same_runs"]
        null = shadow.get("null", {}).get("worst_auc_p95")
        print(f"{name} | {shadow['worst_auc']:.3f} ({null}) / {shadow['mean_auc']:.3f} / {shadow['pooled']['auc']:.3f} "
              f"{shadow['pooled']['auc_ci']} | {c['dcr']['worst_auc']:.3f} / {c['dcr']['mean_auc']:.3f}, "
              f"{c['density-ratio']['worst_auc']:.3f} / {c['density-ratio']['mean_auc']:.3f} | "
              f"{cheap['worst_auc']:.3f} ({cheap['worst_auc_attack']}) | {shadow['fits']}, {shadow['wall_s']:.0f}",
              flush=True)
        args.out.write_text(json.dumps(out, indent=1, default=str) + "\n")  # after each generator


if __name__ == "__main__":
    main()
