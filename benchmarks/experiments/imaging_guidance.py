"""Classifier-free guidance weight of the shipped `imaging` bundles: fidelity, copies and speed per weight and seed.

    OMP_NUM_THREADS=1 python benchmarks/experiments/imaging_guidance.py      # guidance 1 and 2, seeds 1-4, both sets

Runs ``benchmarks/imaging_vs_dcgan.py --generators imaging --rows 200 --guidance G --seed S`` for each
reference set, weight and sampling seed (two processes at a time, one thread each: the 2 cores of the
machine), keeps each run's JSON under ``--work`` and writes the per-run rows and their mean [min, max] per
set and weight to ``--out``. Guidance is a sampling setting: the shipped weights are reused, nothing trains.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
METRICS = {  # summary name -> how to read it from a run's `imaging` entry
    "seconds_per_image": lambda g: g["sample_seconds_per_image"],
    "frechet_ae": lambda g: g["frechet_ae_distance"],
    "precision": lambda g: g["precision"],
    "recall": lambda g: g["recall"],
    "c2st_accuracy": lambda g: g["c2st_accuracy"],
    "tstr_accuracy": lambda g: g["tstr_accuracy"],
    "gate_rejects": lambda g: g["memorization_rate"],
    "copy_rate": lambda g: g["copy_rate_dar2024"]["copy_rate"],
    "delivered_of_200": lambda g: g["delivered"]["images"],
    "delivered_frechet_ae": lambda g: g["delivered"]["frechet_ae_distance"],
    "delivered_recall": lambda g: g["delivered"]["recall"],
}


def run(dataset: str, guidance: float, seed: int, work: Path) -> dict:
    out = work / f"{dataset}_g{guidance}_s{seed}.json"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "imaging_vs_dcgan.py"), "--rows", "200", "--generators", "imaging",
           "--dataset", dataset, "--guidance", str(guidance), "--seed", str(seed), "--out", str(out)]
    subprocess.run(cmd, check=True, capture_output=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    result = json.loads(out.read_text())
    g = result["generators"]["imaging"]
    return {"dataset": dataset, "guidance": guidance, "seed": seed, "trtr_accuracy": g["trtr_accuracy"],
            **{name: read(g) for name, read in METRICS.items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=["brain_mri_slices", "dicom_patches"])
    ap.add_argument("--guidance", nargs="+", type=float, default=[1.0, 2.0])
    ap.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3, 4])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--work", type=Path, default=Path("/tmp/imaging_guidance"))
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "imaging_guidance.json")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    cases = [(d, g, s) for d in args.datasets for g in args.guidance for s in args.seeds]
    with ThreadPoolExecutor(args.jobs) as pool:
        runs = list(pool.map(lambda case: run(*case, args.work), cases))
    summary = {}
    for d in args.datasets:
        for g in args.guidance:
            rows = [r for r in runs if r["dataset"] == d and r["guidance"] == g]
            summary[f"{d} guidance {g}"] = {
                name: {"mean": round(statistics.mean(r[name] for r in rows), 4),
                       "min": min(r[name] for r in rows), "max": max(r[name] for r in rows)} for name in METRICS}
            print(d, g, {k: v["mean"] for k, v in summary[f"{d} guidance {g}"].items()}, flush=True)
    args.out.write_text(json.dumps({"rows": 200, "seeds": args.seeds, "threads": 1, "runs": runs,
                                    "summary": summary}, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
