"""Does the default's delivered output pass its own audit at every size a user asks for? (issue 21)

``synthguard generate finance --dataset D --rows N --seed S`` from the pretrained bundle, audit on (recorded with
``--override-audit`` so that a refused run is scored too), for each N and S; per run the release decision, the
worst membership AUC and TPR with their attacks, and quality.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/audit_by_rows.py --dataset credit_data \\
        --rows 1000 5000 --seeds 0 1 2 3 4 5

Writes benchmarks/results/audit_by_rows_DATASET.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def run(dataset: str, rows: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp, "out")
        exe = str(Path(sys.executable).with_name("synthguard"))
        proc = subprocess.run([exe, "generate", "finance", "--dataset", dataset, "--rows", str(rows), "--seed",
                               str(seed), "--out", str(out), "--override-audit", "audit_by_rows.py: every run scored"],
                              capture_output=True, text=True, env=ENV)
        if proc.returncode:
            raise SystemExit(f"run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        report = json.loads((out / "report.json").read_text())
    mia = report["audit"]["membership_inference"]
    return {"rows": rows, "seed": seed, "decision": report["release"]["decision"],
            "reason": report["release"].get("reason"), "members": mia["members"], "non_members": mia["non_members"],
            "worst_auc": mia["worst_auc"], "worst_auc_attack": mia["worst_auc_attack"],
            "worst_auc_ci": mia["attacks"][mia["worst_auc_attack"]]["auc_ci"], "fpr": mia["fpr"],
            "worst_tpr": mia["worst_tpr"], "worst_tpr_attack": mia["worst_tpr_attack"],
            "above_chance": mia["above_chance"], "quality": report["metrics"]["core.quality"]["score"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="credit_data")
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    out = args.out or ROOT / "benchmarks" / "results" / f"audit_by_rows_{args.dataset}.json"
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="minutes")
    runs = []
    for rows in args.rows:
        for seed in args.seeds:
            runs.append(run(args.dataset, rows, seed))
            r = runs[-1]
            print(f"{rows} rows, seed {seed}: {r['decision']} (AUC {r['worst_auc']} {r['worst_auc_attack']}, "
                  f"TPR@{r['fpr']:.0%} {r['worst_tpr']} {r['worst_tpr_attack']})", flush=True)
    summary = {str(rows): {d: sum(r["decision"] == d for r in runs if r["rows"] == rows)
                           for d in ("pass", "cannot tell", "fail")} for rows in args.rows}
    out.write_text(json.dumps({"dataset": args.dataset, "started": started, "summary": summary, "runs": runs},
                              indent=1) + "\n")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
