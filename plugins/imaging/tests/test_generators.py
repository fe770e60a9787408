"""The plugin's generators: contract, class conditioning, training monitoring, bundles."""

from __future__ import annotations

import json

import numpy as np
import pytest
import safetensors.torch
import synthguard as sg
import torch
from synthguard.testing import GENERATOR_CHECKS
from synthguard_imaging.generator import DCGANGenerator, ImagingGenerator
from synthguard_imaging.model import Diffusion, ddim_scheduler

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
    with pytest.raises(sg.ConfigError, match=r"value 'oblique' is unknown in column 'orientation': expected one of "
                                             r"'axial', 'coronal', 'sagittal'"):
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


def test_a_one_epoch_fit_of_ten_steps_trains(small_brain):
    # 48 slices in batches of 5: 10 optimizer steps, where torch's OneCycleLR divides by zero (its warm-up ends at 0)
    model = ImagingGenerator({**TINY_DDPM, "epochs": 1, "batch_size": 5}).fit(small_brain, seed=0, device="cpu")
    assert model.fit_info_["epochs_run"] == 1 and model.sample(2, seed=0).images.shape == (2, 1, 16, 16)


def test_working_resolution_below_the_data_size_is_upsampled_back(small_brain):
    model = ImagingGenerator({**TINY_DDPM, "resolution": 8}).fit(small_brain, device="cpu")
    assert model.fit_info_["working_resolution"] == 8
    assert model.sample(3).images.shape == (3, 1, 16, 16)
    with pytest.raises(sg.DataError, match="power of two"):
        ImagingGenerator({**TINY_DDPM, "resolution": 12}).fit(small_brain, device="cpu")


def test_a_bundle_of_the_hand_written_unet_is_refused_with_the_way_out(small_brain, tmp_path):
    ImagingGenerator(TINY_DDPM).fit(small_brain, device="cpu").save(tmp_path / "b")
    state = json.loads((tmp_path / "b" / "state.json").read_text())
    tensors = safetensors.torch.load_file(tmp_path / "b" / "weights.safetensors")
    with pytest.raises(sg.ConfigError, match="reads state version 2: bundle has 1 .*fit it again"):
        ImagingGenerator.from_state(TINY_DDPM, tensors, {**state, "state_version": 1})


def test_an_identifier_column_is_refused_as_a_class(small_brain):
    twice = sg.ImageSet.concat([small_brain, small_brain])
    ids = sg.ImageSet(twice.images, twice.metadata.assign(patient=[f"p{i}" for i in range(len(twice))]))
    with pytest.raises(sg.DataError, match=r"make 96 classes: expected at most 50 \(drop identifier columns"):
        ImagingGenerator(TINY_DDPM).fit(ids, device="cpu")


def test_bfloat16_sampling_draws_nearly_the_same_images_as_float32_and_repeats_by_seed(small_brain):
    # 30 epochs: after 2 the clean-image estimates of nearly every pixel are clipped, where both formats agree
    model = ImagingGenerator({**TINY_DDPM, "epochs": 30, "sampling_precision": "float32"}).fit(small_brain, seed=0,
                                                                                               device="cpu")
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


class _Oracle(torch.nn.Module):
    """Predicts the exact noise of a data set holding one image: what a perfectly trained network would."""

    def __init__(self, image: torch.Tensor, alpha_bar: torch.Tensor):
        super().__init__()
        self.image, self.alpha_bar = image, alpha_bar

    def forward(self, x, timesteps, class_labels):
        ab = self.alpha_bar[timesteps].view(-1, 1, 1, 1)
        return (x - ab.sqrt() * self.image) / (1 - ab).sqrt()


@pytest.mark.parametrize("steps", [2, 10, 25, 30])
def test_ddim_sampling_with_a_perfect_network_returns_the_one_training_image(steps):
    # 30 steps do not divide 1000: the last step lands at t = 9, and the clean estimate is what is returned
    diffusion = Diffusion(1, 1, (8, 16), 8)
    image = torch.linspace(-0.9, 0.9, 64).reshape(1, 1, 8, 8)
    diffusion.net = _Oracle(image, diffusion.train_scheduler.alphas_cumprod)
    out = diffusion.sample(torch.zeros(3, dtype=torch.long), 1, torch.Generator().manual_seed(0), steps=steps)
    assert torch.allclose(out, image.expand(3, 1, 8, 8), atol=1e-3)


@pytest.mark.parametrize("steps", [10, 20, 50])
def test_each_ddim_step_lands_on_the_noise_level_the_next_network_pass_is_told(steps):
    # MONAI's DDIMScheduler with its default steps_offset lists 999, 888, ... but each step lands 100 lower:
    # every pass was told less noise than the sample held, and the last (t = 0) left the noise of t = 11
    scheduler = ddim_scheduler(1000, steps)
    ab = scheduler.alphas_cumprod
    image, noise = torch.full((1, 1, 4, 4), 0.5), torch.randn(1, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    levels = [int(t) for t in scheduler.timesteps]
    assert levels[0] == 999 and len(levels) == steps
    for t, after in zip(levels, levels[1:] + [None]):
        x = ab[t].sqrt() * image + (1 - ab[t]).sqrt() * noise
        landed, _ = scheduler.step(image, t, x)  # told the clean image: x moves along its noise direction
        expected = image if after is None else ab[after].sqrt() * image + (1 - ab[after]).sqrt() * noise
        assert torch.allclose(landed, expected, atol=1e-5), (t, after)


def test_a_bundle_carries_its_memorization_encoder_so_generate_trains_none(small_brain, tmp_path, monkeypatch):
    from synthguard_imaging import encoder

    model = ImagingGenerator(TINY_DDPM).fit(small_brain, device="cpu")
    assert model.fit_info_["memorization_encoder"]["kept_in_bundle"]
    model.save(tmp_path / "b")
    trained = encoder.fit_encoder(small_brain)
    encoder._CACHE.clear()
    loaded = sg.Engine().load(tmp_path / "b")
    monkeypatch.setattr(encoder, "_AE", None)  # training one now would fail: the bundle's must be used
    again = encoder.fit_encoder(small_brain)
    assert again is loaded.encoder_
    np.testing.assert_array_equal(again.features(small_brain.images), trained.features(small_brain.images))
    # another training set is not this encoder's: it would be trained, not taken from the bundle
    assert encoder.encoder_key(small_brain.take(np.arange(10))) not in encoder._CACHE
