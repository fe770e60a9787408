"""``synthguard augment``: synthetic records to train a better model, and the measurement of whether they do.

::

    hold out real records -> fit (or the pretrained bundle, or a saved bundle) -> sample (rebalanced) -> gate
        -> audit -> release decision  [all as generate does: synthguard.pipeline.Run]
    -> downstream model on real vs real + synthetic vs synthetic, per regime (quality.augmentation)
    -> write synthetic.*, augmented.*, rejected.*, report.json/html (all or nothing)

``augmented.*`` holds the real training records (the ones the generator learned from; the holdout stays out,
it measured the uplift) followed by the delivered synthetic records, with a ``_source`` column saying
``real`` or ``synthetic``. It holds real records: it is for training your own model, not for sharing —
``synthetic.*`` is what may leave.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import pandas as pd

from .augment_rebalance import (Rebalanced, class_labels, class_shares, class_values, delivered_shares, parse_rebalance,
                                quotas)
from .augment_tasks import DownstreamTask, choose_task
from .contract import Generator
from .data import Records, Table, holdout_split
from .errors import ConfigError, DataError, ReleaseRefused, SamplingError
from .io.database import Database, as_target, check_output
from .io.writers import free_name, write_frame, write_records
from .pipeline import HOLDOUT, SPLIT_SEED, FitRequest, Run, RunSpec, _columns_of, check_seed
from .quality.augmentation import BOOTSTRAP, FRACTIONS, RATIOS, Regime, measure, subsample
from .result import Result

if TYPE_CHECKING:  # pragma: no cover
    from .engine import DataLike, Engine

#: The column of ``augmented.*`` that says which rows are real and which synthetic.
SOURCE_COLUMN = "_source"
#: Rebalancing samples this share more records through the gate than it delivers, then keeps each class's quota.
REBALANCE_SLACK = 0.1


@dataclass
class AugmentRun(Run):
    """The pipeline's run, sampling through :class:`Rebalanced` when asked, remembering the model and the split."""

    rebalance: tuple[str, dict[str, float], dict[str, Any]] | None = None
    model: Generator | None = None
    train: Records | None = None
    holdout: Records | None = None

    def deliver(self, model: Generator, reference: Records | None = None, holdout: Records | None = None) -> Result:
        """Rebalanced: REBALANCE_SLACK more records through the gate, audit and release decision, then each class's
        quota of them (the gate rejects some classes more often than others: k-anonymity, near copies)."""
        self.model, self.train, self.holdout = model, reference, holdout
        if self.rebalance is None:
            return super().deliver(model, reference, holdout)
        rows = self.spec.rows
        self.spec = self.spec.model_copy(update={"rows": math.ceil(rows * (1 + REBALANCE_SLACK))})
        try:  # the sampling settings go to the generator itself: the wrapper samples through it
            result = super().deliver(rebalanced(self.with_sampling(model), self.rebalance), reference, holdout)
        finally:
            self.spec = self.spec.model_copy(update={"rows": rows})
        column, shares, _ = self.rebalance
        keep = take_shares(class_labels(result.records, column), quotas(rows, shares))
        result.report["rebalance_drawn_from"] = len(result.records)
        result.records, result.report["rows"] = result.records.take(keep), len(keep)
        return result


def take_shares(labels: np.ndarray, want: Mapping[str, int]) -> np.ndarray:
    """Positions holding ``want[c]`` records of each class c (the first ones: records come in random order); a class
    short of its quota gives what it has and the rest is filled from the others, in order."""
    chosen = [np.flatnonzero(labels == c)[:k] for c, k in want.items()]
    keep = np.concatenate(chosen) if chosen else np.array([], dtype=int)
    short = sum(want.values()) - len(keep)
    if short > 0:
        keep = np.concatenate([keep, np.setdiff1d(np.arange(len(labels)), keep)[:short]])
    return np.sort(keep)


def rebalanced(model: Generator, rebalance: tuple[str, dict[str, float], dict[str, Any]] | None):
    return model if rebalance is None else Rebalanced(model, *rebalance)


class AugmentedWriter:
    """Writes ``augmented.*``: the real training records, then the delivered synthetic ones, and ``_source``
    (a column of the table; an array of the NPZ for sequences and images)."""

    name = "augmented"

    def __init__(self, real: Records, fmt: str):
        self.real, self.fmt = real, fmt

    def write(self, records: Records, directory: Path, context: Any) -> list[str]:
        if isinstance(records, Table):
            return [write_frame(augmented_frame(self.real, records), Path(directory) / "augmented", self.fmt).name]
        both = type(records).concat([self.real, records])
        source = np.array(["real"] * len(self.real) + ["synthetic"] * len(records))
        return [write_records(both, Path(directory) / "augmented", self.fmt, extra={SOURCE_COLUMN: source}).name]


def augmented_frame(real: Table, synthetic: Table) -> pd.DataFrame:
    """Real rows then synthetic rows (the synthetic table's columns), with a ``_source`` column."""
    cols = list(synthetic.frame.columns)
    column = free_name(SOURCE_COLUMN, cols)
    parts = [real.frame[cols].assign(**{column: "real"}), synthetic.frame[cols].assign(**{column: "synthetic"})]
    return pd.concat(parts, ignore_index=True)


def tasks_of(engine: "Engine") -> list[type[DownstreamTask]]:
    """The downstream tasks the core and installed plugins registered (``register_downstream_tasks``)."""
    return [e.obj for e in engine.registry.downstream_tasks.values()]


def augment(engine: "Engine", generator: str | Path | Generator, *, target: str | None = None,
            data: "DataLike | None" = None, dataset: str | None = None, rows: int | None = None,
            rebalance: str | tuple[str, float] | None = None, seed: int = 0, device: str = "auto",
            epochs: int | None = None, config: Mapping[str, Any] | None = None, holdout: float = HOLDOUT,
            options: Mapping[str, Any] | None = None, out: str | Path | None = None, fmt: str = "parquet",
            overwrite: bool = False, progress: bool = False, value_protection: bool = True,
            regimes: Sequence[float] = FRACTIONS, ratios: Sequence[float] = RATIOS,
            bootstrap: int = BOOTSTRAP, sequence_format: Mapping[str, Any] | None = None,
            image_format: Mapping[str, Any] | None = None) -> Result:
    """Fit (or load) ``generator``, deliver synthetic records — rebalanced when asked — and measure the uplift.

    ``generator``: a generator's or domain's name (fit, or the dataset's pretrained bundle as in
    ``generate``), a fitted :class:`Generator`, or a bundle directory saved by ``generate --save-model`` or ``fit
    --dataset`` (it must have been trained on the training split of ``data``: the holdout has to be unseen; without
    ``data`` or ``dataset``, a bundle fitted on a reference dataset uses that dataset). ``target``: the column a
    downstream model predicts (a reference dataset's own by default). ``rebalance``: ``"COLUMN=SHARE"`` (COLUMN is the
    target) — the minority class holds SHARE of the synthetic records. ``rows``: synthetic records to deliver
    (default: as many as the real training records). ``regimes``: shares of the training records the measurement
    trains on (each smaller one refits the generator on that share only); ``ratios``: synthetic-to-real ratios.
    ``sequence_format`` / ``image_format``: how ``data`` is read, as in ``generate`` (a bundle's data is read as its
    training read it unless they are given).
    Everything is checked before any training. The report's ``augmentation`` section holds the measurement.
    """
    check_seed(seed)
    request = parse_rebalance(rebalance) if isinstance(rebalance, (str, type(None))) else tuple(rebalance)
    regimes, ratios = _positive(regimes, "regime", upper=1.0), _positive(ratios, "ratio")
    if not isinstance(bootstrap, int) or bootstrap < 20:
        raise ConfigError(f"bootstrap {bootstrap!r}: expected an integer of at least 20 resamples")
    if out is not None:
        if isinstance(as_target(out), Database):
            raise ConfigError("augment writes a directory (synthetic, augmented, report): expected --out DIR, not a database")
        check_output(Path(out), overwrite)

    model, cls = _generator(engine, generator)
    if model is not None and data is None:  # a bundle fitted on a reference dataset's split names the dataset
        dataset = dataset or (model.fit_info_.get("source") or {}).get("dataset")
        if dataset is None:
            raise ConfigError("augmenting with a saved bundle needs the real training data it learned from: "
                              "expected --data")
    if model is not None:  # its data read as its training read it: the same records, people and image size
        from .engine import read_as

        sequence_format = read_as(model.fit_info_.get("source"), sequence_format)
        if model.modality == "image" and image_format is None:
            image_format = {"size": model.meta_.shape[-1], "channels": model.meta_.shape[0]}
    records, source = engine._resolve_source(model or cls, data, dataset, sequence_format, image_format)
    ds = engine.dataset(source["dataset"]) if "dataset" in source else None
    target = target or (ds.target if ds is not None else None)
    if target is None:
        raise ConfigError("augment needs the column a downstream model predicts: expected --target COLUMN")
    task = choose_task(tasks_of(engine), records.modality, (model or cls).domain)
    if task is None:
        raise ConfigError(f"no downstream task measures {records.modality} data of domain {(model or cls).domain!r}: "
                          "expected a plugin that registers one")
    task.labels(records, target)  # names an unknown target, before any training
    train, hold = holdout_split(records, holdout, seed=SPLIT_SEED)  # the split generate makes: same seed
    plan = _rebalance_plan(request, target, task, train, records)
    rows = rows if rows is not None else len(train)
    options = dict(options or {})
    if ds is not None and not options.get("quasi_identifiers") and ds.quasi_identifiers:
        options["quasi_identifiers"] = list(ds.quasi_identifiers)
    spec = RunSpec.of(rows, seed=seed, holdout=holdout, target=target, options=options, fmt=fmt, overwrite=overwrite)
    run = AugmentRun(engine, spec, rebalance=plan)
    fit = FitRequest(device=device, epochs=epochs, config=config, progress=progress,
                     value_protection=value_protection)
    if model is None:
        result = run.generate(cls, records, source, fit)
    else:
        _check_trained_on(model, train, generator)
        run.progress = progress
        run.lineage.update(data_source=source, pretrained=False,  # the bundle by its hash, never its path
                           bundle=f"sha256:{getattr(model, 'bundle_sha256_', None)}")
        result = run.deliver(model, train, hold)

    start = time.perf_counter()
    section: dict[str, Any] = {"target": target, "task": {"name": task.name, "description": task.description}}
    if plan is not None:
        column, shares, _ = plan
        section["rebalance"] = {"column": column, "minority_class": next(iter(shares)),
                                "gated_and_audited": result.report.pop("rebalance_drawn_from", None),
                                "requested_shares": {k: round(v, 4) for k, v in shares.items()},
                                "delivered_shares": delivered_shares(result.records, column)}
    real_cols = _columns_of(run.model, run.train)
    section["augmented"] = {"real_records": len(real_cols), "synthetic_records": len(result.records),
                            "source_column": free_name(SOURCE_COLUMN, list(result.records.meta.names))
                            if isinstance(result.records, Table) else SOURCE_COLUMN,
                            "real_rows": "the training split the generator learned from (the holdout is not in it)"}
    if run.holdout is None or not len(run.holdout):
        section["measurement"] = {"skipped": "no real holdout (--holdout 0): nothing to score the downstream models on"}
    else:
        hold_cols = _columns_of(run.model, run.holdout)
        regs = _regimes(engine, run, task, target, real_cols, result.records, regimes, ratios, fit, seed, progress)
        run.step("measuring the downstream model on real vs real + synthetic")
        section["measurement"] = measure(task, target, hold_cols, regs, ratios=ratios, seed=seed, bootstrap=bootstrap)
    section["seconds"] = round(time.perf_counter() - start, 3)
    result.report["augmentation"] = section
    result.report["kind"] = "augment"
    result.report["timings"]["augmentation_seconds"] = section["seconds"]
    result.writers = [*result.writers, AugmentedWriter(real_cols, fmt)]
    if out is not None:
        result.save(out, fmt=fmt, overwrite=overwrite)
    return result


def _positive(values: Sequence[float], what: str, upper: float | None = None) -> tuple[float, ...]:
    try:
        out = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        out = ()
    bad = [v for v in out if not (v > 0 and math.isfinite(v) and (upper is None or v <= upper))]
    if not out or bad:
        span = f"in (0, {upper:g}]" if upper is not None else "above 0"
        raise ConfigError(f"{what}s {list(values)!r}: expected one or more numbers {span}")
    return tuple(sorted(set(out)))


def _generator(engine: "Engine", generator: str | Path | Generator) -> tuple[Generator | None, type[Generator] | None]:
    """A fitted model (an instance, or a bundle directory) or a generator class by name."""
    if isinstance(generator, Generator):
        if not generator.is_fitted:
            raise ConfigError(f"generator {generator.name!r} is not fitted: pass its name to fit it, or a fitted one")
        return generator, None
    if isinstance(generator, Path) or (isinstance(generator, str) and Path(generator).is_dir()):
        return engine.load(generator), None
    return None, engine.registry.generator(str(generator))


def _rebalance_plan(request: tuple[str, float] | None, target: str, task: DownstreamTask, train: Records,
                    records: Records) -> tuple[str, dict[str, float], dict[str, Any]] | None:
    if request is None:
        return None
    column, share = request
    if column != target:
        raise ConfigError(f"--rebalance {column}={share}: expected the target column {target!r} "
                          f"(rebalancing holds the target's minority class at a share)")
    if task.kind(records, target) != "classification":
        raise ConfigError(f"--rebalance {column}={share}: column {column!r} is not a class label "
                          "(a regression target): expected a categorical target")
    _, shares = class_shares(task.labels(train, target), column, share)
    return column, shares, class_values(records, column)


def _check_trained_on(model: Generator, train: Records, where: Any) -> None:
    trained = model.fit_info_.get("source_fingerprint", model.fit_info_.get("data_fingerprint"))
    if trained != train.fingerprint():
        raise DataError(f"bundle {where}: it was not trained on the training split of this data, so the holdout "
                        "that measures the uplift may hold records it learned from: expected a bundle saved by "
                        "'synthguard generate ... --save-model' or 'synthguard fit --dataset D' on this data, with "
                        "the same --holdout (or pass the generator's name to fit it)")


def _regimes(engine: "Engine", run: AugmentRun, task: DownstreamTask, target: str, train: Records,
             delivered: Records, fractions: Sequence[float], ratios: Sequence[float], fit: FitRequest, seed: int,
             progress: bool) -> list[Regime]:
    """One regime per fraction; a smaller share refits the same generator on that share only and samples through
    the same gate (no audit: those records are measured, never delivered)."""
    model = run.model
    labels = task.labels(train, target)
    out = []
    for fraction in fractions:
        if fraction >= 1:
            out.append(Regime(1.0, train, delivered, "the delivered synthetic records (gated, audited)"))
            continue
        real = subsample(train, labels, fraction, seed)
        run.step(f"low-data regime {fraction:.0%}: refitting {model.name} on {len(real):,} records")
        config = fit.config if fit.config is not None else (
            None if run.lineage.get("pretrained") or "bundle" not in run.lineage else model.config.model_dump())
        try:
            small = engine.fit_records(model.name, real, source={"source": f"augment regime {fraction:g}"}, seed=seed,
                                       device=fit.device, epochs=fit.epochs, config=config,
                                       value_protection=fit.value_protection)
            rows = max(1, math.ceil(max(ratios) * len(real)))
            spec = RunSpec.of(rows, seed=seed, target=target, options={
                **run.spec.options.model_dump(), "audit": False, "metrics": False, "override_audit": None})
            sampled = Run(engine, spec).deliver(rebalanced(small, run.rebalance), real, None).records
            note = f"{model.name} refit on these {len(real)} real records only; gated, not audited (never delivered)"
            out.append(Regime(fraction, _columns_of(small, real), sampled, note))
        except (ReleaseRefused, DataError, ConfigError, SamplingError) as err:  # too few records for the generator, its gate...
            out.append(Regime(fraction, real, None, f"not measured: {err}"))
    return out


__all__ = ["augment", "AugmentRun", "Rebalanced", "SOURCE_COLUMN", "augmented_frame", "tasks_of"]
