"""Which near-copy rule stops the outlier attacks at 5,000 credit_data rows? (issue 21)

At 5,000 delivered rows credit_data's output is refused on 4 of 12 seeds, always by an attack on the most isolated
records (dcr@outliers, density-ratio@outliers; ``audit_by_rows.py``). The gate's near-copy threshold is one radius
for the whole table: the holdout's 1st percentile of distance to training, set by the dense middle of the data. A
synthetic record beside a training *outlier* can sit far nearer to it than any unseen outlier does and still pass.

Per seed, one draw of the default generator (pretrained bundle, gate on, ``--rows`` + spare), then each rule below
applied on top of the gate to the same draw, the first ``--rows`` records it keeps audited exactly as a run audits:

* ``gate`` — the delivered records as they are (today's default);
* ``global`` — the gate's own near-copy rule at a higher holdout quantile (``--near-copy-quantile q``);
* ``local`` — reject when d(record, nearest training record) / r_k(that training record) is below the holdout's
  q-th quantile of the same ratio (r_k: distance from the training record to its k-th nearest other training
  record, k = 5): one radius per training record, scaled by how isolated it is;
* ``stratum`` — records whose nearest training record is an outlier (top 20% by r_k) get the q-th quantile of
  the holdout records that also fall next to an outlier; the others keep the global 1% threshold.

Each rule at the holdout quantiles q = 1%, 5%, 10%, 20% (``local``: of the ratio).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/outlier_gate.py --seeds 0 1 2 3 4 5

Appends one line per seed to benchmarks/results/outlier_gate_DATASET.jsonl.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import numpy as np

import synthguard as sg
from synthguard.privacy.audit import audit

ROOT = Path(__file__).resolve().parents[2]
K = 5
OUTLIERS = 0.2
Q = 0.01
QUANTILES = (0.01, 0.05, 0.1, 0.2)


def local_scale(nearest, k: int = K) -> np.ndarray:
    """r_k of every indexed (distinct) training record: distance to its k-th nearest other training record."""
    return nearest.kneighbors_embedded(nearest._points, k + 1)[0][:, k]


def rules(ctx, draws) -> dict[str, np.ndarray]:
    """Keep-masks over ``draws`` for each candidate rule (on top of the gate, which kept every draw)."""
    nearest = ctx.nearest_reference()
    r = local_scale(nearest)
    hold, _, _ = ctx.calibration_holdout(50_000)
    hd, hi = nearest.kneighbors(hold, 1)
    sd, si = nearest.kneighbors(draws, 1)
    hd, hi, sd, si = hd[:, 0], hi[:, 0], sd[:, 0], si[:, 0]
    out = {"gate": np.ones(len(draws), bool)}
    h_ratio, s_ratio = hd / np.maximum(r[hi], 1e-12), sd / np.maximum(r[si], 1e-12)
    outlier = r >= np.quantile(r, 1 - OUTLIERS)
    t_all = np.quantile(hd, Q)
    for q in QUANTILES:
        out[f"global@{q}"] = sd >= np.quantile(hd, q)  # what --near-copy-quantile q does (near-copy part)
        out[f"local@{q}"] = s_ratio >= np.quantile(h_ratio, q)
        t_out = np.quantile(hd[outlier[hi]], q)
        out[f"stratum@{q}"] = sd >= np.where(outlier[si], t_out, t_all)
    out["_thresholds"] = {"global": float(t_all), "holdout_next_to_outlier": int(outlier[hi].sum())}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="credit_data")
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--spare", type=float, default=0.3, help="extra share drawn so every rule can keep --rows")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5])
    args = parser.parse_args()
    log = ROOT / "benchmarks" / "results" / f"outlier_gate_{args.dataset}.jsonl"
    for seed in args.seeds:
        started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="minutes")
        res = sg.generate("finance", rows=int(args.rows * (1 + args.spare)), dataset=args.dataset, seed=seed,
                          options={"audit": False, "metrics": False})
        ctx, draws = res.context, res.records
        masks = rules(ctx, draws)
        thresholds = masks.pop("_thresholds")
        row = {"dataset": args.dataset, "rows": args.rows, "seed": seed, "started": started, "thresholds": thresholds}
        for name, keep in masks.items():
            idx = np.flatnonzero(keep)[: args.rows]
            if len(idx) < args.rows:
                row[name] = {"error": f"kept {len(idx)} of {len(draws)}"}
                continue
            a = audit(ctx.reference, ctx.holdout, draws.take(idx), ctx.distance, seed=seed, controls=False)
            mia = a["membership_inference"]
            row[name] = {"rejected_extra": int((~keep).sum()), "of": len(draws), "decision": a["release"]["decision"],
                         "worst_auc": mia["worst_auc"], "worst_auc_attack": mia["worst_auc_attack"],
                         "worst_tpr": mia["worst_tpr"], "worst_tpr_attack": mia["worst_tpr_attack"],
                         "dcr_share": a["dcr"]["share_closer_to_train"],
                         "auc": {k: v.get("auc") for k, v in mia["attacks"].items()}}
            print(f"seed {seed} {name:13s} {row[name]['decision']:11s} AUC {mia['worst_auc']} {mia['worst_auc_attack']}"
                  f"  TPR {mia['worst_tpr']} {mia['worst_tpr_attack']}  extra rejected {row[name]['rejected_extra']}",
                  flush=True)
        with log.open("a") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
