"""TabularARGN (MOSTLY AI's open engine) for benchmarks/peers_privacy.py; runs in its own virtual environment.

    MOSTLY_PYTHON train.parquet synthetic.parquet ROWS on|off

Fits `mostlyai.engine.TabularARGN` with its defaults (training capped at 10 minutes) (value protection on, or off) on the training
table, samples ROWS records, writes them, and prints one JSON line with the fit time and version.
"""

import json
import sys
import time

import pandas as pd
from mostlyai import engine
from mostlyai.engine import TabularARGN

src, dst, rows, protection = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "on"
train = pd.read_parquet(src)
start = time.perf_counter()
# its defaults, except the training-time cap: 10 minutes instead of 10 days (max_epochs stays 100)
model = TabularARGN(value_protection=protection, random_state=0, max_training_time=10).fit(train)
fit_s = time.perf_counter() - start
model.sample(n_samples=rows).to_parquet(dst)
print(json.dumps({"fit_seconds": fit_s, "version": engine.__version__, "value_protection": protection}))
