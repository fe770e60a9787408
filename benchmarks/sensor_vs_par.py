"""The sensor plugin's generators vs SDV's PARSynthesizer, side by side (run by hand, not a test).

    python benchmarks/sensor_vs_par.py                       # both reference datasets: sensor, sensor-conv-ar, PAR (SDV's 128 epochs)
    python benchmarks/sensor_vs_par.py --datasets daphnet --par-epochs 32
    python benchmarks/sensor_vs_par.py --generators sensor --set layers=1 --out /tmp/sensor_vs_par_one_layer.json
    python benchmarks/sensor_vs_par.py --scale 8 16 --out benchmarks/results/sensor_vs_par_scale.json

``--scale S...`` measures only time and memory on a bigger panel: the Daphnet walk cut
into 64-step windows every S steps (overlapping, so held-out windows share readings with
training ones: no quality or privacy numbers are read from these runs).

Same holdout split as ``synthguard generate`` (20%, seed 0), same machine, one
fresh process per (dataset, generator) so peak memory is that fit's own. All
generators sample as many recordings as there are training recordings; the
scores compare them with the real training recordings (discriminative) and the
real holdout (predictive, label TSTR, DCR). Defaults of the sensor generators
were chosen on basic_motions only; daphnet is the dataset it was not tuned on.
Writes benchmarks/results/sensor_vs_par.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import time
from pathlib import Path

from harness import parse_settings, peak_rss_mib, run_isolated, timed_run

RESULTS = Path(__file__).resolve().parent / "results" / "sensor_vs_par.json"
SAMPLE_RATE_RECORDINGS = 200


def scale_one(stride: int, generator: str, par_epochs: int, seed: int, settings: dict | None = None) -> dict:
    import pandas as pd
    import synthguard as sg
    from synthguard.sequences import SequenceFormat, from_long_frame
    from synthguard_sensor.datasets import DATA, DAPHNET_WINDOW

    frame = pd.read_csv(DATA / "daphnet_S06R02E0.csv.gz", parse_dates=["timestamp"]).drop(columns=["is_anomaly"])
    records, _ = from_long_frame(frame, SequenceFormat(entity=None, window=DAPHNET_WINDOW, stride=stride))
    config = {"epochs": par_epochs} if generator == "sensor-par" else (settings or None)
    start = time.perf_counter()
    model = sg.fit(generator, records, seed=seed, config=config)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    model.sample(SAMPLE_RATE_RECORDINGS, seed=seed)
    return {"dataset": f"daphnet windows every {stride} steps", "generator": generator, "train_recordings": len(records),
            "fit_seconds": round(fit_s, 2), "epochs_run": model.fit_info_.get("epochs_run", par_epochs),
            "sample_recordings_per_s": round(SAMPLE_RATE_RECORDINGS / (time.perf_counter() - start), 1),
            "peak_rss_mib": peak_rss_mib()}


def run_one(dataset: str, generator: str, par_epochs: int, seed: int, settings: dict | None = None,
            splits: int = 10) -> dict:
    import numpy as np
    import synthguard as sg
    from synthguard_sensor.metrics import (autocorrelation_difference, discriminative_score, label_tstr,
                                           marginal_distances, predictive_score, spectrum_distance)

    ds = sg.datasets()[dataset]
    config = {"epochs": par_epochs} if generator == "sensor-par" else (settings or None)
    run = timed_run(generator, dataset, config=config, seed=seed, rate_records=SAMPLE_RATE_RECORDINGS)
    train, hold, model, syn = run.train, run.holdout, run.model, run.synthetic
    fit_s, sample_s, rate = run.fit_seconds, run.sample_seconds, run.records_per_second
    values = np.where(np.isfinite(syn.values), syn.values, np.nan)
    audit = sg.audit(train, syn, holdout=hold, domain="sensor")
    tstr = label_tstr(train, syn, hold, ds.target) if ds.target else {"skipped": "no label"}
    predictive = predictive_score(values, hold.values, train.values, seed=seed)
    return {
        "dataset": dataset, "generator": generator, "train_recordings": len(train), "holdout_recordings": len(hold),
        "shape": list(train.values.shape[1:]),
        "fit_seconds": round(fit_s, 2), "epochs_run": model.fit_info_.get("epochs_run", par_epochs),
        "sample_seconds": round(sample_s, 3), "sample_recordings_per_s": round(rate, 1),
        "peak_rss_mib": peak_rss_mib(),
        "missing_readings_in_output": round(float(np.isnan(values).mean()), 4),
        "discriminative": discriminative_score(train.values, values, seed=seed, repeats=splits),
        "predictive_tstr_mae": predictive,
        "predictive_trtr_mae": predictive_score(train.values, hold.values, train.values, seed=seed),
        "label_tstr": tstr,
        "marginal_ks_mean": marginal_distances(train.values, values, train.channels)["ks_mean"],
        "acf_difference": autocorrelation_difference(train.values, values, train.channels),
        "spectrum_distance": spectrum_distance(train.values, values, train.channels),
        "dcr_share": audit.get("dcr", {}).get("share_closer_to_train"),
        "worst_attack_auc": (audit.get("membership_inference") or {}).get("worst_auc"),
        "exact_copies": int(np.isin(syn.record_hashes(), train.record_hashes()).sum()),
    }


def table(rows: list[dict]) -> str:
    head = ("| dataset | generator | fit s | sample rec/s | peak RSS MiB | discriminative ↓ (± std) | predictive MAE TSTR "
            "(TRTR) ↓ | label TSTR acc (TRTR) | spectrum JS ↓ | ACF diff ↓ | DCR share | copies |")
    lines = [head, "|" + "---|" * 12]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['dataset']} | {r['generator']} | failed: {r['error'][:80]} |" + " |" * 9)
            continue
        d = r["discriminative"]
        t = r["label_tstr"]
        label = f"{t['tstr']['accuracy']} ({t['trtr']['accuracy']})" if "tstr" in t else "—"
        lines.append(
            f"| {r['dataset']} | {r['generator']} | {r['fit_seconds']} | {r['sample_recordings_per_s']} | "
            f"{r['peak_rss_mib']} | {d['score']} ± {d['std']} | {r['predictive_tstr_mae']} ({r['predictive_trtr_mae']}) | "
            f"{label} | {r['spectrum_distance'].get('mean')} | {r['acf_difference'].get('mean')} | "
            f"{r['dcr_share']} | {r['exact_copies']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["basic_motions", "daphnet"])
    parser.add_argument("--generators", nargs="+", default=["sensor", "sensor-conv-ar", "sensor-par"])
    parser.add_argument("--par-epochs", type=int, default=128, help="SDV's default is 128")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a config value of the plugin's generators (not PAR), e.g. --generators sensor --set layers=1")
    parser.add_argument("--splits", type=int, default=10,
                        help="discriminative score: classifiers trained on this many random splits (with 3, PAR's "
                             "basic_motions score read 0.33 in one run and 0.15 in another)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--scale", nargs="+", type=int, default=None, metavar="STRIDE",
                        help="time/memory only, on Daphnet windows every STRIDE steps")
    args = parser.parse_args()
    settings = parse_settings(args.set)
    if args.scale:
        rows = [run_isolated(scale_one, stride, g, args.par_epochs, args.seed, settings, label={"dataset": f"stride {stride}", "generator": g})
                for stride in args.scale for g in args.generators]
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"machine": {"cpus": mp.cpu_count(), "platform": platform.platform()},
                                        "par_epochs": args.par_epochs, "results": rows}, indent=2))
        print("| panel | generator | recordings | fit s | epochs | sample rec/s | peak RSS MiB |\n|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['dataset']} | {r['generator']} | {r.get('train_recordings')} | {r.get('fit_seconds')} | "
                  f"{r.get('epochs_run')} | {r.get('sample_recordings_per_s')} | {r.get('peak_rss_mib', r.get('error'))} |")
        return
    rows = []
    for dataset in args.datasets:
        for generator in args.generators:
            print(f"{dataset} / {generator} ...", flush=True)
            rows.append(run_isolated(run_one, dataset, generator, args.par_epochs, args.seed, settings, args.splits,
                                     label={"dataset": dataset, "generator": generator}))
            print(json.dumps({k: v for k, v in rows[-1].items() if k not in ("acf_difference", "spectrum_distance")}),
                  flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": {"cpus": mp.cpu_count(), "platform": platform.platform()},
                                    "par_epochs": args.par_epochs, "discriminative_splits": args.splits,
                                    "settings": settings, "results": rows}, indent=2))
    print(table(rows))


if __name__ == "__main__":
    main()
