"""CLI commands of every domain under several installs or thread settings, alternated: wall, user and system seconds.

    python benchmarks/experiments/cpu_threads.py --aeon-wheel aeon-1.6.0-py3-none-any.whl --repeats 2 \
        --run "before,/tmp/old/.venv/bin/synthguard," --run "before-1-thread,/tmp/old/.venv/bin/synthguard,OMP_NUM_THREADS=1" \
        --run "now,.venv/bin/synthguard,"

Each ``--run`` is ``LABEL,SYNTHGUARD_EXECUTABLE,ENV`` (ENV: ``NAME=VALUE`` or empty): an install of another commit
(a clean clone's venv) beside this one, or one install under another environment. Every command runs once per
run and repeat, in turn, so drift on a shared machine touches every run alike; read ratios, not seconds. The
ACSF1 panel (the UCR/UEA archive, in the aeon 1.6.0 wheel; ``pip download aeon==1.6.0 --no-deps``) is the long
panel of ``sensor_long_recordings.py``. Results to ``benchmarks/results/cpu_threads.json`` under the date.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness import store_dated  # noqa: E402
from sensor_long_recordings import acsf1_csv  # noqa: E402

RESULTS = Path(__file__).resolve().parents[1] / "results" / "cpu_threads.json"
ACSF1 = ["--entity-column", "recording", "--time-column", "step"]


def commands(csv: Path) -> dict[str, list[str]]:
    """Name -> synthguard arguments: fits of the small networks, and `generate` from each pretrained bundle."""
    return {
        "fit sensor --dataset basic_motions": ["fit", "sensor", "--dataset", "basic_motions"],
        "fit sensor, ACSF1, 8 epochs": ["fit", "sensor", "--data", str(csv), *ACSF1, "--epochs", "8"],
        "fit finance --dataset german_credit, 5 epochs": ["fit", "finance", "--dataset", "german_credit", "--epochs", "5"],
        "fit traffic --dataset bikeshare, 3 epochs": ["fit", "traffic", "--dataset", "bikeshare", "--epochs", "3"],
        "generate finance --dataset lending_club --rows 1000": ["generate", "finance", "--dataset", "lending_club",
                                                                "--rows", "1000"],
        "generate sensor --rows 20": ["generate", "sensor", "--rows", "20"],
        "generate traffic --rows 20": ["generate", "traffic", "--rows", "20"],
        "generate imaging --rows 50": ["generate", "imaging", "--rows", "50"],
    }


def timed(cli: str, args: list[str], env: dict[str, str], out: Path) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([cli, *args, "--out", str(out), "--overwrite"], capture_output=True, text=True,
                          env={**os.environ, **env})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    stages = re.search(r"metrics ([\d.]+)s, audit ([\d.]+)s", proc.stderr + proc.stdout)
    return {"returncode": proc.returncode, "wall_s": round(wall, 2), "user_s": round(after.ru_utime - before.ru_utime, 2),
            "system_s": round(after.ru_stime - before.ru_stime, 2),
            **({"metrics_s": float(stages[1]), "audit_s": float(stages[2])} if stages else {})}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", action="append", required=True, help="LABEL,SYNTHGUARD_EXECUTABLE,ENV")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--aeon-wheel", help="aeon-1.6.0-py3-none-any.whl already downloaded")
    args = ap.parse_args()
    runs = []
    for spec in args.run:
        label, cli, env = spec.split(",", 2)
        runs.append((label, cli, dict([env.split("=", 1)]) if env else {}))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        csv = acsf1_csv(args.aeon_wheel, tmp)
        for repeat in range(args.repeats):
            for label, cli, env in runs:
                for name, cmd in commands(csv).items():
                    row = {"run": label, "repeat": repeat, "command": name, **timed(cli, cmd, env, tmp / "out")}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    store_dated(RESULTS, {"command": " ".join(["cpu_threads.py", *sys.argv[1:]]), "cores": os.cpu_count(),
                          "results": rows})


if __name__ == "__main__":
    main()
