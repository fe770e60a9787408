"""How long should the finance default train on a small table, and on which rows? (issue 21)

    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/training_rule.py \\
        --dataset german_credit --seeds 0 1 2
    .venv/bin/python benchmarks/experiments/training_rule.py --summary      # the table from the results

The shipped german_credit bundle stopped early on its 10% validation split (80 rows) and kept epoch 22 of 172;
a fixed 40 epochs on all 800 rows scored better TSTR in one fit (docs/finance_fidelity.md §3). This measures the
whole curve instead of two points. Two arms per fit seed S, on `generate`'s 80% training split (split seed 0),
value protection as `generate` applies it (`Engine.fit_records`):

* ``all_rows``: ``val_fraction 0``, ``--max-epochs`` epochs, no early stop;
* ``early_stop``: the default configuration (10% validation split, patience ≥ 600 optimizer steps, the best
  validation epoch's weights restored at the end).

During each fit the weights are copied at the ``--checkpoints`` epochs (a fit is deterministic for its seed, so
the copy at epoch E is what a fit of E epochs would return); after the fit every copy (and, for ``early_stop``,
the restored best epoch, labelled ``best``) samples 1,000 rows with seed S, ungated, scored by
`benchmarks/peers_privacy.py`'s ``score`` (quality, TSTR / TRTR on the holdout, worst membership AUC, release
decision) — the evaluation of the peers table. Each scored point is appended to training_rule.jsonl beside this
script, or to --log (a rerun skips finished (dataset, arm, seed) fits); --summary writes the log's .json beside
it (training_rule.json): per arm and epoch, mean ± sample sd over seeds.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
LOG = HERE / "training_rule.jsonl"
KEYS = ("quality", "tstr_ratio", "worst_auc")
ARMS = {"all_rows": {"val_fraction": 0.0}, "early_stop": {}}


def done() -> list[dict]:
    return [json.loads(line) for line in LOG.read_text().splitlines() if line.strip()] if LOG.exists() else []


def stops_early(arm: str) -> bool:
    """Does the arm keep a validation split (and so stop early, restoring its best epoch)?"""
    from synthguard_finance.generator import FinanceConfig

    return ARMS[arm].get("val_fraction", FinanceConfig.model_fields["val_fraction"].default) > 0


def fit_arm(dataset: str, arm: str, seed: int, max_epochs: int, checkpoints: list[int]) -> None:
    import synthguard as sg
    import synthguard_finance.generator as fg
    import torch
    from peers_privacy import score
    from synthguard.data import holdout_split
    from synthguard.pipeline import HOLDOUT, SPLIT_SEED

    torch.set_num_threads(1)
    engine = sg.Engine()
    train, hold = holdout_split(engine.dataset(dataset).load(), HOLDOUT, seed=SPLIT_SEED)
    saved: dict[int, dict] = {}
    original = fg.train_loop

    def recording_loop(model, *args, **kwargs):  # the plugin's own loop, copying the weights at each checkpoint
        def on_epoch_end(epoch: int) -> bool:
            if epoch in checkpoints:
                saved[epoch] = copy.deepcopy(model.state_dict())
            return False
        return original(model, *args, **kwargs, on_epoch_end=on_epoch_end)

    default_epochs = fg.FinanceConfig.model_fields["epochs"].default  # early-stopping arms: the default's maximum
    config = {"epochs": default_epochs if stops_early(arm) else max_epochs, **ARMS[arm]}
    fg.train_loop = recording_loop
    try:
        start = time.time()
        model = engine.fit_records("finance", train, source={"source": "training_rule"}, config=config, seed=seed)
        fit_s = time.time() - start
    finally:
        fg.train_loop = original
    info = model.fit_info_
    points = [(e, state) for e, state in sorted(saved.items())]
    if stops_early(arm):
        points.append(("best", copy.deepcopy(model.model_.state_dict())))
    val_curve = (info.get("history") or {}).get("val_loss")
    for epoch, state in points:
        model.model_.load_state_dict(state)
        model.model_.eval()
        synthetic = model.sample(1000, seed=seed).frame
        scores = score(dataset, train.frame.reset_index(drop=True), hold.frame.reset_index(drop=True), synthetic)
        row = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "dataset": dataset, "arm": arm,
               "seed": seed, "epoch": epoch, "config": config, "fit_s": round(fit_s),
               "epochs_run": info.get("epochs_run"), "best_epoch": info.get("best_epoch"),
               "load_avg": round(os.getloadavg()[0], 1),
               **{k: scores[k] for k in (*KEYS, "tstr", "trtr", "decision", "dcr_share", "worst_auc_attack",
                                         "worst_auc_ci", "members_scored")}}
        if epoch == "best" and val_curve:
            row["val_loss"] = [round(v, 4) for v in val_curve]
        with open(LOG, "a") as f:
            f.write(json.dumps(row) + "\n")
        print(json.dumps({k: v for k, v in row.items() if k != "val_loss"}), flush=True)


def summary() -> dict:
    rows, out = done(), {}
    for dataset, arm in sorted({(r["dataset"], r["arm"]) for r in rows}):
        runs = [r for r in rows if (r["dataset"], r["arm"]) == (dataset, arm)]
        epochs = sorted({r["epoch"] for r in runs}, key=lambda e: (isinstance(e, str), e if isinstance(e, int) else 0))
        for epoch in epochs:
            at = [r for r in runs if r["epoch"] == epoch]
            entry = {"dataset": dataset, "arm": arm, "epoch": epoch, "seeds": sorted(r["seed"] for r in at)}
            for k in KEYS:
                v = [r[k] for r in at if r[k] is not None]
                entry[k] = {"mean": round(float(np.mean(v)), 4) if v else None,
                            "sd": round(float(np.std(v, ddof=1)), 4) if len(v) > 1 else None}
            if epoch == "best":
                entry["best_epochs"] = [r["best_epoch"] for r in at]
            entry["decisions"] = [r["decision"] for r in at]
            out[f"{dataset} {arm} {epoch}"] = entry
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="german_credit")
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--arms", nargs="+", default=["all_rows", "early_stop"])
    ap.add_argument("--arm", nargs=2, action="append", default=[], metavar=("NAME", "CONFIG"),
                    help="another arm: a name and the JSON of finance config fields over the defaults, e.g. "
                         "--arm dropout_0.3 '{\"dropout\": 0.3}' (its early stop and best epoch as the default's)")
    ap.add_argument("--max-epochs", type=int, default=200)
    ap.add_argument("--checkpoints", nargs="+", type=int, default=[10, 20, 40, 60, 80, 120, 160, 200])
    ap.add_argument("--summary", action="store_true")
    ap.add_argument("--log", type=Path, default=LOG, help="where the scored points go (a smoke run elsewhere)")
    args = ap.parse_args()
    globals()["LOG"] = args.log
    for name, config in args.arm:
        ARMS[name] = json.loads(config)
        args.arms = [*args.arms, name] if name not in args.arms else args.arms
    warnings.filterwarnings("ignore")
    if not args.summary:
        for seed in args.seeds:
            for arm in args.arms:
                if any(r["dataset"] == args.dataset and r["arm"] == arm and r["seed"] == seed for r in done()):
                    continue
                fit_arm(args.dataset, arm, seed, args.max_epochs, args.checkpoints)
    result = summary()
    LOG.with_suffix(".json").write_text(json.dumps({"results": list(result.values())}, indent=2) + "\n")
    print("| table | arm | epoch | seeds | quality | TSTR / TRTR | worst AUC | decisions |")
    print("|---|---|---|---:|---:|---:|---:|---|")
    for e in result.values():
        cells = " | ".join(f"{e[k]['mean']} ± {e[k]['sd']}" for k in KEYS)
        extra = f" (best epochs {e['best_epochs']})" if "best_epochs" in e else ""
        print(f"| {e['dataset']} | {e['arm']} | {e['epoch']}{extra} | {len(e['seeds'])} | {cells} | "
              f"{', '.join(map(str, e['decisions']))} |")


if __name__ == "__main__":
    main()
