"""DP-SGD trains a twin of the model that computes exactly what the model computes."""

from __future__ import annotations

import torch
from torch import nn
from synthguard.models.dp import linear_attention_twin, original_state


def test_attention_twin_matches_torch_multihead_attention_and_maps_back():
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(32, 4, dim_feedforward=64, batch_first=True, norm_first=True)
    model = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False).eval()
    twin = linear_attention_twin(model).eval()
    x = torch.randn(5, 7, 32)
    # with gradients on, as in training (torch's no-grad fast path is the original model's business)
    assert torch.allclose(model(x), twin(x), atol=1e-5)
    with torch.no_grad():
        for p in twin.parameters():  # train the twin a little (here: perturb), map back, still equal
            p.add_(0.05 * torch.randn_like(p))
    model.load_state_dict(original_state(twin), strict=True)
    assert torch.allclose(model(x), twin(x), atol=1e-5)
    assert not any(isinstance(m, nn.MultiheadAttention) for m in twin.modules())
