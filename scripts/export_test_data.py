"""Export the small real sensor recordings the core tests use (run by hand).

    python scripts/export_test_data.py

Writes tests/data/basic_motions.npz from the sensor plugin's copy of BasicMotions
(plugins/sensor/synthguard_sensor/data/basic_motions.npz, made from the aeon wheel by
plugins/sensor/scripts/export_reference_data.py; UEA archive, redistributed in aeon under
BSD-3-Clause): 80 recordings x 100 steps x 6 channels (3-axis accelerometer and gyroscope of
a smartwatch at 10 Hz), labels standing/running/walking/badminton. The core tests keep their
own copy so they run without the plugin installed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "plugins" / "sensor" / "synthguard_sensor" / "data" / "basic_motions.npz"
OUT = ROOT / "tests" / "data" / "basic_motions.npz"


def main() -> None:
    with np.load(SOURCE, allow_pickle=False) as z:
        values, labels, channels = z["values"], z["static__activity"], z["channels"]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, values=values, labels=labels, channels=channels)
    print(f"{OUT}: {values.shape}, labels {sorted(set(labels))}")


if __name__ == "__main__":
    main()
