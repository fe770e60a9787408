"""SynthGuard traffic plugin: detector series and trip records (see plugin.py for what it registers)."""

__version__ = "0.1.0"
