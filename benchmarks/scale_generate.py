"""Generating and gating many rows (issue 23): the chunked path on Dask vs the in-memory path.

Runs the user's command in a child process,

    synthguard generate GENERATOR --dataset DATASET --rows N --out DIR [--scheduler local --dask-workers W]

and records wall time, rows/s and peak RSS summed over the process and all its children (the Dask workers), sampled
every 0.2 s with psutil, plus the report's own timings and gate counts. Also measures the recall of the IVF index
against exact search on lending_club (its training split indexed; its unseen holdout and rows of the pretrained
``finance`` bundle as queries).

finance-gaussian-copula on credit_data by default: the cheapest finance generator (the default ``finance`` samples
~920 rows/s per Dask worker, 2026-12-04, see --generator finance), and on lending_club SDV detects ``addr_state`` as a PII column
and fakes full state names that the finance.categories validator rejects, every row.

    python benchmarks/scale_generate.py --generator finance-gaussian-copula --rows 100000 1000000 \
        --in-memory 100000 --workers 2          # results/scale_generate.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import watch_tree

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "scale_generate.json"
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
       "SYNTHGUARD_LOAD_PLUGINS": os.environ.get("SYNTHGUARD_LOAD_PLUGINS", "synthguard-finance")}


def run(args: list[str]) -> dict:
    """Run ``synthguard ARGS``; wall time and peak RSS of the process tree."""
    exe = Path(sys.executable).with_name("synthguard")
    start = time.perf_counter()
    proc = subprocess.Popen([str(exe), *args], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, _ = watch_tree(proc)
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"synthguard {' '.join(args)} failed ({proc.returncode}):\n{err[-3000:]}")
    return {"wall_seconds": round(wall, 1), "peak_rss_mib": round(peak / 2**20), "stdout": out.strip().splitlines()[:1]}


def one(generator: str, dataset: str, rows: int, scheduler: str | None, workers: int, chunk_rows: int,
        tmp: Path, index: str | None = None) -> dict:
    out = tmp / f"out-{rows}-{scheduler or 'memory'}-{index}"
    args = ["generate", generator, "--dataset", dataset, "--rows", str(rows), "--out", str(out), "--overwrite"]
    if scheduler:
        args += ["--scheduler", scheduler, "--dask-workers", str(workers), "--chunk-rows", str(chunk_rows)]
        args += ["--dask-threads", "1"]  # its tables are W single-thread processes; alone, --dask-workers fills the cores
        args += ["--index", index] if index else []
    measured = run(args)
    report = json.loads((out / "report.json").read_text())
    row = {"rows": rows, "path": f"chunked, --scheduler {scheduler}, {workers} workers" if scheduler else "in memory",
           **measured, "rows_per_second": round(rows / measured["wall_seconds"]),
           "fit_seconds": report["timings"].get("fit_seconds"),
           "sample_seconds_summed": report["timings"]["sample_seconds"],
           "checks_seconds_summed": report["timings"]["checks_seconds"],
           "metrics_seconds": report["timings"]["metrics_seconds"], "audit_seconds": report["timings"]["audit_seconds"],
           "rejected": report["sampling"]["rejected"], "release": report["release"]["decision"],
           "measured_on": (report.get("measured_on") or {"rows": rows, "what": "all delivered records"}),
           "near_copy_index": (report.get("scale") or {}).get("near_copy_index"),
           "command": "synthguard " + " ".join("OUT" if a == str(out) else a for a in args if a != "--overwrite")}
    row["measured_on"] = {k: row["measured_on"][k] for k in ("rows", "what") if k in row["measured_on"]}
    print(json.dumps({k: v for k, v in row.items() if k != "stdout"}), flush=True)
    return row


def sdv_sampling(dataset: str, rows: int) -> dict:
    """The peer's side of "rows/s at 1M rows": SDV's GaussianCopula fitted on the same training split, then
    ``sample(rows)`` timed in a child process with one thread, ungated (SDV has no gate), in 100,000-row batches."""
    code = f"""
import json, time, warnings
warnings.filterwarnings("ignore")
import synthguard as sg
from synthguard.data import holdout_split
from synthguard.pipeline import HOLDOUT, SPLIT_SEED
from sdv.metadata import Metadata
from sdv.single_table import GaussianCopulaSynthesizer
train, _ = holdout_split(sg.Engine().dataset({dataset!r}).load(), HOLDOUT, seed=SPLIT_SEED)
frame = train.frame
synth = GaussianCopulaSynthesizer(Metadata.detect_from_dataframes({{"t": frame}}))
t0 = time.perf_counter(); synth.fit({{"t": frame}}); fit = time.perf_counter() - t0
t0 = time.perf_counter(); n = 0
while n < {rows}:
    out = synth.sample(min(100_000, {rows} - n), batch_size=100_000)
    n += len(out["t"] if isinstance(out, dict) else out)
secs = time.perf_counter() - t0
print(json.dumps({{"fit_seconds": round(fit, 1), "sample_seconds": round(secs, 1), "rows": n,
                  "rows_per_second": round(n / secs)}}))
"""
    proc = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"SDV GaussianCopula sampling failed:\n{proc.stderr[-3000:]}")
    return {"what": f"SDV GaussianCopulaSynthesizer (SDV-detected metadata) fitted on {dataset}'s training split, "
                    f"sample({rows}) in 100,000-row batches, one thread, no gate",
            **json.loads(proc.stdout.strip().splitlines()[-1])}


def ivf_recall(seed: int = 0) -> dict:
    """IVF vs exact search on lending_club: the training split indexed, a synthetic sample and the holdout queried."""
    import numpy as np

    import synthguard as sg
    from synthguard.contract import CheckContext
    from synthguard.data import holdout_split
    from synthguard.pipeline import HOLDOUT, SPLIT_SEED
    from synthguard.scale.index import SharedIndex, recall

    engine = sg.Engine()
    records = engine.dataset("lending_club").load()
    train, hold = holdout_split(records, HOLDOUT, seed=SPLIT_SEED)
    context = CheckContext(meta=train.meta, reference_hashes=train.record_hashes(), reference=train, holdout=hold,
                           distance=engine.distance_for("table", "finance"))
    exact = context.nearest_reference()
    try:
        model, source = engine.load(engine.dataset("lending_club").bundles()["finance"]), "pretrained finance bundle"
    except sg.SynthGuardError as err:  # a bundle being rebuilt: the cheapest generator, fitted on the training split
        model = engine.fit_records("finance-gaussian-copula", train, source={"dataset": "lending_club"}, seed=seed)
        source = f"finance-gaussian-copula fitted on the training split (pretrained bundle unusable: {err})"
    synthetic = model.sample(2000, seed=seed)
    out = {"queries": f"2000 synthetic records from the {source}, and the {len(hold)} holdout records",
           "table": f"lending_club training split ({exact.size} distinct records, {exact._points.shape[1]} dims, "
                    f"{exact.distance.name})"}
    default = SharedIndex(exact, kind="ivf", seed=seed)
    for share in (1 / 16, 1 / 8, None):  # None: the default probes
        index = default if share is None else SharedIndex(exact, kind="ivf", seed=seed,
                                                           nprobe=max(1, round(default.nlist * share)))
        key = f"nlist={index.nlist}, nprobe={index.nprobe}" + (" (default)" if share is None else "")
        out[key] = {"synthetic_2000": recall(index, exact, synthetic), "holdout": recall(index, exact, hold)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generator", default="finance-gaussian-copula")
    parser.add_argument("--dataset", default="credit_data")
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--in-memory", type=int, nargs="*", default=[100_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-rows", type=int, default=50_000)
    parser.add_argument("--index", nargs="+", default=["auto"], choices=["auto", "exact", "ivf"],
                        help="near-copy search of the chunked runs (each one a run)")
    parser.add_argument("--skip-recall", action="store_true")
    parser.add_argument("--recall-only", type=Path, default=None, metavar="JSON",
                        help="only the IVF recall, written to JSON (results/scale_ivf_recall.json)")
    parser.add_argument("--sdv-rows", type=int, default=None, metavar="N",
                        help="also time SDV GaussianCopula sampling N rows ungated on the same training split")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.recall_only:
        result = {"benchmark": "scale_ivf_recall", "date": dt.date.today().isoformat(),
                  "command": " ".join(["python", "benchmarks/scale_generate.py", *sys.argv[1:]]), **ivf_recall()}
        args.recall_only.write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=1))
        return
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.in_memory:
            runs.append(one(args.generator, args.dataset, rows, None, args.workers, args.chunk_rows, Path(tmp)))
        for rows in args.rows:
            for index in args.index:
                runs.append(one(args.generator, args.dataset, rows, "local", args.workers, args.chunk_rows, Path(tmp),
                                None if index == "auto" else index))
            for p in Path(tmp).glob("out-*"):
                subprocess.run(["rm", "-rf", str(p)], check=True)
    result = {"benchmark": "scale_generate", "date": dt.date.today().isoformat(), "generator": args.generator,
              "dataset": args.dataset, "machine": f"{os.cpu_count()} cores (shared with other jobs), no GPU",
              "command": " ".join(["python", "benchmarks/scale_generate.py", *sys.argv[1:]]), "runs": runs}
    if args.sdv_rows:
        result["sdv_gaussian_copula"] = sdv_sampling(args.dataset, args.sdv_rows)
        print(json.dumps(result["sdv_gaussian_copula"]), flush=True)
    if not args.skip_recall:
        result["ivf_recall"] = ivf_recall()
        print(json.dumps(result["ivf_recall"], indent=1), flush=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
