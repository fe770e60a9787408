"""ColumnSampler (the faster CPU sampling path, issue 23) draws exactly what the plain loop draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import synthguard as sg
import torch
from synthguard.models import torch_generator
from synthguard_finance import FinanceGenerator
from synthguard_finance import model as finance_model
from synthguard_finance.model import AnyOrderTabularTransformer, ColumnSampler


def _table(n: int = 300) -> sg.Table:
    rng = np.random.default_rng(3)
    income = rng.lognormal(10, 0.6, n).round(2)
    income[rng.random(n) < 0.15] = np.nan
    return sg.Table.from_frame(pd.DataFrame({
        "age": rng.integers(18, 90, n),
        "income": income,
        "product": rng.choice(["card", "loan", "mortgage", None], n),
        "defaulted": rng.random(n) < 0.1,
        "opened": pd.Timestamp("2010-01-01") + pd.to_timedelta(rng.integers(0, 5000, n), unit="D"),
    }), name="small")


@pytest.fixture(scope="module")
def fitted() -> FinanceGenerator:
    return FinanceGenerator(**FinanceGenerator.smoke_config).fit(_table(), seed=0)


@torch.no_grad()
def reference_sample(model, tokens, hidden, generator, temperature=1.0, order_rows=64):
    """The sampling loop as written before ColumnSampler: the model's own column_logits on each group of
    ``order_rows`` rows, every group in its own column order."""
    tokens, hidden = tokens.clone(), hidden.clone()
    for start in range(0, len(tokens), order_rows):
        part, part_hidden = tokens[start:start + order_rows], hidden[start:start + order_rows]
        for col in torch.randperm(tokens.shape[1], generator=generator).tolist():
            if not part_hidden[:, col].any():
                continue
            logits = model.column_logits(part, part_hidden, col) / temperature
            probs = torch.softmax(logits.float(), dim=-1).cpu()
            draw = torch.multinomial(probs, 1, generator=generator).squeeze(1)
            rows = part_hidden[:, col]
            part[rows, col] = draw[rows]
            part_hidden[:, col] = False
    return tokens


def _start(model, n, fixed=None):
    tokens = torch.zeros(n, len(model.vocab_sizes), dtype=torch.long)
    hidden = torch.ones_like(tokens, dtype=torch.bool)
    for col, tok in (fixed or {}).items():
        tokens[:, col], hidden[:, col] = tok, False
    return tokens, hidden


#: the pretrained lending_club bundle's vocabularies: at its sizes (d_model 64, 4 heads, 23 columns) PyTorch's
#: batched matmuls go through BLAS, at the smoke model's through its own small-matrix kernel
LENDING_CLUB_VOCAB = [74, 2, 50, 35, 50, 3, 70, 12, 11, 6, 64, 2, 27, 11, 14, 65, 63, 13, 20, 37, 57, 65, 2]


def _random_model(n_layers: int, seed: int = 0, size: str = "small") -> AnyOrderTabularTransformer:
    torch.manual_seed(seed)
    vocab, d_model, heads = ([7, 2, 12, 5, 3, 9], 16, 2) if size == "small" else (LENDING_CLUB_VOCAB, 64, 4)
    positions = [[i / v for i in range(v - 1)] + [None] if c % 2 == 0 else [None] * v for c, v in enumerate(vocab)]
    model = AnyOrderTabularTransformer(vocab, d_model=d_model, n_layers=n_layers, n_heads=heads, positions=positions,
                                       n_basis=4 if size == "small" else 16)
    with torch.no_grad():  # random weights of a trained model's size, and a non-zero ord_out
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    return model.eval()


def test_the_smoke_model_samples_through_the_column_sampler(fitted):
    model = fitted.model_
    assert not model.training
    with torch.no_grad():
        assert ColumnSampler.for_model(model, torch.zeros(4, len(model.vocab_sizes), dtype=torch.long)) is not None


@pytest.mark.parametrize("n", [1, 5, 300, 700])
def test_sampled_tokens_equal_the_reference_loop(fitted, n):
    model = fitted.model_
    for seed in (0, 7):
        expected = reference_sample(model, *_start(model, n), torch_generator(seed))
        assert torch.equal(model.sample(*_start(model, n), torch_generator(seed)), expected)


def test_conditioned_tokens_and_temperature_equal_the_reference_loop(fitted):
    model = fitted.model_
    fixed = {1: 2, 3: 1}
    expected = reference_sample(model, *_start(model, 500, fixed), torch_generator(4), temperature=0.7)
    assert torch.equal(model.sample(*_start(model, 500, fixed), torch_generator(4), temperature=0.7), expected)


@pytest.mark.parametrize("size", ["small", "bundle"])
@pytest.mark.parametrize("n_layers", [1, 2, 3])
@pytest.mark.parametrize("block", [16, 64, 256])
def test_column_logits_are_bitwise_the_models(n_layers, block, size):
    model = _random_model(n_layers, size=size)
    gen = torch.Generator().manual_seed(n_layers)
    tokens = torch.stack([torch.randint(0, v, (333,), generator=gen) for v in model.vocab_sizes], 1)
    hidden = torch.rand(tokens.shape, generator=gen) < 0.5
    hidden[:50] = True
    with torch.no_grad():
        sampler = ColumnSampler(model, block=block)
        for col in range(0, tokens.shape[1], 1 if size == "small" else 5):
            assert torch.equal(sampler.column_logits(tokens, hidden, col), model.column_logits(tokens, hidden, col))
        few = hidden.clone()
        few[:, 1:] = True  # the first steps: identical rows run once
        assert torch.equal(sampler.column_logits(tokens, few, 4), model.column_logits(tokens, few, 4))


@pytest.mark.parametrize("n_layers,size", [(1, "small"), (3, "small"), (2, "bundle")])
def test_other_sizes_sample_the_reference_tokens(n_layers, size):
    model = _random_model(n_layers, seed=1, size=size)
    with torch.no_grad():
        assert ColumnSampler.for_model(model, torch.zeros(1, len(model.vocab_sizes), dtype=torch.long)) is not None
    expected = reference_sample(model, *_start(model, 400), torch_generator(2))
    assert torch.equal(model.sample(*_start(model, 400), torch_generator(2)), expected)


def test_generator_frames_are_byte_identical_with_and_without_the_sampler(fitted, monkeypatch):
    fast = fitted.sample(5000, seed=11).frame  # two 4096-row chunks
    monkeypatch.setattr(finance_model.ColumnSampler, "for_model", classmethod(lambda cls, model, tokens: None))
    plain = fitted.sample(5000, seed=11).frame
    assert fast.equals(plain) and list(fast.dtypes) == list(plain.dtypes)
    assert pd.util.hash_pandas_object(fast).equals(pd.util.hash_pandas_object(plain))


def test_training_mode_and_gradients_keep_the_models_own_path():
    model = _random_model(2)
    tokens = torch.zeros(3, 6, dtype=torch.long)
    assert ColumnSampler.for_model(model, tokens) is None  # gradients on
    with torch.no_grad():
        assert ColumnSampler.for_model(model, tokens) is not None
        model.train()
        assert ColumnSampler.for_model(model, tokens) is None  # dropout: the fast path is not PyTorch's either
