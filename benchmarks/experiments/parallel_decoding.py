"""Could the finance default draw several columns per model pass, and get round the FLOPs that bound its sampling?
(issue 23: 1M rows in 2 minutes; `finance_sampling_flops.py` showed one column a pass cannot get there on 2 cores)

The default fills a row one column per transformer pass (23 passes a lending_club row). Masked generative models
(MaskGIT, Chang et al. 2022) draw several tokens per pass, each from its conditional given the tokens visible
before the pass, so columns drawn in the same pass are independent given the rest. Here ``k`` columns per pass,
in the same random order (one per 64 rows), through the model's own ``_encode`` (not the single-column fast path of
``ColumnSampler``, so k ≥ 2 is timed on a slower path than k = 1: FLOPs per row are the fair comparison).
Per k: matrix-multiply FLOPs per sampled row (``FlopCounterMode``), rows/s at one thread, and quality, TSTR / TRTR
and TRTS of ``--draws`` raw 1,000-row draws of each pretrained bundle (no gate):

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/parallel_decoding.py --draws 10
    # appends to benchmarks/experiments/parallel_decoding.jsonl
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


@torch.no_grad()
def sample_k(model, tokens, hidden, generator, temperature=1.0, columns=None, order_rows=64, k=2):
    """``AnyOrderTabularTransformer.sample`` drawing ``k`` columns of the row's order from one pass."""
    tokens, hidden = tokens.clone(), hidden.clone()
    pool = list(range(tokens.shape[1])) if columns is None else columns
    for start in range(0, len(tokens), order_rows):
        part, part_hidden = tokens[start:start + order_rows], hidden[start:start + order_rows]
        order = [pool[i] for i in torch.randperm(len(pool), generator=generator).tolist()]
        order = [c for c in order if part_hidden[:, c].any()]
        for g in range(0, len(order), k):
            group = order[g:g + k]
            h = model._encode(part, part_hidden)
            for col in group:
                logits = model.column_head(h[:, col], col) / temperature
                draw = torch.multinomial(torch.softmax(logits.float(), dim=-1), 1, generator=generator).squeeze(1)
                rows = part_hidden[:, col]
                part[rows, col] = draw[rows]
            part_hidden[:, group] = False
    return tokens


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", nargs="+", default=["lending_club", "credit_data", "german_credit"])
    ap.add_argument("--ks", nargs="+", type=int, default=[1, 2, 3])
    ap.add_argument("--draws", type=int, default=10)
    ap.add_argument("--log", type=Path, default=HERE / "parallel_decoding.jsonl")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    from torch.utils.flop_counter import FlopCounterMode
    from synthguard_finance import model as M
    from target_dependence import Scorer, summarise

    original = M.AnyOrderTabularTransformer.sample
    for name in args.datasets:
        scorer = Scorer(name)
        gen = scorer.engine.load(scorer.engine.dataset(name).bundles()["finance"])
        for k in args.ks:
            M.AnyOrderTabularTransformer.sample = original if k == 1 else (
                lambda self, *a, _k=k, **kw: sample_k(self, *a, k=_k, **kw))
            # k >= 2 runs the encoder's fused fast path, which FlopCounterMode cannot see: counted on the unfused one
            torch.backends.mha.set_fastpath_enabled(k == 1)
            with FlopCounterMode(display=False) as counter:
                gen.sample(256, seed=98)
            torch.backends.mha.set_fastpath_enabled(True)
            start = time.perf_counter()
            gen.sample(4096, seed=99)
            speed = 4096 / (time.perf_counter() - start)
            draws = [scorer.score(gen.sample(1000, seed=s).frame) for s in range(args.draws)]
            row = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "dataset": name, "k": k,
                   "mflop_per_row": round(counter.get_total_flops() / 256 / 1e6, 1),
                   "rows_per_s_one_thread": round(speed), "trtr_auc": round(scorer.trtr_auc, 4), "draws": args.draws,
                   **summarise(draws)}
            with open(args.log, "a") as f:
                f.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)
        M.AnyOrderTabularTransformer.sample = original


if __name__ == "__main__":
    main()
