"""How much arithmetic one sampled row of the default `finance` costs, and what that means for 1M rows in 2 minutes.

Counts the matrix-multiply FLOPs of ``FinanceGenerator._sample`` on the pretrained lending_club bundle (the same
path `generate finance` samples with: ``ColumnSampler``, 4096-row chunks, 23 model passes a row) with PyTorch's
``FlopCounterMode`` — mm, bmm and addmm, which is where the time goes (torch.profiler: docs in
benchmarks/README.md, "Scale: sampling speed") — and times the same call at one thread. The count does not depend on
the machine or its load; rows/s and GFLOP/s do. The arithmetic that follows from the count:

    1M delivered rows x draws per delivered row x FLOPs per row / 120 s  = the GFLOP/s 1M rows in 2 minutes needs

against the cores' fp32 peak (FMA pipes x SIMD lanes x 2 x clock, from /proc/cpuinfo's flags and MHz).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/finance_sampling_flops.py
    # writes benchmarks/results/finance_sampling_flops.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from finance_sampling_speed import load_bundle  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "finance_sampling_flops.json"


def cpu_facts() -> dict:
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    def field(name: str) -> str | None:
        return next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith(name)), None)

    flags = (field("flags") or "").split()
    mhz = float(field("cpu MHz")) if field("cpu MHz") else None
    return {"model": field("model name") or platform.processor(), "mhz": mhz,
            "avx2": "avx2" in flags, "avx512f": "avx512f" in flags, "fma": "fma" in flags}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=4096)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--draws-per-row", type=float, default=1.04,
                    help="whole draws per delivered row at 1M rows (~52,000 a 50,000-row chunk in the 662-s run); "
                    "draws stopped at their quasi-identifiers cost some passes on top, so the need is a lower bound")
    ap.add_argument("--fma-pipes", type=int, default=2, help="fp32 FMA pipes per core (AMD Zen 4: 2 x 256 bits)")
    ap.add_argument("--lanes", type=int, default=8, help="fp32 lanes per FMA pipe (256-bit: 8)")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()

    import torch
    from torch.utils.flop_counter import FlopCounterMode

    torch.set_num_threads(1)
    gen, path = load_bundle()
    gen._sample(256, seed=args.seed, conditions={})  # warm-up
    counter = FlopCounterMode(display=False)
    with counter:
        gen._sample(args.rows, seed=args.seed, conditions={})
    total = counter.get_total_flops()
    by_op = {str(op): round(n / args.rows / 1e6, 3) for op, n in counter.get_flop_counts()["Global"].items()}
    seconds = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        gen._sample(args.rows, seed=args.seed, conditions={})
        seconds.append(time.perf_counter() - start)
    best = min(seconds)
    cpu = cpu_facts()
    per_row = total / args.rows
    needed = 1_000_000 * args.draws_per_row * per_row / 120
    peak_core = args.fma_pipes * args.lanes * 2 * (cpu["mhz"] or 0) * 1e6
    result = {
        "what": "matrix-multiply FLOPs of FinanceGenerator._sample on the pretrained finance--lending_club bundle",
        "command": "OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/finance_sampling_flops.py",
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="minutes"),
        "loadavg": [round(x, 2) for x in os.getloadavg()], "torch": torch.__version__, "cpu": cpu,
        "bundle": path.name, "rows": args.rows,
        "mflop_per_row": round(per_row / 1e6, 2), "mflop_per_row_by_op": by_op,
        "seconds": [round(s, 2) for s in seconds], "rows_per_s_best": round(args.rows / best, 1),
        "gflop_per_s_best": round(total / best / 1e9, 1),
        "one_core_fp32_peak_gflop_per_s_at_listed_mhz": round(peak_core / 1e9, 1),
        "needed_for_1m_rows_in_120_s_gflop_per_s": round(needed / 1e9, 1),
        "draws_per_row": args.draws_per_row, "cores": args.cores,
        "needed_over_all_cores_peak": round(needed / (peak_core * args.cores), 2) if peak_core else None,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
