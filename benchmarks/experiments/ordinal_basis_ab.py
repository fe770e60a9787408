"""Does the finance default `ordinal_basis=16` help or hurt against 0 (off), over fit seeds? (issue 21)

    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/ordinal_basis_ab.py \\
        --dataset german_credit --seeds 0 1 2
    .venv/bin/python benchmarks/experiments/ordinal_basis_ab.py --summary     # the table from the results

Each fit: `finance` with its defaults (CONFIG may override, e.g. '{"epochs": 40, "val_fraction": 0}') and
`ordinal_basis` 16 or 0, on `generate`'s 80% training split (split seed 0), value protection as `generate`
applies it (`Engine.fit_records`), fit seed S; 1,000 rows sampled with seed S, ungated (the gate is the same for
both arms); scored by `benchmarks/peers_privacy.py`'s `score` (`Engine.evaluate`: quality, TSTR / TRTR on the
holdout; `Engine.audit`: worst membership AUC, release decision) — the evaluation of the peers table. The two
arms alternate within each seed, so a stopped run leaves whole pairs. Every fit is appended to
ordinal_basis_ab.jsonl beside this script as it ends (a rerun skips what is there); --summary writes
ordinal_basis_ab.json: mean ± sample standard deviation per arm and the paired difference (16 − 0) per seed.

Fits are deterministic for a given seed, config and thread count (checked: german_credit seed 0 at 40 epochs
reproduces `benchmarks/peers_finance_ablation.py`'s fits of the same setting to the 4th decimal, both arms), so
`--reuse-ablation` takes seed 0 from benchmarks/results/peers_finance_ablation.jsonl (its first sample: sample
seed 0, the same 1,000 rows) instead of refitting; those rows have no audit (worst AUC left out).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
LOG = HERE / "ordinal_basis_ab.jsonl"
ARMS = (16, 0)
KEYS = ("quality", "tstr_ratio", "worst_auc")


def done() -> list[dict]:
    return [json.loads(line) for line in LOG.read_text().splitlines() if line.strip()] if LOG.exists() else []


def fit_and_score(dataset: str, basis: int, seed: int, config: dict) -> dict:
    import synthguard as sg
    import torch
    from peers_privacy import score
    from synthguard.data import holdout_split
    from synthguard.pipeline import HOLDOUT, SPLIT_SEED

    torch.set_num_threads(1)
    engine = sg.Engine()
    train, hold = holdout_split(engine.dataset(dataset).load(), HOLDOUT, seed=SPLIT_SEED)
    start = time.time()
    model = engine.fit_records("finance", train, source={"source": "ordinal_basis_ab"},
                               config={**config, "ordinal_basis": basis}, seed=seed)
    fit_s = time.time() - start
    synthetic = model.sample(1000, seed=seed).frame
    scores = score(dataset, train.frame.reset_index(drop=True), hold.frame.reset_index(drop=True), synthetic)
    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "dataset": dataset, "ordinal_basis": basis,
            "seed": seed, "config": config, "fit_s": round(fit_s), "epochs_run": model.fit_info_.get("epochs_run"),
            "best_epoch": model.fit_info_.get("best_epoch"), "load_avg": round(__import__("os").getloadavg()[0], 1),
            **{k: scores[k] for k in (*KEYS, "tstr", "trtr", "decision")}}


def reuse_ablation(dataset: str, config: dict) -> None:
    """Seed 0 of both arms from peers_finance_ablation.jsonl (same fit, same first sample), where not yet here."""
    source = HERE.parent / "results" / "peers_finance_ablation.jsonl"
    for line in source.read_text().splitlines():
        r = json.loads(line)
        basis = r["config"].get("ordinal_basis")
        if (r["dataset"] != dataset or basis not in ARMS
                or {k: v for k, v in r["config"].items() if k != "ordinal_basis"} != config
                or any(d["dataset"] == dataset and d["seed"] == 0 and d["ordinal_basis"] == basis
                       and d["config"] == config for d in done())):
            continue
        quality, _, _, tstr, ratio = r["per_seed"][0]
        row = {"date": r["date"], "dataset": dataset, "ordinal_basis": basis, "seed": 0, "config": config,
               "fit_s": r["fit_s"], "epochs_run": r["epochs_run"], "quality": round(quality, 4),
               "tstr_ratio": round(ratio, 4), "worst_auc": None, "tstr": round(tstr, 4),
               "trtr": round(tstr / ratio, 4), "decision": None, "from": "peers_finance_ablation.jsonl per_seed[0]"}
        with open(LOG, "a") as f:
            f.write(json.dumps(row) + "\n")


def stat(values: list, fn) -> float | None:
    values = [v for v in values if v is not None]
    return round(float(fn(values)), 4) if len(values) > (1 if fn is not np.mean else 0) else None


def summary() -> dict:
    rows, out = done(), {}
    for key in sorted({(r["dataset"], json.dumps(r["config"], sort_keys=True)) for r in rows}):
        runs = [r for r in rows if (r["dataset"], json.dumps(r["config"], sort_keys=True)) == key]
        arm = {b: {r["seed"]: r for r in runs if r["ordinal_basis"] == b} for b in ARMS}
        seeds = sorted(set(arm[16]) & set(arm[0]))
        entry = {"dataset": key[0], "config": json.loads(key[1]), "seeds": seeds}
        for b in ARMS:
            entry[f"basis_{b}"] = {k: {"mean": stat([arm[b][s][k] for s in seeds], np.mean),
                                       "sd": stat([arm[b][s][k] for s in seeds], lambda v: np.std(v, ddof=1)),
                                       "n": sum(arm[b][s][k] is not None for s in seeds)} for k in KEYS}
        entry["diff_16_minus_0"] = {k: [None if arm[16][s][k] is None or arm[0][s][k] is None
                                        else round(arm[16][s][k] - arm[0][s][k], 4) for s in seeds] for k in KEYS}
        out[f"{key[0]} {key[1]}"] = entry
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset")
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--config", default="{}", help="JSON of finance config fields over the defaults")
    ap.add_argument("--summary", action="store_true")
    ap.add_argument("--reuse-ablation", action="store_true", help="seed 0 from peers_finance_ablation.jsonl")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    if args.reuse_ablation:
        reuse_ablation(args.dataset, json.loads(args.config))
    elif not args.summary:
        config = json.loads(args.config)
        for seed in args.seeds:
            for basis in ARMS:
                if any(r["dataset"] == args.dataset and r["seed"] == seed and r["ordinal_basis"] == basis
                       and r["config"] == config for r in done()):
                    continue
                row = fit_and_score(args.dataset, basis, seed, config)
                with open(LOG, "a") as f:
                    f.write(json.dumps(row) + "\n")
                print(json.dumps(row), flush=True)
    result = summary()
    (HERE / "ordinal_basis_ab.json").write_text(json.dumps({"results": list(result.values())}, indent=2) + "\n")
    print("| table | config | seeds | `ordinal_basis` | quality | TSTR / TRTR | worst AUC "
          "| 16 − 0 per seed: quality; ratio |")
    print("|---|---|---|---:|---:|---:|---:|---|")
    for e in result.values():
        for b in ARMS:
            m = e[f"basis_{b}"]
            cells = " | ".join(f"{m[k]['mean']} ± {m[k]['sd']}"
                               + (f" (n={m[k]['n']})" if m[k]["n"] < len(e["seeds"]) else "") for k in KEYS)
            diff = ("; ".join(", ".join(f"{d:+.4f}" for d in e["diff_16_minus_0"][k]) for k in KEYS[:2])
                    if b == 0 else "")
            print(f"| {e['dataset']} | {json.dumps(e['config']) if e['config'] else 'defaults'} | {len(e['seeds'])} "
                  f"| {b} | {cells} | {diff} |")


if __name__ == "__main__":
    main()
