"""The rectified-flow sequence generator: whole recordings at once, conditional on statics, reproducible from a bundle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import synthguard as sg
import torch
from synthguard_sequence import FlowSequenceGenerator, SequenceFlow

TINY = {"steps": 30, "hidden": 16, "layers": 1, "heads": 2, "solver_steps": 4, "batch_size": 16}


class _Flow(FlowSequenceGenerator):
    name, domain, role = "test-flow", "test", "alternative"


def _recordings(n: int = 40, length: int = 30) -> sg.SequenceSet:
    rng = np.random.default_rng(0)
    kind = np.array(["calm", "busy"])[np.arange(n) % 2]
    t = np.arange(length)[:, None]
    amp = np.where(kind == "busy", 5.0, 0.5)[:, None, None]
    values = amp * np.sin(t / 3 + rng.uniform(0, 6, (n, 1, 1))) + rng.normal(0, 0.05, (n, length, 2))
    return sg.SequenceSet(values, ["a", "b"], pd.DataFrame({"kind": kind}), entity_ids=np.array([f"r{i}" for i in range(n)]))


def test_the_velocity_field_keeps_the_window_shape_and_patches_cover_it_all():
    model = SequenceFlow(3, [2], 1, length=10, hidden=16, layers=1, heads=2, patch=4)  # 10 steps: 3 patches, 2 padded
    v = model.velocity(torch.randn(5, 10, 3), torch.rand(5), model.condition(torch.zeros(5, 1, dtype=torch.long),
                                                                                torch.zeros(5, 2)))
    assert v.shape == (5, 10, 3) and model.tokens == 3


def test_missing_readings_drop_out_of_the_loss():
    torch.manual_seed(0)
    model = SequenceFlow(2, [], 0, length=8, hidden=16, layers=1, heads=2)
    x = torch.randn(4, 8, 2)
    gap = x.clone()
    gap[:, 3:5, 1] = float("nan")
    cats, nums = torch.zeros(4, 0, dtype=torch.long), torch.zeros(4, 0)
    loss = model.loss(gap, cats, nums, generator=torch.Generator().manual_seed(1))
    assert torch.isfinite(loss)
    for p in model.parameters():  # make the output depend on the input so a gap's value would matter
        torch.nn.init.normal_(p, std=0.1)
    a = model.loss(gap, cats, nums, generator=torch.Generator().manual_seed(1))
    gap[:, 3:5, 1] = float("nan")
    assert torch.equal(a, model.loss(gap, cats, nums, generator=torch.Generator().manual_seed(1)))


def test_a_fitted_flow_samples_whole_recordings_of_the_asked_kind_and_a_bundle_samples_the_same(tmp_path):
    data = _recordings()
    model = _Flow(**TINY).fit(data, seed=0)
    assert model.fit_info_["steps"] == 30 and (model.fit_info_["patch"], model.fit_info_["tokens"]) == (4, 8)  # 30 steps
    out = model.sample(6, seed=2, conditions={"kind": "busy"})
    assert out.values.shape == (6, 30, 2) and np.isfinite(out.values).all()
    assert set(out.statics["kind"]) == {"busy"}
    tensors, state = model._get_state()
    again = _Flow(**TINY)
    again.meta_ = model.meta_
    again._set_state(tensors, state)
    np.testing.assert_allclose(again.sample(6, seed=2, conditions={"kind": "busy"}).values, out.values, rtol=1e-5)


def test_long_recordings_are_cut_into_at_most_max_tokens_patches_not_windows():
    data = _recordings(n=8, length=300)
    model = _Flow(**{**TINY, "steps": 2, "max_tokens": 16}).fit(data, seed=0)
    assert model.fit_info_["patch"] == 19 and model.fit_info_["tokens"] == 16
    assert model.sample(2, seed=0).values.shape == (2, 300, 2)  # whole recordings, native length


def test_heads_that_do_not_divide_the_width_are_one_config_error():
    with pytest.raises(sg.ConfigError, match="hidden=18 is not a multiple of heads=4"):
        _Flow(**{**TINY, "hidden": 18, "heads": 4}).fit(_recordings(n=4), seed=0)


def test_overlapping_patches_read_and_write_their_neighbours_steps_and_cover_the_window():
    model = SequenceFlow(3, [2], 1, length=10, hidden=16, layers=1, heads=2, patch=4, overlap=1)  # spans of 6 steps
    x = torch.arange(10.0).view(1, 10, 1).repeat(1, 1, 3)
    spans = model._patches(x).view(1, 3, 6, 3)[0, :, :, 0]
    assert spans.tolist() == [[0, 0, 1, 2, 3, 4], [3, 4, 5, 6, 7, 8], [7, 8, 9, 0, 0, 0]]  # zero-padded at the ends
    # writing back adds the overlaps: steps 3, 4, 7, 8 are written by two tokens, the others by one
    counts = model._unpatch(model._patches(torch.ones(1, 10, 3)))[0, :, 0]
    assert counts.tolist() == [1, 1, 1, 2, 2, 1, 1, 2, 2, 1]
    v = model.velocity(torch.randn(5, 10, 3), torch.rand(5), model.condition(torch.zeros(5, 1, dtype=torch.long),
                                                                            torch.zeros(5, 2)))
    assert v.shape == (5, 10, 3)


@pytest.mark.parametrize("solver", ["euler", "midpoint", "heun"])
def test_every_solver_carries_noise_to_a_fixed_point_of_a_constant_velocity(solver):
    model = SequenceFlow(2, [], 0, length=8, hidden=16, layers=1, heads=2, solver=solver)
    model.velocity = lambda x, s, cond, exo=None: torch.full_like(x, 3.0)  # x(1) = x(0) + 3 exactly
    gen = torch.Generator().manual_seed(0)
    noise = torch.randn(4, 8, 2, generator=torch.Generator().manual_seed(0))
    out = model.sample(torch.zeros(4, 0, dtype=torch.long), torch.zeros(4, 0), 8, gen, solver_steps=5)
    torch.testing.assert_close(out, noise + 3.0)


def test_a_flow_overlaps_its_patches_and_samples_with_heun_by_default_and_says_its_overlap():
    model = _Flow(**{**TINY, "steps": 4}).fit(_recordings(n=8), seed=0)
    assert (model.fit_info_["patch"], model.fit_info_["overlap"]) == (4, 2) and model.model_.solver == "heun"
    assert np.isfinite(model.sample(3, seed=0).values).all()
    with pytest.raises(sg.ConfigError, match="solver"):
        _Flow(solver="rk4")


def test_a_bundle_fitted_before_the_overlap_option_reads_as_disjoint_patches():
    model = _Flow(**{**TINY, "steps": 2, "overlap": 0.0, "solver": "euler"}).fit(_recordings(n=8), seed=0)  # as then
    tensors, state = model.get_state()
    old = {k: v for k, v in model.config.model_dump(mode="json").items() if k not in ("overlap", "solver")}
    again = _Flow.from_state(old, tensors, state)
    assert again.config.overlap == 0 and again.model_.overlap == 0 and again.model_.solver == "euler"
    np.testing.assert_allclose(again.sample(3, seed=1).values, model.sample(3, seed=1).values, rtol=1e-5)
