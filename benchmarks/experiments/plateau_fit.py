"""Would the finance default fit as fast as TabularARGN, and as well, with TabularARGN's schedule? (issue 21/23)

On AER's NMES1988 and HealthInsurance TabularARGN fits 8–11× faster than the default (benchmarks/README.md, "Two
health surveys where the audit can tell"). mostlyai-engine 2.7.3 stops after 4 epochs without a better validation
loss and halves its learning rate after 2 (``ReduceLROnPlateau(factor=0.5, patience=2, min_lr=0.1 × lr)``); the
default waits 50 epochs and at least 600 steps at a constant rate. Shortening the wait alone (``unseen_tables.py
--set patience=10 --set patience_steps=0``) cut the fit 1.5–5× and cost HealthInsurance up to 0.021 quality.

Here the default's own training loop (``synthguard.models.train_loop``) gains that schedule: each epoch's validation
loss feeds ``ReduceLROnPlateau`` (``--decay-patience`` epochs, factor 0.5, down to 0.1 × the rate), with
``--set``'s patience. Each variant runs `generate finance --data T --target Y --rows 1000 --seed S` in process
(the same split, value protection, gate and audit as the command), one thread:

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/plateau_fit.py --tables AER/NMES1988 --seeds 0 1 \\
        --variant plateau --variant patience10
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/plateau_fit.py --tables credit_data german_credit \\
        --seeds 0 1 --variant default --variant plateau       # reference tables: fresh fits on generate's split
    # appends to benchmarks/experiments/plateau_fit.jsonl

Variants: ``default`` (the default's config and loop), ``patience10`` (patience 10, no step floor),
``plateau`` (patience 10, no step floor, the learning rate halved after ``--decay-patience`` epochs without a
better validation loss).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
SHORT = {"patience": 10, "patience_steps": 0}
LAST_LR: dict[str, float] = {}  # the plateau loop's rate after its last epoch


def with_plateau(train_loop, decay_patience: int):
    """``train_loop`` whose AdamW's rate is halved after ``decay_patience`` epochs without a better validation loss
    (down to a tenth of it). For the call, ``training.AdamW`` also makes the scheduler and ``training.TrainingHistory``
    records itself, so that the loop's ``on_epoch_end`` can step the scheduler with the epoch's validation loss."""
    from synthguard.models import training

    def loop(model, loss_fn, train_data, val_data, **kwargs):
        made, kept = {}, (training.AdamW, training.TrainingHistory)

        def adamw(*args, **kw):  # synthguard's own AdamW keeps its rate in .lr: ReduceLROnPlateau's rule by hand
            made.update(opt=kept[0](*args, **kw), floor=0.1 * kw["lr"], best=float("inf"), bad=0)
            return made["opt"]

        class Recorded(kept[1]):
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                made["history"] = self

        def step(epoch: int) -> bool:
            hist = made["history"]
            if hist.val_epochs and hist.val_epochs[-1] == epoch:
                loss = hist.val_loss[-1]
                if loss < made["best"] * (1 - 1e-4):  # torch's default threshold: relative 1e-4
                    made.update(best=loss, bad=0)
                else:
                    made["bad"] += 1
                if made["bad"] > decay_patience:
                    made["opt"].lr, made["bad"] = max(made["floor"], made["opt"].lr * 0.5), 0
            LAST_LR["lr"] = made["opt"].lr
            return False

        training.AdamW, training.TrainingHistory = adamw, Recorded
        try:
            return train_loop(model, loss_fn, train_data, val_data, on_epoch_end=step, **kwargs)
        finally:
            training.AdamW, training.TrainingHistory = kept

    return loop


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tables", nargs="+", default=["AER/NMES1988", "AER/HealthInsurance"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    ap.add_argument("--variant", action="append", choices=["default", "patience10", "plateau"])
    ap.add_argument("--decay-patience", type=int, default=2)
    ap.add_argument("--log", type=Path, default=HERE / "plateau_fit.jsonl")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    import synthguard as sg
    import synthguard_finance.generator as finance
    from unseen_tables import TABLES, load_table

    original = finance.train_loop
    for table in args.tables:
        if "/" in table:  # an unseen table, read as a user's file
            name, frame = load_table(table)
            where = {"data": sg.Engine().to_records(frame, name, modality="table"), "target": TABLES[table]}
        else:  # a reference dataset: a fresh fit on generate's split (epochs=300, the default's cap, forces one)
            where = {"dataset": table, "epochs": 300}
        for seed in args.seeds:
            for variant in args.variant or ["plateau"]:
                finance.train_loop = with_plateau(original, args.decay_patience) if variant == "plateau" else original
                start = time.perf_counter()
                try:
                    res = sg.Engine().generate("finance", 1000, seed=seed, **where,
                                               config=None if variant == "default" else SHORT,
                                               options={"override_audit": "experiment: record the decision"})
                finally:
                    finance.train_loop = original
                rep = res.report
                fit = rep["generator"]["fit"]
                mia = rep["audit"]["membership_inference"]
                row = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "table": table, "seed": seed,
                       "variant": variant, "decay_patience": args.decay_patience if variant == "plateau" else None,
                       "fit_seconds": rep["timings"]["fit_seconds"], "wall_seconds": round(time.perf_counter() - start, 1),
                       "epochs_run": fit.get("epochs_run"), "best_epoch": fit.get("best_epoch"),
                       "last_lr": LAST_LR.pop("lr", None) if variant == "plateau" else None,
                       "quality": rep["metrics"]["core.quality"]["score"], "tstr_ratio": rep["metrics"]["core.tstr"]["ratio"],
                       "worst_auc": mia["worst_auc"], "worst_auc_attack": mia["worst_auc_attack"],
                       "decision": rep["release"]["decision"]}
                with open(args.log, "a") as f:
                    f.write(json.dumps(row) + "\n")
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
