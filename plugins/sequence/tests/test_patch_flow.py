"""The patch flow: each patch sees only earlier patches, shards draw what one process draws, the average samples
(early stopping scoring the trained weights or the average)."""

from __future__ import annotations

import pytest
import torch
from synthguard.distributed import Shard
from synthguard_sequence import SequencePatchFlow


def model(**kw) -> SequencePatchFlow:
    torch.manual_seed(0)
    return SequencePatchFlow(2, [3], 1, length=10, hidden=8, layers=1, patch=4, dropout=0.0, head_width=8,
                             head_blocks=1, solver_steps=2, **kw)


def batch(n: int = 6):
    torch.manual_seed(1)
    x = torch.randn(n, 10, 2)
    x[0, 3, 1] = float("nan")  # a missing reading
    return x, torch.randint(0, 3, (n, 1)), torch.randn(n, 2)


def test_a_patch_is_drawn_from_the_patches_before_it_only():
    net, (x, cats, nums) = model(), batch(1)
    x = x.nan_to_num().requires_grad_(True)
    patches = net._patches(x, 0.0)
    assert patches.shape == (1, 3, 8)  # ceil(10 / 4) patches of 4 steps x 2 channels, the end padded
    cond = net.condition(cats, nums)
    prev = torch.cat([torch.zeros_like(patches[:, :1]), patches[:, :-1]], 1)  # what training feeds each patch
    out = net.rnn(net._input(prev, torch.ones_like(prev), torch.zeros(1, 3, 1), cond.unsqueeze(1), None),
                  net._initial(cond))[0]
    out[0, 1].sum().backward()  # the state patch 1 is drawn from reads patch 0 (steps 0-3) and nothing later
    touched = (x.grad[0].abs().sum(-1) > 0).nonzero().flatten().tolist()
    assert touched == [0, 1, 2, 3]


def test_two_shards_of_a_batch_add_up_to_the_one_process_loss_and_its_gradient():
    x, cats, nums = batch()
    one = model()
    loss = one.loss(x, cats, nums, generator=torch.Generator().manual_seed(5))
    loss.backward()
    grads = [p.grad.clone() for p in one.parameters()]
    two = model()
    parts = [two.loss(x, cats, nums, generator=torch.Generator().manual_seed(5), shard=Shard(rank, 2)) for rank in (0, 1)]
    torch.testing.assert_close(sum(parts) / 2, loss)  # each rank's part times the world size; DDP averages
    (sum(parts) / 2).backward()
    for a, b in zip(grads, (p.grad for p in two.parameters())):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("stop_on", ["weights", "average"])
def test_training_moves_the_average_validation_scores_what_stop_on_names_and_the_model_keeps_the_average(stop_on):
    net, (x, cats, nums) = model(ema=0.9, stop_on=stop_on), batch()
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    start = [p.detach().clone() for p in net.parameters()]
    with net.averaging():
        for _ in range(3):
            opt.zero_grad()
            net.train()
            net.loss(x, cats, nums, generator=torch.Generator().manual_seed(0)).backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            validated = net.loss(x, cats, nums, generator=torch.Generator().manual_seed(9))
        trained = [p.detach().clone() for p in net.parameters()]
    assert int(net.ema_steps) == 3
    with torch.no_grad():  # leaving averaging(), the model keeps the average, not its last trained weights
        kept = net.loss(x, cats, nums, generator=torch.Generator().manual_seed(9))
        for p, t in zip(net.parameters(), trained):
            p.data, t.data = t.data, p.data  # the last trained weights, for a moment
        last = net.loss(x, cats, nums, generator=torch.Generator().manual_seed(9))
        for p, t in zip(net.parameters(), trained):
            p.data, t.data = t.data, p.data
    torch.testing.assert_close(validated, kept if stop_on == "average" else last)
    assert not torch.equal(kept, last)
    moved = [(p - s).abs().sum() for p, s in zip(net.parameters(), start)]
    assert sum(moved) > 0 and any(not torch.equal(p, t) for p, t in zip(net.parameters(), trained))


def test_sampling_gives_the_asked_steps_finite_and_seeded():
    net, (_, cats, nums) = model(), batch(3)
    a = net.eval().sample(cats, nums, 7, torch.Generator().manual_seed(2))
    assert a.shape == (3, 7, 2) and torch.isfinite(a).all()
    torch.testing.assert_close(net.sample(cats, nums, 7, torch.Generator().manual_seed(2)), a)


def test_the_per_record_loss_dp_sgd_clips_is_the_same_regression_laid_out_by_record():
    net, (x, cats, nums) = model(), batch()
    x = x.nan_to_num()  # every record the same number of readings: the mean of record means is the mean
    plain = net.loss(x, cats, nums, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(net.loss(x, cats, nums, generator=torch.Generator().manual_seed(3), per_record=True), plain)
