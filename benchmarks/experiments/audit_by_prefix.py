"""Do fewer rows of the same output pass the audit that refused all of them? (issue 21, paired)

``audit_by_rows.py`` compares independent runs at 1,000 and 5,000 rows. Here each seed's one 5,000-row output (the
default from the pretrained bundle, gate on, audit recorded with ``--override-audit``) is audited again on its first
2,500 and 1,000 records — the same members, non-members and attacks — so the size effect is read within a draw.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/audit_by_prefix.py --dataset credit_data \\
        --rows 5000 --prefixes 2500 1000 --seeds 0 1 2 3 4 5 6 7 8 9 10 11

Appends one line per seed to benchmarks/results/audit_by_prefix_DATASET.jsonl.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="credit_data")
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--prefixes", type=int, nargs="+", default=[2500, 1000])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(12)))
    parser.add_argument("--temperature", type=float, default=None)
    args = parser.parse_args()
    log = ROOT / "benchmarks" / "results" / f"audit_by_prefix_{args.dataset}.jsonl"
    for seed in args.seeds:
        started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="minutes")
        res = sg.generate("finance", args.rows, dataset=args.dataset, seed=seed, temperature=args.temperature,
                          options={"override_audit": "audit_by_prefix.py: every run scored", "metrics": False})
        ctx, qis = res.context, list(sg.datasets()[args.dataset].quasi_identifiers or []) or None
        row = {"dataset": args.dataset, "seed": seed, "temperature": args.temperature, "started": started}
        for n in [args.rows, *args.prefixes]:
            a = res.report["audit"] if n == args.rows else audit(
                ctx.reference, ctx.holdout, res.records.take(np.arange(n)), ctx.distance, seed=seed,
                quasi_identifiers=qis)
            mia = a["membership_inference"]
            row[str(n)] = {"decision": a["release"]["decision"], "worst_auc": mia["worst_auc"],
                           "worst_auc_attack": mia["worst_auc_attack"], "worst_tpr": mia["worst_tpr"],
                           "worst_tpr_attack": mia["worst_tpr_attack"]}
        print(f"seed {seed}: " + "  ".join(f"{n}: {row[str(n)]['decision']} {row[str(n)]['worst_auc']}"
                                           for n in [args.rows, *args.prefixes]), flush=True)
        with log.open("a") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
