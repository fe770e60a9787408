"""What stopping k-anonymity's refusals at their quasi-identifiers buys (issue 23; ``synthguard.screen``).

The user's command, ``synthguard generate finance --dataset lending_club --rows 20000 --out D`` (the pretrained
bundle, gate on, audit on), in a fresh interpreter per run, one thread, with the screen (``on``: what ships) and
without it (``off``: ``FinanceGenerator.supports_screening`` set to False, the sampling path as it was before: same
draws, same bytes), alternating off, on, on, off so that a drift of the shared machine hits both. Per run: wall
time, peak RSS, the report's timings, sampled and rejected counts, quality, TSTR ratio and the audit.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/screen_speed.py [--rows 20000]

Writes benchmarks/results/screen_speed.json.
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
RESULTS = ROOT / "benchmarks" / "results" / "screen_speed.json"
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

CHILD = """
import json, resource, sys
import synthguard_finance.generator as g
g.FinanceGenerator.supports_screening = {screen}
from synthguard.cli import main
main({args!r}, standalone_mode=False)
print(json.dumps({{"peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10}}))
"""


def run(screen: bool, rows: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp, "out")
        args = ["generate", "finance", "--dataset", "lending_club", "--rows", str(rows), "--out", str(out)]
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", CHILD.format(screen=screen, args=args)], capture_output=True,
                              text=True, env=ENV)
        wall = time.perf_counter() - start
        if proc.returncode:
            raise SystemExit(f"run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        report = json.loads((out / "report.json").read_text())
    sampling, timings, mia = report["sampling"], report["timings"], report["audit"]["membership_inference"]
    return {"screen": screen, "wall_seconds": round(wall, 1), **json.loads(proc.stdout.strip().splitlines()[-1]),
            "sample_seconds": timings["sample_seconds"], "checks_seconds": timings["checks_seconds"],
            "audit_seconds": timings["audit_seconds"], "sampled": sampling["sampled"], "rejected": sampling["rejected"],
            "rejected_by_check": {k: v["rejected"] for k, v in report["privacy"].items()},
            "quality": report["metrics"]["core.quality"]["score"], "tstr_ratio": report["metrics"]["core.tstr"]["ratio"],
            "worst_auc": mia["worst_auc"], "worst_tpr": mia["worst_tpr"], "release": report["release"]["decision"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="minutes")
    runs = []
    for screen in (False, True, True, False):
        runs.append(run(screen, args.rows))
        print(json.dumps(runs[-1]), flush=True)
    pairs = [(runs[0], runs[1]), (runs[3], runs[2])]  # back to back
    result = {"command": f"synthguard generate finance --dataset lending_club --rows {args.rows} --out D",
              "started": started, "load_average_at_end": os.getloadavg(), "runs": runs,
              "sampling_speedup_pairs": [round(off["sample_seconds"] / on["sample_seconds"], 2) for off, on in pairs],
              "wall_speedup_pairs": [round(off["wall_seconds"] / on["wall_seconds"], 2) for off, on in pairs]}
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=1))


if __name__ == "__main__":
    main()
