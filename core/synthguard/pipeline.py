"""The one pipeline: a :class:`RunSpec` (what the user asked for, validated once) and a :class:`Run` that delivers it.

::

    split (generate)  ->  fit, or the pretrained bundle  ->  sample  ->  validators  ->  privacy gate
        (resample until enough records passed, bounded)  ->  metrics + privacy audit  ->  report  ->  write

Read :class:`Run` top to bottom: :meth:`Run.generate` is the main job, :meth:`Run.deliver` what
``sample`` does with a fitted model, :meth:`Run.evaluate` what ``evaluate`` does with records made
elsewhere. The :class:`~synthguard.Engine` only resolves names and reads data, then hands over here.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Literal, Mapping, Sequence

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import log_progress
from .contract import (NO_DP, Check, CheckContext, Generator, Metric, MetricContext, PrivacyFilter, Validator, Verdict,
                       check_conditions, config_error, validated)
from .data import ImageMeta, Records, SequenceMeta, SequenceSet, Table, TableMeta, check_protectable, holdout_split
from .errors import ConfigError, DataError, ReleaseRefused, SamplingError, SynthGuardError
from .io.database import Database, as_target, check_output, write_result
from .io.database import write_report as write_database_report
from .models import one_thread
from .privacy.filters import K_ANONYMITY, NEAR_COPY_QUANTILE, QI_BINS, WithheldUnderDP
from .result import REPORT_VERSION, Result, write_report
from .scale.options import ScaleOptions, streaming_for

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine

#: Share of real records ``generate`` keeps away from the generator, and the seed of that split.
HOLDOUT = 0.2
SPLIT_SEED = 0
#: Most records one run delivers, and most values (records x fields, pixels or readings) it holds: every record
#: sits in memory until written (there is no streaming yet), so more is refused at once rather than attempted.
MAX_ROWS = 10_000_000
MAX_VALUES = 500_000_000


class RunOptions(BaseModel):
    """How a run gates and resamples. Defaults are the safe ones: every check on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_rounds: int = Field(10, ge=1, le=1000, description="sampling rounds before giving up on the requested rows")
    oversample: float = Field(1.1, ge=1.0, le=100.0, description="first-round oversampling factor")
    disable: list[str] = Field(default_factory=list, description="validator names to skip (privacy filters cannot be)")
    rules: list[str] = Field(default_factory=list, description="inter-column rules, e.g. 'balance <= limit'")
    bounds: dict[str, tuple[float | None, float | None]] = Field(
        default_factory=dict, description="declared (min, max) per numeric column or sensor channel; overrides learned bounds"
    )
    rate_limits: dict[str, float] = Field(default_factory=dict,
                                          description="declared largest change per step per channel (sequences)")
    metrics: bool = Field(True, description="compute registered metrics when the real data is at hand")
    near_copy_quantile: float = Field(NEAR_COPY_QUANTILE, ge=0, le=0.5,
                                      description="holdout quantile of DCR (and NNDR) below which a record is rejected")
    quasi_identifiers: list[str] = Field(default_factory=list,
                                         description="columns an attacker could know (age, zip...): k-anonymity gate")
    k_anonymity: int = Field(K_ANONYMITY, ge=2, le=1000, description="fewest real records a released QI combination needs")
    qi_bins: int = Field(QI_BINS, ge=2, le=1000, description="quantile bins numeric quasi-identifiers are generalised into")
    audit: bool = Field(True, description="run the privacy audit (DCR, membership inference, WP29) when a holdout is at hand")
    secrets: list[str] = Field(default_factory=list, description=(
        "sensitive columns whose WP29 inference risk the release decision judges (others are reported)"))
    override_audit: str | None = Field(None, min_length=1, description=(
        "deliver even when the privacy audit fails its targets; the reason is recorded in the report"))
    privacy_filters: bool = Field(True, description=(
        "run the privacy filters; False only for a differentially private model: ε then covers the released "
        "records too, not only the model (the audit still decides)"))


NO_FILTERS_WITHOUT_DP = ("--no-privacy-filters needs a differentially private model (--epsilon, or a bundle trained "
                         "with it): without DP the privacy filters are the gate")


class RunSpec(BaseModel):
    """One run's request, validated once, before any data is read or any model trained.

    ``holdout`` is the share of real records ``generate`` keeps away from the generator;
    ``out`` None keeps the result in memory.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    rows: int
    seed: int = 0
    conditions: dict[str, Any] = Field(default_factory=dict)
    holdout: float = HOLDOUT
    target: str | None = None
    out: Path | Database | None = None  # a directory, or database tables (io.database)
    fmt: Literal["parquet", "csv"] = "parquet"
    overwrite: bool = False
    options: RunOptions = Field(default_factory=RunOptions)
    scale: ScaleOptions | None = None  # chunked, partitioned output (synthguard.scale); None = in memory
    # sample at this temperature, not the model's (no refit)
    temperature: float | None = Field(None, gt=0, le=10, allow_inf_nan=False)
    sampling: dict[str, Any] = Field(default_factory=dict)  # sampling settings (contract.sampling_setting): no refit

    @classmethod
    def of(cls, rows: Any, *, options: RunOptions | Mapping[str, Any] | None = None, **fields: Any) -> "RunSpec":
        """The spec for these arguments, or one :class:`ConfigError` naming the first bad one."""
        if not isinstance(rows, int) or isinstance(rows, bool) or rows <= 0:
            raise ConfigError(f"rows must be a positive integer: got {rows!r}")
        if fields.get("out") is not None:
            fields["out"] = as_target(fields["out"])
        fields["scale"] = streaming_for(rows, fields.get("scale"), fields.get("out"))
        if fields["scale"] is None and rows > MAX_ROWS:
            raise ConfigError(f"rows {rows:,} is more than one run delivers: expected at most {MAX_ROWS:,} "
                              "(every record is held in memory; split the request into several runs with other seeds)")
        if fields["scale"] is not None:
            fields["scale"].check_rows(rows)
        check_seed(fields.get("seed", 0))
        holdout = fields.get("holdout", HOLDOUT)
        if not 0 <= holdout < 1:
            raise ConfigError(f"holdout fraction {holdout}: expected a number in [0, 1)")
        fields = {k: v for k, v in fields.items() if v is not None}
        fields["conditions"] = dict(fields.get("conditions") or {})
        try:
            return cls(rows=rows, options=run_options(options), **fields)
        except ValidationError as err:
            raise config_error("run", err) from None


def run_options(options: RunOptions | Mapping[str, Any] | None) -> RunOptions:
    """``options`` as :class:`RunOptions` (None = the defaults); a bad field is one ConfigError."""
    options = validated(RunOptions, options, "run options")
    for name, (low, high) in options.bounds.items():  # a bound no value meets would reject every record, after the fit
        if any(v is not None and math.isnan(v) for v in (low, high)) or (
                low is not None and high is not None and low > high):
            raise ConfigError(f"bound {name}={'' if low is None else f'{low:g}'}:{'' if high is None else f'{high:g}'}: "
                              "expected LOW <= HIGH (numbers; either side may be empty)")
    return options


def check_seed(seed: Any) -> None:
    """A seed is a non-negative integer (numpy's seeding refuses anything else, with a traceback)."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer: got {seed!r}")


def check_values(rows: int, meta: Any) -> None:
    """Refuse at once a request whose records could not be held in memory (:data:`MAX_VALUES` values)."""
    if isinstance(meta, TableMeta):
        per, unit = len(meta.columns), "columns"
    elif isinstance(meta, SequenceMeta):
        per, unit = meta.length * len(meta.channels), "readings"
    elif isinstance(meta, ImageMeta):
        per, unit = int(np.prod(meta.shape)), "pixels"
    else:
        return
    if rows * max(per, 1) > MAX_VALUES:
        raise ConfigError(f"rows {rows:,} of {per:,} {unit} each is {rows * per:,} values: expected at most "
                          f"{MAX_VALUES:,} in one run, i.e. at most {MAX_VALUES // max(per, 1):,} rows "
                          "(every record is held in memory; split the request into several runs with other seeds)")


@dataclass
class FitRequest:
    """How ``generate`` may train when no pretrained bundle fits the request."""

    device: str = "auto"
    epochs: int | None = None
    config: Mapping[str, Any] | None = None
    progress: bool = False
    save_model: str | Path | None = None
    value_protection: bool = True

    def forces_training(self, generator: type[Generator]) -> bool:
        """A pretrained bundle was trained with the defaults: asking for any other training setting means training
        (a sampling setting, such as a temperature, is applied to the bundle instead)."""
        training = set(self.config or {}) - set(self.sampling(generator))
        return self.epochs is not None or bool(training) or not self.value_protection

    def sampling(self, generator: type[Generator]) -> dict[str, Any]:
        """The sampling settings among ``config``."""
        return {k: v for k, v in (self.config or {}).items() if k in generator.Config.sampling_settings()}


@dataclass
class Run:
    """Delivers one :class:`RunSpec` with an engine's registered checks, metrics, distances and writers."""

    engine: "Engine"
    spec: RunSpec
    lineage: dict[str, Any] = field(default_factory=lambda: {"fit_seconds": None})
    #: print each step (split, fit, sample, metrics, audit) and its time on stderr
    progress: bool = False
    #: records planted in the training split (:class:`synthguard.privacy.canaries.Canaries`), judged by the audit
    canaries: Any = None
    #: a note :meth:`deliver` prints once every option is checked (``sample``: where its real records came from)
    note: str | None = None

    # ------------------------------------------------------------------ the main job

    def generate(self, generator: type[Generator], records: Records, source: dict[str, Any],
                 fit: FitRequest = FitRequest()) -> Result:
        """Hold out real records, fit (or use the pretrained bundle), then :meth:`deliver` against the split."""
        spec = self.spec
        for target_dir in (spec.out, fit.save_model):  # fail before any training
            if target_dir is not None:
                check_output(target_dir, spec.overwrite, generator.modality)
        if spec.scale is not None:
            spec.scale.preflight()  # a Dask scheduler nothing listens at: refused before training
        self.progress = self.progress or fit.progress
        self.step(f"checking the options against {len(records):,} {records.modality} records")
        self.preflight(generator, records.meta, generator.domain)  # every option against the data: before training
        if fit.config or fit.epochs is not None:  # the settings' values too: the error training would give, at once
            generator(fit.config, **({"epochs": fit.epochs} if fit.epochs is not None else {}))
        if not spec.options.privacy_filters and (fit.config or {}).get("epsilon") is None:
            raise ConfigError(NO_FILTERS_WITHOUT_DP)
        check_values(self.held_rows(records.modality), records.meta)
        train, hold = holdout_split(records, spec.holdout, seed=SPLIT_SEED)
        check_protectable(records, train, hold, spec.holdout)
        if spec.conditions and generator.extra_conditions:  # e.g. a date the training records never cover
            generator.check_conditions_on(train, spec.conditions, fit.config)
        split = {"fraction": spec.holdout, "seed": SPLIT_SEED, "holdout_records": len(hold) if hold is not None else 0}
        self.lineage.update(data_source=source, holdout=split)
        if self.canaries is not None:  # into training only, after the split: never a holdout record
            from .privacy.canaries import plant

            train = plant(train, self.canaries)
            self.lineage["canaries"] = self.canaries.summary()
        model = (None if fit.forces_training(generator) or self.canaries is not None
                 else self.pretrained(generator, source, train))
        sampling = fit.sampling(generator)
        if model is not None and sampling:  # a fitted model has them in its config already
            self.spec = spec = spec.model_copy(update={"sampling": sampling})
        if model is None:
            if (spec.conditions and isinstance(train, Table) and fit.value_protection and not generator.protects_values
                    and (fit.config or {}).get("epsilon") is None):  # a value it replaces would fail after the fit
                check_released_conditions(train, spec.conditions, spec.seed)
            self.step(f"fitting {generator.name} on {len(train):,} records"
                      + (" (value protection first)" if isinstance(train, Table) and fit.value_protection else ""))
            start = time.perf_counter()
            model = self.engine.fit_records(generator.name, train, source=source, seed=spec.seed, device=fit.device,
                                            epochs=fit.epochs, progress=fit.progress, config=fit.config,
                                            value_protection=fit.value_protection)
            model.fit_info_["holdout"] = split
            self.lineage.update(pretrained=False, fit_seconds=round(time.perf_counter() - start, 3))
            if model.supports_save:
                from .bundle import serialize

                model.bundle_sha256_ = serialize(model)[1]["bundle_sha256"]  # same hash a saved bundle would get
        result = self.deliver(model, train, hold)
        if fit.save_model is not None and not result.report["lineage"].get("pretrained"):
            model.save(fit.save_model)  # only a model whose output passed the release decision is kept
        return result

    def pretrained(self, generator: type[Generator], source: dict[str, Any], train: Records) -> Generator | None:
        """The dataset's shipped bundle for ``generator``, if it was trained on exactly this training split."""
        if "dataset" not in source:
            return None
        bundle = self.engine.dataset(source["dataset"]).bundles().get(generator.name)
        if bundle is None:
            return None
        model = self.engine.load(bundle)
        trained_on = model.fit_info_.get("source_fingerprint", model.fit_info_.get("data_fingerprint"))
        if trained_on != train.fingerprint():
            self.lineage["pretrained_skipped"] = "bundle was trained on other records than this training split"
            return None
        if isinstance(train, Table) and not generator.protects_values and "value_protection" not in model.fit_info_:
            self.lineage["pretrained_skipped"] = "bundle was trained without value protection"
            return None
        self.lineage.update(pretrained=True, fit_seconds=None, pretrained_fit_seconds=model.fit_info_.get("seconds"))
        return model

    # ------------------------------------------------------------------ sample -> gate -> measure -> report -> write

    def deliver(self, model: Generator, reference: Records | None = None, holdout: Records | None = None) -> Result:
        """``rows`` records from a fitted ``model`` that passed every check, measured against the real data at hand."""
        spec = self.spec
        if spec.out is not None:
            check_output(spec.out, spec.overwrite, model.modality)  # fail before spending time on sampling
        if spec.scale is not None:
            spec.scale.preflight()
        check_values(self.held_rows(model.modality), model.meta_)
        spec = self.spec  # held_rows may have turned automatic streaming off (only tables stream)
        reference, holdout = (_columns_of(model, r) for r in (reference, holdout))
        model = self.with_sampling(model)
        options = self.options_for(model)
        if spec.conditions and model.supports_conditions:
            try:
                check_conditions(model.meta_, spec.conditions, model.extra_conditions)
            except ConfigError as err:  # say why a value of the real data is missing from the model's
                raise ConfigError(f"{err}{protected_note(model.fit_info_)}") from None
        validators = self.engine.active("validators", model.modality, model.domain, skip=options.disable)
        self.check_options_read(validators, options, model.modality, model.domain)
        privacy_filters = self.engine.active("privacy_filters", model.modality, model.domain)
        if not options.privacy_filters:  # ε covers the released records only if nothing after the mechanism reads
            dp = dp_claim(model)  # the real ones again
            if dp is None:
                raise ConfigError(NO_FILTERS_WITHOUT_DP)
            privacy_filters = [WithheldUnderDP(f, dp["epsilon_spent"]) for f in privacy_filters]
        known = model.reference_hashes_  # plus the real rows, where value protection made the model's differ
        if reference is not None and known is not None:
            known = np.union1d(known, reference.record_hashes())
        context = CheckContext(meta=model.meta_, reference_hashes=known, reference=reference,
                               holdout=holdout, domain=model.domain, options=options.model_dump(),
                               distance=self.engine.distance_for(model.modality, model.domain))
        for check in (*validators, *privacy_filters):
            check.prepare(context)
        if self.note:  # after every check of the options: bad input gets its one error line alone
            log_progress.note(self.note)
        if spec.scale is not None:  # chunks sampled, gated and written one partition each (Dask or in process)
            from .scale.runner import deliver_streamed

            return deliver_streamed(self, model, reference, holdout, options, validators, privacy_filters, context,
                                    time.perf_counter())

        self.step(f"sampling {spec.rows:,} records through {len(validators)} validators and "
                  f"{len(privacy_filters)} privacy filters")
        start = time.perf_counter()
        sampled = sample_checked(model, spec.rows, validators, privacy_filters, context, options, spec.seed,
                                 spec.conditions)
        report = self.build_report(model, sampled, reference, holdout, options, validators, privacy_filters, context,
                                   start)
        result = Result(sampled.records, sampled.rejected, sampled.rejected_info, report,
                        writers=self.engine.active("writers", model.modality, model.domain), context=context)
        if isinstance(spec.out, Database):
            result.report = write_result(result, spec.out, overwrite=spec.overwrite)
        elif spec.out is not None:
            result.save(spec.out, fmt=spec.fmt, overwrite=spec.overwrite)
        return result

    def build_report(self, model: Generator, sampled: "Sampled", reference: Records | None, holdout: Records | None,
                     options: RunOptions, validators: Sequence[Validator], privacy_filters: Sequence[PrivacyFilter],
                     context: CheckContext, start: float) -> dict[str, Any]:
        """Metrics, privacy audit and release decision on ``sampled.records``, and the report around them."""
        spec = self.spec
        t0 = time.perf_counter()
        self.step("measuring quality against the real records")
        metrics, compared_with = {}, None
        if reference is not None and options.metrics:  # conditioned sequences: against the real ones that match
            real, held = _matching(reference, spec.conditions, 10), _matching(holdout, spec.conditions, 1)
            metrics = self.measure(real, sampled.records, held, model.modality, model.domain)
            compared_with = {"training": len(real), "holdout": len(held) if held is not None else 0,
                             "matching_conditions": {"training": real is not reference, "holdout": held is not holdout}}
        metric_seconds = time.perf_counter() - t0

        t0 = time.perf_counter()
        self.step("privacy audit")
        audit = self.audit(reference, holdout, sampled.records, model.modality, model.domain, options, context.distance)
        audit_seconds = time.perf_counter() - t0
        ledger = privacy_ledger(model, unit=unit_of(reference)[0] if reference is not None else None,
                                filtered=options.privacy_filters)
        def prefix_passes(n: int) -> bool:  # the first n delivered records (a uniform sample) through the same audit
            from .privacy.release import PASS

            self.step(f"privacy audit of the first {n:,} records")
            part = self.audit(reference, holdout, sampled.records.take(np.arange(n)), model.modality, model.domain,
                              options, context.distance)
            return (part.get("release") or {}).get("decision") == PASS

        def flatter_decision(temperature: float) -> str | None:  # as many records drawn at it, gated, same audit
            self.step(f"privacy audit of {spec.rows:,} records drawn at temperature {temperature:g}")
            flatter_model = copy.copy(model)  # as with_sampling does: the fitted weights shared, the config its own
            flatter_model.config = model.config.model_copy(update={"temperature": temperature})
            try:
                flat = sample_checked(flatter_model, spec.rows, validators, privacy_filters, context, options,
                                      spec.seed, spec.conditions)
            except SynthGuardError:  # the gate stops too many of its draws: not measured
                return None
            part = self.audit(reference, holdout, flat.records, model.modality, model.domain, options, context.distance)
            return (part.get("release") or {}).get("decision")

        release = self.release(audit, options, dp=ledger["dp"] is not None, rows=spec.rows,
                               training_units=unit_of(reference)[1] if reference is not None else None,
                               temperature=getattr(model.config, "temperature", None), refit=refit_remedy(model),
                               prefix_passes=prefix_passes if spec.scale is None else None,
                               flatter_decision=flatter_decision if spec.scale is None else None)

        report = {
            "report_version": REPORT_VERSION,
            "rows": spec.rows,
            "seed": spec.seed,
            "modality": model.modality,
            "conditions": dict(spec.conditions),
            "metrics_compared_with": compared_with,
            "data": self._data_section(reference, holdout),
            "generator": {
                "name": model.name,
                "bundle_sha256": getattr(model, "bundle_sha256_", None),
                "config": model.config.model_dump(mode="json"),
                "fit": model.fit_info_,
            },
            "sampling": sampled.summary(),
            "validators": {c.name: {"rejected": sampled.tally[c.name], **c.summary()} for c in validators},
            "privacy": {c.name: {"rejected": sampled.tally[c.name], **c.summary()} for c in privacy_filters},
            "metrics": metrics,
            "audit": audit,
            "release": release,
            "privacy_ledger": ledger,
            "timings": {
                "fit_seconds": self.lineage.get("fit_seconds"),
                "sample_seconds": round(sampled.sample_seconds, 4),
                "checks_seconds": round(sampled.check_seconds, 4),
                "metrics_seconds": round(metric_seconds, 4),
                "audit_seconds": round(audit_seconds, 4),
                "total_seconds": round(time.perf_counter() - start, 4),
            },
            "lineage": self.lineage,
        }
        return finite(report)  # report.json is JSON: NaN/inf (a metric that could not be computed) become null

    def held_rows(self, modality: str) -> int:
        """Records held in memory at once: a chunk when streaming (tables), else all; automatic streaming is
        turned off here for records that are not tables."""
        scale = self.spec.scale
        if scale is not None and modality != "table":
            if not scale.auto:
                raise ConfigError(f"--chunk-rows/--scheduler stream tables: expected a table generator, not {modality} "
                                  "records (those are delivered in memory)")
            self.spec = self.spec.model_copy(update={"scale": None})
            scale = None
        return self.spec.rows if scale is None else min(self.spec.rows, scale.chunk_rows)

    def evaluate(self, real: Records, synthetic: Records, holdout: Records | None, domain: str | None) -> dict[str, Any]:
        """Metrics and audit of records made elsewhere: the same steps :meth:`deliver` measures with."""
        spec = self.spec
        if spec.out is not None:
            check_output(spec.out, spec.overwrite)  # a database gets the report row alone, whatever the records
        report = {"report_version": REPORT_VERSION, "kind": "evaluate", "rows": len(synthetic), "modality": real.modality,
                  "data": self._data_section(real, holdout),
                  "generator": {"name": "external"},
                  "metrics": self.measure(real, synthetic, holdout, real.modality, domain),
                  "audit": self.engine.audit(real, synthetic, holdout=holdout, domain=domain, seed=spec.seed)}
        report = finite(report)
        if isinstance(spec.out, Database):
            report = write_database_report(report, spec.out, overwrite=spec.overwrite)
        elif spec.out is not None:
            write_report(spec.out, report, overwrite=spec.overwrite)
        return report

    # ------------------------------------------------------------------ the steps

    def options_for(self, model: Generator) -> RunOptions:
        """The spec's options, checked against the model, with the model's quasi-identifiers when the user named none."""
        options = self.spec.options
        if not options.quasi_identifiers and model.quasi_identifiers():
            options = options.model_copy(update={"quasi_identifiers": model.quasi_identifiers()})
        self._check_names(options, model.meta_)
        return options

    def step(self, what: str) -> None:
        """One progress line on stderr (with ``progress``): what the run does now, and the time so far (and the
        stage for :mod:`synthguard.log_progress`, which says so in a log when a stage takes long)."""
        log_progress.stage(what)
        if self.progress:
            import sys

            if not hasattr(self, "_started"):
                self._started = time.perf_counter()
            print(f"[{time.perf_counter() - self._started:7.1f}s] {what}", file=sys.stderr, flush=True)

    def preflight(self, generator: type[Generator], meta: Any, domain: str | None) -> None:
        """Every option of the run checked against the data's schema before any training: conditions (columns and
        values), target, quasi-identifiers, secrets, and what the validators accept (rules, bounds) — one
        ConfigError/DataError naming the first bad one, in seconds rather than after the fit."""
        spec = self.spec
        self._check_sampling(generator)
        if spec.conditions:
            if not generator.supports_conditions:
                raise ConfigError(f"generator {generator.name!r} does not support conditional sampling: "
                                  "expected no --condition")
            check_conditions(meta, spec.conditions, generator.extra_conditions)
        self._check_names(spec.options, meta)
        def context(options: RunOptions) -> CheckContext:
            return CheckContext(meta=meta, reference_hashes=np.array([], dtype=np.uint64), domain=domain,
                                options=options.model_dump())

        validators = self.engine.active("validators", generator.modality, domain, skip=spec.options.disable)
        self.check_options_read(validators, spec.options, generator.modality, domain)
        for check in validators:
            try:
                check.prepare(context(RunOptions()))
            except SynthGuardError:
                continue  # the data itself, not an option: judged where it always was, on what the model learned
            check.prepare(context(spec.options))  # a rule or bound the validator cannot apply (unknown column...)

    def check_options_read(self, validators: list, options: RunOptions, modality: str, domain: str | None) -> None:
        """A --rule or --bound that no active validator applies is refused, not silently ignored."""
        for name, flag in (("rules", "--rule"), ("bounds", "--bound"), ("rate_limits", "rate_limits")):
            if getattr(options, name) and not any(name in v.reads_options for v in validators):
                readers = sorted(n for n, e in self.engine.registry.validators.items() if name in e.obj.reads_options)
                raise ConfigError(f"{flag}: no active check of {modality} records of domain {domain!r} applies "
                                  f"{name} (checks that do: {', '.join(readers) or 'none installed'}; "
                                  "--disable may have removed one): expected no " + flag)

    def _check_sampling(self, generator: type[Generator]) -> dict[str, Any]:
        """The run's sampling settings (``sampling``, and ``temperature``) for ``generator``, checked: each one of its
        sampling settings, each value valid. One ConfigError naming the first that is not."""
        spec, allowed = self.spec, generator.Config.sampling_settings()
        if spec.temperature is not None and "temperature" not in allowed:
            having = sorted(n for n, e in self.engine.registry.generators.items()
                            if "temperature" in e.obj.Config.sampling_settings())
            raise ConfigError(f"--temperature {spec.temperature}: generator {generator.name!r} has no sampling "
                              f"temperature: expected one of {', '.join(having) or 'none installed'}")
        for key in spec.sampling:
            if key not in allowed:
                what = "a training setting" if key in generator.Config.model_fields else "not a setting"
                raise ConfigError(f"--set {key}: {what} of {generator.name!r}; a bundle samples with other sampling "
                                  f"settings only: expected one of {', '.join(sorted(allowed)) or 'none'} "
                                  "(other settings: fit again)")
        settings = {**spec.sampling, **({"temperature": spec.temperature} if spec.temperature is not None else {})}
        validated(generator.Config, settings, f"generator {generator.name!r}")  # the values, against their bounds
        return settings

    def with_sampling(self, model: Generator) -> Generator:
        """``model`` sampling with the run's sampling settings (a copy; the fitted weights are shared), each recorded
        in the lineage beside the model's own value. A flatter sampler (temperature > 1) spreads the output away from
        what the model learned closest: on credit_data at 5,000 rows 1.15 passed the audit on 11 of 12 seeds against
        8 of 12 at 1.0, for 0.005 quality (benchmarks/README.md, "More rows, more to read")."""
        if (not self.spec.sampling and self.spec.temperature is None) or not isinstance(model, Generator):
            return model  # nothing asked, or a wrapper (augment's Rebalanced) of a generator they were applied to
        settings = self._check_sampling(type(model))
        tuned = copy.copy(model)
        tuned.config = validated(type(model.config), {**model.config.model_dump(), **settings},
                                 f"generator {model.name!r}")
        self.lineage["sampling_settings"] = {k: {"sampled_at": v, "model": getattr(model.config, k)}
                                             for k, v in settings.items()}
        if self.spec.temperature is not None:
            self.lineage["temperature"] = self.lineage["sampling_settings"]["temperature"]
        return tuned

    def _check_names(self, options: RunOptions, meta: Any) -> None:
        unknown = set(options.disable) - set(self.engine.registry.validators)
        if unknown:
            raise ConfigError(f"cannot disable unknown validator(s) {sorted(unknown)}: expected names from 'synthguard plugins'")
        if isinstance(meta, TableMeta):
            named = [("--quasi-identifiers", c) for c in options.quasi_identifiers] + [
                ("--secret", c) for c in options.secrets] + ([("--target", self.spec.target)] if self.spec.target else [])
            for option, col in named:
                if col not in meta.names:
                    raise DataError(f"{option} {col}: unknown column {col!r}: expected one of {', '.join(meta.names)}")
            return
        kind = "sequence" if isinstance(meta, SequenceMeta) else "image"
        table_only = [("--rule", options.rules), ("--quasi-identifiers", options.quasi_identifiers),
                      ("--secret", options.secrets)]
        for option, given in table_only:  # no check of these records reads them: refused rather than ignored
            if given:
                raise ConfigError(f"{option} applies to tables: the data is {kind} records (expected no {option})")
        labels = meta.static if isinstance(meta, SequenceMeta) else getattr(meta, "metadata", None)
        names = (labels.names if labels is not None else []) + (meta.channels if kind == "sequence" else [])
        if self.spec.target and self.spec.target not in names:  # a label to classify, or a channel to forecast
            what = "static attribute or channel" if kind == "sequence" else "image label"
            raise DataError(f"--target {self.spec.target}: unknown {what} {self.spec.target!r}: expected one of "
                            f"{', '.join(names) or 'none (these images carry no labels)'}")

    def measure(self, real: Records, synthetic: Records, holdout: Records | None, modality: str,
                domain: str | None) -> dict[str, Any]:
        """Every registered metric that applies: its dict by name (a metric that raises is an error entry)."""
        metrics = self.engine.active("metrics", modality, domain)
        return compute_metrics(metrics, real, synthetic, MetricContext(holdout=holdout, target=self.spec.target,
                                                                        domain=domain), step=self.step)

    def audit(self, reference: Records | None, holdout: Records | None, records: Records, modality: str,
              domain: str | None, options: RunOptions, distance: type | None) -> dict[str, Any]:
        """The privacy audit, measured against the holdout — never asserted."""
        if not options.audit:
            return {"skipped": "turned off (--no-audit)"}
        if distance is None:
            return {"skipped": f"no distance for {modality} records"}
        if reference is None:  # sample of a bundle whose training data is not at hand
            return {"skipped": "needs the real records: sample with --reference TRAINING_DATA --holdout UNSEEN_DATA"}
        from .privacy.audit import audit

        return audit(reference, holdout, records, distance, seed=self.spec.seed,
                     quasi_identifiers=options.quasi_identifiers or None, k_anonymity=options.k_anonymity,
                     qi_bins=options.qi_bins, secrets=list(options.secrets), canaries=self.canaries,
                     near_copy_quantile=options.near_copy_quantile)

    @staticmethod
    def release(audit: dict[str, Any], options: RunOptions, dp: bool = False, rows: int | None = None,
                training_units: int | None = None, temperature: float | None = None,
                refit: tuple[dict[str, Any], str] | None = None,
                prefix_passes: Callable[[int], bool] | None = None,
                flatter_decision: Callable[[float], str | None] | None = None) -> dict[str, Any]:
        """Deliver, or refuse with the reason and its remedies: the audit's decision, and the user's recorded
        override if any. ``dp``: the model is differentially private (the fix to suggest is a smaller ε, not DP).
        ``prefix_passes(n)``: whether the first ``n`` delivered records pass the same audit, asked only of a refused
        run whose membership attacks failed (half, then a quarter of the rows), so the refusal can say how many do;
        ``flatter_decision(t)``, of such a run of a model with a ``temperature``: the same audit's decision on as many
        records drawn at the flatter temperature ``t`` (None: they could not be drawn), so the refusal offers that
        sampler as measured; ``refit``: the generator's :attr:`~synthguard.Generator.privacy_remedy` when the model
        lacks it."""
        from .privacy.release import FAIL, flatter, judge, membership_failed, passing_prefix, remedies

        decision = audit.get("release") or judge(audit)
        out = {"decision": decision["decision"], "reason": decision.get("reason"), "override": options.override_audit}
        if decision["decision"] == FAIL:
            if not options.override_audit:
                leaked = membership_failed(decision) and bool(rows)
                smaller = passing_prefix(rows, prefix_passes) if prefix_passes is not None and leaked else None
                flat = (flatter_decision(flatter(temperature)) if flatter_decision is not None and leaked
                        and temperature is not None else None)
                fixes = remedies(decision, dp=dp, rows=rows, training_units=training_units, temperature=temperature,
                                 smaller=smaller, flatter_decision=flat, refit=refit)
                raise ReleaseRefused(
                    f"privacy audit failed, nothing written: {decision['reason']}; to fix: {fixes}, "
                    "or --override-audit REASON to deliver anyway (recorded in the report)")
            out["delivered_despite_failure"] = True
        return out

    def _data_section(self, reference: Records | None, holdout: Records | None) -> dict[str, Any]:
        out = {"training_records": len(reference) if reference is not None else None,
               "holdout_records": len(holdout) if holdout is not None else None, "target": self.spec.target}
        if reference is not None:  # the unit of privacy the split and the audit count (a patient, a person, a record)
            out["unit"], out["training_units"] = unit_of(reference)
            out["holdout_units"] = unit_of(holdout)[1] if holdout is not None else None
        return out


def protected_note(fit_info: Mapping[str, Any]) -> str:
    """Why a category of the real data can be missing from a model trained with value protection ('' if not)."""
    threshold = ((fit_info or {}).get("value_protection") or {}).get("threshold")
    if not isinstance(threshold, dict):
        return ""
    return (f"; value protection replaced the values fewer than {threshold.get('low')} to {threshold.get('high')} "
            "people hold before training, so they cannot be sampled (--no-value-protection keeps them)")


def check_released_conditions(train: Table, conditions: Mapping[str, Any], seed: int) -> None:
    """Conditions on values value protection would replace or drop (held by too few people, identifier columns),
    refused before training: the fit would learn without them and sampling would fail after it."""
    from .contract import _known_values
    from .privacy.value_protection import protect

    protected, report = protect(train, entities=train.groups(), seed=seed)  # as Engine.fit_records will, same seed
    for col, value in conditions.items():
        if col not in protected.meta.names:
            raise DataError(f"condition {col}={value!r}: value protection drops column {col!r} (identifier-like: "
                            f"nearly every value belongs to one person): expected a condition on a modelled column")
        column = protected.meta.column(col)
        values = [str(v) for v in column.categories or []]
        if column.kind.value in ("categorical", "boolean") and str(value) not in values:
            raise ConfigError(f"condition {col}={value!r}: value {str(value)!r} is held by too few people in column "
                              f"{col!r} for value protection to release it: expected {_known_values(str(value), values)}"
                              " (or --no-value-protection)")


def refit_remedy(model: Generator) -> tuple[dict[str, Any], str] | None:
    """The generator's :attr:`~synthguard.Generator.privacy_remedy`, unless ``model`` was fitted with it."""
    remedy = model.privacy_remedy  # on the instance: a stand-in (augment's Rebalanced) forwards it
    if remedy is None or all(getattr(model.config, key, None) == value for key, value in remedy[0].items()):
        return None
    return remedy


def unit_of(records: Records) -> tuple[str, int]:
    """The unit of privacy of ``records`` (what the holdout split keeps on one side) and how many there are."""
    from .data import entity_groups

    groups = entity_groups(records)
    return ("record", len(records)) if groups is None else (records.entity_name, len(np.unique(groups)))


def _columns_of(model: Generator, records: Records | None) -> Records | None:
    """Real records as the model sees them: a table without the columns value protection dropped (identifiers)."""
    if records is None or not isinstance(model.meta_, TableMeta):
        return records
    if not isinstance(records, Table):
        raise DataError(f"the real records are {records.modality} data: the model learned a table")
    kept = model.meta_.names
    missing = [c for c in kept if c not in records.meta.names]
    if missing:  # another table: its quality, audit and gate would compare unlike columns
        raise DataError(f"the real records lack the model's columns {missing}: expected the table the model learned "
                        f"({', '.join(kept)})")
    if set(records.meta.names) == set(kept):
        return records
    meta = TableMeta(name=records.meta.name, columns=[records.meta.column(c) for c in kept])
    return Table(records.frame[kept], meta, records.entities, records.entity_name)


# --------------------------------------------------------------------------- sampling with the gate


@dataclass
class Sampled:
    """Records that passed every check, the rejected ones with their reasons, and the counts behind them."""

    records: Records
    rejected: Records | None
    rejected_info: pd.DataFrame
    tally: dict[str, int]
    rounds: int
    sampled: int
    sample_seconds: float
    check_seconds: float

    def summary(self) -> dict[str, Any]:
        rejected = len(self.rejected) if self.rejected is not None else 0
        return {"rounds": self.rounds, "sampled": self.sampled, "rejected": int(rejected),
                "acceptance_rate": round((self.sampled - rejected) / self.sampled, 4)}


def round_seed(seed: int, round_no: int) -> int:
    """Independent, reproducible seed for each resampling round."""
    return int(np.random.SeedSequence([seed, round_no]).generate_state(1)[0])


def sample_checked(generator: Generator, rows: int, validators: Sequence[Validator],
                   privacy_filters: Sequence[PrivacyFilter], context: CheckContext, options: RunOptions, seed: int,
                   conditions: Mapping[str, Any] | None = None) -> Sampled:
    """Sample, check, resample until ``rows`` records passed (at most ``options.max_rounds`` rounds).

    A generator that ``supports_screening`` gets the k-anonymity filter as a :class:`~synthguard.screen.Screen`:
    it stops a draw whose quasi-identifiers would be refused before drawing the other columns (counted and kept
    as rejected, the undrawn columns empty); the gate below still checks every record it returns."""
    from .screen import Screen

    screen = Screen.for_run(generator, privacy_filters, context)
    kept: list[Records] = []
    rejected: list[Records] = []
    rejected_info: list[pd.DataFrame] = []
    tally = {c.name: 0 for c in (*validators, *privacy_filters)}
    sample_seconds = check_seconds = 0.0
    have, sampled, acceptance, rounds = 0, 0, 1.0, 0
    for round_no in range(options.max_rounds):
        need = rows - have
        if need <= 0:
            break
        rounds += 1
        batch_size = math.ceil(need * options.oversample / max(acceptance, 0.05))
        t0 = time.perf_counter()
        extra = {"screen": screen} if screen is not None else {}  # wrappers that override sample() take no screen
        batch = generator.sample(batch_size, seed=round_seed(seed, round_no), conditions=conditions, **extra)
        sample_seconds += time.perf_counter() - t0
        sampled += len(batch)
        stopped, stopped_info = screen.collect(tally) if screen is not None else (None, None)
        if stopped is not None:
            sampled += len(stopped)
            rejected.append(stopped)
            rejected_info.append(stopped_info)

        t0 = time.perf_counter()
        ok, info = gate(batch, validators, privacy_filters, context, tally)
        check_seconds += time.perf_counter() - t0
        if ok.any():  # containers of sequences/images refuse to be empty
            kept.append(batch.take(np.flatnonzero(ok)))
        if (~ok).any():
            rejected.append(batch.take(np.flatnonzero(~ok)))
            rejected_info.append(info)
        have += int(ok.sum())
        acceptance = max(have / sampled, 1e-3)
    if have < rows:
        worst = max(tally.items(), key=lambda kv: kv[1], default=("none", 0))
        raise SamplingError(
            f"only {have} of {rows} requested records passed the checks after {options.max_rounds} rounds "
            f"({sampled} sampled; most rejections by {worst[0]!r}: {worst[1]}); "
            "expected the generator to satisfy the checks more often — retrain, relax declared rules, or raise max_rounds"
        )
    info = (pd.concat(rejected_info, ignore_index=True) if rejected_info
            else pd.DataFrame(columns=["stage", "checks", "reason"]))
    return Sampled(records=type(kept[0]).concat(kept).take(np.arange(rows)),
                   rejected=type(rejected[0]).concat(rejected) if rejected else None, rejected_info=info, tally=tally,
                   rounds=rounds, sampled=sampled, sample_seconds=sample_seconds, check_seconds=check_seconds)


def gate(batch: Records, validators: Sequence[Validator], privacy_filters: Sequence[PrivacyFilter],
         context: CheckContext, tally: dict[str, int]) -> tuple[np.ndarray, pd.DataFrame]:
    """Keep-mask and rejection reasons: validators see the whole batch, privacy filters what the validators kept."""
    n = len(batch)
    reasons = np.full(n, None, dtype=object)
    names = [[] for _ in range(n)]
    stage = np.full(n, None, dtype=object)

    def apply(checks: Sequence[Check], idx: np.ndarray, stage_name: str) -> None:
        if not len(idx):
            return
        sub = batch.take(idx) if len(idx) != n else batch
        for check in checks:
            verdict: Verdict = check.check(sub, context)
            if len(verdict) != len(idx):
                raise RuntimeError(f"check {check.name!r} returned {len(verdict)} verdicts for {len(idx)} records")
            tally[check.name] += int(verdict.rejected.sum())
            for j in np.flatnonzero(verdict.rejected):
                i = idx[j]
                reasons[i] = verdict.reasons[j] if reasons[i] is None else f"{reasons[i]}; {verdict.reasons[j]}"
                names[i].append(check.name)
                stage[i] = stage_name

    apply(validators, np.arange(n), "validator")
    apply(privacy_filters, np.flatnonzero(stage == None), "privacy")  # noqa: E711 - elementwise on object array
    ok = stage == None  # noqa: E711
    bad = np.flatnonzero(~ok)
    info = pd.DataFrame({"stage": stage[bad], "checks": [",".join(names[i]) for i in bad], "reason": reasons[bad]})
    return np.asarray(ok, dtype=bool), info


# --------------------------------------------------------------------------- measuring


def _matching(records: Records | None, conditions: Mapping[str, Any] | None, fewest: int) -> Records | None:
    """Recordings whose static attributes equal the conditions: what conditioned output should resemble.

    Only sequences (whose statics are labels); tables are compared whole. Falls back to
    all records when fewer than ``fewest`` match.
    """
    if records is None or not conditions or not isinstance(records, SequenceSet):
        return records
    mask = np.ones(len(records), dtype=bool)
    for col, value in conditions.items():
        if col in records.statics.columns:
            mask &= (records.statics[col].astype(str) == str(value)).to_numpy()
    return records.take(np.flatnonzero(mask)) if mask.sum() >= fewest else records


def compute_metrics(metrics: Sequence[Metric], real: Records, synthetic: Records,
                    context: MetricContext, step: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Each metric's dict by name; a metric that raises is reported as an error entry, never fatal. ``step``
    hears which metric runs now (a progress line each). On one CPU thread: metrics fit many small predictors,
    which a second thread slows (:func:`synthguard.models.one_thread`)."""
    values: dict[str, Any] = {}
    with one_thread():
        for i, metric in enumerate(metrics, 1):
            if step is not None:
                step(f"metric {i}/{len(metrics)}: {metric.name}")
            try:
                values[metric.name] = metric.compute(real, synthetic, context)
            except Exception as err:
                values[metric.name] = {"error": f"{type(err).__name__}: {err}"}
    return values


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float (in dicts, lists and tuples) replaced by None: JSON has no NaN."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(finite(v) for v in value)
    if isinstance(value, (float, np.floating)) and not math.isfinite(float(value)):
        return None
    return value


def dp_claim(generator: Generator) -> dict[str, Any] | None:
    """The DP ledger a generator's fit recorded (ε spent, δ, ...), or None when it was not trained with DP."""
    return ((getattr(generator, "fit_info_", None) or {}).get("privacy") or {}).get("dp")


def privacy_ledger(generator: Generator, unit: str | None = None, filtered: bool = True) -> dict[str, Any]:
    """What of this run is covered by differential privacy (ε, δ, accountant...) and what is not.

    ``unit`` is the unit of privacy the holdout split and the audit counted (``"patient"``, ``"record"``);
    ``filtered``: whether the privacy filters ran on the output (``--no-privacy-filters`` turns them off under DP).
    """
    fit = (getattr(generator, "fit_info_", None) or {}).get("privacy") or {}
    dp = dp_claim(generator)
    steps = list(fit.get("non_private") or ([NO_DP] if dp is None else []))
    if dp is not None and filtered:
        steps.append("privacy gate: the privacy filters compared the output with the training records, so the "
                     "released records are not covered by ε, only the model is (--no-privacy-filters: they are)")
    elif dp is not None:
        steps.append("privacy gate: not run (--no-privacy-filters), so the released records are covered by ε like "
                     "the model")
    steps.append("privacy audit: attack scores and DCR computed on training and holdout records "
                 "(a measurement shown in this report, not a release of records)")
    return {"dp": dp, "epsilon": dp["epsilon_spent"] if dp else None, "unit": unit, "non_private": steps}


__all__ = ["RunSpec", "RunOptions", "Run", "FitRequest", "MAX_ROWS", "MAX_VALUES", "check_values", "Sampled", "sample_checked", "gate", "round_seed",
           "compute_metrics", "privacy_ledger", "HOLDOUT", "SPLIT_SEED"]
