"""Null check of the release decision: the "synthetic" output is fresh real records no generator saw.

An ideal generator leaks nothing, so the audit should pass it (or say it cannot tell), never fail it.
Each repetition shuffles a reference dataset into holdout / "synthetic" / train (N records each for the
first two, the rest train), audits, and records the decision.

    python benchmarks/experiments/null_audit.py --dataset lending_club --per-side 1500 --reps 6
    python benchmarks/experiments/null_audit.py --dataset credit_data --per-side 890 --reps 10

Writes benchmarks/results/null_audit_<dataset>.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import synthguard as sg
from synthguard.privacy.audit import audit
from synthguard.privacy.distance import TableDistance


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="credit_data")
    ap.add_argument("--per-side", type=int, default=890, help="holdout records (= 'synthetic' records)")
    ap.add_argument("--reps", type=int, default=10)
    args = ap.parse_args()
    table = sg.Engine().dataset(args.dataset).load()
    if 3 * args.per_side > len(table):
        raise SystemExit(f"error: --per-side {args.per_side}: expected at most a third of the {len(table)} records")
    runs = []
    for seed in range(args.reps):
        p = np.random.default_rng(seed).permutation(len(table))
        hold, syn, train = (table.take(p[:args.per_side]), table.take(p[args.per_side:2 * args.per_side]),
                            table.take(p[2 * args.per_side:]))
        t0 = time.perf_counter()
        release = audit(train, hold, syn, TableDistance, seed=seed)["release"]
        runs.append({"seed": seed, "decision": release["decision"], "seconds": round(time.perf_counter() - t0, 1),
                     "figures": [{k: f.get(k) for k in ("figure", "value", "attack", "interval", "verdict")}
                                 for f in release["figures"]]})
        print(seed, release["decision"], [(f["figure"], f["value"], f["verdict"]) for f in release["figures"]], flush=True)
    decisions = [r["decision"] for r in runs]
    out = {"dataset": args.dataset, "per_side": args.per_side, "reps": args.reps, "date": time.strftime("%Y-%m-%d"),
           "decisions": {d: decisions.count(d) for d in sorted(set(decisions))}, "runs": runs}
    path = Path(__file__).resolve().parents[1] / "results" / f"null_audit_{args.dataset}.json"
    path.write_text(json.dumps(out, indent=2))
    print(out["decisions"], "->", path)


if __name__ == "__main__":
    main()
