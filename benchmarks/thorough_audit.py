"""The strong attack beside the cheap ones (issue 21): the thorough (shadow-model) audit of the finance default.

    .venv/bin/python benchmarks/thorough_audit.py                         # finance, 15 epochs, 20 shadows
    .venv/bin/python benchmarks/thorough_audit.py --epochs 0 --shadows 100  # the default config (hours on 2 cores)
    .venv/bin/python benchmarks/thorough_audit.py --table                  # the README table from the results

For each table (german_credit; credit_data), 1,000 records (german_credit: all; credit_data: a seeded
sample) are split 500 / 500 into train and holdout (`holdout_split(..., 0.5, seed=0)`). Then:

* the **per-run audit** (the cheap attacks every `generate` runs): the generator is fitted once on train,
  samples 500 records, and `Engine.audit` scores them against train and holdout — worst AUC and attack;
* the **thorough audit** (`synthguard.privacy.thorough.thorough_audit`): `--shadows` refits of the same
  generator with the same config on shadow training sets, 5 outlier + 5 random targets, 50 permutations —
  worst target AUC against its no-leak 95th percentile, pooled AUC, and the cheap scores on the same runs.

Both fit the bare generator (no value protection: the thorough audit refits the generator itself).

Cost: one `finance` fit with its default config (300 epochs, early stopping) took 188 s on 500 german_credit
records on 2 shared cores (2026-12-03), so 100 shadows per table would take over 5 hours. By default this
benchmark therefore runs a stand-in, labelled as such in the results: `finance` capped at `--epochs 15`, and
20 shadows (the least the thorough audit reads; each target is in 10 runs and out of 10, so a single target's
AUC must exceed about 0.87 to be detectable, the pooled AUC over the 10 targets about 0.62).
Writes benchmarks/results/thorough_audit.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
SIDE = 500


def split(engine, dataset: str, seed: int = 0):
    import synthguard as sg
    from synthguard.data import holdout_split

    table = engine.dataset(dataset).load()
    if len(table) > 2 * SIDE:
        table = table.take(np.sort(np.random.default_rng(seed).choice(len(table), 2 * SIDE, replace=False)))
    return holdout_split(sg.Table(table.frame, table.meta), 0.5, seed=seed)


def run(dataset: str, generator: str, config: dict, shadows: int, seed: int) -> dict:
    import synthguard as sg
    from synthguard.privacy.attacks import detectable_auc_excess
    from synthguard.privacy.thorough import describe, thorough_audit

    engine = sg.Engine()
    train, hold = split(engine, dataset, seed)
    start = time.perf_counter()
    model = engine.fit(generator, train, seed=seed, device="cpu", config=config, value_protection=False)
    release = model.sample(len(train), seed=seed + 1)
    cheap = engine.audit(train, release, holdout=hold, seed=seed, domain="finance")
    per_run_s = time.perf_counter() - start
    mia = cheap["membership_inference"]
    result = thorough_audit(engine, generator, train, hold, shadows=shadows, seed=seed, config=config,
                            rows=len(train), progress=lambda done, total: print(f"  {dataset}: {done}/{total} fits",
                                                                                flush=True))
    print(describe(result), flush=True)
    half = shadows // 2
    return {
        "dataset": dataset, "generator": generator, "config": config, "train": len(train), "holdout": len(hold),
        "per_run_audit": {"worst_auc": mia["worst_auc"], "worst_auc_attack": mia["worst_auc_attack"],
                          "worst_auc_ci": mia["attacks"][mia["worst_auc_attack"]].get("auc_ci"),
                          "members": mia["members"], "non_members": mia["non_members"],
                          "decision": cheap["release"]["decision"], "epochs_run": model.fit_info_.get("epochs_run"),
                          "seconds": round(per_run_s, 1)},
        "thorough": {k: result[k] for k in (
            "shadows", "verdict", "worst_auc", "worst_auc_null_p95", "worst_p_value", "worst_target", "mean_auc",
            "pooled_auc", "pooled_auc_ci", "pooled_auc_null_p95", "pooled_auc_significant", "cheap_on_same_runs",
            "per_target", "seconds", "fit_seconds")},
        "power": {"runs_in_and_out_per_target": half,
                  "detectable_target_auc": round(0.5 + detectable_auc_excess(half, half), 3),
                  "detectable_pooled_auc": round(0.5 + detectable_auc_excess(10 * half, 10 * half), 3)},
    }


def table(data: dict) -> str:
    """The README's Markdown table from a results file."""
    lines = ["| dataset | per-run audit: worst AUC [95% CI] (attack), decision | thorough: worst target AUC / "
             "no-leak p95 (p) | pooled AUC [95% CI] / no-leak p95 | cheap scores on the same runs: worst / mean AUC (dcr; "
             "density-ratio) | verdict | fits s |", "|---|---|---|---|---|---|---|"]
    for r in data["results"]:
        c, t = r["per_run_audit"], r["thorough"]
        cheap = t["cheap_on_same_runs"]
        lines.append(
            f"| {r['dataset']} ({r['train']} + {r['holdout']}) | {c['worst_auc']} {c['worst_auc_ci']} "
            f"({c['worst_auc_attack']}), {c['decision']} | {t['worst_auc']} / {t['worst_auc_null_p95']} "
            f"(p={t['worst_p_value']}) | {t['pooled_auc']} {t['pooled_auc_ci']} / {t['pooled_auc_null_p95']}"
            f"{' (significant)' if t['pooled_auc_significant'] else ''} | {cheap['dcr']['worst_auc']} / "
            f"{cheap['dcr']['mean_auc']}; {cheap['density-ratio']['worst_auc']} / {cheap['density-ratio']['mean_auc']} "
            f"| {t['verdict']} | {t['fit_seconds']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    if "--table" in os.sys.argv:
        print(table(json.loads((RESULTS / "thorough_audit.json").read_text())))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", nargs="+", default=["german_credit", "credit_data"])
    ap.add_argument("--generator", default="finance")
    ap.add_argument("--epochs", type=int, default=15, help="0 = the generator's default config (stand-in otherwise)")
    ap.add_argument("--shadows", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    config = {"epochs": args.epochs} if args.epochs else {}
    rows = []
    for name in args.datasets:
        rows.append(run(name, args.generator, config, args.shadows, args.seed))
        (RESULTS / "thorough_audit.json").write_text(json.dumps({
            "date": datetime.date.today().isoformat(),
            "command": f"python benchmarks/thorough_audit.py --datasets {' '.join(args.datasets)} --generator "
                       f"{args.generator} --epochs {args.epochs} --shadows {args.shadows} --seed {args.seed}",
            "stand_in": (f"{args.generator} capped at {args.epochs} epochs (the default runs 300 with early "
                         "stopping)") if args.epochs else None,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "results": rows}, indent=2))


if __name__ == "__main__":
    main()
