"""Would a larger batch fit the sensor LSTM faster on long recordings cut into 256-step windows?

    python benchmarks/experiments/sensor_long_batch.py --aeon-wheel aeon-1.6.0-py3-none-any.whl --batch-sizes 32 128

ACSF1 as ``generate sensor`` reads it by default (sensor_long_recordings.py: 256-step windows, 20% of the recordings
held out, seed 0); ``sg.fit("sensor", ...)`` with each batch size and every other default, one fit after the other;
prints fit seconds, epochs and the held-out windows' log-likelihood per observed reading (nats, the model's scale).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sensor_long_recordings import acsf1_windows  # noqa: E402


def main() -> None:
    import synthguard as sg

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--aeon-wheel")
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 128])
    args = ap.parse_args()
    train, hold = acsf1_windows(args.aeon_wheel)
    for batch in args.batch_sizes:
        start = time.perf_counter()
        model = sg.fit("sensor", train, seed=0, config={"batch_size": batch})
        seconds = time.perf_counter() - start
        nll = float(-model.log_likelihood(hold).sum() / np.isfinite(hold.values).sum())
        print(json.dumps({"date": time.strftime("%Y-%m-%d %H:%M"), "batch_size": batch, "fit_seconds": round(seconds, 1),
                          "epochs": model.fit_info_["epochs_run"], "best_epoch": model.fit_info_["best_epoch"],
                          "holdout_nll_per_reading": round(nll, 4)}), flush=True)


if __name__ == "__main__":
    main()
