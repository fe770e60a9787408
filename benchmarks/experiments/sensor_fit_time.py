"""Fit and sampling time of sensor generators side by side on one reference panel, nothing else (run by hand).

    OMP_NUM_THREADS=1 python benchmarks/experiments/sensor_fit_time.py --dataset basic_motions \
        --generators sensor-flow sensor sensor-par

The same training split as ``synthguard generate`` and benchmarks/sensor_vs_par.py (20% of the recordings held
out, seed 0), each generator's defaults, one process, one after the other; samples as many recordings as it
trained on. For when the machine is too busy for sensor_vs_par.py's quality metrics: the ratios to PAR are
what to read, not the absolute seconds.
"""

from __future__ import annotations

import argparse
import json
import time

import torch


def main() -> None:
    import synthguard as sg
    from synthguard import holdout_split

    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="basic_motions")
    ap.add_argument("--generators", nargs="+", default=["sensor-flow", "sensor", "sensor-par"])
    args = ap.parse_args()
    torch.set_num_threads(1)
    train, _ = holdout_split(sg.datasets()[args.dataset].load(), 0.2, seed=0)
    rows = {}
    for name in args.generators:
        start = time.perf_counter()
        model = sg.fit(name, train, seed=0)
        fit = time.perf_counter() - start
        start = time.perf_counter()
        model.sample(len(train), seed=0)
        rows[name] = {"fit_seconds": round(fit, 2), "sample_seconds": round(time.perf_counter() - start, 2)}
        print(name, rows[name], flush=True)
    par = rows.get("sensor-par", {}).get("fit_seconds")
    for name, r in rows.items():
        r["par_fit_over_this"] = round(par / r["fit_seconds"], 2) if par else None
    print(json.dumps({"dataset": args.dataset, "train_recordings": len(train), "results": rows,
                      "date": time.strftime("%Y-%m-%d %H:%M")}))


if __name__ == "__main__":
    main()
