"""SynthGuard finance plugin: credit and loan tables."""

from .generator import FinanceConfig, FinanceGenerator, FinanceVAE, FinanceVAEConfig

__all__ = ["FinanceGenerator", "FinanceConfig", "FinanceVAE", "FinanceVAEConfig"]
