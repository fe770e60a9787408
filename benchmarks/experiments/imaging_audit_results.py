"""Merge the imaging privacy measurements into benchmarks/results/privacy_audit_imaging.json (no number typed by hand).

    python benchmarks/experiments/imaging_audit_results.py --probe probe.json [--generate generate.json] \
        [--before before.jsonl]

``probe.json`` and ``generate.json`` are ``imaging_patient_split.py --out`` files; ``before.jsonl`` holds stdout lines of
``benchmarks/privacy_audit.py --domain imaging`` from before the patient was the unit (images as units).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "results" / "privacy_audit_imaging.json"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--probe", required=True)
    ap.add_argument("--generate", default=None)
    ap.add_argument("--before", default=None)
    ap.add_argument("--date", required=True, help="when the measurements ran (YYYY-MM-DD)")
    args = ap.parse_args()
    rows = json.loads(Path(args.probe).read_text())
    if args.generate:
        runs = {r["dataset"]: r["generate"] for r in json.loads(Path(args.generate).read_text())}
        for row in rows:
            if row["dataset"] in runs:
                row["generate"] = runs[row["dataset"]]
    before = [json.loads(line) for line in Path(args.before).read_text().splitlines()
              if line.startswith("{")] if args.before else []
    OUT.write_text(json.dumps({
        "domain": "imaging", "date": args.date, "unit": "patient",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "commands": {"probe": "OMP_NUM_THREADS=1 python benchmarks/experiments/imaging_patient_split.py --out probe.json",
                     "generate": "OMP_NUM_THREADS=1 python benchmarks/experiments/imaging_patient_split.py --no-probe "
                                 "--generate 20 --datasets brain_mri_slices --out generate.json",
                     "before": "python benchmarks/privacy_audit.py --domain imaging, images as units (former rule)"},
        "before_images_as_units": before, "results": rows}, indent=2) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
