"""Shared PyTorch building blocks: device choice, seeding, the training loop, DP-SGD training, AdamW, and the
SDV GaussianCopula base the table baselines subclass. Sequence models live in the ``synthguard-sequence``
library (``plugins/sequence``), which the sensor and traffic plugins build on."""

from .device import native_bfloat16, resolve_device
from .dp import DPSettings, default_delta, train_dp
from .optim import AdamW
from .seeding import seed_everything, torch_generator
from .training import TrainingHistory, train_loop

__all__ = ["AdamW", "resolve_device", "native_bfloat16", "seed_everything", "torch_generator", "TrainingHistory", "train_loop",
           "DPSettings", "default_delta", "train_dp", "GaussianCopulaGenerator"]


def __getattr__(name: str):
    # GaussianCopulaGenerator subclasses synthguard.contract.Generator, and synthguard.contract imports this package
    # at its top (resolve_device, seed_everything): importing it here eagerly would need a finished contract module.
    # Goes once synthguard.contract imports those two where it calls them.
    if name == "GaussianCopulaGenerator":
        from .gaussian_copula import GaussianCopulaGenerator
        return GaussianCopulaGenerator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
