"""Small LSTM and conv passes under torch's thread settings, on an idle machine and beside one busy process.

    python benchmarks/experiments/omp_threads_micro.py

A 2-layer LSTM (96 units) over 32 × 256 steps, 10 forward/backward passes, and a 3-layer conv net over 16 × 64 × 64
images, 20 passes, each in a fresh process (the OpenMP settings apply only before torch loads): two threads that
sleep while they wait (``OMP_WAIT_POLICY=PASSIVE``, what ``import synthguard`` sets), two that spin (libgomp's
default), one thread. Then the same with one busy Python loop on a core. Wall and CPU seconds; read the ratios.
Results to ``benchmarks/results/omp_threads_micro.json`` under the date.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness import store_dated  # noqa: E402

RESULTS = Path(__file__).resolve().parents[1] / "results" / "omp_threads_micro.json"
SETTINGS = {"2 threads, sleeping": {"OMP_WAIT_POLICY": "PASSIVE"}, "2 threads, spinning": {},
            "1 thread": {"OMP_NUM_THREADS": "1"}}

PASSES = """
import sys, time, torch
if sys.argv[1] == "lstm":
    net, x, n = torch.nn.LSTM(8, 96, num_layers=2, batch_first=True), torch.randn(32, 256, 8), 10
else:
    c = torch.nn.Conv2d
    net = torch.nn.Sequential(c(1, 32, 3, padding=1), torch.nn.SiLU(), c(32, 32, 3, padding=1), torch.nn.SiLU(),
                              c(32, 1, 3, padding=1))
    x, n = torch.randn(16, 1, 64, 64), 20
wall, cpu = time.perf_counter(), time.process_time()
for _ in range(n):
    y = net(x)
    (y[0] if isinstance(y, tuple) else y).sum().backward()
print(round(time.perf_counter() - wall, 2), round(time.process_time() - cpu, 2))
"""


def measure(kind: str, env: dict[str, str]) -> dict[str, float]:
    clean = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", PASSES, kind], env={**clean, **env}, capture_output=True, text=True,
                         check=True).stdout.split()
    return {"wall_s": float(out[0]), "cpu_s": float(out[1])}


def main() -> None:
    rows = []
    for load in ("idle", "one busy process"):
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if load != "idle" else None
        try:
            time.sleep(1 if busy else 0)
            for kind in ("lstm", "conv"):
                for name, env in SETTINGS.items():
                    rows.append({"load": load, "network": kind, "setting": name, **measure(kind, env)})
                    print(json.dumps(rows[-1]), flush=True)
        finally:
            if busy:
                busy.kill()
    store_dated(RESULTS, {"torch": _torch_version(), "cores": os.cpu_count(), "results": rows})


def _torch_version() -> str:
    return subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__)"], capture_output=True,
                          text=True, check=True).stdout.strip()


if __name__ == "__main__":
    main()
