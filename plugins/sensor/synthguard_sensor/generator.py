"""The sensor plugin's own generators: the core's conditional sequence models with a mixture output per step.

``sensor``: the autoregressive LSTM (the default). ``sensor-vae``: a latent vector per
recording decoded into every step's state at once, each reading drawn given its last few
readings; nothing recurrent is trained, so it fits several times faster (README's benchmark).
The models and their training live in the ``synthguard-sequence`` library (:mod:`synthguard_sequence`, shared
with the traffic plugin); sensor recordings use them as they are: every channel is generated, conditioned on
the recording's static attributes (activity, device type...).
"""

from __future__ import annotations

from synthguard_sequence import (LatentSequenceConfig, LatentSequenceGenerator, MixtureSequenceConfig,
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


class SensorVAEConfig(LatentSequenceConfig):
    """Defaults chosen on BasicMotions only (the other datasets are for checking, not tuning)."""


class SensorVAE(LatentSequenceGenerator):
    """Multivariate sensor recordings from a latent per recording and a short autoregressive memory."""

    name = "sensor-vae"
    domain = "sensor"
    role = "alternative"
    description = ("conditional VAE: a latent per recording decoded by convolutions into every step's state, "
                   "each reading drawn from a Gaussian mixture given that state and its last readings (PyTorch)")
    Config = SensorVAEConfig
    default_dataset = "basic_motions"


class SensorPAR(PARGenerator):
    name = "sensor-par"
    domain = "sensor"
    role = "baseline"
    default_dataset = "basic_motions"
