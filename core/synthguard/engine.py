"""The Engine: installed plugins + the verbs users call (fit, load, sample, generate, audit, evaluate).

The engine resolves names (a generator, a domain's default, a dataset), reads data into containers and
fits models; a run's steps after that live in :class:`synthguard.pipeline.Run`.

``synthguard.fit`` / ``synthguard.generate`` / ... use one default Engine built
lazily on first use; tests and applications can build their own with chosen
plugins (``Engine(plugins=[my_module], load_entrypoints=False)``).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from . import lineage, log_progress
from .bundle import load_bundle
from .contract import Dataset, Generator, validated
from .data import ROW_ENTITIES, Records, SequenceSet, Table, holdout_split
from .errors import ConfigError, DataError, PluginError
from .io.database import Database, as_source
from .io.images import ImageFormat, read_images
from .io.readers import read_sequences, read_table
from .io.sampled import SampledSource
from .pipeline import HOLDOUT, SPLIT_SEED, FitRequest, Run, RunOptions, RunSpec, check_seed
from .plugins import make_plugin_manager, plugin_info
from .registry import Registry, build_registry
from .result import Result
from .sequences import SequenceFormat, from_long_frame, window_long_recordings

DataLike = pd.DataFrame | Records | Database | SampledSource | str | Path


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
        """A new, unfitted generator by registry name (or a domain's name: its default generator, or with
        ``epsilon`` in ``config`` its ``"dp"`` generator when it has one)."""
        cls = self.registry.generator(name, dp=_wants_dp(config))
        return cls(config, **params)

    def active(self, kind: str, modality: str, domain: str | None, skip: Iterable[str] = ()) -> list:
        """A fresh instance of every registered validator / privacy filter / metric / writer that applies."""
        made = (e.obj() for name, e in getattr(self.registry, kind).items() if name not in skip)
        return [obj for obj in made if obj.applies_to(modality, domain)]

    def dataset(self, name: str) -> Dataset:
        return self.registry.get("datasets", name)

    def to_records(self, data: DataLike, name: str = "table", *, modality: str | None = None,
                   sequence_format: SequenceFormat | Mapping[str, Any] | None = None,
                   image_format: ImageFormat | Mapping[str, Any] | None = None) -> Records:
        """Accept a DataFrame, a container or a file path; return a validated container.

        ``modality="sequence"`` reads a long-format log (or an NPZ, which is always
        sequences) as a :class:`SequenceSet` following ``sequence_format``; ``modality="image"`` (or any
        directory) reads a folder of DICOM/PNG/JPEG files or an NPZ as an :class:`ImageSet` following
        ``image_format`` (size, channels, labels CSV).
        """
        return self._read(data, name, modality, sequence_format, image_format)[0]

    def _read(self, data: DataLike, name: str, modality: str | None,
              sequence_format: SequenceFormat | Mapping[str, Any] | None,
              image_format: ImageFormat | Mapping[str, Any] | None = None) -> tuple[Records, dict]:
        if isinstance(data, Records):
            return data, {}
        data = as_source(data)  # a database URL names its table or query: Database(url, table=...)
        if isinstance(data, SampledSource):  # a table too big for memory: a uniform sample of it, streamed
            if isinstance(data.source, Database):  # a file's name is not kept, as on a whole read
                name = data.source.name
            data = data.read(entity=_sample_entity(modality, sequence_format))
        if isinstance(data, Database):
            data, name = data.read(), data.name
        if isinstance(data, (str, Path)) and Path(data).is_dir() and modality not in (None, "image"):
            raise DataError(f"data {str(data)!r} is a folder: a {modality} generator reads {READS[modality]}")
        if isinstance(data, (str, Path)) and (modality == "image" or Path(data).is_dir()):
            if isinstance(sequence_format, Mapping) and sequence_format.get("entity"):  # --entity-column: the patient
                image_format = {**(dict(image_format or {})), "entity": sequence_format["entity"]}
            return read_images(data, validated(ImageFormat, image_format, "image format"))
        is_npz = isinstance(data, (str, Path)) and str(data).lower().endswith(".npz")
        if modality == "sequence" or is_npz:
            fmt = _sequence_format(sequence_format)
            if isinstance(data, pd.DataFrame):
                return from_long_frame(data, fmt)
            if isinstance(data, (str, Path)):
                return read_sequences(data, fmt)
        elif isinstance(data, (str, Path)):
            path = Path(data)  # errors while reading name the file; what is kept is named `name` (lineage.py)
            table = Table.from_frame(read_table(path), name=path.name.split(".")[0] or name)
            return _with_entities(Table(table.frame, table.meta.model_copy(update={"name": name})),
                                  sequence_format), {}
        elif isinstance(data, pd.DataFrame):
            return _with_entities(Table.from_frame(data, name=name), sequence_format), {}
        raise DataError(f"data of type {type(data).__name__}: expected a DataFrame, a file path or a synthguard container")

    def _generator_class(self, generator: str | Generator | type[Generator]) -> type[Generator]:
        if isinstance(generator, Generator):
            return type(generator)
        if isinstance(generator, type) and issubclass(generator, Generator):
            return generator
        return self.registry.generator(generator)

    def _resolve_source(self, generator: str | Generator, data: DataLike | None, dataset: str | None,
                        sequence_format: SequenceFormat | Mapping[str, Any] | None = None,
                        image_format: ImageFormat | Mapping[str, Any] | None = None) -> tuple[Records, dict]:
        if data is not None and dataset is not None:
            raise ConfigError("give either data or dataset, not both")
        if data is None:
            cls = self._generator_class(generator)
            dataset = dataset or cls.default_dataset
            if dataset is None:
                raise ConfigError(f"generator {cls.name!r} has no default dataset: pass data=... (--data) or dataset=... (--dataset)")
            ds = self.dataset(dataset)
            records = ds.load()
            return records, lineage.reference_dataset(ds.name, ds.licence, records)
        data = as_source(data)  # the Database read is the one described (its column kinds)
        cls = self._generator_class(generator)
        records, notes = self._read(data, "table", cls.modality, sequence_format, image_format)
        if records.modality != cls.modality:  # e.g. an NPZ of sequences given to a table generator
            raise DataError(f"the data holds {records.modality} records: generator {cls.name!r} learns from "
                            f"{cls.modality} data, expected {READS[cls.modality]}")
        if isinstance(records, SequenceSet) and cls.long_recording_window and not isinstance(data, Records):
            records, used, cut = window_long_recordings(records, _sequence_format(sequence_format),
                                                        cls.long_recording_window, cls.name)
            if used is not None:  # the windows replace the padding note; sample/explain read them alike
                stale = ("padded", "single_entity")  # notes that told the user to set a window
                notes, sequence_format = {**{k: v for k, v in notes.items() if k not in stale}, **cut}, used
                log_progress.note(cut["windows"])
        how = _read_as(data, records, sequence_format)  # column names only: sample/explain/augment read it alike
        return records, {**lineage.describe(data, records, notes),  # what the data is, never its path or URL
                         **({"read_as": how} if how else {})}

    # ------------------------------------------------------------------ verbs

    def fit(self, generator: str | Generator, data: DataLike | None = None, *, dataset: str | None = None,
            seed: int = 0, device: str = "auto", epochs: int | None = None, progress: bool = False,
            config: Mapping[str, Any] | None = None, resume: str | Path | Generator | None = None,
            sequence_format: SequenceFormat | Mapping[str, Any] | None = None,
            image_format: ImageFormat | Mapping[str, Any] | None = None,
            value_protection: bool = True, holdout: float | None = None) -> Generator:
        """Fit a generator (by name or instance) on ``data`` or a reference ``dataset``. Returns the fitted generator.

        ``holdout``: the share of the records left out of training, split as ``generate`` splits them (default 0.2
        for a new model on a reference dataset, 0 otherwise). :meth:`sample` then measures, gates and audits the
        model's output against that split: a dataset's with no ``reference`` given, your data's when ``reference``
        is the same data (split again and recognised by fingerprint; nothing of it is kept in the model).

        ``resume`` (a bundle path or fitted generator of the same name) continues
        training that model on ``data`` instead of starting afresh; the bundle's
        own config is kept (``epochs`` may change), and ``data`` is read as its training data was unless
        ``sequence_format`` is given. ``value_protection`` (tables, on by default):
        rare categories, extreme values and identifier columns leave the training table first
        (:mod:`synthguard.privacy.value_protection`); DP training does its own and skips it.
        """
        check_seed(seed)
        if resume is not None:
            model = resume if isinstance(resume, Generator) else self.load(resume)
            name = generator.name if isinstance(generator, Generator) else self.registry.generator(generator).name
            if model.name != name:
                raise ConfigError(f"cannot resume generator {name!r} from a {model.name!r} bundle: expected a bundle of {name!r}")
            if config:
                raise ConfigError("--set/config cannot change a resumed model: its bundle's config is kept")
            if epochs is not None:
                model.config = model.Config.model_validate({**model.config.model_dump(), "epochs": epochs})
            sequence_format = read_as(model.fit_info_.get("source"), sequence_format)  # as the bundle's were
        else:
            model = generator if isinstance(generator, Generator) else self.generator(
                generator, config, **({"epochs": epochs} if epochs is not None else {}))
        records, source = self._resolve_source(model, data, dataset, sequence_format, image_format)
        fraction = self._fit_holdout(holdout, source, resume is not None)
        if fraction:  # split as generate splits: sample finds the split again by its fingerprint (split_again)
            records, held = holdout_split(records, fraction, seed=SPLIT_SEED)
        if resume is None and not isinstance(generator, Generator):  # public facts of a reference dataset
            ds = self.dataset(source["dataset"]) if data is None else None
            public = type(model).public_config(config or {}, target=ds.target if ds else None, dataset=ds)
            if public != dict(config or {}):
                model = type(model)(public, **({"epochs": epochs} if epochs is not None else {}))
        model = self._fit(model, records, source, seed=seed, device=device, progress=progress,
                          resume=resume is not None, value_protection=value_protection)
        if fraction:
            model.fit_info_["holdout"] = {"fraction": fraction, "seed": SPLIT_SEED, "holdout_records": len(held)}
        return model

    @staticmethod
    def _fit_holdout(holdout: float | None, source: dict[str, Any], resume: bool) -> float:
        """The share of the records ``fit`` leaves out (0: it trains on every record); see :meth:`fit`."""
        fraction = (HOLDOUT if "dataset" in source and not resume else 0.0) if holdout is None else holdout
        if not 0 <= fraction < 1:
            raise ConfigError(f"holdout fraction {fraction}: expected a number in [0, 1)")  # as RunSpec says it
        if fraction and resume:
            raise ConfigError(f"holdout {fraction:g} with resume: expected 0 (a resumed model trains on the records "
                              "given, as its first training did)")
        return fraction

    def _dataset_split(self, model: Generator) -> tuple[Dataset, Records, Records] | tuple[None, None, None]:
        """The reference dataset ``model`` was trained on (``fit`` with a holdout, ``pretrain``, ``generate
        --save-model``) with its training split and holdout (:func:`split_again`); three Nones otherwise."""
        dataset = (model.fit_info_.get("source") or {}).get("dataset")
        if dataset is None or not (model.fit_info_.get("holdout") or {}).get("fraction"):
            return None, None, None
        try:
            ds = self.dataset(dataset)
        except PluginError:  # a dataset of a plugin not installed here
            return None, None, None
        train, held = split_again(model, ds.load())
        return (ds, train, held) if train is not None else (None, None, None)

    def fit_records(self, generator: str, records: Records, *, source: dict[str, Any], seed: int = 0,
                    device: str = "auto", epochs: int | None = None, progress: bool = False,
                    config: Mapping[str, Any] | None = None, value_protection: bool = True) -> Generator:
        """Fit a new ``generator`` on records already read, recording where they came from (``source``)."""
        model = self.generator(generator, config, **({"epochs": epochs} if epochs is not None else {}))
        return self._fit(model, records, source, seed=seed, device=device, progress=progress,
                         value_protection=value_protection)

    @staticmethod
    def _fit(model: Generator, records: Records, source: dict[str, Any], *, value_protection: bool = True,
             **kwargs: Any) -> Generator:
        protection = None
        if (value_protection and isinstance(records, Table) and not model.protects_values
                and getattr(model.config, "epsilon", None) is None):
            from .privacy.value_protection import protect

            source_fingerprint = records.fingerprint()
            records, protection = protect(records, entities=records.groups(), seed=kwargs.get("seed", 0))
        from .trainings import record, trainings

        earlier = trainings(model.fit_info_) if kwargs.get("resume") else []
        model.fit(records, **kwargs)
        model.fit_info_["source"] = source
        if protection is not None:
            model.fit_info_["value_protection"] = protection
            model.fit_info_["source_fingerprint"] = source_fingerprint  # the real records, before protection
        record(model.fit_info_, earlier)  # every training's data, for the manifest and the audit (trainings.py)
        return model

    def pretrain(self, generator: str, dataset: str, out: str | Path, *, seed: int = 0, device: str = "auto",
                 progress: bool = False) -> tuple[Generator, str]:
        """Fit ``generator`` on the training split of ``dataset`` that ``generate`` makes and save the bundle to ``out``.

        This is how a plugin produces the pretrained bundle it ships (``synthguard pretrain``): the
        holdout stays unseen, and ``generate`` recognises the split by its fingerprint. Returns the
        fitted model and the bundle hash.
        """
        from .bundle import save_bundle

        train, held = holdout_split(self.dataset(dataset).load(), HOLDOUT, seed=SPLIT_SEED)
        model = self.fit_records(generator, train, source={"source": f"dataset:{dataset}", "dataset": dataset},
                                 seed=seed, device=device, progress=progress)
        model.fit_info_["holdout"] = {"fraction": HOLDOUT, "seed": SPLIT_SEED, "holdout_records": len(held)}
        return model, save_bundle(model, out, overwrite=True)

    def load(self, path: str | Path) -> Generator:
        """Load a verified bundle written by ``fit``/``save``."""
        return load_bundle(path, self)

    def sample(self, model: Generator | str | Path, rows: int, *, seed: int = 0,
               conditions: Mapping[str, Any] | None = None, reference: DataLike | list[DataLike] | None = None,
               holdout: DataLike | None = None, target: str | None = None,
               options: RunOptions | Mapping[str, Any] | None = None, out: str | Path | None = None,
               fmt: str = "parquet", overwrite: bool = False,
               sequence_format: SequenceFormat | Mapping[str, Any] | None = None,
               scale: Mapping[str, Any] | None = None, temperature: float | None = None,
               settings: Mapping[str, Any] | None = None) -> Result:
        """Sample ``rows`` checked records from a fitted model (or a bundle path); write to ``out`` if given.

        ``reference`` (the real training data) and ``holdout`` (real records the model never saw) switch on the
        metrics, the near-copy filters and the privacy audit; a resumed model's ``reference`` is a list of every
        training's data (or one table holding them all). Both are read as the model's training data was
        (``--entity-column`` and a sensor log's format, from its lineage) unless ``sequence_format`` says otherwise.
        ``temperature``: sample at it instead of the model's;
        ``settings``: other sampling settings of the generator (``Config.sampling_settings()``, e.g. finance's
        ``order_rows``, imaging's ``sampling_steps``) instead of the model's. Neither changes ``model``.
        """
        spec = RunSpec.of(rows, seed=seed, conditions=conditions, target=target, options=options, out=out, fmt=fmt,
                          overwrite=overwrite, scale=scale, temperature=temperature, sampling=dict(settings or {}))
        if isinstance(model, (str, Path)):
            model = self.load(model)
        # image folders are read at the size and channel count the model was trained on
        img = {"size": model.meta_.shape[-1], "channels": model.meta_.shape[0]} if model.modality == "image" else None
        how = read_as(model.fit_info_.get("source"), sequence_format)  # as its training data was read

        def read(d: DataLike) -> Records:
            return self.to_records(d, modality=model.modality, sequence_format=how, image_format=img)

        ref, hold = None, read(holdout) if holdout is not None else None
        note = None
        if reference is None and holdout is None:  # a reference dataset's split: measured as generate measures it
            ds, ref, hold = self._dataset_split(model)
            if ds is not None:
                note = (f"measured against reference dataset {ds.name!r}: its {len(hold):,} held-out records and the "
                        f"{len(ref):,} the model was trained on")
                spec = _with_declarations(spec, ds)
        if reference is not None:  # every training's records are members, a resumed model's too (trainings.py)
            from .trainings import members

            given = [read(d) for d in (reference if isinstance(reference, (list, tuple)) else [reference])]
            if holdout is None and len(given) == 1:  # the very data fit split: its split again
                ref, hold = split_again(model, given[0])
                if ref is not None:
                    note = (f"--reference is the data the model was fitted on with "
                            f"{model.fit_info_['holdout']['fraction']:.0%} held out: measured against those "
                            f"{len(hold):,} records and the {len(ref):,} it was trained on")
            if ref is None:
                ref = members(model.fit_info_, given)
        run = Run(self, spec, note=note)
        if note is not None:  # the report says which records those are
            run.lineage.update(data_source=model.fit_info_.get("source"), holdout=model.fit_info_["holdout"])
        return run.deliver(model, ref, hold)

    def generate(self, generator: str, rows: int, *, data: DataLike | None = None, dataset: str | None = None,
                 seed: int = 0, device: str = "auto", epochs: int | None = None,
                 conditions: Mapping[str, Any] | None = None, options: RunOptions | Mapping[str, Any] | None = None,
                 config: Mapping[str, Any] | None = None, out: str | Path | None = None, fmt: str = "parquet",
                 overwrite: bool = False, progress: bool = False, save_model: str | Path | None = None,
                 holdout: float = HOLDOUT, target: str | None = None,
                 sequence_format: SequenceFormat | Mapping[str, Any] | None = None,
                 image_format: ImageFormat | Mapping[str, Any] | None = None, value_protection: bool = True,
                 canaries: pd.DataFrame | Table | str | Path | None = None,
                 scale: Mapping[str, Any] | None = None, temperature: float | None = None) -> Result:
        """The main job: hold out real records, fit (or use the pretrained bundle), sample, gate, report.

        ``generator`` is a generator's name or a domain's (its default generator). ``holdout`` of the
        real records (seeded split, seed 0) are never shown to the generator; metrics and privacy
        measurements compare against them. A pretrained bundle is used only when the user asked for
        nothing it was not trained with (no ``data``, ``epochs`` or training setting in ``config``; its sampling
        settings, ``Config.sampling_settings()``, are applied to the bundle) and it was trained on
        exactly this training split (checked by fingerprint). ``canaries`` (tables; a table with an optional
        ``copies`` column) are planted in the training split only, each as one entity, and the audit judges
        whether the output gives them away (:mod:`synthguard.privacy.canaries`); they force training.
        ``temperature`` samples the model (fitted or pretrained: it forces no training) at that temperature.
        """
        spec = RunSpec.of(rows, seed=seed, conditions=conditions, holdout=holdout, target=target, options=options,
                          out=out, fmt=fmt, overwrite=overwrite, scale=scale, temperature=temperature)
        cls = self.registry.generator(generator, dp=_wants_dp(config))
        records, source = self._resolve_source(cls, data, dataset, sequence_format, image_format)
        planted = self._canaries(canaries, records)  # checked before any training
        ds = None
        if data is None:
            ds = self.dataset(source["dataset"])
            spec = _with_declarations(spec, ds)
        config = cls.public_config(config or {}, target=spec.target, dataset=ds) or None
        fit = FitRequest(device=device, epochs=epochs, config=config, progress=progress, save_model=save_model,
                         value_protection=value_protection)
        return Run(self, spec, canaries=planted).generate(cls, records, source, fit)

    def augment(self, generator: str | Path | Generator, *, target: str | None = None, **kwargs: Any) -> Result:
        """Synthetic records to train a better model, and whether they do: see :func:`synthguard.augment.augment`."""
        from .augment import augment

        return augment(self, generator, target=target, **kwargs)

    def distance_for(self, modality: str, domain: str | None = None) -> type:
        """The record distance the gate and audit use for this modality/domain (a domain's own wins)."""
        from .privacy.distance import choose_distance

        return choose_distance([e.obj for e in self.registry.distances.values()], modality, domain)

    def _pair(self, real: DataLike, synthetic: DataLike, holdout: DataLike | None, entity_column: str | None = None
              ) -> tuple[Records, Records, Records | None]:
        """Real, synthetic and holdout records in one schema (the real data's); names what does not fit.

        ``entity_column`` names whose record each real and holdout row is (``--entity-column``; ``@row``: every row a
        different person); a synthetic table's column of that name, made-up ids, is dropped.
        """
        people = {"entity": entity_column} if entity_column else None
        real_r = self.to_records(real, "real", sequence_format=people)
        modality = real_r.modality if real_r.modality in ("sequence", "image") else None
        syn_r = self.to_records(synthetic, "synthetic", modality=modality)
        hold_r = self.to_records(holdout, "holdout", modality=modality, sequence_format=people) \
            if holdout is not None else None
        if isinstance(real_r, Table):
            def align(t: Records, what: str) -> Table:
                if not isinstance(t, Table):
                    raise DataError(f"{what} is {t.modality} data: expected a table like the real data")
                frame = t.frame  # a synthetic table's own id column holds made-up ids: not compared
                if what == "synthetic" and entity_column in frame.columns:
                    frame = frame.drop(columns=entity_column)
                extra = [c for c in frame.columns if c not in real_r.meta.names]
                missing = [c for c in real_r.meta.names if c not in frame.columns]
                if extra or missing:
                    raise DataError(f"{what} columns differ from the real data's: missing {missing}, unexpected {extra}")
                if len(t) == 0:
                    raise DataError(f"{what} is empty: expected at least one record")
                return Table(frame, real_r.meta, t.entities, t.entity_name if t.entities is not None else None)

            syn_r = align(syn_r, "synthetic")
            hold_r = align(hold_r, "holdout") if hold_r is not None else None
        elif syn_r.modality != real_r.modality:
            raise DataError(f"synthetic is {syn_r.modality} data, real is {real_r.modality}: expected the same kind")
        return real_r, syn_r, hold_r

    def audit(self, real: DataLike, synthetic: DataLike, *, holdout: DataLike | None = None, domain: str | None = None,
              seed: int = 0, quasi_identifiers: list[str] | None = None,
              secrets: list[str] | None = None, canaries: pd.DataFrame | Table | str | Path | None = None,
              entity_column: str | None = None) -> dict[str, Any]:
        """Privacy audit of any synthetic data (from any tool) against the real records it was trained on.

        ``holdout`` are real records the generator never saw; without them only
        exact copies and DCR quantiles can be measured (the report says so). ``canaries`` (tables) are
        records planted in ``real`` on purpose (:mod:`synthguard.privacy.canaries`): each is reported as
        copied, nearly copied or exposed, and the release decision judges them. ``entity_column`` names whose
        record each real row is (a customer's loans; ``@row``: every row a different person): the audit then
        scores people, not rows.
        """
        from .privacy.audit import audit as run_audit
        from .privacy.distance import NearestRecords

        check_seed(seed)

        real_r, syn_r, hold_r = self._pair(real, synthetic, holdout, entity_column)
        distance = self.distance_for(real_r.modality, domain)
        if isinstance(real_r, Table):
            for col in [*(quasi_identifiers or []), *(secrets or [])]:
                real_r.meta.column(col)  # names an unknown column
        planted = self._canaries(canaries, real_r)
        out = run_audit(real_r, hold_r, syn_r, distance, seed=seed, quasi_identifiers=quasi_identifiers,
                        secrets=secrets, canaries=planted)
        if "dcr" in out:
            out["synthetic_to_train"] = out["dcr"]["synthetic_to_train"]
        else:  # no holdout: the distance quantiles are all that can be measured
            d = NearestRecords(distance().fit(real_r), real_r).distances(syn_r)
            out["synthetic_to_train"] = {"p5": round(float(np.quantile(d, 0.05)), 5), "median": round(float(np.median(d)), 5)}
        out["records"] = {"real": len(real_r), "synthetic": len(syn_r), "holdout": len(hold_r) if hold_r is not None else 0}
        return out

    @staticmethod
    def _canaries(canaries: pd.DataFrame | Table | str | Path | None, real: Records):
        """Canary records checked against the real table's schema (None: none planted)."""
        if canaries is None:
            return None
        if not isinstance(real, Table):
            raise DataError(f"canaries apply to tables: the real data is {real.modality} data")
        from .privacy.canaries import read_canaries

        return read_canaries(canaries, real.meta)

    def evaluate(self, real: DataLike, synthetic: DataLike, *, holdout: DataLike | None = None, target: str | None = None,
                 domain: str | None = None, seed: int = 0, out: str | Path | None = None,
                 overwrite: bool = False, entity_column: str | None = None) -> dict[str, Any]:
        """Score any real/synthetic pair: every applicable registered metric plus the privacy audit.

        Writes ``report.json`` and ``report.html`` to ``out`` when given (all or nothing). ``entity_column``: as
        :meth:`audit`.
        """
        real_r, syn_r, hold_r = self._pair(real, synthetic, holdout, entity_column)
        spec = RunSpec.of(len(syn_r), seed=seed, target=target, out=out, overwrite=overwrite)
        if target is not None and isinstance(real_r, Table):
            real_r.meta.column(target)
        return Run(self, spec).evaluate(real_r, syn_r, hold_r, domain)


def split_again(model: Generator, records: Records) -> tuple[Records, Records] | tuple[None, None]:
    """``records`` split as the holdout ``model`` records was split (``fit --holdout``, ``pretrain``, ``generate``),
    when its training split is the one ``model`` was trained on (by fingerprint, one training only); two Nones
    otherwise."""
    from .trainings import trainings

    split = model.fit_info_.get("holdout") or {}
    if not split.get("fraction") or len(trainings(model.fit_info_)) > 1:
        return None, None
    try:
        train, held = holdout_split(records, split["fraction"], seed=split.get("seed", SPLIT_SEED))
    except DataError:  # too few records to split so: not the data it was fitted on
        return None, None
    trained_on = model.fit_info_.get("source_fingerprint", model.fit_info_.get("data_fingerprint"))
    return (train, held) if trained_on == train.fingerprint() else (None, None)


def _with_declarations(spec: RunSpec, ds: Dataset) -> RunSpec:
    """``spec`` with what a reference dataset declares where the user named nothing: its outcome column and its
    quasi-identifiers."""
    update: dict[str, Any] = {"target": spec.target or ds.target}
    if not spec.options.quasi_identifiers and ds.quasi_identifiers:
        update["options"] = spec.options.model_copy(update={"quasi_identifiers": list(ds.quasi_identifiers)})
    return spec.model_copy(update=update)


def _sequence_format(fmt: SequenceFormat | Mapping[str, Any] | None) -> SequenceFormat:
    return validated(SequenceFormat, fmt, "sequence format")


#: What a generator of each modality reads, for the error when the data is another kind.
READS = {"table": "a CSV or Parquet file, a DataFrame or a database table (--table/--query)",
         "sequence": "a long-format CSV/Parquet log (--entity-column, --time-column) or an NPZ of recordings",
         "image": "a folder of PNG/DICOM images or an NPZ of images"}


def _read_as(data: Any, records: Records, fmt: SequenceFormat | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """How ``data`` was read into ``records`` (a table's people column, a sensor log's format), or None."""
    if isinstance(data, Records):
        return None
    if isinstance(data, (str, Path)) and str(data).lower().endswith(".npz"):  # arrays: only a window to repeat
        window = _sequence_format(fmt).window
        return {"window": window, "stride": _sequence_format(fmt).stride} if window else None
    if isinstance(records, Table):
        column = _table_entity(fmt)
        return {"entity": column} if column else None
    return _sequence_format(fmt).model_dump() if records.modality == "sequence" else None


def read_as(source: Mapping[str, Any] | None, sequence_format: SequenceFormat | Mapping[str, Any] | None = None) -> Any:
    """``sequence_format`` if given, else how the data a lineage ``source`` describes was read (its ``read_as``; a
    model's is ``fit_info_["source"]``), so real data read again for metrics and the audit has the same records and
    people."""
    if sequence_format is not None:
        return sequence_format
    return (source or {}).get("read_as")


def _sample_entity(modality: str | None, fmt: SequenceFormat | Mapping[str, Any] | None) -> str | None:
    """The column a data sample keeps whole: a sensor log's recordings, a table's ``--entity-column`` people."""
    if modality == "sequence":
        return _sequence_format(fmt).entity
    if modality not in (None, "table"):
        raise ConfigError(f"a data sample (--data-sample) reads tables and sensor logs: this generator reads "
                          f"{modality}s")
    column = _table_entity(fmt)
    return None if column == ROW_ENTITIES else column  # each row its own person: a uniform sample of rows


def _table_entity(fmt: SequenceFormat | Mapping[str, Any] | None) -> str | None:
    """A table's ``--entity-column`` (given as the format's ``entity``), or None."""
    return fmt.get("entity") if isinstance(fmt, Mapping) else None


_default: Engine | None = None


def default_engine() -> Engine:
    """The process-wide engine used by the module-level functions (built on first use)."""
    global _default
    if _default is None:
        _default = Engine()
    return _default


def _with_entities(table: Table, fmt: SequenceFormat | Mapping[str, Any] | None) -> Table:
    """A table whose rows belong to people (``--entity-column``): that column becomes the rows' entity ids."""
    column = _table_entity(fmt)
    return table.with_entities(column) if column else table


def _wants_dp(config: Mapping[str, Any] | None) -> bool:
    """Whether the user asked for differential privacy (``--epsilon``): a domain then resolves to its "dp" generator."""
    return bool(config) and config.get("epsilon") is not None
