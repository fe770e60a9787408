"""How fast the shipped `imaging` bundle delivers images, beside the previous model's bundle (run by hand, not a test).

    OMP_NUM_THREADS=1 python benchmarks/imaging_speed.py [--previous 44f5a52] [--repeats 3]

1. ``synthguard generate imaging --rows 50 --out TMP`` end to end (load, sample, gate, report), wall seconds,
   median of ``--repeats`` runs: the number issue 25 sets a target for (<= 5 s on 2 CPU cores).
2. In-process sampling only (``model.sample(50)``, seed 1) for the shipped bundle and for the bundle of the
   previous model, read from git at ``--previous`` (state version 1 still loads), same process, alternated:
   on a shared machine the ratio is the comparable number, absolute seconds drift with the load.
The load average is recorded beside the times. Writes benchmarks/results/imaging_speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = "plugins/imaging/synthguard_imaging/pretrained/imaging--{}"


def previous_bundle(commit: str, dataset: str, into: Path) -> Path:
    """The bundle files as committed at ``commit`` (no working-tree change)."""
    out = into / f"previous-{dataset}"
    out.mkdir()
    for name in ("manifest.json", "state.json", "weights.safetensors"):
        blob = subprocess.run(["git", "show", f"{commit}:{BUNDLE.format(dataset)}/{name}"], cwd=ROOT,
                              capture_output=True, check=True).stdout
        (out / name).write_bytes(blob)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--previous", default="44f5a52", help="commit holding the previous model's bundle")
    ap.add_argument("--dataset", default="brain_mri_slices")
    ap.add_argument("--rows", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--bundle", default=None, help="the candidate bundle (default: the shipped one)")
    args = ap.parse_args()
    import torch
    import synthguard as sg

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    exe = Path(sys.executable).with_name("synthguard")
    cli = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            start = time.perf_counter()
            subprocess.run([str(exe), "generate", "imaging", "--dataset", args.dataset, "--rows", str(args.rows),
                            "--out", f"{tmp}/out{i}"], check=True, capture_output=True)
            cli.append(round(time.perf_counter() - start, 2))
        engine = sg.Engine()
        candidate = Path(args.bundle) if args.bundle else ROOT / BUNDLE.format(args.dataset)
        models = {"monai (shipped)" if not args.bundle else f"candidate ({args.bundle})": engine.load(candidate),
                  f"previous ({args.previous})": engine.load(previous_bundle(args.previous, args.dataset, Path(tmp)))}
        times: dict[str, list[float]] = {k: [] for k in models}
        for _ in range(args.repeats):
            for name, model in models.items():
                start = time.perf_counter()
                model.sample(args.rows, seed=1)
                times[name].append(round(time.perf_counter() - start, 3))
    sampling = {k: {"seconds": v, "median": statistics.median(v), "steps": models[k].config.sampling_steps,
                    "widths": list(models[k].config.widths),
                    "parameters": sum(p.numel() for p in models[k].model_.parameters())} for k, v in times.items()}
    new, old = (statistics.median(v) for v in times.values())
    result = {"date": str(date.today()), "dataset": args.dataset, "rows": args.rows,
              "command": "OMP_NUM_THREADS=1 python benchmarks/imaging_speed.py",
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
                          "load_average_1min_at_end": os.getloadavg()[0]},
              "generate_cli_seconds": cli, "generate_cli_median": statistics.median(cli),
              "sampling": sampling, "sampling_speedup": round(old / new, 2)}
    out = ROOT / "benchmarks" / "results" / "imaging_speed.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
