"""The core's sequence network: its convolutional trunk samples exactly what it was trained to predict."""

from __future__ import annotations

import torch
from synthguard.models.sequence_mixture import CausalConvStack


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

