"""Export the small real sensor recordings the core tests use (run by hand; needs the aeon wheel, no import of aeon).

    pip download --no-deps aeon==1.6.0 -d /tmp/aeon && python scripts/export_test_data.py /tmp/aeon/aeon-1.6.0-py3-none-any.whl

Writes tests/data/basic_motions.npz: BasicMotions (UEA archive, bundled in aeon,
BSD-3-Clause): 80 recordings x 100 steps x 6 channels (3-axis accelerometer and
gyroscope of a smartwatch at 10 Hz), labels standing/running/walking/badminton.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "basic_motions.npz"
CHANNELS = ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"]


def parse_ts(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The .ts format: after '@data', one line per recording, dimensions split by ':', label last."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().lower() == "@data") + 1
    values, labels = [], []
    for line in lines[start:]:
        if not line.strip():
            continue
        *dims, label = line.strip().split(":")
        values.append(np.array([[float(v) for v in d.split(",")] for d in dims]).T)  # (steps, channels)
        labels.append(label)
    return np.stack(values), np.array(labels)


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as z:
        parts = [parse_ts(z.read(f"aeon/datasets/data/BasicMotions/BasicMotions_{s}.ts").decode()) for s in ("TRAIN", "TEST")]
    values = np.concatenate([p[0] for p in parts]).astype(np.float32)
    labels = np.concatenate([p[1] for p in parts])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, values=values, labels=labels, channels=np.array(CHANNELS))
    print(f"{OUT}: {values.shape}, labels {sorted(set(labels))}")


if __name__ == "__main__":
    main(sys.argv[1])
