"""Re-create the plugin's reference recordings from the aeon wheel (run by hand; aeon itself is never imported).

    pip download --no-deps aeon==1.6.0 -d /tmp/aeon
    python plugins/sensor/scripts/export_reference_data.py /tmp/aeon/aeon-1.6.0-py3-none-any.whl

Writes synthguard_sensor/data/basic_motions.npz (BasicMotions, UEA archive: 80 x 100 x 6) and
synthguard_sensor/data/daphnet_S06R02E0.csv.gz (Daphnet freezing-of-gait, subject 6 run 2:
7040 readings x 9 accelerometer axes at 64 Hz + freeze annotation). See data/README.md.
"""

from __future__ import annotations

import gzip
import sys
import zipfile
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / "synthguard_sensor" / "data"
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
    DATA.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as z:
        parts = [parse_ts(z.read(f"aeon/datasets/data/BasicMotions/BasicMotions_{s}.ts").decode()) for s in ("TRAIN", "TEST")]
        daphnet = z.read("aeon/datasets/data/Daphnet_S06R02E0/S06R02E0.csv")
    values = np.concatenate([p[0] for p in parts]).astype(np.float32)
    labels = np.concatenate([p[1] for p in parts])
    ids = np.array([f"{split}{i}" for split, p in zip(("train", "test"), parts) for i in range(len(p[1]))])
    np.savez_compressed(DATA / "basic_motions.npz", values=values, channels=np.array(CHANNELS),
                        static__activity=labels, entity_ids=ids)
    (DATA / "daphnet_S06R02E0.csv.gz").write_bytes(gzip.compress(daphnet, mtime=0))
    print(f"basic_motions.npz: {values.shape}; daphnet_S06R02E0.csv.gz: {len(daphnet)} bytes uncompressed")


if __name__ == "__main__":
    main(sys.argv[1])
