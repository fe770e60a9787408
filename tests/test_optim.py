"""The training loop's AdamW: torch's update, bit for bit, without torch.optim's 1.4 s import of torch._dynamo."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from synthguard.models import AdamW


def _train(make_optimizer) -> list[torch.Tensor]:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    optimizer = make_optimizer(model.parameters())
    gen = torch.Generator().manual_seed(1)
    for _ in range(30):
        loss = model(torch.randn(8, 5, generator=gen)).pow(2).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return [p.detach() for p in model.parameters()]


@pytest.mark.parametrize("fused", [False, True])
def test_adamw_takes_exactly_torch_adamws_steps(fused):
    ours = _train(lambda params: AdamW(params, lr=0.01, weight_decay=0.01, fused=fused))
    torchs = _train(lambda params: torch.optim.AdamW(params, lr=0.01, weight_decay=0.01, fused=fused or None))
    assert all(torch.equal(a, b) for a, b in zip(ours, torchs))
    assert not all(torch.equal(a, b) for a, b in zip(ours, _train(lambda params: AdamW(params, lr=0.02))))


def test_adam_without_decoupled_weight_decay_is_torch_adam():
    ours = _train(lambda params: AdamW(params, lr=0.01, decoupled=False))
    assert all(torch.equal(a, b) for a, b in zip(ours, _train(lambda params: torch.optim.Adam(params, lr=0.01))))


def test_training_does_not_import_torch_dynamo():
    code = ("import sys, torch; from synthguard.models import train_loop, torch_generator\n"
            "model = torch.nn.Linear(3, 1)\n"
            "train_loop(model, lambda b, g: model(b).pow(2).mean(), torch.randn(20, 3), None, epochs=2, batch_size=8,"
            " lr=0.01, generator=torch_generator(0))\n"
            "print('torch._dynamo' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_validating_every_few_epochs_records_those_and_leaves_training_alone():
    from synthguard.models import train_loop

    def fit(val_every: int):
        torch.manual_seed(0)
        model = torch.nn.Linear(3, 1)
        data = torch.randn(64, 4)

        def loss(batch, generator):
            return torch.nn.functional.mse_loss(model(batch[:, :3]).squeeze(1), batch[:, 3])

        return train_loop(model, loss, data[:48], data[48:], epochs=7, batch_size=16, lr=0.01,
                          generator=torch.Generator().manual_seed(0), val_every=val_every)

    every, sparse = fit(1), fit(3)
    assert every.val_epochs == list(range(1, 8)) and sparse.val_epochs == [3, 6]
    assert sparse.val_loss == [every.val_loss[2], every.val_loss[5]]
    assert sparse.train_loss == every.train_loss  # validation draws nothing from the training stream
    assert sparse.best_epoch in (3, 6) and sparse.to_json()["val_epochs"] == [3, 6]


@pytest.mark.parametrize("n, batch_size, sizes", [
    (630, 157, [126] * 5),                   # finance-vae on german_credit's benchmark split: not 4 x 157 + 2
    (65281, 256, [256] + [255] * 255),       # not 255 x 256 + 1 (a "ceil(n / steps)" batch size gives that)
    (48, 16, [16, 16, 16]),
])
def test_even_batches_cut_an_epoch_into_steps_that_differ_by_at_most_one_row(n, batch_size, sizes):
    from synthguard.models import train_loop

    def epoch_batches(even: bool) -> list[list[int]]:
        seen: list[torch.Tensor] = []
        model = torch.nn.Linear(1, 1)

        def loss(batch, generator):
            seen.append(batch[:, 0].long())
            return model(batch).pow(2).mean()

        train_loop(model, loss, torch.arange(n, dtype=torch.float32)[:, None], None, epochs=1, batch_size=batch_size,
                   lr=0.01, generator=torch.Generator().manual_seed(0), even_batches=even)
        return [b.tolist() for b in seen]

    even, full = epoch_batches(True), epoch_batches(False)
    assert sorted(map(len, even), reverse=True) == sizes
    assert sorted(sum(even, [])) == list(range(n))  # every row once an epoch
    assert sum(even, []) == sum(full, [])  # the same shuffle, only cut differently
    assert [len(b) for b in full[:-1]] == [batch_size] * (len(full) - 1)  # the default: full batches, then the rest


def test_validation_in_one_pass_scores_the_repeated_split_once_and_agrees_with_separate_passes():
    from synthguard.models import train_loop

    data = torch.randn(60, 3, generator=torch.Generator().manual_seed(1))

    def fit(one_pass: bool):
        torch.manual_seed(0)
        model = torch.nn.Linear(3, 1)
        val_sizes: list[int] = []

        def loss(batch, generator):
            if not model.training:
                val_sizes.append(len(batch))
            return (model(batch)[:, 0] - batch.sum(1)).pow(2).mean()  # a mean over rows

        hist = train_loop(model, loss, data[:48], data[48:], epochs=5, batch_size=16, lr=0.01,
                          generator=torch.Generator().manual_seed(0), val_repeats=4, val_one_pass=one_pass)
        return hist, val_sizes

    (one, one_sizes), (separate, separate_sizes) = fit(True), fit(False)
    assert one_sizes == [48] * 5 and separate_sizes == [12] * 20  # the 12 held-out rows four times, in one batch
    assert one.val_loss == pytest.approx(separate.val_loss, rel=1e-5)
    assert one.train_loss == separate.train_loss and one.best_epoch == separate.best_epoch


@pytest.mark.parametrize("steps", [1, 2, 10, 20, 39, 40, 200])
def test_one_cycle_runs_every_step_count_and_is_torchs_schedule_once_the_warm_up_has_two_steps(steps):
    # torch's OneCycleLR raised ZeroDivisionError at 10 steps with a 10% warm-up (`fit imaging --epochs 1`)
    # and at 20 with 5% (`sensor-flow --set steps=20 --set min_epochs=0`)
    from synthguard.models import one_cycle

    def rates(make):
        p = torch.nn.Parameter(torch.zeros(2))
        opt = torch.optim.AdamW([p], lr=0.01)
        sched, seen = make(opt), []
        for _ in range(steps):
            seen.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        return seen

    got = rates(lambda opt: one_cycle(opt, 0.01, steps, pct_start=0.05))
    assert len(got) == steps and all(0 < r <= 0.01 for r in got)
    if steps >= 40:
        assert got == rates(lambda opt: torch.optim.lr_scheduler.OneCycleLR(opt, 0.01, total_steps=steps, pct_start=0.05))
    else:
        assert got == [0.01] * steps
