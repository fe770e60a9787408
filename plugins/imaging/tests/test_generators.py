"""The plugin's generators: contract, class conditioning, training monitoring, bundles."""

from __future__ import annotations

import numpy as np
import pytest
import synthguard as sg
from synthguard.testing import GENERATOR_CHECKS
from synthguard_imaging.generator import DCGANGenerator, ImagingGenerator

TINY_DDPM = {"epochs": 2, "widths": [8, 16], "sampling_steps": 3, "monitor_grids": 1, "batch_size": 16}
TINY_GAN = {"epochs": 2, "width": 8, "z_dim": 8, "monitor_grids": 1, "batch_size": 16}


@pytest.mark.parametrize("check", GENERATOR_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("cls,config", [(ImagingGenerator, TINY_DDPM), (DCGANGenerator, TINY_GAN)], ids=["ddpm", "dcgan"])
def test_generators_pass_the_contract_checks(cls, config, check, small_brain):
    check(cls, small_brain, config)


def test_conditioned_samples_carry_the_asked_label_and_training_shape(small_brain):
    model = ImagingGenerator(TINY_DDPM).fit(small_brain, seed=0, device="cpu")
    out = model.sample(12, seed=1, conditions={"orientation": "sagittal"})
    assert out.images.shape == (12, 1, 16, 16)
    assert set(out.metadata["orientation"]) == {"sagittal"} and list(out.metadata.columns) == ["orientation"]
    assert small_brain.images.min() <= out.images.min() and out.images.max() <= small_brain.images.max()
    with pytest.raises(sg.DataError, match=r"orientation='oblique': the model saw \['axial', 'coronal', 'sagittal'\]"):
        model.sample(2, conditions={"orientation": "oblique"})
    with pytest.raises(sg.DataError, match="expected one of the image labels"):
        model.sample(2, conditions={"patient": "x"})


def test_fit_reports_loss_per_epoch_and_sample_grids(small_brain):
    model = ImagingGenerator({**TINY_DDPM, "epochs": 3, "monitor_grids": 2}).fit(small_brain, device="cpu")
    info = model.fit_info_
    assert len(info["history"]["train_loss"]) == 3 and info["history"]["train_loss"][-1] < info["history"]["train_loss"][0]
    assert [g["epoch"] for g in info["figures"]] == [2, 3]  # rounded evenly over the epochs
    assert info["figures"][0]["data"][0]["source"].startswith("data:image/png;base64,")
    assert info["working_resolution"] == 16 and info["classes"] == 3  # orientation; the volume is the patient
    gan = DCGANGenerator(TINY_GAN).fit(small_brain, device="cpu")
    assert len(gan.fit_info_["history"]["discriminator_loss"]) == 2


def test_working_resolution_below_the_data_size_is_upsampled_back(small_brain):
    model = ImagingGenerator({**TINY_DDPM, "resolution": 8}).fit(small_brain, device="cpu")
    assert model.fit_info_["working_resolution"] == 8
    assert model.sample(3).images.shape == (3, 1, 16, 16)
    with pytest.raises(sg.DataError, match="power of two"):
        ImagingGenerator({**TINY_DDPM, "resolution": 12}).fit(small_brain, device="cpu")


def test_an_identifier_column_is_refused_as_a_class(small_brain):
    twice = sg.ImageSet.concat([small_brain, small_brain])
    ids = sg.ImageSet(twice.images, twice.metadata.assign(patient=[f"p{i}" for i in range(len(twice))]))
    with pytest.raises(sg.DataError, match=r"make 96 classes: expected at most 50 \(drop identifier columns"):
        ImagingGenerator(TINY_DDPM).fit(ids, device="cpu")


def test_bfloat16_sampling_draws_nearly_the_same_images_as_float32_and_repeats_by_seed(small_brain):
    model = ImagingGenerator({**TINY_DDPM, "sampling_precision": "float32"}).fit(small_brain, seed=0, device="cpu")
    full = model.sample(8, seed=1).images
    model.config = model.config.model_copy(update={"sampling_precision": "bfloat16"})
    half = model.sample(8, seed=1).images
    np.testing.assert_array_equal(half, model.sample(8, seed=1).images)
    spread = float(small_brain.images.max() - small_brain.images.min())
    assert 0 < np.abs(half - full).mean() < 0.05 * spread  # the same noise path, a coarser number format


def test_auto_precision_asks_the_device():
    import torch
    from synthguard.models import native_bfloat16

    assert isinstance(native_bfloat16(torch.device("cpu")), bool)
    assert native_bfloat16(torch.device("meta")) is False
