"""Experiment: can the ``sensor`` LSTM fit ≥ 10× faster than SDV PAR without losing quality? (run by hand)

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/sensor_bptt.py --seed S \\
        --out benchmarks/results/sensor_vs_par_fast_sS.json        # S = 0, 1, 2
    .venv/bin/python benchmarks/experiments/sensor_bptt.py --combine benchmarks/results/sensor_vs_par_fast_s*.json \\
        --out benchmarks/results/sensor_vs_par_seeds_fast.json     # one file, and the table over the seeds

Every variant below and PAR are fitted in the same invocation, one fresh process each, with
benchmarks/sensor_vs_par.py's ``run_one`` (same split, same scores), so the ratios to PAR come from one run.
Variants: the shipped defaults; a larger learning rate; a shorter patience; and truncated backpropagation
through time (``bptt`` steps a chunk: each recording's batch is cut into chunks trained one after the other,
an optimizer step per chunk, the LSTM state carried over detached; the validation loss is still the
whole-recording likelihood), alone and with a 45- or a 30-epoch cap (results: benchmarks/README.md, "Sensor"). The truncated loop lives only here (a patch of
``MixtureSequenceGenerator._train`` in the child process); it is not part of the product.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness import run_isolated  # noqa: E402

VARIANTS = {  # label: (config settings, bptt steps; 0 = whole recordings, the shipped loop)
    "default": ({}, 0),
    "lr=0.01": ({"lr": 0.01}, 0),
    "patience=10": ({"patience": 10}, 0),
    "bptt=25 patience=20": ({"patience": 20}, 25),
    "bptt=25 patience=20 epochs=45": ({"patience": 20, "epochs": 45}, 25),
    "bptt=25 epochs=30": ({"epochs": 30}, 25),
}


def patch_truncated_bptt(steps: int) -> None:
    """Replace ``MixtureSequenceGenerator._train`` by a truncated-BPTT loop over chunks of ``steps`` steps."""
    import torch
    from synthguard.models import torch_generator
    from synthguard.models.optim import AdamW
    from synthguard.models.training import TrainingHistory
    from synthguard_sequence import generator as G
    from synthguard_sequence.mixture import mixture_nll

    def chunk_loss(model, x, cats, nums, s, e, state):
        mask = torch.isfinite(x)
        x0 = torch.where(mask, x, torch.zeros_like(x))
        b, t, _ = x0.shape
        cond = model.condition(cats, nums)
        cond_t = cond.unsqueeze(1)
        prev = torch.cat([torch.zeros_like(x0[:, :1]), x0[:, :-1]], dim=1)[:, s:e]
        prev_mask = torch.cat([torch.zeros_like(mask[:, :1]), mask[:, :-1]], dim=1)[:, s:e].float()
        tfrac = (torch.arange(s, e, dtype=x0.dtype) / t).view(1, e - s, 1).expand(b, e - s, 1)
        out, (h, c) = model.rnn(model._step_input(prev, prev_mask, tfrac, cond_t, None),
                                model._initial(cond) if state is None else state)
        m = mask[:, s:e]
        nll = mixture_nll(*model._mixture(out, cond_t), x0[:, s:e], m)
        return nll.sum() / m.sum().clamp(min=1), (h.detach(), c.detach())

    def _train(self, data, cats, nums, exo, *, device, seed, progress, description, groups=None):
        if exo is not None:
            raise NotImplementedError("the truncated loop here has no covariates (the sensor panels have none)")
        c, model = self.config, self.model_
        x = torch.from_numpy(self.encoder_.scale(data.values))
        cats, nums = torch.from_numpy(cats), torch.from_numpy(nums)
        gen = torch_generator(seed)
        val, train = G.validation_split(len(x), c.val_fraction, gen, groups)
        opt = AdamW(model.parameters(), lr=c.lr, weight_decay=c.weight_decay)
        hist, best, best_state = TrainingHistory(), float("inf"), None
        length = x.shape[1]
        bounds = [(s, min(s + steps, length)) for s in range(0, length, steps)]
        batch = min(c.batch_size, max(2, len(train) // 2))  # as the shipped loop
        for epoch in range(c.epochs):
            model.train()
            total = count = 0
            for rows in train[torch.randperm(len(train), generator=gen)].split(batch):
                state = None
                for s, e in bounds:
                    loss, state = chunk_loss(model, x[rows], cats[rows], nums[rows], s, e, state)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                    opt.step()
                    total, count = total + float(loss.detach()) * len(rows), count + len(rows)
            hist.train_loss.append(total / count)
            hist.epochs_run = epoch + 1
            model.eval()
            with torch.no_grad():
                v = float(model.loss(x[val], cats[val], nums[val]))
            hist.val_loss.append(v)
            hist.val_epochs.append(epoch + 1)
            if v < best - 1e-6:
                best, hist.best_epoch, best_state = v, epoch + 1, copy.deepcopy(model.state_dict())
            if epoch + 1 - hist.best_epoch >= c.patience:
                hist.stopped_early = True
                break
        model.load_state_dict(best_state)
        model.eval()
        return {"epochs_run": hist.epochs_run, "best_epoch": hist.best_epoch, "history": hist.to_json(),
                "parameters": sum(p.numel() for p in model.parameters())}

    G.MixtureSequenceGenerator._train = _train


def run_variant(dataset: str, generator: str, par_epochs: int, seed: int, settings: dict, splits: int,
                bptt: int) -> dict:
    """In the child process: patch the loop when ``bptt`` > 0, then benchmarks/sensor_vs_par.py's ``run_one``."""
    from sensor_vs_par import run_one

    if bptt:
        patch_truncated_bptt(bptt)
    return run_one(dataset, generator, par_epochs, seed, settings or None, splits)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", nargs="+", default=["basic_motions", "daphnet"])
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS)[:5], choices=list(VARIANTS),
                    help="default: all but the last (the 30-epoch cap was run on its own, after the others)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--par-epochs", type=int, default=128)
    ap.add_argument("--splits", type=int, default=10)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--combine", nargs="+", type=Path, default=None, metavar="JSON",
                    help="no fits: merge these runs' files into --out and print each variant per seed and its mean")
    args = ap.parse_args()
    if args.combine:
        return combine(args.combine, args.out)
    rows = []
    for dataset in args.datasets:
        jobs = [(v, "sensor", *VARIANTS[v]) for v in args.variants] + [("PAR", "sensor-par", {}, 0)]
        for label, generator, settings, bptt in jobs:
            print(f"{dataset} / {label} ...", flush=True)
            row = run_isolated(run_variant, dataset, generator, args.par_epochs, args.seed, settings, args.splits, bptt,
                               label={"dataset": dataset, "generator": generator})
            row.update(variant=label, settings=settings, bptt=bptt)
            rows.append(row)
            print(json.dumps({k: row.get(k) for k in ("dataset", "variant", "fit_seconds", "epochs_run",
                                                      "discriminative", "predictive_tstr_mae", "error")}), flush=True)
        par = next((r["fit_seconds"] for r in rows if r["dataset"] == dataset and r["variant"] == "PAR"
                    and "fit_seconds" in r), None)
        for r in rows:
            if r["dataset"] == dataset and par and "fit_seconds" in r:
                r["par_fit_seconds_same_run"], r["times_faster_than_par"] = par, round(par / r["fit_seconds"], 2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"seed": args.seed, "par_epochs": args.par_epochs, "discriminative_splits": args.splits,
                                    "results": rows}, indent=2))
    print("| dataset | variant | fit s | × PAR | epochs | discriminative | predictive MAE | label TSTR |")
    print("|---|---|---:|---:|---:|---|---:|---|")
    for r in rows:
        t = r.get("label_tstr") or {}
        label = t["tstr"]["accuracy"] if "tstr" in t else "—"
        d = r.get("discriminative") or {}
        print(f"| {r['dataset']} | {r['variant']} | {r.get('fit_seconds')} | {r.get('times_faster_than_par')} | "
              f"{r.get('epochs_run')} | {d.get('score')} ± {d.get('std')} | {r.get('predictive_tstr_mae')} | {label} |")


def combine(files: list[Path], out: Path) -> None:
    """Merge per-seed result files into one and print a row per (dataset, variant): per seed, then the mean."""
    import numpy as np

    runs = [json.loads(f.read_text()) for f in files]
    out.write_text(json.dumps({"files": [f.name for f in files], "seeds": [r["seed"] for r in runs], "runs": runs},
                              indent=2))
    rows = [r for run in runs for r in run["results"]]
    print("| dataset | variant | seeds | fit s | × PAR (same run) | epochs | discriminative | predictive MAE | "
          "label TSTR |")
    print("|---|---|---|---|---|---|---|---|---|")
    keys = list(dict.fromkeys((r["dataset"], r["variant"]) for r in rows))
    for dataset, variant in keys:
        mine = [(run["seed"], r) for run in runs for r in run["results"]
                if r["dataset"] == dataset and r["variant"] == variant and "fit_seconds" in r]

        def cell(get, digits=3):
            values = [get(r) for _, r in mine]
            if any(v is None for v in values):
                return "—"
            return " / ".join(f"{v:.{digits}f}" for v in values) + f" (mean {np.mean(values):.{digits}f})"

        tstr = lambda r: r["label_tstr"]["tstr"]["accuracy"] if "tstr" in r["label_tstr"] else None  # noqa: E731
        print(f"| {dataset} | {variant} | {'/'.join(str(s) for s, _ in mine)} | {cell(lambda r: r['fit_seconds'], 2)} | "
              f"{cell(lambda r: r.get('times_faster_than_par'), 1)} | {cell(lambda r: r['epochs_run'], 0)} | "
              f"{cell(lambda r: r['discriminative']['score'])} | {cell(lambda r: r['predictive_tstr_mae'])} | "
              f"{cell(tstr, 2)} |")


if __name__ == "__main__":
    main()
