"""The Engine: installed plugins + the verbs users call (fit, load, sample, generate).

``synthguard.fit`` / ``synthguard.generate`` / ... use one default Engine built
lazily on first use; tests and applications can build their own with chosen
plugins (``Engine(plugins=[my_module], load_entrypoints=False)``).
"""

from __future__ import annotations

import time
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd

from . import pipeline
from .bundle import load_bundle
from .data import Records, Table, TableMeta, holdout_split
from .errors import ConfigError, DataError
from .generator import Generator
from .io.readers import read_table
from .pipeline import Result, RunOptions
from .plugins import Registry, build_registry, make_plugin_manager, plugin_info
from .registry import Dataset

DataLike = pd.DataFrame | Records | str | Path

#: Share of real records ``generate`` keeps away from the generator, and the seed of that split.
HOLDOUT = 0.2
SPLIT_SEED = 0


class Engine:
    """Plugins, registry and the pipeline's entry points."""

    def __init__(self, plugins: Iterable[object] = (), load_entrypoints: bool = True):
        self._extra_plugins = list(plugins)
        self._load_entrypoints = load_entrypoints

    @cached_property
    def plugin_manager(self):
        return make_plugin_manager(self._extra_plugins, self._load_entrypoints)

    @cached_property
    def registry(self) -> Registry:
        return build_registry(self.plugin_manager)

    def plugins(self) -> list[dict[str, Any]]:
        """Installed plugins and what each registered (``synthguard plugins --json``)."""
        return plugin_info(self.plugin_manager, self.registry)

    # ------------------------------------------------------------------ lookup

    def generator(self, name: str, config: Mapping[str, Any] | None = None, **params: Any) -> Generator:
        """A new, unfitted generator by registry name."""
        cls = self.registry.get("generators", name)
        return cls(config, **params)

    def dataset(self, name: str) -> Dataset:
        return self.registry.get("datasets", name)

    def to_records(self, data: DataLike, name: str = "table") -> Records:
        """Accept a DataFrame, a container or a file path; return a validated container."""
        if isinstance(data, Records):
            return data
        if isinstance(data, (str, Path)):
            path = Path(data)
            return Table.from_frame(read_table(path), name=path.name.split(".")[0] or name)
        if isinstance(data, pd.DataFrame):
            return Table.from_frame(data, name=name)
        raise DataError(f"data of type {type(data).__name__}: expected a DataFrame, a file path or a synthguard container")

    def _generator_class(self, generator: str | Generator | type[Generator]) -> type[Generator]:
        if isinstance(generator, Generator):
            return type(generator)
        if isinstance(generator, type) and issubclass(generator, Generator):
            return generator
        return self.registry.get("generators", generator)

    def _resolve_source(self, generator: str | Generator, data: DataLike | None, dataset: str | None) -> tuple[Records, dict]:
        if data is not None and dataset is not None:
            raise ConfigError("give either data or dataset, not both")
        if data is None:
            cls = self._generator_class(generator)
            dataset = dataset or cls.default_dataset
            if dataset is None:
                raise ConfigError(f"generator {cls.name!r} has no default dataset: pass data=... (--data) or dataset=... (--dataset)")
            ds = self.dataset(dataset)
            return ds.load(), {"source": f"dataset:{ds.name}", "dataset": ds.name, "licence": ds.licence}
        records = self.to_records(data)
        source = f"file:{Path(data).name}" if isinstance(data, (str, Path)) else f"{type(data).__name__}"
        return records, {"source": source}

    # ------------------------------------------------------------------ verbs

    def fit(self, generator: str | Generator, data: DataLike | None = None, *, dataset: str | None = None,
            seed: int = 0, device: str = "auto", epochs: int | None = None, progress: bool = False,
            config: Mapping[str, Any] | None = None) -> Generator:
        """Fit a generator (by name or instance) on ``data`` or a reference ``dataset``. Returns the fitted generator."""
        model = generator if isinstance(generator, Generator) else self.generator(
            generator, config, **({"epochs": epochs} if epochs is not None else {}))
        records, source = self._resolve_source(model, data, dataset)
        model.fit(records, seed=seed, device=device, progress=progress)
        model.fit_info_["source"] = source
        return model

    def load(self, path: str | Path) -> Generator:
        """Load a verified bundle written by ``fit``/``save``."""
        return load_bundle(path, self)

    def sample(self, model: Generator | str | Path, rows: int, *, seed: int = 0,
               conditions: Mapping[str, Any] | None = None, reference: DataLike | None = None,
               holdout: DataLike | None = None, target: str | None = None,
               options: RunOptions | Mapping[str, Any] | None = None, out: str | Path | None = None,
               fmt: str = "parquet", overwrite: bool = False, _lineage: dict | None = None) -> Result:
        """Sample ``rows`` checked records from a fitted model (or a bundle path); write to ``out`` if given."""
        if isinstance(model, (str, Path)):
            model = self.load(model)
        options = _options(options)
        ref = self.to_records(reference) if reference is not None else None
        hold = self.to_records(holdout) if holdout is not None else None
        if target is not None and isinstance(model.meta_, TableMeta):
            model.meta_.column(target)  # names an unknown target column
        modality, domain = model.modality, model.domain
        unknown = set(options.disable) - set(self.registry.validators)
        if unknown:
            raise ConfigError(f"cannot disable unknown validator(s) {sorted(unknown)}: expected names from 'synthguard plugins'")

        def active(kind: str, skip: Iterable[str] = ()) -> list:
            made = (e.obj() for name, e in getattr(self.registry, kind).items() if name not in skip)
            return [obj for obj in made if obj.applies_to(modality, domain)]

        validators = active("validators", options.disable)
        filters, metrics = active("privacy_filters"), active("metrics")
        lineage = {"fit_seconds": None, **(_lineage or {})}
        return pipeline.run(model, rows, validators=validators, privacy_filters=filters, metrics=metrics, seed=seed,
                            conditions=conditions, reference=ref, holdout=hold, target=target, options=options,
                            out=out, fmt=fmt, overwrite=overwrite, lineage=lineage)

    def generate(self, generator: str, rows: int, *, data: DataLike | None = None, dataset: str | None = None,
                 seed: int = 0, device: str = "auto", epochs: int | None = None,
                 conditions: Mapping[str, Any] | None = None, options: RunOptions | Mapping[str, Any] | None = None,
                 config: Mapping[str, Any] | None = None, out: str | Path | None = None, fmt: str = "parquet",
                 overwrite: bool = False, progress: bool = False, save_model: str | Path | None = None,
                 holdout: float = HOLDOUT, target: str | None = None) -> Result:
        """The main job: hold out real records, fit (or use the pretrained bundle), sample, gate, report.

        ``holdout`` of the real records (seeded split, seed 0) are never shown to the
        generator; metrics and privacy measurements compare against them. A
        pretrained bundle is used only when the user asked for nothing it was not
        trained with (no ``data``, ``epochs`` or ``config``) and it was trained on
        exactly this training split (checked by fingerprint).
        """
        if not isinstance(rows, int) or isinstance(rows, bool) or rows <= 0:
            raise ConfigError(f"rows must be a positive integer: got {rows!r}")
        from .io.atomic import check_writable_target

        for target_dir in (out, save_model):  # fail before any training
            if target_dir is not None:
                check_writable_target(target_dir, overwrite)
        cls = self.registry.get("generators", generator)
        records, source = self._resolve_source(cls, data, dataset)
        train, hold = holdout_split(records, holdout, seed=SPLIT_SEED)
        split = {"fraction": holdout, "seed": SPLIT_SEED, "holdout_records": len(hold) if hold is not None else 0}
        if data is None:
            target = target or self.dataset(source["dataset"]).target
        lineage: dict[str, Any] = {"data_source": source, "holdout": split}
        model = None
        if data is None and epochs is None and not config:
            bundle = self.dataset(source["dataset"]).pretrained.get(generator)
            if bundle is not None:
                model = self.load(bundle)
                if model.fit_info_.get("data_fingerprint") != train.fingerprint():
                    lineage["pretrained_skipped"] = "bundle was trained on other records than this training split"
                    model = None
        if model is not None:
            lineage.update(pretrained=True, fit_seconds=None, pretrained_fit_seconds=model.fit_info_.get("seconds"))
        else:
            start = time.perf_counter()
            model = self.fit(generator, train, seed=seed, device=device, epochs=epochs, progress=progress, config=config)
            model.fit_info_["source"] = source
            model.fit_info_["holdout"] = split
            lineage.update(pretrained=False, fit_seconds=round(time.perf_counter() - start, 3))
            if save_model is not None:
                model.bundle_sha256_ = model.save(save_model)
            elif model.supports_save:
                from .bundle import serialize

                model.bundle_sha256_ = serialize(model)[1]["bundle_sha256"]  # same hash a saved bundle would get
        return self.sample(model, rows, seed=seed, conditions=conditions, reference=train, holdout=hold,
                           target=target, options=options, out=out, fmt=fmt, overwrite=overwrite, _lineage=lineage)


def _options(options: RunOptions | Mapping[str, Any] | None) -> RunOptions:
    if options is None or isinstance(options, RunOptions):
        return options or RunOptions()
    from pydantic import ValidationError

    from .generator import config_error

    try:
        return RunOptions(**options)
    except ValidationError as err:
        raise config_error("run options", err) from None


_default: Engine | None = None


def default_engine() -> Engine:
    """The process-wide engine used by the module-level functions (built on first use)."""
    global _default
    if _default is None:
        _default = Engine()
    return _default
