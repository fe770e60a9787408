"""The sensor plugin's own generator: the core's conditional autoregressive LSTM with a mixture output.

The model and its training live in :mod:`synthguard.models` (shared with the
traffic plugin); sensor recordings use it as is: every channel is generated,
conditioned on the recording's static attributes (activity, device type...).
"""

from __future__ import annotations

from synthguard.models import MixtureSequenceConfig, MixtureSequenceGenerator, PARGenerator


class SensorConfig(MixtureSequenceConfig):
    """Defaults chosen on BasicMotions only (the other datasets are for checking, not tuning)."""


class SensorGenerator(MixtureSequenceGenerator):
    """Multivariate sensor recordings, conditional on static attributes (activity, device...)."""

    name = "sensor"
    domain = "sensor"
    description = "conditional autoregressive LSTM with a Gaussian-mixture output per step (PyTorch)"
    Config = SensorConfig
    default_dataset = "basic_motions"


class SensorPAR(PARGenerator):
    name = "sensor-par"
    domain = "sensor"
    default_dataset = "basic_motions"
