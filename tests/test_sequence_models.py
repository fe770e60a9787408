"""The core's sequence network samples exactly what it was trained to predict, whatever its trunk and patch."""

from __future__ import annotations

import pytest
import torch
from synthguard.models.sequence_mixture import CausalConvStack, SequenceMixtureLSTM


def test_step_by_step_sampling_path_equals_the_parallel_training_pass():
    torch.manual_seed(0)
    stack = CausalConvStack(hidden=8, layers=4, dropout=0.0).eval()
    x = torch.randn(3, 20, 8)
    parallel = stack(x)
    past = [[] for _ in stack.dilations]
    stepped = torch.stack([stack.step(x[:, t], past) for t in range(x.shape[1])], dim=1)
    assert torch.allclose(parallel, stepped, atol=1e-5)


def test_an_output_never_sees_a_later_input_and_sees_its_receptive_field():
    torch.manual_seed(0)
    stack = CausalConvStack(hidden=4, layers=3, dropout=0.0).eval()
    x = torch.randn(1, 16, 4, requires_grad=True)
    stack(x)[0, 10].sum().backward()
    touched = (x.grad[0].abs().sum(-1) > 0).nonzero().flatten().tolist()
    assert max(touched) == 10 and min(touched) == 10 - stack.receptive_field + 1



@pytest.mark.parametrize("trunk,layers", [("lstm", 2), ("tcn", 3)])
@pytest.mark.parametrize("patch", [1, 4])
def test_sampling_feeds_each_step_the_mixture_input_the_training_pass_scores_it_with(trunk, layers, patch):
    # 10 steps with patches of 4: the last patch is padded; two covariates known at every step
    torch.manual_seed(0)
    model = SequenceMixtureLSTM(3, [2], 1, hidden=16, layers=layers, components=2, dropout=0.0, n_exogenous=2,
                                trunk=trunk, patch=patch).eval()
    cats, nums, exo = torch.tensor([[0], [1]]), torch.randn(2, 2), torch.randn(2, 10, 2)
    seen = []
    draw = model._draw
    model._draw = lambda out, *args: seen.append(out) or draw(out, *args)
    x = model.sample(cats, nums, 10, torch.Generator().manual_seed(1), exo=exo)
    assert x.shape == (2, 10, 3) and len(seen) == 10 + (-10 % patch)
    with torch.no_grad():
        parallel, _, mask = model.states(x, torch.ones_like(x, dtype=torch.bool), model.condition(cats, nums), exo)
    assert torch.allclose(torch.cat(seen, dim=1)[:, :10], parallel[:, :10], atol=1e-5)
    assert mask.shape[1] == len(seen) and not mask[:, 10:].any()  # padding is missing, never scored


def test_a_patched_step_never_sees_its_own_or_a_later_reading():
    torch.manual_seed(0)
    model = SequenceMixtureLSTM(2, [], 0, hidden=8, layers=1, components=2, dropout=0.0, patch=4).eval()
    x = torch.randn(1, 12, 2, requires_grad=True)
    cond = model.condition(torch.zeros(1, 0, dtype=torch.long), torch.zeros(1, 0))
    out, _, _ = model.states(x, torch.ones_like(x, dtype=torch.bool), cond)
    out[0, 6].sum().backward()  # step 6: third step of the second patch
    touched = (x.grad[0].abs().sum(-1) > 0).nonzero().flatten().tolist()
    assert max(touched) == 5 and min(touched) == 0
