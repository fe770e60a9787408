"""Shared PyTorch building blocks: device choice, seeding, the training loop, DP-SGD training."""

from .device import resolve_device
from .dp import DPSettings, default_delta, train_dp
from .seeding import seed_everything, torch_generator
from .training import TrainingHistory, train_loop

__all__ = ["resolve_device", "seed_everything", "torch_generator", "TrainingHistory", "train_loop",
           "DPSettings", "default_delta", "train_dp"]
