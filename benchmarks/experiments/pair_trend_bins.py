"""Does SDMetrics' pair-trend score punish a synthetic table whose numeric range differs from the real one? (issue 21)

SDMetrics 0.32's QualityReport scores a numeric × categorical column pair by cutting the numeric column into 10
equal-width bins and comparing the two contingency tables of bin index × category — but it computes the bin edges
separately for the real and for the synthetic table (``ColumnPairTrends._get_processed_data`` is called once per
table), so when the synthetic column's minimum or maximum differs from the real one, bin *k* means different values
on the two sides. Its maintainers specified bins taken from the real data with open ends, applied to both
(sdv-dev/SDMetrics#368); an earlier release did pass the real edges to the synthetic side.

For each finance reference table (`generate`'s 80/20 split, seed 0) this scores, against the training rows, with
SDMetrics as it is and with the real table's bins applied to both sides (``synthguard.quality.fidelity``,
``aligned_bins=True``):

* ``clipped copy``: the training rows themselves with value protection's clipping applied (0.1–0.4% of cells moved
  to the k-th smallest/largest value) — a control whose pair trends are, by construction, almost the real ones;
* ``holdout``: the real held-out rows (the report's "ceiling");
* ``finance``: 1,000 rows of ``generate finance --dataset D`` (the pretrained bundle, gated), seed 0;
* ``gaussian copula``: `finance-gaussian-copula` (SDV's GaussianCopulaSynthesizer with SDV's defaults on SynthGuard's
  column kinds) fitted on the training rows, 1,000 rows, seed 0 — not `peers_privacy.py`'s GaussianCopula, which
  learns small integer counts as ordinal and reproduces every column's range (its score does not move).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/pair_trend_bins.py   # results/pair_trend_bins.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "pair_trend_bins.json"
DATASETS = ("german_credit", "credit_data", "lending_club")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", nargs="+", default=list(DATASETS))
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")

    import synthguard as sg
    from synthguard.baselines import GaussianCopulaGenerator
    from synthguard.data import holdout_split
    from synthguard.pipeline import HOLDOUT, SPLIT_SEED
    from synthguard.privacy.value_protection import protect
    from synthguard.quality.fidelity import quality_score

    engine = sg.Engine()
    results = []
    for name in args.datasets:
        records = engine.dataset(name).load()
        train, holdout = holdout_split(records, HOLDOUT, seed=SPLIT_SEED)
        clipped, _ = protect(train, seed=0)
        ours = sg.generate("finance", dataset=name, rows=args.rows, seed=0).data
        gc = GaussianCopulaGenerator().fit(train, seed=0).sample(args.rows, seed=0)
        candidates = {"clipped copy": clipped, "holdout": holdout,
                      "finance": engine.to_records(ours, name=name),
                      "gaussian copula": gc}
        for label, table in candidates.items():
            row = {"dataset": name, "what": label}
            for aligned in (False, True):
                q = quality_score(train, table, aligned_bins=aligned)
                key = "aligned" if aligned else "sdmetrics"
                row[key] = {"score": q["score"], "shapes": q["column_shapes"], "pairs": q["column_pair_trends"]}
            results.append(row)
            print(f"{name:14s} {label:16s} SDMetrics {row['sdmetrics']['score']:.4f} "
                  f"(pairs {row['sdmetrics']['pairs']:.4f})   real bins {row['aligned']['score']:.4f} "
                  f"(pairs {row['aligned']['pairs']:.4f})", flush=True)
    out = {"what": __doc__.split("\n\n")[0], "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="minutes"),
           "command": "OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/pair_trend_bins.py",
           "loadavg": [round(x, 2) for x in os.getloadavg()], "rows": args.rows, "results": results}
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
