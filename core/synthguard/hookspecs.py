"""The plugin contract: every hook SynthGuard calls, documented.

A plugin is a module with functions decorated by :data:`synthguard.hookimpl`
whose names are the hooks below, registered through the ``synthguard``
entry-point group::

    [project.entry-points.synthguard]
    synthguard-mything = "synthguard_mything.plugin"

Every hook receives a ``register`` callback (the ``llm``/datasette pattern): a
plugin calls ``register(obj)`` once per thing it adds. New options go into what
``register`` accepts, so hook signatures never have to change. A hook
implementation may take fewer arguments than its spec (pluggy), never more.

All registration hooks are called once, when the :class:`~synthguard.Engine`
first needs its registry (lazily, not at import). A registered name that is
already taken raises :class:`~synthguard.errors.PluginError` naming both
plugins.
"""

from __future__ import annotations

from typing import Callable

import pluggy

hookspec = pluggy.HookspecMarker("synthguard")
hookimpl = pluggy.HookimplMarker("synthguard")


@hookspec
def register_generators(register: Callable[[type], None]) -> None:
    """Register generator classes.

    Called once per engine, when the registry is first built.

    :param register: call ``register(GeneratorSubclass)`` for each generator.
        The class must subclass :class:`synthguard.Generator` and set ``name``
        (unique across all plugins), ``modality`` and ``Config``.
    :return: nothing; results are ignored.

    .. versionadded:: 0.1
    """


@hookspec
def register_validators(register: Callable[[type], None]) -> None:
    """Register validators: plausibility and safety checks on synthetic records.

    Called once per engine, when the registry is first built. During a run the
    pipeline instantiates every validator whose ``applies_to(modality, domain)``
    is true and is not disabled by the user, calls ``prepare(context)`` once and
    ``check(records, context)`` on each sampled batch.

    :param register: call ``register(ValidatorSubclass)`` for each validator
        (a subclass of :class:`synthguard.Validator` with a unique ``name``).
    :return: nothing.

    .. versionadded:: 0.1
    """


@hookspec
def register_privacy_filters(register: Callable[[type], None]) -> None:
    """Register privacy filters: checks that reject records leaking real ones.

    Called once per engine, when the registry is first built. Filters run after
    the validators, on the records the validators kept, with the training data's
    record hashes (and the training data itself when it is at hand) in the
    :class:`~synthguard.CheckContext`. Every rejection is written out with the
    filter's name and reason and counted in ``report.json["privacy"]``.

    :param register: call ``register(PrivacyFilterSubclass)`` for each filter
        (a subclass of :class:`synthguard.PrivacyFilter` with a unique ``name``).
    :return: nothing.

    .. versionadded:: 0.1
    """


@hookspec
def register_datasets(register: Callable[[object], None]) -> None:
    """Register real reference datasets shipped with the plugin.

    Called once per engine, when the registry is first built. Loading happens
    only when a dataset is used, through ``Dataset.load()``, offline.

    :param register: call ``register(synthguard.Dataset(...))`` for each dataset;
        ``name`` must be unique across plugins. ``pretrained`` may map generator
        names to bundle directories trained on this dataset.
    :return: nothing.

    .. versionadded:: 0.1
    """


@hookspec
def register_metrics(register: Callable[[type], None]) -> None:
    """Register fidelity/utility metrics computed for the report.

    Called once per engine, when the registry is first built. A metric runs after
    sampling whenever the real data is at hand and ``applies_to(modality, domain)``
    is true; its ``compute(real, synthetic, context)`` dict (``context`` is a
    :class:`~synthguard.MetricContext` with the holdout split and target) lands in
    ``report.json["metrics"][name]``; its ``"figures"`` (plotly figure dicts) are
    drawn in ``report.html``. A metric that raises is reported as an error
    entry; it never fails the run.

    :param register: call ``register(MetricSubclass)`` (a subclass of
        :class:`synthguard.Metric` with a unique ``name``).
    :return: nothing.

    .. versionadded:: 0.1
    """


@hookspec
def register_distances(register: Callable[[type], None]) -> None:
    """Register record distances used by the privacy gate and audit.

    Called once per engine, when the registry is first built. For each run the
    engine picks one distance for the generator's modality and domain: a
    distance whose ``domains`` names the domain beats a generic one (core ships
    generic distances for tables, sequences and images). Near-copy and NNDR
    filters, the DCR share and the membership-inference attacks all use it.

    :param register: call ``register(DistanceSubclass)`` (a subclass of
        :class:`synthguard.Distance` with a unique ``name``, ``modalities``,
        ``metric`` "l1" or "l2", and ``fit``/``embed``).
    :return: nothing.

    .. versionadded:: 0.2
    """


@hookspec
def register_writers(register: Callable[[type], None]) -> None:
    """Register output writers: extra files for the records a run delivers (PNG, DICOM...).

    Called once per engine, when the registry is first built. When a run saves
    its output, every writer whose ``applies_to(modality, domain)`` is true is
    instantiated with no arguments and its ``write(records, directory, context)``
    is called with the delivered records (all passed every check), the
    temporary output directory (renamed into place only when everything
    succeeded, so a writer that raises leaves no output) and the run's
    :class:`~synthguard.CheckContext`. It returns the relative paths it wrote;
    ``report.json["files"]["writers"]`` lists them by writer name. The core
    always writes ``synthetic.*``, ``rejected.*`` and the reports itself.

    :param register: call ``register(WriterSubclass)`` (a subclass of
        :class:`synthguard.Writer` with a unique ``name``).
    :return: nothing.

    .. versionadded:: 0.2
    """



@hookspec
def register_downstream_tasks(register: Callable[[type], None]) -> None:
    """Register downstream tasks: the model ``synthguard augment`` trains to measure whether synthetic data helps.

    Called once per engine, when the registry is first built. ``augment`` picks one task for the data's
    modality and the generator's domain (a task whose ``domains`` names the domain beats a generic one; the
    core registers :class:`~synthguard.augment_tasks.TableTask` for tables). It calls ``labels(records, target)``
    and ``fit_predict(train, holdout, target, seed)`` for each arm (real only, real + synthetic at each ratio,
    synthetic only) of each regime, and scores every arm on the same real holdout with bootstrap intervals
    (:mod:`synthguard.quality.augmentation`).

    :param register: call ``register(DownstreamTaskSubclass)`` (a subclass of
        :class:`synthguard.augment_tasks.DownstreamTask` with a unique ``name``, ``modalities``, ``domains``,
        ``kind``, ``labels`` and ``fit_predict``).
    :return: nothing.

    .. versionadded:: 0.3
    """

__all__ = ["hookimpl", "hookspec", "register_generators", "register_validators", "register_privacy_filters",
           "register_datasets", "register_metrics", "register_distances", "register_writers", "register_downstream_tasks"]
