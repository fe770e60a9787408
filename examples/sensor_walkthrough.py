"""A plant engineer's first hour with synthguard-sensor (run it: python examples/sensor_walkthrough.py OUT_DIR).

1. Export the real recordings as the long-format log a historian would give you.
2. Fit the sensor generator on that log (a few seconds of training on a CPU).
3. Generate 100 "running" recordings through the safety checks and the privacy gate.
4. Read what the report measured.
"""

from __future__ import annotations

import sys
from pathlib import Path

import synthguard as sg
from synthguard import to_long_frame


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    recordings = sg.datasets()["basic_motions"].load()  # 80 real smartwatch recordings, 4 activities
    log = to_long_frame(recordings, entity="watch_session", time="t")  # one row per reading
    log.to_csv(out / "sessions.csv", index=False)
    print(f"1. wrote {len(log)} readings of {log['watch_session'].nunique()} sessions to {out / 'sessions.csv'}")

    result = sg.generate("sensor", rows=100, data=out / "sessions.csv", seed=0, epochs=60,
                         sequence_format={"entity": "watch_session", "time": "t"},
                         conditions={"activity": "Running"}, out=out / "synthetic", overwrite=True)
    report = result.report
    print(f"2. trained {report['generator']['fit']['epochs_run']} epochs in {report['lineage']['fit_seconds']} s")
    rejected = {k: v["rejected"] for k, v in {**report["validators"], **report["privacy"]}.items() if v.get("rejected")}
    print(f"3. {len(result.records)} running recordings delivered; rejected and resampled: {rejected or 'none'}")
    metrics = report["metrics"]
    print(f"4. discriminative score {metrics['sensor.discriminative'].get('score')} (0 = indistinguishable), "
          f"next-step MAE trained on synthetic {metrics['sensor.predictive'].get('tstr_mae')} "
          f"vs on real {metrics['sensor.predictive'].get('trtr_mae')} — measured against the real running recordings "
          f"({report['metrics_compared_with']['training']} of them); open {out / 'synthetic' / 'report.html'}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "sensor-walkthrough"))
