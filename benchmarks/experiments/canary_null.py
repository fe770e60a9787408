"""How often does the planted-canary figure refuse a release that cannot hold a canary? (issue 21: the canary
judge's negative control, as `audit_null.py` is the membership attacks')

Per split seed s the table is split as `audit_null.null_split` splits it (generate's 20% holdout, half the rest
trained on, the other half released as it is: real records, no member among them). Twelve canaries are built from
the training half as `benchmarks/canaries.py` builds them (rare profiles: a training record with 3 columns set to
their rarest real value; 4 each planted 1x, 5x, 10x) and planted in training only, so no released record can copy
one: every canary flagged is flagged by chance. They are planted by `synthguard.privacy.canaries.plant`, as
`generate --canaries` plants them (each canary one entity, its copies sharing an id; until 2026-12-07 this script
appended the copies itself, as rows of no entity). Each split is audited as `synthguard audit --canaries` audits
(`sg.audit(..., canaries=...)`), and the figure's verdict is recorded beside two readings of the same counts: the
release rule's one-sided binomial against the non-members' flag rate taken as known, and Fisher's exact test of the
canaries' share against the non-members' (the rate as a sample, as exact copies are judged).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/canary_null.py --datasets credit_data lending_club \\
        --splits 200

Writes benchmarks/results/canary_null.json (per split the counts and both p-values; per dataset the refusals).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import fisher_exact

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from audit_null import clopper_pearson, null_runs, null_split, table  # noqa: E402
from canaries import make_canaries  # noqa: E402  (benchmarks/canaries.py)

OUT = HERE.parents[1] / "benchmarks" / "results" / "canary_null.json"
LEVEL = 0.01


def one(frame: pd.DataFrame, qis: list[str], seed: int) -> dict:
    import synthguard as sg
    from synthguard.privacy.canaries import plant, read_canaries

    hold, train, release = null_split(frame, seed)
    train = sg.Table.from_frame(train.reset_index(drop=True))
    canaries = make_canaries(train, seed)
    planted = plant(train, read_canaries(canaries, train.meta))  # as generate --canaries plants them
    out = sg.audit(planted, release, holdout=hold, quasi_identifiers=qis or None, seed=seed, canaries=canaries)
    c = out["canaries"]
    fig, natural = c["figure"], c["natural"]
    k, n = c["flagged"], c["canaries"]
    row = {"seed": seed, "flagged": k, "canaries": n, "verdict": fig["verdict"], "p_binomial": fig["p_value"],
           "natural": {key: natural.get(key) for key in ("non_members", "flagged", "rate")},
           "flagged_by": {"copy": sum(r["reproduced"] is not None for r in c["per_canary"]),
                          "score": sum(r["exposed"] for r in c["per_canary"])},
           "decision": out["release"]["decision"]}
    n0, k0 = natural.get("non_members") or 0, natural.get("flagged") or 0
    if n0:
        row["p_fisher"] = round(float(fisher_exact([[k, n - k], [k0, n0 - k0]], alternative="greater").pvalue), 6)
    return row


def main() -> None:
    args, result = null_runs(__doc__, "benchmarks/experiments/canary_null.py", ["credit_data", "lending_club"], 200, OUT)
    for name in args.datasets:
        frame, qis = table(name)
        start = time.perf_counter()
        runs = [one(frame, qis, seed) for seed in range(args.splits)]
        fisher = [r for r in runs if "p_fisher" in r]
        refused = sum(r["verdict"] == "fail" for r in runs)
        refused_fisher = sum(r["p_fisher"] < LEVEL for r in fisher)
        flagged = np.array([r["flagged"] for r in runs])
        rates = np.array([r["natural"]["rate"] for r in runs])
        summary = {"splits": len(runs), "refused_binomial": refused,
                   "refused_binomial_ci": clopper_pearson(refused, len(runs)),
                   "refused_fisher": refused_fisher, "refused_fisher_ci": clopper_pearson(refused_fisher, len(fisher)),
                   "cannot_tell": sum(r["verdict"] == "cannot tell" for r in runs),
                   "canary_flag_rate": round(float(flagged.sum() / sum(r["canaries"] for r in runs)), 4),
                   "non_member_flag_rate_mean": round(float(rates.mean()), 4),
                   "flagged_by_copy": int(sum(r["flagged_by"]["copy"] for r in runs)),
                   "flagged_by_score": int(sum(r["flagged_by"]["score"] for r in runs)),
                   "flagged_histogram": {int(v): int((flagged == v).sum()) for v in np.unique(flagged)},
                   "seconds": round(time.perf_counter() - start, 1)}
        result["datasets"][name] = {"summary": summary, "runs": runs}
        print(name, json.dumps(summary), flush=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
