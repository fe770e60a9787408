"""Experiment (not the product): would a residual-MLP trunk close the finance generator's speed gap?

    .venv/bin/python benchmarks/experiments/finance_mlp_trunk.py --dataset german_credit
    .venv/bin/python benchmarks/experiments/finance_mlp_trunk.py --dataset credit_data --width 128
    .venv/bin/python benchmarks/experiments/finance_mlp_trunk.py --bfloat16   # the transformer in bfloat16 instead
    .venv/bin/python benchmarks/experiments/finance_mlp_trunk.py --sdv-rates  # SDV's sampling rate as rows grow
    .venv/bin/python benchmarks/experiments/finance_mlp_trunk.py --one-pass --skip-product --set width=256
                                                  # the product's finance-vae with other settings

The finance generator's any-order transformer samples a row in C passes over C tokens.
This swaps the trunk for a residual MLP with the same any-order objective, whose first
layer is a sum of per-(column, value) rows, so revealing a column during sampling
updates it by one row difference and a sampling step is one small MLP pass. Same split
as benchmarks/fit_sample.py; prints fit seconds, sampling rows/s (at the training size
and at 20,000 rows), SDMetrics quality and TSTR for both trunks. Kept as an experiment
because the MLP lost quality on both tables it was tried on (see the README's finance
benchmark notes); the product keeps the transformer.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import fit_sample  # noqa: E402  (the benchmark's split, quality and dataset loading)
import synthguard as sg  # noqa: E402
from synthguard_finance.generator import FinanceConfig, FinanceGenerator, FinanceVAE  # noqa: E402
from synthguard_finance.model import AnyOrderTabularTransformer  # noqa: E402
from synthguard_finance.vae import ResidualBlock  # noqa: E402


class AnyOrderTabularMLP(nn.Module):
    """The transformer's any-order objective and sampling order, with a residual MLP over the one-hot row."""

    init_marginals = AnyOrderTabularTransformer.init_marginals

    def __init__(self, vocab_sizes: list[int], width: int, n_layers: int, dropout: float):
        super().__init__()
        self.vocab_sizes = list(vocab_sizes)
        n_cols, total = len(vocab_sizes), sum(vocab_sizes)
        self.register_buffer("offsets", torch.tensor([0] + vocab_sizes[:-1]).cumsum(0), persistent=False)
        self.register_buffer("mask_ids", total + torch.arange(n_cols), persistent=False)
        col_of = torch.repeat_interleave(torch.arange(n_cols), torch.tensor(vocab_sizes))
        self.register_buffer("allowed", col_of[None, :] == torch.arange(n_cols)[:, None], persistent=False)
        self.value_emb = nn.Embedding(total + n_cols, width)  # the one-hot input layer: values + a [MASK] per column
        self.value_emb.weight.data.mul_(n_cols ** -0.5)
        self.blocks = nn.Sequential(*[ResidualBlock(width, dropout) for _ in range(n_layers)])
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, total)

    def _ids(self, tokens, hidden):
        return torch.where(hidden, self.mask_ids[None, :], tokens + self.offsets[None, :])

    def _body(self, first):
        return self.norm(self.blocks(first))

    def forward(self, tokens, hidden):
        logits = self.head(self._body(self.value_emb(self._ids(tokens, hidden)).sum(1)))
        return logits[:, None, :].expand(-1, len(self.vocab_sizes), -1).masked_fill(~self.allowed[None], float("-inf"))

    def loss(self, tokens, generator, per_row: bool = False):
        return AnyOrderTabularTransformer.loss(self, tokens, generator, per_row)

    @torch.no_grad()
    def sample(self, tokens, hidden, generator, temperature: float = 1.0):
        tokens, hidden = tokens.clone(), hidden.clone()
        first = self.value_emb(self._ids(tokens, hidden)).sum(1)
        for col in torch.randperm(tokens.shape[1], generator=generator).tolist():
            rows = hidden[:, col].clone()
            if not rows.any():
                continue
            lo, hi = int(self.offsets[col]), int(self.offsets[col]) + self.vocab_sizes[col]
            logits = nn.functional.linear(self._body(first), self.head.weight[lo:hi], self.head.bias[lo:hi])
            draw = torch.multinomial(torch.softmax(logits.float() / temperature, -1).cpu(), 1, generator=generator)
            draw = draw.squeeze(1).to(tokens.device)
            tokens[rows, col] = draw[rows]
            hidden[:, col] = False
            first[rows] += self.value_emb.weight[lo + draw[rows]] - self.value_emb.weight[self.mask_ids[col]]
        return tokens


class MLPConfig(FinanceConfig):
    width: int = 256


class FinanceMLP(FinanceGenerator):
    name = "finance-mlp-experiment"
    Config = MLPConfig

    def _build(self):
        c = self.config
        return AnyOrderTabularMLP(self.encoder_.vocab_sizes, c.width, c.n_layers, c.dropout)


def run(generator, dataset: str) -> dict:
    frame, train, holdout = fit_sample.split(dataset)
    start = time.perf_counter()
    model = sg.Engine().fit(generator, train, seed=0)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    syn = model.sample(len(train), seed=1).frame
    small = len(train) / (time.perf_counter() - start)
    start = time.perf_counter()
    model.sample(20000, seed=1)
    large = 20000 / (time.perf_counter() - start)
    meta = sg.Table.from_frame(frame).meta
    syn_t, train_t, hold_t = (sg.Table(x[meta.names].reset_index(drop=True), meta) for x in (syn, train, holdout))
    from synthguard.quality import TSTRMetric

    tstr = TSTRMetric().compute(train_t, syn_t, sg.MetricContext(holdout=hold_t, target=fit_sample.load(dataset)[1]))
    return {"fit_s": round(fit_s, 1), "epochs": model.fit_info_["epochs_run"], "rows_per_s_at_train_size": round(small),
            "rows_per_s_at_20000": round(large), "quality": round(fit_sample.quality(train, syn, frame), 4),
            "tstr": tstr["tstr"], "trtr": tstr["trtr"]}


def bfloat16_check(dataset: str) -> None:
    """The product's transformer with its passes autocast to bfloat16: sampling and training-step time."""
    frame, train, _ = fit_sample.split(dataset)
    model = sg.Engine().fit("finance", train, seed=0, config={"epochs": 3})
    tokens = torch.from_numpy(model.encoder_.encode(train))[:256]
    for label, on in (("float32", False), ("bfloat16", True), ("float32", False), ("bfloat16", True)):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=on):
            start = time.perf_counter()
            model.sample(8192, seed=1)
            sample_s = time.perf_counter() - start
            model.model_.train()
            gen = torch.Generator().manual_seed(0)
            start = time.perf_counter()
            for _ in range(10):
                model.model_.loss(tokens, gen).backward()
            step_ms = (time.perf_counter() - start) * 100
            model.model_.eval()
        print(f"{label}: 8192 rows sampled at {8192 / sample_s:.0f} rows/s; training step (256 rows) {step_ms:.1f} ms")


def sdv_rates(dataset: str) -> None:
    """SDV's samplers' rows/s at growing sizes (TVAE fitted for 20 epochs: its sampling cost does not depend on them)."""
    from sdv.metadata import Metadata
    from sdv.single_table import GaussianCopulaSynthesizer, TVAESynthesizer

    frame, train, _ = fit_sample.split(dataset)
    metadata = Metadata.detect_from_dataframes({"t": frame})
    for cls, kwargs in ((GaussianCopulaSynthesizer, {}), (TVAESynthesizer, {"epochs": 20})):
        synth = cls(metadata, **kwargs)
        synth.fit({"t": train})
        for n in (len(train), 20000, 100000):
            start = time.perf_counter()
            synth.sample(n)
            print(f"{cls.__name__}: {n} rows at {n / (time.perf_counter() - start):.0f} rows/s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="german_credit")
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--skip-product", action="store_true", help="do not refit the product's transformer")
    ap.add_argument("--one-pass", action="store_true", help="the product's one-pass finance-vae (with --set) instead of the MLP")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config for the experiment's trunk")
    ap.add_argument("--bfloat16", action="store_true", help="time the transformer in bfloat16 instead")
    ap.add_argument("--sdv-rates", action="store_true", help="time SDV's samplers at growing sizes instead")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    if args.sdv_rates:
        sdv_rates(args.dataset)
        return
    if args.bfloat16:
        bfloat16_check(args.dataset)
        return
    overrides = {k: json.loads(v) for k, v in (kv.split("=", 1) for kv in args.set)}
    if not args.skip_product:
        print("transformer (the product):", run("finance", args.dataset))
    if args.one_pass:
        print(f"finance-vae {overrides}:", run(FinanceVAE(**overrides), args.dataset))
        return
    print(f"residual MLP, width {args.width}:", run(FinanceMLP(width=args.width, **overrides), args.dataset))


if __name__ == "__main__":
    main()
