"""Contract tests a plugin author runs against their own plugin (scikit-learn's ``parametrize_with_checks``).

    from synthguard.testing import parametrize_generator_checks

    @parametrize_generator_checks(MyGenerator, my_small_table, config={"epochs": 2})
    def test_my_generator(check):
        check()

Each check is a small function that raises ``AssertionError`` with a message
saying which part of the contract is broken. ``check_validator`` and
``check_privacy_filter`` do the same for checks, ``check_plugin`` for a plugin
module as a whole.

A plugin's command-line error paths are checked with :func:`synthguard` (the console script, run in the
test's process) and :func:`one_error` (the promise for bad input: exit code 2, one ``error:`` line)::

    from synthguard.testing import one_error, synthguard

    def test_zero_rows_is_one_error_line(monkeypatch, capsys, tmp_path):
        code, out, err = synthguard(monkeypatch, capsys, "generate", "my-gen", "--rows", "0",
                                    "--out", tmp_path / "out")
        one_error(code, err, "rows must be a positive integer")
        assert not (tmp_path / "out").exists()
"""

from __future__ import annotations

import sys
import tempfile
from functools import partial
from typing import Any, Callable, Mapping

import numpy as np
from pydantic import ValidationError

from .contract import ROLES, Check, CheckContext, Generator, PrivacyFilter, Validator, Verdict
from .data import Records
from .engine import Engine
from .errors import ConfigError
from .hookspecs import hookimpl


class _OneGenerator:
    """A throwaway plugin registering one generator class (so bundles can be loaded in isolation)."""

    def __init__(self, cls: type[Generator]):
        self.cls = cls
        self.__name__ = f"testing:{cls.name}"

    @hookimpl
    def register_generators(self, register):
        register(self.cls)


def _fit(cls: type[Generator], data: Records, config: Mapping[str, Any], seed: int = 0) -> Generator:
    return cls(dict(config)).fit(data, seed=seed, device="cpu")


def _same(a: Records, b: Records) -> bool:
    return len(a) == len(b) and np.array_equal(a.record_hashes(), b.record_hashes())


def check_declares_contract(cls: type[Generator], data: Records, config: Mapping[str, Any]) -> None:
    assert isinstance(getattr(cls, "name", None), str) and cls.name, "generator needs a non-empty class attribute 'name'"
    assert cls.modality in ("table", "sequence", "image"), f"modality {cls.modality!r} is not table/sequence/image"
    assert data.modality == cls.modality, f"test data is {data.modality}, generator fits {cls.modality}"
    assert cls.role in ROLES, f"role {cls.role!r} is not one of {ROLES}"
    assert isinstance(cls.description, str) and cls.description.strip(), "generator needs a one-line 'description'"
    for field, info in cls.Config.model_fields.items():
        assert info.default is not None or not info.is_required(), f"config field {field!r} needs a default"
    if cls.privacy_remedy is not None:  # a refusal tells users to type these settings: they must be valid ones
        settings, measured = cls.privacy_remedy
        assert isinstance(measured, str) and measured.strip(), "privacy_remedy needs what was measured, as text"
        try:
            cls.Config(**{**config, **settings})
        except ValidationError as err:
            raise AssertionError(f"privacy_remedy {settings} is not a valid config: {err}") from None


def check_init_only_stores_config(cls: type[Generator], data: Records, config: Mapping[str, Any]) -> None:
    gen = cls(dict(config))
    assert not gen.is_fitted, "a new generator must not look fitted (fitted state ends in '_' and is set by fit)"
    assert isinstance(gen.config, cls.Config), "generator.config must be an instance of its Config class"
    try:
        gen.config.epochs = 999  # type: ignore[misc]
    except (ValidationError, TypeError, AttributeError):
        pass
    else:
        raise AssertionError("generator config must be frozen (model_config frozen=True)")


def check_unknown_option_rejected(cls: type[Generator], data: Records, config: Mapping[str, Any]) -> None:
    try:
        cls({**config, "no_such_option_xyz": 1})
    except ConfigError:
        return
    raise AssertionError("an unknown config option must raise synthguard.ConfigError (extra='forbid')")


def check_sample_before_fit_fails(cls: type[Generator], data: Records, config: Mapping[str, Any]) -> None:
    try:
        cls(dict(config)).sample(3)
    except ConfigError:
        return
    raise AssertionError("sample() before fit() must raise synthguard.ConfigError")


def check_fit_returns_self_and_samples(cls: type[Generator], data: Records, config: Mapping[str, Any]) -> None:
    gen = cls(dict(config))
    assert gen.fit(data, seed=0, device="cpu") is gen, "fit() must return self"
    out = gen.sample(7, seed=0)
    assert isinstance(out, Records) and out.modality == cls.modality, "sample() must return a container of its modality"
    assert len(out) == 7, f"sample(7) returned {len(out)} records"
    assert type(out.meta) is type(data.meta), "samples must carry the training data's metadata type"


def check_seed_reproducible(cls: type[Generator], data: Records, config: Mapping[str, Any]) -> None:
    a = _fit(cls, data, config, seed=3).sample(20, seed=5)
    b = _fit(cls, data, config, seed=3).sample(20, seed=5)
    assert _same(a, b), "same fit seed and sample seed must give identical records"


def check_sample_seed_matters(cls: type[Generator], data: Records, config: Mapping[str, Any]) -> None:
    gen = _fit(cls, data, config)
    assert not _same(gen.sample(20, seed=1), gen.sample(20, seed=2)), "different sample seeds gave identical records"


def check_save_load_roundtrip(cls: type[Generator], data: Records, config: Mapping[str, Any]) -> None:
    if not cls.supports_save:
        return
    gen = _fit(cls, data, config)
    engine = Engine(plugins=[_OneGenerator(cls)], load_entrypoints=False)
    with tempfile.TemporaryDirectory() as tmp:
        gen.save(f"{tmp}/bundle")
        loaded = engine.load(f"{tmp}/bundle")
    assert type(loaded) is cls, "loading a bundle must give the same generator class"
    assert _same(gen.sample(15, seed=9), loaded.sample(15, seed=9)), "a loaded bundle must sample what the saved model sampled"


GENERATOR_CHECKS: list[Callable[..., None]] = [
    check_declares_contract,
    check_init_only_stores_config,
    check_unknown_option_rejected,
    check_sample_before_fit_fails,
    check_fit_returns_self_and_samples,
    check_seed_reproducible,
    check_sample_seed_matters,
    check_save_load_roundtrip,
]


def generator_checks(cls: type[Generator], data: Records, config: Mapping[str, Any] | None = None):
    """``(check name, zero-argument callable)`` pairs for one generator class."""
    return [(c.__name__, partial(c, cls, data, dict(config or {}))) for c in GENERATOR_CHECKS]


def parametrize_generator_checks(cls: type[Generator], data: Records, config: Mapping[str, Any] | None = None):
    """A ``pytest.mark.parametrize`` over every generator check; the test receives ``check``."""
    import pytest

    pairs = generator_checks(cls, data, config)
    return pytest.mark.parametrize("check", [p[1] for p in pairs], ids=[f"{cls.name}-{p[0]}" for p in pairs])


def installed_generator_checks(engine: Engine | None = None, records: int = 60):
    """``pytest.param``s of every generator check for every generator installed plugins register.

    Each generator is trained with its ``smoke_config`` on the first ``records`` records of its
    default dataset: no generator can skip the contract.
    """
    import pytest

    engine = engine or Engine()
    params, loaded = [], {}
    for name, entry in sorted(engine.registry.generators.items()):
        cls = entry.obj
        if cls.default_dataset is None:
            params.append(pytest.param(None, id=f"{name}-no-default-dataset",
                                       marks=pytest.mark.skip(reason=f"{name} names no default dataset to test on")))
            continue
        if cls.default_dataset not in loaded:
            full = engine.dataset(cls.default_dataset).load()
            loaded[cls.default_dataset] = full.take(np.arange(min(records, len(full))))
        data = loaded[cls.default_dataset]
        params += [pytest.param(check, id=f"{name}-{label}") for label, check in
                   generator_checks(cls, data, cls.smoke_config)]
    return params


def check_generator(cls: type[Generator], data: Records, config: Mapping[str, Any] | None = None) -> None:
    """Run every generator check; the first broken one raises."""
    for _, check in generator_checks(cls, data, config):
        check()


def check_check(cls: type[Check], records: Records, context: CheckContext) -> Verdict:
    """A validator or privacy filter: named, returns one reason (str or None) per record, leaves input alone."""
    assert issubclass(cls, (Validator, PrivacyFilter)), "register subclasses of synthguard.Validator / PrivacyFilter"
    assert isinstance(getattr(cls, "name", None), str) and cls.name, "a check needs a non-empty 'name'"
    before = records.record_hashes().copy()
    check = cls()
    check.prepare(context)
    verdict = check.check(records, context)
    assert isinstance(verdict, Verdict), f"{cls.name}.check must return a synthguard.Verdict"
    assert len(verdict) == len(records), f"{cls.name} returned {len(verdict)} reasons for {len(records)} records"
    assert all(r is None or (isinstance(r, str) and r) for r in verdict.reasons), \
        f"{cls.name}: every reason must be None (keep) or a non-empty string"
    assert np.array_equal(before, records.record_hashes()), f"{cls.name} modified the records it checked"
    assert isinstance(check.summary(), dict), f"{cls.name}.summary() must return a dict"
    return verdict


check_validator = check_check
check_privacy_filter = check_check


def check_plugin(module: object) -> Engine:
    """The plugin loads beside the built-ins, implements only known hooks, registers valid things."""
    engine = Engine(plugins=[module], load_entrypoints=False)
    registry = engine.registry  # raises PluginError on any invalid registration
    name = getattr(module, "__name__", repr(module))
    mine = [e for kind in registry.KINDS for e in getattr(registry, kind).values() if e.plugin == name]
    assert mine, f"plugin {name!r} registered nothing"
    return engine


def synthguard(monkeypatch, capsys, *args: object) -> tuple[int, str, str]:
    """``synthguard ARGS`` as the console script runs it, in this process: ``(exit code, stdout, stderr)``.

    ``monkeypatch`` and ``capsys`` are the test's pytest fixtures (``sys.argv`` is set for the call,
    the output captured); each argument is passed as ``str(arg)``, so paths may be given as they are.
    Exit code 0 when the command returned, else the code it exited with (1 for a non-integer exit).
    Running in process makes a matrix of bad inputs take seconds; a subprocess is still the way to
    test the installed entry point itself.
    """
    from .cli import run

    monkeypatch.setattr(sys, "argv", ["synthguard", *map(str, args)])
    try:
        run()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def one_error(code: int, err: str, *expected: str) -> None:
    """Assert what bad input must give: exit code 2 and exactly one stderr line, starting ``error: ``, that
    contains every string in ``expected`` (the thing named and what was expected)."""
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for text in expected:
        assert text in lines[0], lines[0]


__all__ = [
    "GENERATOR_CHECKS", "generator_checks", "parametrize_generator_checks", "installed_generator_checks", "check_generator",
    "check_check", "check_validator", "check_privacy_filter", "check_plugin", "synthguard", "one_error",
]
