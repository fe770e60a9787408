"""Errors a user can act on.

Every error raised for bad input, a bad bundle or a missing plugin is a
:class:`SynthGuardError` whose message is one line naming the thing (file,
column, plugin, field) and what was expected. The CLI prints that line and exits
non-zero; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class SynthGuardError(Exception):
    """Base class: a one-line message meant for the user; the CLI exits with ``exit_code``."""

    exit_code = 2


class DataError(SynthGuardError):
    """The input data cannot be used as given (missing file, empty table, bad column...)."""


class ConfigError(SynthGuardError):
    """An option, condition or rule is malformed or names something that does not exist."""


class PluginError(SynthGuardError):
    """A plugin is unknown, failed to load, or registered something invalid."""


class BundleError(SynthGuardError):
    """A model bundle is missing, corrupt, tampered with, or needs an absent plugin."""


class SamplingError(SynthGuardError):
    """The requested rows could not be delivered within the resampling bound."""


class OutputError(SynthGuardError):
    """The output location cannot be written."""


class ReleaseRefused(SynthGuardError):
    """The privacy audit failed its targets, so nothing was delivered (override: ``--override-audit REASON``)."""

    exit_code = 3
