"""The sequence networks sample exactly what they were trained to predict."""

from __future__ import annotations

import pytest
import torch
from synthguard_sequence import SequenceLatentMixture, SequenceMixtureLSTM
from synthguard_sequence.latent import lagged_readings


@pytest.mark.parametrize("layers", [1, 2])
def test_sampling_feeds_each_step_the_mixture_input_the_training_pass_scores_it_with(layers):
    # two covariates known at every step
    torch.manual_seed(0)
    model = SequenceMixtureLSTM(3, [2], 1, hidden=16, layers=layers, components=2, dropout=0.0, n_exogenous=2).eval()
    cats, nums, exo = torch.tensor([[0], [1]]), torch.randn(2, 2), torch.randn(2, 10, 2)
    seen = []
    draw = model._draw
    model._draw = lambda out, *args: seen.append(out) or draw(out, *args)
    x = model.sample(cats, nums, 10, torch.Generator().manual_seed(1), exo=exo)
    assert x.shape == (2, 10, 3) and len(seen) == 10
    with torch.no_grad():
        parallel, _, mask = model.states(x, torch.ones_like(x, dtype=torch.bool), model.condition(cats, nums), exo)
    assert torch.allclose(torch.cat(seen, dim=1), parallel, atol=1e-5)
    assert mask.all()


def test_a_step_never_sees_its_own_or_a_later_reading():
    torch.manual_seed(0)
    model = SequenceMixtureLSTM(2, [], 0, hidden=8, layers=1, components=2, dropout=0.0).eval()
    x = torch.randn(1, 12, 2, requires_grad=True)
    cond = model.condition(torch.zeros(1, 0, dtype=torch.long), torch.zeros(1, 0))
    out, _, _ = model.states(x, torch.ones_like(x, dtype=torch.bool), cond)
    out[0, 6].sum().backward()
    touched = (x.grad[0].abs().sum(-1) > 0).nonzero().flatten().tolist()
    assert touched == list(range(6))


def latent_model(**kw) -> SequenceLatentMixture:
    torch.manual_seed(0)
    return SequenceLatentMixture(3, [2], 1, length=10, hidden=16, latent=4, lags=3, components=2, **kw).eval()


def test_the_latent_model_samples_each_step_from_the_input_its_training_pass_scores_it_with():
    # 10 steps (not a multiple of the decoder's 4x upsampling), two covariates known at every step
    model = latent_model(n_exogenous=2)
    cats, nums, exo = torch.tensor([[0], [1]]), torch.randn(2, 2), torch.randn(2, 10, 2)
    seen = []
    mixture = model._mixture
    model._mixture = lambda state, lagged: seen.append((state, lagged)) or mixture(state, lagged)
    z = torch.randn(2, 4, generator=torch.Generator().manual_seed(1))  # the latent sample() draws first
    x = model.sample(cats, nums, 10, torch.Generator().manual_seed(1), exo=exo)
    assert x.shape == (2, 10, 3) and len(seen) == 10
    with torch.no_grad():
        states = model.states(z, model.condition(cats, nums), exo)
    lagged = lagged_readings(x, torch.ones_like(x), model.lags)
    assert torch.allclose(torch.stack([s for s, _ in seen], dim=1), states, atol=1e-5)
    assert torch.allclose(torch.stack([g for _, g in seen], dim=1), lagged, atol=1e-6)
    # masks of the 3-steps-back reading: none before step 3, there from step 3 on; nothing at all at step 0
    assert not lagged[:, 0].any() and not lagged[:, 2, -3:].any() and (lagged[:, 3, -3:] == 1).all()


def test_a_latent_models_step_sees_only_its_last_readings_and_the_latent_sees_the_window():
    model = latent_model()
    x = torch.randn(1, 10, 3, requires_grad=True)
    cond = model.condition(torch.zeros(1, 1, dtype=torch.long), torch.zeros(1, 2))
    z = torch.zeros(1, 4)
    log_pi, _, _ = model._mixture(model.states(z, cond, None), lagged_readings(x, torch.ones_like(x), model.lags))
    log_pi[0, 6].sum().backward()  # step 6 given a fixed latent: readings 3, 4, 5
    touched = (x.grad[0].abs().sum(-1) > 0).nonzero().flatten().tolist()
    assert touched == [3, 4, 5]
    window = torch.randn(1, 10, 3, requires_grad=True)
    model.encode(window, torch.ones_like(window), cond.detach())[0].sum().backward()
    assert (window.grad[0].abs().sum(-1) > 0).all()  # the posterior reads every step


def test_a_latent_models_loss_leaves_missing_readings_out_and_is_random_only_through_its_generator():
    model = latent_model()
    cats, nums = torch.tensor([[0], [1]]), torch.randn(2, 2)
    x = torch.randn(2, 10, 3)
    x[0, 4, 1] = float("nan")
    one = model.loss(x, cats, nums, generator=torch.Generator().manual_seed(5))
    assert torch.isfinite(one)
    assert one == model.loss(x, cats, nums, generator=torch.Generator().manual_seed(5))
    assert one != model.loss(x, cats, nums, generator=torch.Generator().manual_seed(6))
    with pytest.raises(ValueError, match="windows of 10"):
        model.sample(cats, nums, 11, torch.Generator())


def test_the_library_has_no_domain_identity_and_registers_nothing():
    import importlib.metadata

    import synthguard_sequence as seq

    for cls in (seq.MixtureSequenceGenerator, seq.LatentSequenceGenerator, seq.PARGenerator):
        assert "name" not in vars(cls) and cls.domain is None and cls.default_dataset is None and cls.role is None
    entry_points = importlib.metadata.distribution("synthguard-sequence").entry_points
    assert not [e for e in entry_points if e.group == "synthguard"]
