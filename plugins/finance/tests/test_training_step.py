"""The finance default's training step: the same loss as before, with nothing in it that waits for a GPU.

Where a GPU trains the model, a step that reads a value back on the host (a boolean-mask index, ``.any()``,
``float(loss)``) waits for the device and leaves it idle meanwhile. These checks run on the CPU: the
step's values must equal the former formulation's, bit for bit where the CPU path is unchanged.
"""

from __future__ import annotations

import torch
from synthguard_finance.model import AnyOrderTabularTransformer
from torch import nn


def _model_and_tokens(rows: int = 512):
    vocab = [3, 7, 2, 11, 5]
    torch.manual_seed(0)
    model = AnyOrderTabularTransformer(vocab, d_model=16, n_layers=1, n_heads=2, dropout=0.0).eval()
    tokens = torch.stack([torch.randint(0, v, (rows,)) for v in vocab], dim=1)
    return model, tokens


def test_masks_drawn_without_host_checks_are_the_cpu_masks_when_some_row_hides_nothing():
    # 20,000 rows of 5 columns: some rows draw no hidden column, so both ways draw the fallback column too
    host = AnyOrderTabularTransformer.draw_hidden((20_000, 5), torch.Generator().manual_seed(3), sync_free=False)
    free = AnyOrderTabularTransformer.draw_hidden((20_000, 5), torch.Generator().manual_seed(3), sync_free=True)
    assert torch.equal(host, free)
    assert bool(host.any(dim=1).all())  # every row predicts at least one column
    assert 0.45 < float(host.float().mean()) < 0.55  # a rate per row from U(0, 1): half the cells on average


def test_the_masked_mean_is_the_former_loss_over_the_hidden_cells():
    model, tokens = _model_and_tokens()
    loss = model.loss(tokens, torch.Generator().manual_seed(7))
    hidden = AnyOrderTabularTransformer.draw_hidden(tokens.shape, torch.Generator().manual_seed(7))
    logits, target = model(tokens, hidden), tokens + model.offsets[None, :]
    former = nn.functional.cross_entropy(logits[hidden], target[hidden])
    torch.testing.assert_close(loss, former, rtol=1e-6, atol=0)
    per_row = model.loss(tokens, torch.Generator().manual_seed(7), per_row=True)
    cells = nn.functional.cross_entropy(logits.flatten(0, 1), target.flatten(), reduction="none").view(hidden.shape)
    torch.testing.assert_close(per_row, (torch.where(hidden, cells, 0.0).sum(1) / hidden.sum(1)).mean())


def test_the_epoch_loss_summed_on_the_device_is_the_python_sum():
    from synthguard.models import train_loop

    model, tokens = _model_and_tokens(300)
    seen = []

    def loss_fn(batch, generator):
        value = model.loss(batch, generator)
        seen.append((float(value.detach()), len(batch)))
        return value

    history = train_loop(model, loss_fn, tokens, None, epochs=1, batch_size=64, lr=1e-3,
                         generator=torch.Generator().manual_seed(0))
    total = 0.0
    for value, n in seen:
        total += value * n
    assert history.train_loss == [total / 300]  # exactly: the same float64 sums, read once an epoch
