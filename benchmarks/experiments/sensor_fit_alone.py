"""How much faster than SDV's PAR does the sensor default fit when each fit has the machine to itself?

benchmarks/sensor_vs_par.py runs its fits one thread each, two jobs side by side; this runs each fit alone, in a
fresh process, variants in turn for ``--rounds`` rounds, on generate's 80% split with fit seed 0:

    .venv/bin/python benchmarks/experiments/sensor_fit_alone.py --out benchmarks/results/sensor_fit_alone.json

Variants: ``sensor`` (the default: one torch thread, its ``cpu_threads``), ``sensor-2threads`` (torch's two),
``sensor-bf16`` and ``sensor-bf16-2threads`` (the experiment model of sensor_patch_flow.py with the default's
settings and ``precision="bfloat16"``), and ``sensor-par`` (SDV's PAR, 128 epochs, one thread, its setting).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
VARIANTS = ["sensor", "sensor-2threads", "sensor-bf16", "sensor-bf16-2threads", "sensor-par"]
DEFAULT_SETTINGS = {"patch": 8, "draws": 2, "patience": 15, "ema": 0.999}


def one(dataset: str, variant: str, seed: int) -> dict:
    sys.path[:0] = [str(HERE.parent), str(HERE)]
    import synthguard as sg
    from sensor_configs import training_split  # generate's 80/20 split, as the other sensor experiments
    from synthguard_sequence import PatchFlowSequenceGenerator

    train, _ = training_split(dataset)
    generator, config = variant.replace("-2threads", ""), None
    if variant.startswith("sensor-bf16"):
        import sensor_patch_flow

        generator = sensor_patch_flow.make({**DEFAULT_SETTINGS, "precision": "bfloat16"})
    if variant.endswith("-2threads"):  # torch's threads instead of the generator's one
        PatchFlowSequenceGenerator.cpu_threads = None
    if variant == "sensor-par":
        config = {"epochs": 128}
    start, cpu = time.perf_counter(), time.process_time()
    model = sg.fit(generator, train, seed=seed, config=config)
    return {"dataset": dataset, "variant": variant, "seed": seed, "fit_seconds": round(time.perf_counter() - start, 2),
            "cpu_seconds": round(time.process_time() - cpu, 2), "epochs_run": model.fit_info_.get("epochs_run"),
            "time": time.strftime("%H:%M:%S")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=["basic_motions", "daphnet"])
    ap.add_argument("--variants", nargs="+", default=VARIANTS, choices=VARIANTS)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--one", nargs=3, metavar=("DATASET", "VARIANT", "SEED"), help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], args.one[1], int(args.one[2]))))
        return
    rows = []
    for _ in range(args.rounds):
        for dataset in args.datasets:
            for variant in args.variants:
                out = subprocess.run([sys.executable, __file__, "--one", dataset, variant, str(args.seed)],
                                     capture_output=True, text=True, check=True).stdout
                rows.append(json.loads(out.strip().splitlines()[-1]))
                print(json.dumps(rows[-1]), flush=True)
    if args.out:
        args.out.write_text(json.dumps({"date": time.strftime("%Y-%m-%d", time.gmtime()), "command": " ".join(sys.argv),
                                        "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
