"""The traffic plugin's generators vs SDV's, side by side (run by hand, not a test).

    python benchmarks/traffic_vs_sdv.py                         # all reference data, PAR at SDV's 128 epochs
    python benchmarks/traffic_vs_sdv.py --datasets bikeshare --par-epochs 32
    python benchmarks/traffic_vs_sdv.py --datasets bikeshare chicago --generators traffic --set hidden=32 --out H32.json

* series (bikeshare days, chicago weeks): ``traffic`` vs ``traffic-par`` (SDV PARSynthesizer, calendar as context)
* trips (nyc_flights): ``traffic-trips`` vs ``traffic-trips-gc`` (SDV GaussianCopulaSynthesizer)

Same holdout split as ``synthguard generate`` (20%, seed 0), same machine, one fresh
process per (dataset, generator) so peak memory is that fit's own. Each generator
samples as many records as there are training records; scores compare them with
the real training records (profiles, correlations, OD) and the real holdout
(forecast TSTR, privacy audit). Validator violation rates are measured on the raw
samples, before the validators remove anything. The traffic generators' defaults
were not tuned on any of these datasets (the sequence model's defaults come from
the sensor plugin's BasicMotions). Writes benchmarks/results/traffic_vs_sdv.json and
prints a Markdown table.

No package ships loop-detector flow, speed and occupancy, so the fundamental-diagram
violation rate is measured on a CONSTRUCTED detector log (``--diagram``; three
detectors, two weeks hourly, flow = occupancy x speed / 0.0045 with 5% noise — the
log the plugin's tests use), not on real detectors: ``traffic`` with and without its
fundamental-diagram reparametrisation, and ``traffic-par``
(``synthguard_traffic.constructed``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import time
from pathlib import Path

from harness import parse_settings, peak_rss_mib, run_isolated, timed_run

RESULTS = Path(__file__).resolve().parent / "results" / "traffic_vs_sdv.json"
SAMPLE_RATE_RECORDS = {"sequence": 200, "table": 5000}
PAIRS = {"bikeshare": ["traffic", "traffic-par"], "chicago": ["traffic", "traffic-par"],
         "nyc_flights": ["traffic-trips", "traffic-trips-gc"]}


def _violations(records, train, hold) -> dict[str, float]:
    """Share of raw samples each traffic validator (and the core k-anonymity gate, for trips) would reject."""
    import synthguard as sg
    from synthguard.privacy import RareCombinationFilter
    from synthguard_traffic.validators import VALIDATORS

    ctx = sg.CheckContext(meta=train.meta, reference_hashes=train.record_hashes(), reference=train, holdout=hold,
                          domain="traffic", options={"quasi_identifiers": ["origin", "dest", "dep_time"]})
    out = {}
    checks = [v() for v in VALIDATORS if v.modalities & {records.modality}]
    if records.modality == "table":
        checks.append(RareCombinationFilter())
    for check in checks:
        check.prepare(ctx)
        summary = check.summary() or {}
        if summary.get("applied") is False or summary.get("channels") == [] or summary.get("limits") == {}:
            continue
        out[check.name] = round(float(check.check(records, ctx).rejected.mean()), 4)
    return out


def run_one(dataset: str, generator: str, par_epochs: int, seed: int, settings: dict | None = None) -> dict:
    import numpy as np
    import synthguard as sg
    from synthguard_traffic.metrics import (forecast_comparison, od_comparison, profile_comparison,
                                            spatial_comparison)

    config = {"traffic-par": {"epochs": par_epochs}, "traffic": settings or None}.get(generator)  # baselines: defaults
    modality = sg.datasets()[dataset].modality
    run = timed_run(generator, dataset, config=config, seed=seed, rate_records=SAMPLE_RATE_RECORDS[modality])
    train, hold, model, syn = run.train, run.holdout, run.model, run.synthetic
    fit_s, sample_s, rate = run.fit_seconds, run.sample_seconds, run.records_per_second
    row = {"dataset": dataset, "generator": generator, "train_records": len(train), "holdout_records": len(hold),
           "fit_seconds": round(fit_s, 2), "epochs_run": model.fit_info_.get("epochs_run", par_epochs if "par" in generator else None),
           "sample_seconds": round(sample_s, 3), "sample_records_per_s": round(rate, 1), "peak_rss_mib": peak_rss_mib(),
           "violations_before_validators": _violations(syn, train, hold)}
    if train.modality == "sequence":
        values = syn.values
        row["missing_readings_in_output"] = round(float(np.isnan(values).mean()), 4)
        prof = profile_comparison(train, syn)
        row["profile_nmae"] = prof["profile_nmae"]
        row["peak_shift_hours"] = prof["peak_shift_hours"]
        row["peak_shift_days"] = prof["peak_shift_days"]
        row["peak_time_tvd"] = prof["peak_time_tvd"]
        if len([c for c in train.channels if c not in prof.get("covariates_left_out", [])]) >= 2:
            spatial = spatial_comparison(train, syn)
            row["step_correlation_mad"] = spatial.get("step_correlation_mad")
            row["total_correlation_mad"] = spatial.get("total_correlation_mad")
        fc = forecast_comparison(train, syn, hold, seed=seed)
        row.update({f"forecast_{k}": fc[k] for k in ("tstr_mae", "trtr_mae", "ratio", "naive_mae", "historical_average_mae")})
    else:
        od = od_comparison(train, syn)
        row.update({k: od[k] for k in ("od_tvd", "share_pearson", "real_trip_coverage", "novel_pair_trip_share",
                                       "departure_hour_tvd")})
    audit = sg.audit(train, syn, holdout=hold, domain="traffic")
    row["dcr_share"] = audit.get("dcr", {}).get("share_closer_to_train")
    row["worst_attack_auc"] = (audit.get("membership_inference") or {}).get("worst_auc")
    row["exact_copies"] = int(np.isin(syn.record_hashes(), train.record_hashes()).sum())
    return row


def run_diagram(generator: str, par_epochs: int, seed: int) -> dict:
    import synthguard as sg
    from synthguard.sequences import SequenceFormat, from_long_frame
    from synthguard_traffic.constructed import constructed_detector_log

    records, _ = from_long_frame(constructed_detector_log(), SequenceFormat(entity="station", window=24))
    name, config = generator, None
    if generator == "traffic-no-diagram":
        name, config = "traffic", {"flow_from_diagram": False}
    elif generator == "traffic-par":
        config = {"epochs": par_epochs}
    start = time.perf_counter()
    model = sg.fit(name, records, seed=seed, config=config)
    fit_s = time.perf_counter() - start
    syn = model.sample(200, seed=seed)
    return {"dataset": "constructed detector log (not real)", "generator": generator, "train_records": len(records),
            "fit_seconds": round(fit_s, 2), "violations_before_validators": _violations(syn, records, None)}


def _fmt(v) -> str:
    return "—" if v is None else str(v)


def table(rows: list[dict]) -> str:
    series = [r for r in rows if "profile_nmae" in r or ("error" in r and r["dataset"] in ("bikeshare", "chicago"))]
    trips = [r for r in rows if "od_tvd" in r or ("error" in r and r["dataset"] == "nyc_flights")]
    out = []
    if series:
        out += ["| dataset | generator | fit s | sample rec/s | peak RSS MiB | profile NMAE ↓ | peak shift h / d ↓ | "
                "station corr. MAD ↓ | forecast MAE TSTR (TRTR) ↓ | raw violations | DCR share | copies |",
                "|" + "---|" * 12]
        for r in series:
            if "error" in r:
                out.append(f"| {r['dataset']} | {r['generator']} | failed: {r['error'][:80]} |" + " |" * 9)
                continue
            viol = ", ".join(f"{k.split('.')[-1]} {v:.1%}" for k, v in r["violations_before_validators"].items()) or "—"
            out.append(f"| {r['dataset']} | {r['generator']} | {r['fit_seconds']} | {r['sample_records_per_s']} | "
                       f"{r['peak_rss_mib']} | {_fmt(r['profile_nmae'])} | {_fmt(r['peak_shift_hours'])} / "
                       f"{_fmt(r['peak_shift_days'])} | {_fmt(r.get('step_correlation_mad'))} | "
                       f"{_fmt(r['forecast_tstr_mae'])} ({_fmt(r['forecast_trtr_mae'])}) | {viol} | "
                       f"{_fmt(r['dcr_share'])} | {r['exact_copies']} |")
    if trips:
        out += ["", "| dataset | generator | fit s | sample rows/s | peak RSS MiB | OD TVD ↓ | OD share r ↑ | "
                "trips on unseen pairs ↓ | departure-hour TVD ↓ | raw violations | DCR share | copies |",
                "|" + "---|" * 12]
        for r in trips:
            if "error" in r:
                out.append(f"| {r['dataset']} | {r['generator']} | failed: {r['error'][:80]} |" + " |" * 9)
                continue
            viol = ", ".join(f"{k.split('.')[-1]} {v:.1%}" for k, v in r["violations_before_validators"].items()) or "—"
            out.append(f"| {r['dataset']} | {r['generator']} | {r['fit_seconds']} | {r['sample_records_per_s']} | "
                       f"{r['peak_rss_mib']} | {r['od_tvd']} | {r['share_pearson']} | {r['novel_pair_trip_share']} | "
                       f"{r['departure_hour_tvd']} | {viol} | {_fmt(r['dcr_share'])} | {r['exact_copies']} |")
    diagram = [r for r in rows if r["dataset"].startswith("constructed")]
    if diagram:
        out += ["", "| detector log (constructed, not real) | generator | fit s | raw violations (share of records) |",
                "|---|---|---|---|"]
        for r in diagram:
            viol = r.get("error") or ", ".join(f"{k.split('.')[-1]} {v:.1%}" for k, v in r["violations_before_validators"].items())
            out.append(f"| 3 detectors x 14 days | {r['generator']} | {r.get('fit_seconds')} | {viol} |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=list(PAIRS))
    parser.add_argument("--par-epochs", type=int, default=128, help="SDV's default is 128")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--generators", nargs="+", default=None, help="only these generators (default: all pairs)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a config value of the traffic sequence generator (not the baselines), e.g. --set hidden=32")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--diagram", action="store_true", help="also the fundamental-diagram check on a constructed log")
    args = parser.parse_args()
    settings = parse_settings(args.set)
    rows = []
    if args.diagram:
        for generator in ("traffic", "traffic-no-diagram", "traffic-par"):
            print(f"constructed detector log / {generator} ...", flush=True)
            rows.append(run_isolated(run_diagram, generator, args.par_epochs, args.seed,
                                     label={"dataset": "constructed detector log (not real)", "generator": generator}))
            print(json.dumps(rows[-1]), flush=True)
    for dataset in args.datasets:
        for generator in PAIRS[dataset]:
            if args.generators and generator not in args.generators:
                continue
            print(f"{dataset} / {generator} ...", flush=True)
            rows.append(run_isolated(run_one, dataset, generator, args.par_epochs, args.seed, settings,
                                     label={"dataset": dataset, "generator": generator}))
            print(json.dumps(rows[-1]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": {"cpus": mp.cpu_count(), "platform": platform.platform()},
                                    "par_epochs": args.par_epochs, "settings": settings, "results": rows}, indent=2))
    print(table(rows))


if __name__ == "__main__":
    main()
