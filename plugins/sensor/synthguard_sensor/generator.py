"""The sensor plugin's own generators: conditional sequence models over the recordings' channels.

``sensor`` (the default): an LSTM reads a recording eight steps (a patch) at a time and a small rectified flow draws
each next patch from its state and the recording's statics: the per-reading LSTM's data efficiency on a few dozen
recordings, with readings drawn jointly within a patch, smooth where the data are (docs/experiments.md, "An LSTM
over patches with a flow head per patch"). ``sensor-lstm``: the same LSTM with a Gaussian mixture per reading, the
former default, kept because its likelihood is exact (``synthguard explain`` scores each record with it).
``sensor-conv-ar``: convolutions give every step a state at once and each reading is drawn from a Gaussian mixture
given that state, its last readings and the recording's statics; nothing recurrent is trained, so it fits several
times faster (README's benchmark). It was built as a conditional VAE, but its latent, measured, carries nothing
(posterior collapse), hence the name. ``sensor-flow``: a rectified flow over whole recordings (a transformer over
time patches), which keeps long recordings whole; on the plugin's own reference recordings it loses
(docs/sensor-flow.md). ``sensor-par``: SDV's PAR, the baseline.
The models and their training live in the ``synthguard-sequence`` library (:mod:`synthguard_sequence`, shared
with the traffic plugin); sensor recordings use them as they are: every channel is generated, conditioned on
the recording's static attributes (activity, device type...).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from synthguard_sequence import (FlowSequenceConfig, FlowSequenceGenerator, LatentSequenceConfig, LatentSequenceGenerator,
                                 MixtureSequenceConfig, MixtureSequenceGenerator, PARGenerator, PatchFlowSequenceConfig,
                                 PatchFlowSequenceGenerator)


#: Recordings longer than twice this many steps are cut into windows of it unless the user gives --window
#: (Generator.long_recording_window), for the LSTM, the convolutional model and PAR (whose costs grow with the
#: steps; whole 1,460-step recordings took the LSTM 649 s to fit: docs/design/sensor-generators.md). Not for
#: ``sensor-flow``, which cuts any recording into at most 6 patches and generates it at its native length.
LONG_RECORDING_WINDOW = 256


class SensorConfig(PatchFlowSequenceConfig):
    """Chosen on TimeGAN's Sines and BasicMotions (docs/experiments.md); daphnet is for checking, not tuning;
    the patience counted in updates on ItalyPowerDemand, where the audit can tell (benchmarks/README.md)."""

    patience_updates: int | None = Field(45, ge=1, description=(
        "patience counted in optimizer updates: ceil(45 / updates per epoch) epochs without improvement (15 on "
        "daphnet's 3 updates an epoch, 3 on ItalyPowerDemand's 16, where 15 epochs were refused by the audit in 8 "
        "fits of 10); a `patience` given without it counts epochs"))


class SensorGenerator(PatchFlowSequenceGenerator):
    """Multivariate sensor recordings, conditional on static attributes (activity, device...), patch by patch."""

    name = "sensor"
    domain = "sensor"
    role = "default"
    description = "conditional LSTM over 8-step patches, each drawn by a small rectified flow (PyTorch)"
    Config = SensorConfig
    state_version = 2  # 1: the per-reading LSTM this name meant until 2026-12-06 (now sensor-lstm): refit those
    default_dataset = "basic_motions"
    long_recording_window = LONG_RECORDING_WINDOW
    supports_dp = True  # --epsilon: DP-SGD with the recording (entity) as the unit (MixtureSequenceGenerator._train_private)
    privacy_remedy = ({"stop_on": "weights", "patience": 5}, "early stopping on the trained weights after 5 epochs: on "
                      "ItalyPowerDemand, 548 days a side, refused in 0 fits of 10 where the default was in 1; daphnet "
                      "scored 0.178 against 0.106")


class SensorLSTMConfig(MixtureSequenceConfig):
    """Defaults chosen on BasicMotions only (the other datasets are for checking, not tuning)."""


class SensorLSTM(MixtureSequenceGenerator):
    """Multivariate sensor recordings from an LSTM with a Gaussian mixture per reading: an exact likelihood."""

    name = "sensor-lstm"
    domain = "sensor"
    role = "alternative"
    description = ("conditional LSTM with a Gaussian mixture per reading, the former default: its likelihood is "
                   "exact, so `synthguard explain` scores each record; rougher curves than `sensor` (PyTorch)")
    Config = SensorLSTMConfig
    default_dataset = "basic_motions"
    long_recording_window = LONG_RECORDING_WINDOW
    supports_dp = True


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
    description = ("convolutional autoregressive mixture: fits 8-13x faster than SDV PAR and 2.5-4x faster than "
                   "sensor-lstm, for a worse discriminative score than the default (PyTorch)")
    Config = SensorConvARConfig
    default_dataset = "basic_motions"
    long_recording_window = LONG_RECORDING_WINDOW


class SensorFlowConfig(FlowSequenceConfig):
    """Defaults chosen on TimeGAN's Sines and on basic_motions cut into 24-step windows (TimeGAN's protocol, 6,160
    windows; docs/sensor-flow.md): velocity prediction over 6 tokens (4-step patches on 24 steps) with uniform flow
    times, patches that overlap half a patch (``overlap``) and Heun's solver, inherited from the shared flow config.
    Training: 2,000 steps, or 100 passes over the recordings where that is more (Sines: 7,032 steps; a panel of 80
    recordings keeps its 2,000). Measured with these defaults (2026-12-04; the LSTM's figures 2026-12-03): Sines
    discriminative 0.007 over 3 fit seeds (LSTM 0.185), basic_motions' 24-step windows 0.017 (LSTM 0.036); on the
    plugin's whole reference
    recordings (benchmarks/sensor_vs_par.py, 2026-12-04, fit seeds 0 and 1) it loses: basic_motions 0.415 / 0.408
    (LSTM 0.081 / 0.112), daphnet 0.392 / 0.353 (LSTM 0.267 / 0.114)."""

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
    description = ("rectified flow over whole recordings, transformer over time patches: the one sensor model that "
                   "keeps long recordings whole (no windows); on many short windows it ties the default (Sines 0.007 vs "
                   "0.008, basic_motions' 24-step windows 0.017 vs 0.016) and it loses on the whole reference recordings "
                   "(basic_motions 0.41 vs 0.07, daphnet 0.35-0.39 vs 0.09) (PyTorch)")
    Config = SensorFlowConfig
    default_dataset = "basic_motions"


class SensorPAR(PARGenerator):
    """SDV PARSynthesizer baseline; the recordings' statics are its context columns."""

    name = "sensor-par"
    domain = "sensor"
    role = "baseline"
    default_dataset = "basic_motions"
    long_recording_window = LONG_RECORDING_WINDOW
