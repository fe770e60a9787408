"""Shared PyTorch building blocks: device choice, seeding, CPU threads, the training loop, a moving average of the
weights, DP-SGD training, AdamW.
Peers' methods that plugins subclass as baselines live in :mod:`synthguard.baselines`; sequence models live in the ``synthguard-sequence``
library (``plugins/sequence``), which the sensor and traffic plugins build on."""

from .average import WeightAverage, without_average
from .device import native_bfloat16, resolve_device
from .dp import DPSettings, default_delta, train_dp
from .optim import AdamW, one_cycle
from .seeding import seed_everything, torch_generator
from .threads import one_thread, torch_threads
from .training import TrainingHistory, train_loop, updates_per_epoch

__all__ = ["AdamW", "one_cycle", "resolve_device", "native_bfloat16", "seed_everything", "torch_generator", "torch_threads",
           "one_thread", "TrainingHistory", "train_loop", "updates_per_epoch",
           "DPSettings", "default_delta", "train_dp", "WeightAverage", "without_average"]

