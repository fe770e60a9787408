"""The sensor plugin's own generators: conditional sequence models with a mixture output per step.

``sensor``: the autoregressive LSTM (the default). ``sensor-conv-ar``: convolutions give every step
a state at once and each reading is drawn from a Gaussian mixture given that state, its last readings
and the recording's statics; nothing recurrent is trained, so it fits several times faster (README's
benchmark). It was built as a conditional VAE, but its latent, measured, carries nothing (posterior
collapse), hence the name. ``sensor-par``: SDV's PAR, the baseline.
The models and their training live in the ``synthguard-sequence`` library (:mod:`synthguard_sequence`, shared
with the traffic plugin); sensor recordings use them as they are: every channel is generated, conditioned on
the recording's static attributes (activity, device type...).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from synthguard_sequence import (FlowSequenceConfig, FlowSequenceGenerator, LatentSequenceConfig, LatentSequenceGenerator, MixtureSequenceConfig,
                                 MixtureSequenceGenerator, PARGenerator)


class SensorConfig(MixtureSequenceConfig):
    """Defaults chosen on BasicMotions only (the other datasets are for checking, not tuning)."""


class SensorGenerator(MixtureSequenceGenerator):
    """Multivariate sensor recordings, conditional on static attributes (activity, device...)."""

    name = "sensor"
    domain = "sensor"
    role = "default"
    description = "conditional autoregressive LSTM with a Gaussian-mixture output per step (PyTorch)"
    Config = SensorConfig
    default_dataset = "basic_motions"


class SensorConvARConfig(LatentSequenceConfig):
    """Defaults chosen on BasicMotions only (the other datasets are for checking, not tuning)."""


class SensorConvAR(LatentSequenceGenerator):
    """Multivariate sensor recordings: each reading from a Gaussian mixture given its last readings, a state
    the convolutions give its step, and the recording's statics (a short, non-recurrent autoregressive memory).

    The network (:class:`synthguard_sequence.SequenceLatentMixture`) still has the latent of the conditional VAE it
    was built as; measured, that latent carries nothing, and the shipped bundles keep it so they sample as before.
    """

    name = "sensor-conv-ar"
    domain = "sensor"
    role = "alternative"
    description = ("convolutional autoregressive mixture: fits 12-15x faster than SDV PAR and 2.7-4.5x faster than "
                   "the LSTM, for a worse discriminative score (PyTorch)")
    Config = SensorConvARConfig
    default_dataset = "basic_motions"


class SensorFlowConfig(FlowSequenceConfig):
    """Defaults chosen on TimeGAN's Sines (benchmarks/README.md, "Sensor: against TimeGAN's published scores"):
    the network predicts the velocity over 6 tokens (4-step patches on 24-step windows) with uniform flow times,
    which scored discriminative 0.106 over 3 fit seeds where predicting the clean window over 8 tokens with
    logit-normal times (the first defaults; bundles keep the config they were fitted with) scored 0.148.
    Training: 2,000 steps, or 100 passes over the recordings where that is more (Sines' 9,000 training windows:
    2,000 steps = 28 passes scored 0.106, 8,000 steps = 114 passes 0.011 over 2 seeds; a panel of 80 recordings
    keeps its 2,000 steps)."""

    predict: Literal["data", "velocity"] = Field("velocity", description=(
        "what the network outputs: the velocity itself or the clean recording (JiT's x-prediction)"))
    max_tokens: int = Field(6, ge=1, le=1024, description=(
        "most tokens a recording is cut into: the patch is ceil(length / max_tokens) steps (4 on 24-step windows)"))
    times: Literal["logit-normal", "uniform"] = Field("uniform", description=(
        "how training draws flow times: uniform, or logit-normal around the noisy side (JiT, for data prediction)"))
    min_epochs: float = Field(100, ge=0, description=(
        "...and at least this many passes over the training recordings, up to max_steps (0 = exactly `steps`)"))


class SensorFlow(FlowSequenceGenerator):
    """Whole multivariate recordings at once: a rectified flow (noise carried to a recording by a transformer's
    velocity over time patches), conditional on the recording's static attributes (activity, device...)."""

    name = "sensor-flow"
    domain = "sensor"
    role = "alternative"
    description = ("rectified flow over whole recordings, transformer over time patches: for smooth, deterministic "
                   "signals: beats the LSTM on TimeGAN's Sines (discriminative 0.106 vs 0.185, 3 seeds), loses on "
                   "basic_motions (0.108 vs 0.031) (PyTorch)")
    Config = SensorFlowConfig
    default_dataset = "basic_motions"


class SensorPAR(PARGenerator):
    """SDV PARSynthesizer baseline; the recordings' statics are its context columns."""

    name = "sensor-par"
    domain = "sensor"
    role = "baseline"
    default_dataset = "basic_motions"
