"""synthguard-sensor: multivariate sensor recordings for SynthGuard (generator, safety checks, reference data)."""

from .generator import SensorConfig, SensorGenerator

__all__ = ["SensorGenerator", "SensorConfig"]
