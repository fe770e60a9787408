"""Shared PyTorch building blocks: device choice, seeding, the training loop, DP-SGD training, and the
sequence models the sequence plugins build on (a conditional autoregressive LSTM with a mixture output per step,
and a conditional VAE whose decoder draws each step from a mixture given its last readings)."""

from .device import native_bfloat16, resolve_device
from .dp import DPSettings, default_delta, train_dp
from .optim import AdamW
from .seeding import seed_everything, torch_generator
from .sequence_encoding import SequenceEncoder
from .sequence_latent import SequenceLatentMixture
from .sequence_mixture import SequenceMixtureLSTM
from .training import TrainingHistory, train_loop

__all__ = ["AdamW", "resolve_device", "native_bfloat16", "seed_everything", "torch_generator", "TrainingHistory", "train_loop",
           "DPSettings", "default_delta", "train_dp", "SequenceEncoder", "SequenceMixtureLSTM",
           "SequenceLatentMixture", "MixtureSequenceConfig", "MixtureSequenceGenerator", "LatentSequenceConfig",
           "LatentSequenceGenerator", "PARGenerator", "GaussianCopulaGenerator"]


def __getattr__(name: str):
    # the generators build on synthguard.generator, which imports this package: load them on first use
    if name in ("MixtureSequenceConfig", "MixtureSequenceGenerator", "LatentSequenceConfig", "LatentSequenceGenerator"):
        from . import sequence_generator
        return getattr(sequence_generator, name)
    if name == "PARGenerator":
        from .par import PARGenerator
        return PARGenerator
    if name == "GaussianCopulaGenerator":
        from .gaussian_copula import GaussianCopulaGenerator
        return GaussianCopulaGenerator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
