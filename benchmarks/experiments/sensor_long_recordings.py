"""`generate sensor` on a long real panel it never saw, as a new user runs it: by default and with other windows.

    python benchmarks/experiments/sensor_long_recordings.py --windows default 128 512 1460

The panel: ACSF1 (the UCR/UEA archive's appliance power signatures, ACS-F1, Ridi et al. 2013; 200 appliances of 10
classes, one 1,460-step power recording each, train and test files together), from the `aeon` 1.6.0 wheel on PyPI,
which carries it (aeon is BSD-3-Clause; the archive's data is free for research use). The wheel is fetched with
``pip download aeon==1.6.0 --no-deps`` unless ``--aeon-wheel`` names it; it is only read, never installed. Exported
as a long-format CSV (``recording, step, power, appliance_class``) and given to
``synthguard generate sensor --data CSV --entity-column recording --time-column step --rows R``, once per window:
``default`` gives no ``--window`` (the generator's choice), a number gives ``--window N`` (1460 = whole recordings).
Each run alone, one after the other; results to ``benchmarks/results/sensor_long_recordings.json`` under the date.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness import store_dated  # noqa: E402

RESULTS = Path(__file__).resolve().parents[1] / "results" / "sensor_long_recordings.json"


def ucr_long(wheel: Path, name: str, columns: tuple[str, str, str, str], prefix: str, digits: int = 4,
             root: str = "aeon/datasets/data") -> pd.DataFrame:
    """A UCR/UEA univariate set a wheel carries under ``root`` (aeon's; sktime's is ``sktime/datasets/data``), its
    train and test files together, as one row per reading: ``columns`` = (entity, time, value, label); entity ids
    are ``prefix`` and a number of ``digits`` digits."""
    entity, time_, value, label = columns
    rows = []
    with zipfile.ZipFile(wheel) as z:
        for part in ("TRAIN", "TEST"):
            text = z.read(f"{root}/{name}/{name}_{part}.ts").decode()
            body = text.split("@data", 1)[1] if "@data" in text else text.split("@DATA", 1)[1]
            for line in body.strip().splitlines():
                values, cls = line.rsplit(":", 1)
                rows.append((np.array(values.split(","), dtype=float), cls.strip()))
    frames = [pd.DataFrame({entity: f"{prefix}{i:0{digits}d}", time_: np.arange(len(v)), value: v, label: cls})
              for i, (v, cls) in enumerate(rows)]
    return pd.concat(frames, ignore_index=True)


def acsf1_long(wheel: Path) -> pd.DataFrame:
    """ACSF1's 200 recordings as one row per reading."""
    return ucr_long(wheel, "ACSF1", ("recording", "step", "power", "appliance_class"), "appliance", 3)


def acsf1_csv(wheel: str | None, folder: Path) -> Path:
    """ACSF1 written as the long-format CSV a user would give ``--data`` (the wheel fetched into ``folder`` unless
    given)."""
    csv = folder / "acsf1_long.csv"
    acsf1_long(wheel_path(wheel, folder)).to_csv(csv, index=False)
    return csv


def acsf1_windows(wheel: str | None):
    """ACSF1 read as ``generate sensor`` reads it by default (256-step windows), split as it splits: (train, holdout)."""
    import synthguard as sg
    from synthguard import holdout_split

    with tempfile.TemporaryDirectory() as tmp:
        records = sg.Engine().to_records(acsf1_csv(wheel, Path(tmp)), modality="sequence",
                                         sequence_format={"entity": "recording", "time": "step", "window": 256})
    return holdout_split(records, 0.2)


def wheel_path(given: str | None, folder: Path, package: str = "aeon==1.6.0") -> Path:
    if given:
        return Path(given)
    subprocess.run([sys.executable, "-m", "pip", "download", package, "--no-deps", "-d", str(folder), "-q"],
                   check=True)
    name, version = package.split("==")
    return next(folder.glob(f"{name}-{version}-*.whl"))


def run(csv: Path, window: str, rows: int, out: Path, seed: int = 0) -> dict:
    cmd = [str(Path(sys.executable).with_name("synthguard")), "generate", "sensor", "--data", str(csv),
           "--entity-column", "recording", "--time-column", "step", "--rows", str(rows), "--out", str(out),
           "--overwrite", "--seed", str(seed)]
    if window != "default":
        cmd += ["--window", window]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)  # stderr not a terminal: the log's stage lines
    wall = time.perf_counter() - start
    print(proc.stderr, proc.stdout, sep="", flush=True)
    if not (out / "report.json").is_file():
        return {"window": window, "exit_code": proc.returncode, "wall_seconds": round(wall, 1),
                "stderr": proc.stderr.strip().splitlines()[-1:]}
    report = json.loads((out / "report.json").read_text())
    fit, metrics = report["generator"]["fit"], report["metrics"]
    disc, pred, tstr = (metrics.get(k, {}) for k in ("sensor.discriminative", "sensor.predictive", "sensor.tstr"))
    release = report.get("audit", {}).get("release", {})
    figures = {f["figure"]: f["value"] for f in release.get("figures", [])}
    return {
        "window": window, "seed": seed, "exit_code": proc.returncode, "wall_seconds": round(wall, 1),
        "preparation": report["lineage"]["data_source"].get("preparation", {}).get("windows"),
        "training_records": fit.get("records"), "record_steps": int(np.load(out / "synthetic.npz")["values"].shape[1]),
        "epochs_run": fit.get("epochs_run"), "best_epoch": fit.get("best_epoch"),
        "timings": report["timings"], "sampling": report.get("sampling"),
        "discriminative": {k: disc.get(k) for k in ("score", "std", "test_recordings", "chance_level",
                                                    "detectable_score")},
        "predictive": {k: pred.get(k) for k in ("tstr_mae", "trtr_mae", "ratio")},
        "label_tstr_over_trtr": tstr.get("accuracy_ratio"),
        "audit": {"decision": release.get("decision"), "members": release.get("members"),
                  "non_members": release.get("non_members"), "worst_auc": figures.get("worst membership AUC"),
                  "dcr_share": report.get("audit", {}).get("dcr", {}).get("share_closer_to_train")},
        "stage_lines": [line for line in proc.stderr.splitlines() if line.startswith(("[", "note:"))],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--windows", nargs="+", default=["default"], help="'default' and/or window lengths")
    ap.add_argument("--rows", type=int, default=200, help="synthetic records asked for")
    ap.add_argument("--aeon-wheel", help="aeon-1.6.0-py3-none-any.whl already downloaded")
    ap.add_argument("--seed", type=int, default=0, help="--seed of every run (fit and sampling)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv = acsf1_csv(args.aeon_wheel, Path(tmp))
        results = [run(csv, w, args.rows, Path(tmp) / f"out-{w}", args.seed) for w in args.windows]
    threads = os.environ.get("OMP_NUM_THREADS")
    store_dated(RESULTS, {"command": " ".join([*([f"OMP_NUM_THREADS={threads}"] if threads else []),
                                               "sensor_long_recordings.py", *sys.argv[1:]]), "rows": args.rows,
                          "results": results})
    for r in results:
        print(json.dumps({k: v for k, v in r.items() if k != "stage_lines"}))


if __name__ == "__main__":
    main()
