"""Canary audit of finance-mst's accountant: an empirical lower bound on ε that must sit below the claimed ε.

    .venv/bin/python benchmarks/dp_audit.py                          # ε {1, 3, 10}, 2 x 1500 releases each
    .venv/bin/python benchmarks/dp_audit.py --epsilons 1 --runs 200  # a quick look

The protocol of Jagielski, Ullman & Oprea 2020 ("Auditing Differentially Private Machine Learning: How Private is
Private SGD?") and Nasr et al. 2021 ("Adversary Instantiation"): a fixed table D (german_credit's training split,
six columns, 800 records) and D' = D + one canary record (a rare profile whose every value occurs in D); the
mechanism runs ``runs`` times on each, with fresh noise; an attacker who knows D and the canary scores every
release; a threshold on the score turns that into a test with a false-positive rate on D and a true-positive rate
on D'. (ε, δ)-DP forces TPR ≤ e^ε·FPR + δ and 1 − FPR ≤ e^ε·(1 − TPR) + δ, so
ε ≥ max(ln((TPR − δ)/FPR), ln((1 − FPR − δ)/(1 − TPR))). With Clopper–Pearson intervals (each two-sided
95%, so the lower TPR end and the upper FPR end hold jointly with ≥ 95%), the bound holds with 95% confidence. The
threshold (and its direction) is chosen on the first half of the runs and the bound read on the second half, so
the choice does not inflate it.

What is attacked: the mechanism's release before estimation (``FinanceMarginalDP.measure``: the released domains,
the noisy record count and every noisy marginal), which is what the accountant accounts for; the fitted model and
its samples are post-processing of it and cannot leak more. The attacker is white-box on that release: for each
measurement it reads the noisy value at the canary's cell, subtracts D's true count there (in the release's own
bins), and adds up these residuals weighted by 1/σ² (the likelihood-ratio statistic of a Gaussian shift), plus the
noisy count's residual. The theoretical optimum of that attack, given the noise σ of each measurement, is printed
beside it ("ideal"): what an infinite number of runs would show for this canary.

Writes benchmarks/results/dp_audit.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"
COLUMNS = ["status_of_existing_checking_account", "duration_in_month", "purpose", "credit_amount", "age_in_years",
           "creditability"]
#: rare but every value present in the training split: 6 'retraining' loans of 800, duration 60, age 70
CANARY = {"status_of_existing_checking_account": "... >= 200 DM / salary assignments for at least 1 year",
          "duration_in_month": 60, "purpose": "retraining", "credit_amount": 15000, "age_in_years": 70,
          "creditability": "bad"}


def tables():
    import synthguard as sg
    from synthguard.data import holdout_split
    from synthguard.pipeline import HOLDOUT, SPLIT_SEED

    train, _ = holdout_split(sg.datasets()["german_credit"].load(), HOLDOUT, seed=SPLIT_SEED)
    frame = train.frame[COLUMNS].reset_index(drop=True)
    with_canary = pd.concat([frame, pd.DataFrame([CANARY])], ignore_index=True)
    return sg.Table.from_frame(frame, name="audit"), sg.Table.from_frame(with_canary, name="audit")


def score(release: dict, base: pd.DataFrame, canary: pd.DataFrame, n: int) -> tuple[float, float]:
    """The attack's statistic on one release, and the Gaussian shift μ the canary causes in it (Σ w²/σ² for the
    measurements that hold the canary, + 1/σ² of the count, square-rooted)."""
    codecs = {cd.name: cd for cd in release["codecs"]}
    base_codes = {name: cd.encode(base[name]) for name, cd in codecs.items()}
    can_codes = {name: int(cd.encode(canary[name])[0]) for name, cd in codecs.items()}
    s = (release["total"] - n) / release["sigma_total"] ** 2
    mu2 = 1 / release["sigma_total"] ** 2
    for m in release["measurements"]:
        y = np.asarray(m.noisy_measurement, dtype=float)
        var = float(m.stddev) ** 2
        if len(m.clique) == 1:
            name = m.clique[0]
            cell = can_codes[name]
            w = getattr(m.query, "w", None)
            if w is None or cell >= len(w):  # the canary's value is in the unmeasured "other" cell
                continue
            weight = w[cell]
            true = weight * float((base_codes[name] == cell).sum())
        else:
            weight = 1.0
            shape = [codecs[a].size for a in m.clique]
            cell = int(np.ravel_multi_index([can_codes[a] for a in m.clique], shape))
            true = float(np.all([base_codes[a] == can_codes[a] for a in m.clique], axis=0).sum())
        s += weight * (y[cell] - true) / var
        mu2 += weight ** 2 / var
    return s, math.sqrt(mu2)


def clopper_pearson(k: int, n: int) -> tuple[float, float]:
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    return float(ci.low), float(ci.high)


def eps_lower_bound(tp: int, n_in: int, fp: int, n_out: int, delta: float) -> dict:
    """The 95% lower bound on ε from TP of n_in canary runs and FP of n_out clean ones (both directions of DP)."""
    tpr_lo, _ = clopper_pearson(tp, n_in)
    _, fpr_hi = clopper_pearson(fp, n_out)
    bounds = []
    if fpr_hi > 0 and tpr_lo - delta > 0:
        bounds.append(math.log((tpr_lo - delta) / fpr_hi))
    if 1 - tpr_lo > 0 and 1 - fpr_hi - delta > 0:
        bounds.append(math.log((1 - fpr_hi - delta) / (1 - tpr_lo)))
    return {"eps_lower_95": round(max([0.0, *bounds]), 4), "tpr": round(tp / n_in, 4), "fpr": round(fp / n_out, 4),
            "tpr_ci_low": round(tpr_lo, 4), "fpr_ci_high": round(fpr_hi, 4)}


def best_threshold(s_in: np.ndarray, s_out: np.ndarray, delta: float) -> tuple[float, int]:
    """The threshold and direction (+1: score above it says 'canary in') with the largest bound on these runs."""
    best = (-1.0, 0.0, 1)
    for sign in (1, -1):
        a, b = sign * s_in, sign * s_out
        for t in np.quantile(np.concatenate([a, b]), np.linspace(0.5, 0.999, 120)):
            lb = eps_lower_bound(int((a > t).sum()), len(a), int((b > t).sum()), len(b), delta)["eps_lower_95"]
            if lb > best[0]:
                best = (lb, float(t), sign)
    return best[1], best[2]


def ideal_bound(mu: float, delta: float) -> float:
    """ε of the best test between N(0, 1) and N(μ, 1) at δ: the most this attack could ever show (infinite runs)."""
    from scipy.stats import norm

    t = np.linspace(-6, 12, 4000)
    tpr, fpr = norm.sf(t - mu), norm.sf(t)
    ok = (fpr > 0) & (tpr - delta > 0)
    return float(np.max(np.log((tpr[ok] - delta) / fpr[ok]))) if ok.any() else 0.0


def audit(epsilon: float, runs: int, delta: float, settings: dict) -> dict:
    from synthguard_finance.marginal_dp import FinanceMarginalDP

    d, d_prime = tables()
    base = d.frame
    canary = pd.DataFrame([CANARY])[COLUMNS]
    gen = FinanceMarginalDP(epsilon=epsilon, delta=delta, target="creditability", **settings)
    t0 = time.perf_counter()
    scores = {"out": [], "in": []}
    mus = []
    ledger = None
    for world, table, offset in (("out", d, 0), ("in", d_prime, 10 ** 6)):
        for r in range(runs):
            release = gen.measure(table, seed=offset + r)
            s, mu = score(release, base, canary, len(base))
            scores[world].append(s)
            mus.append(mu)
            ledger = ledger or release["ledger"]
    seconds = time.perf_counter() - t0
    s_in, s_out = np.array(scores["in"]), np.array(scores["out"])
    half = runs // 2
    threshold, sign = best_threshold(s_in[:half], s_out[:half], delta)
    a, b = sign * s_in[half:], sign * s_out[half:]
    t = sign * threshold
    bound = eps_lower_bound(int((a > t).sum()), len(a), int((b > t).sum()), len(b), delta)
    mu = float(np.median(mus))
    return {"epsilon_claimed": epsilon, "epsilon_spent": ledger["epsilon_spent"], "delta": delta,
            "runs_per_world": runs, "selection_runs": half, "evaluation_runs": runs - half,
            "threshold": round(threshold, 4), "direction": "score above" if sign > 0 else "score below",
            **bound, "shift_mu_median": round(mu, 4), "ideal_attack_eps": round(ideal_bound(mu, delta), 4),
            "score_mean_in": round(float(s_in.mean()), 4), "score_mean_out": round(float(s_out.mean()), 4),
            "score_sd_out": round(float(s_out.std()), 4), "seconds": round(seconds, 1)}


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from harness import parse_settings

    warnings.filterwarnings("ignore")
    ap = argparse.ArgumentParser()
    ap.add_argument("--epsilons", nargs="+", type=float, default=[1.0, 3.0, 10.0])
    ap.add_argument("--runs", type=int, default=1500, help="releases per world (with / without the canary)")
    ap.add_argument("--delta", type=float, default=1e-5)
    ap.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--out", default=str(RESULTS / "dp_audit.json"))
    args = ap.parse_args()
    settings = parse_settings(args.settings)
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    rows = []
    for eps in args.epsilons:
        rows.append(audit(eps, args.runs, args.delta, settings))
        print(rows[-1], flush=True)
    out = {"generator": "finance-mst", "started": started, "dataset": "german_credit (training split)",
           "columns": COLUMNS, "canary": CANARY, "settings": settings, "confidence": 0.95,
           "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "results": rows}
    Path(args.out).parent.mkdir(exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2, default=str))
    print("\n| claimed ε | releases per world | TPR | FPR | 95% lower bound on ε | ideal attack's ε | below claim |")
    print("|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['epsilon_claimed']:g} | {r['runs_per_world']} | {r['tpr']} | {r['fpr']} | {r['eps_lower_95']} | "
              f"{r['ideal_attack_eps']} | {'yes' if r['eps_lower_95'] <= r['epsilon_claimed'] else 'NO'} |")


if __name__ == "__main__":
    main()
