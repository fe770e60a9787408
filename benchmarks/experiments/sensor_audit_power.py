"""Does the sensor default pass its own audit on a public panel with enough recordings for the audit to read?
(issues 21 and 25: neither shipped sensor panel can be judged, 16 and 22 units a side)

The panel: ItalyPowerDemand (the UCR/UEA archive; Keogh et al., "Intelligent Icons", 2006): 1,096 days of Italy's
electrical power demand, 24 hourly readings each (every day z-normalised by the archive), labelled October–March
or April–September; train and test files together, from the `aeon` 1.6.0 wheel on PyPI as in
`sensor_long_recordings.py` (read, never installed). The days are system-wide loads, no person's: the day is the unit
here only because it is the one unit of which there are enough, about 530 a side being what it takes to read an AUC
of 0.55 and about 600 for a TPR of 0.15 at 10% FPR. Hence ``--holdout 0.5`` by default: 548 days trained on, 548
held out, the most the panel allows a side.

Per generator and seed this runs, as a user would,

    synthguard generate G --data italy_long.csv --entity-column day --time-column hour --rows 1000 \\
        --holdout 0.5 --seed S --override-audit "experiment: every decision recorded"

and records the release decision with every figure (value, interval, verdict, what it needs), the DCR share and
the discriminative score. The override only lets a refused run write its report: it is recorded, and the decision
read here is the audit's own.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/sensor_audit_power.py --seeds 0 1 2
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/sensor_audit_power.py --generators sensor-lstm \\
        --seeds 0 1 2
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/sensor_audit_power.py --seeds 0 1 2 --set dropout=0.3

The negative control, ``--null SPLITS``: the same panel split as `audit_null.py` splits a sequence set (20% of the
days held out, half the rest trained on, the other half released as it is: real days, no member among them) and
audited as `generate sensor` audits; every refusal is a false alarm and every attack's mean AUC should be 0.5.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/sensor_audit_power.py --null 100

``--panel plaid``: a second panel, to confirm on data not used to choose: PLAID (UCR/UEA; Gao et al. 2014, plug-load
current of household appliances, 1,074 recordings of 100-1,344 steps, 11 appliance types), from the `sktime` 1.2.0
wheel on PyPI (read, never installed), cut into 100-step windows with ``--window 100`` so that every recording
counts: 532 a side, the recording the unit.
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/sensor_audit_power.py --panel plaid --seeds 0 1 2 3 4
Results go to ``benchmarks/results/sensor_audit_power.json`` under the date.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from audit_null import one as null_one, summarize  # noqa: E402
from harness import store_dated  # noqa: E402
from sensor_long_recordings import ucr_long, wheel_path  # noqa: E402

RESULTS = HERE.parent / "results" / "sensor_audit_power.json"
#: the public panels large enough for the audit to read: where each comes from, its columns, generate's --window
PANELS = {
    "italy": {"package": "aeon==1.6.0", "root": "aeon/datasets/data", "name": "ItalyPowerDemand",
              "columns": ("day", "hour", "demand", "season"), "prefix": "day", "window": None},
    "plaid": {"package": "sktime==1.2.0", "root": "sktime/datasets/data", "name": "PLAID",
              "columns": ("recording", "step", "current", "appliance"), "prefix": "r", "window": 100},
}


def run(generator: str, csv: Path, rows: int, holdout: float, seed: int, out: Path, settings: list[str],
        panel: dict = PANELS["italy"]) -> dict:
    entity, time_ = panel["columns"][:2]
    window = [] if panel["window"] is None else ["--window", str(panel["window"])]
    cmd = [str(Path(sys.executable).with_name("synthguard")), "generate", generator, "--data", str(csv),
           "--entity-column", entity, "--time-column", time_, *window, "--rows", str(rows), "--holdout", str(holdout),
           "--seed", str(seed), "--out", str(out), "--overwrite",
           "--override-audit", "experiment: every decision recorded", *[a for kv in settings for a in ("--set", kv)]]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    summary = [line for line in proc.stdout.splitlines() + proc.stderr.splitlines()
               if line.startswith(("wrote", "privacy audit", "error"))]
    print(generator, seed, *summary, sep="\n  ", flush=True)
    if not (out / "report.json").is_file():
        return {"generator": generator, "seed": seed, "exit_code": proc.returncode, "wall_seconds": round(wall, 1),
                "stderr": proc.stderr.strip().splitlines()[-3:]}
    report = json.loads((out / "report.json").read_text())
    audit = report["audit"]
    release = audit["release"]
    return {
        "generator": generator, "settings": settings, "seed": seed, "exit_code": proc.returncode,
        "wall_seconds": round(wall, 1), "fit_seconds": report["timings"].get("fit_seconds"),
        "epochs_run": report["generator"]["fit"].get("epochs_run"),
        "discriminative": report["metrics"].get("sensor.discriminative", {}).get("score"),
        "decision": release["decision"], "unit": release.get("unit"), "members": release.get("members"),
        "non_members": release.get("non_members"), "reason": release.get("reason"),
        "figures": [{k: f.get(k) for k in ("figure", "value", "attack", "interval", "target", "verdict", "needs",
                                           "worst_of_all")} for f in release["figures"]],
        "dcr_share": audit.get("dcr", {}).get("share_closer_to_train"),
        "rejected": {name: check.get("rejected") for name, check in report["privacy"].items()},
        "override": report["release"].get("override"), "summary": summary,
    }


def null_releases(csv: Path, splits: int, panel: dict = PANELS["italy"]) -> dict:
    """The audit of ``splits`` releases of real recordings that hold no member (`audit_null.py`'s splits)."""
    import synthguard as sg

    entity, time_ = panel["columns"][:2]
    fmt = {"entity": entity, "time": time_, **({} if panel["window"] is None else {"window": panel["window"]})}
    records = sg.Engine().to_records(csv, modality="sequence", sequence_format=fmt)
    runs = [null_one(records, [], seed, "sensor") for seed in range(splits)]
    summary = summarize(runs)
    print("null releases", json.dumps(summary), flush=True)
    return {"summary": summary, "runs": runs}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--generators", nargs="+", default=["sensor"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                    help="a generator setting, passed on as generate's --set (repeatable)")
    ap.add_argument("--rows", type=int, default=1000, help="synthetic recordings asked for")
    ap.add_argument("--holdout", type=float, default=0.5, help="share of days held out (generate's --holdout)")
    ap.add_argument("--panel", choices=sorted(PANELS), default="italy", help=(
        "italy: ItalyPowerDemand (aeon wheel); plaid: PLAID, 1,074 appliance recordings of 100-1,344 steps (sktime "
        "wheel), cut into 100-step windows"))
    ap.add_argument("--wheel", "--aeon-wheel", dest="wheel", help="the panel's wheel already downloaded")
    ap.add_argument("--null", type=int, metavar="SPLITS", help="audit this many member-free releases instead")
    args = ap.parse_args()
    panel = PANELS[args.panel]
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / f"{args.panel}_long.csv"
        ucr_long(wheel_path(args.wheel, Path(tmp), panel["package"]), panel["name"], panel["columns"], panel["prefix"],
                 root=panel["root"]).to_csv(csv, index=False)
        if args.null:
            store_dated(RESULTS, {"command": " ".join(["sensor_audit_power.py", *sys.argv[1:]]),
                                  "null": null_releases(csv, args.null, panel)})
            return
        results = [run(g, csv, args.rows, args.holdout, s, Path(tmp) / f"out-{g}-{s}", args.settings, panel)
                   for g in args.generators for s in args.seeds]
    threads = os.environ.get("OMP_NUM_THREADS")
    store_dated(RESULTS, {"command": " ".join([*([f"OMP_NUM_THREADS={threads}"] if threads else []),
                                               "sensor_audit_power.py", *sys.argv[1:]]), "results": results})


if __name__ == "__main__":
    main()
