"""The one pipeline: sample -> validators -> privacy gate -> (resample) -> report -> atomic write.

Fitting happens before (``Engine.fit`` or a loaded bundle); this module takes a
fitted generator and delivers exactly the requested number of records that
passed every check, plus the rejected ones with their reasons, plus the
report. Read :func:`run` top to bottom.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from .contract import Check, CheckContext, PrivacyFilter, Validator, Verdict
from .data import Records, SequenceSet, Table
from .errors import SamplingError
from .contract import NO_DP, Generator
from .io.atomic import atomic_directory, check_writable_target
from .io.writers import FORMATS, write_frame, write_records
from .privacy.filters import K_ANONYMITY, NEAR_COPY_QUANTILE, QI_BINS
from .contract import Metric, MetricContext

REPORT_VERSION = 1


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


@dataclass
class Result:
    """What a run delivers. ``records`` passed every check; ``rejected`` holds the rest with reasons."""

    records: Records
    rejected: Records | None
    rejected_info: pd.DataFrame
    report: dict[str, Any]
    writers: Sequence[Any] = ()
    context: CheckContext | None = None

    @property
    def data(self) -> pd.DataFrame:
        """The synthetic table (tables only)."""
        if not isinstance(self.records, Table):
            raise TypeError(f"{type(self.records).__name__} has no single DataFrame: use .records")
        return self.records.frame

    def save(self, out: str | Path, fmt: str = "parquet", overwrite: bool = False) -> Path:
        """Write ``synthetic.*``, ``rejected.*`` and ``report.json`` to ``out`` — all or nothing."""
        if fmt not in FORMATS:
            from .errors import ConfigError

            raise ConfigError(f"unknown output format {fmt!r}: expected one of {', '.join(FORMATS)}")
        with atomic_directory(out, overwrite=overwrite) as tmp:
            synthetic = write_records(self.records, tmp / "synthetic", fmt)
            if self.rejected is not None and len(self.rejected):
                extra = {f"_{c}": self.rejected_info[c].to_numpy() for c in self.rejected_info.columns}
                rejected = write_records(self.rejected, tmp / "rejected", fmt, extra=extra)
            else:
                rejected = write_frame(pd.DataFrame(columns=["_stage", "_checks", "_reason"]), tmp / "rejected", fmt)
            report = dict(self.report)
            report["files"] = {"synthetic": synthetic.name, "rejected": rejected.name, "report": "report.json",
                               "html": "report.html"}
            if self.writers:  # plugins' extra formats (register_writers), inside the same all-or-nothing directory
                report["files"]["writers"] = {w.name: list(w.write(self.records, tmp, self.context))
                                              for w in self.writers}
            (tmp / "report.json").write_text(json.dumps(report, indent=2, default=_json_default))
            write_html_report(tmp, report)
        self.report = report
        return Path(out)


def write_html_report(directory: Path, report: dict[str, Any] | None = None) -> Path:
    """(Re-)render ``report.html`` in ``directory`` from its ``report.json`` (or the given dict)."""
    from .quality.html import render_html

    if report is None:
        path = Path(directory) / "report.json"
        if not path.is_file():
            from .errors import DataError

            raise DataError(f"{str(path)!r} not found: expected an output directory written by generate/sample")
        report = json.loads(path.read_text())
    report = json.loads(json.dumps(report, default=_json_default))
    out = Path(directory) / "report.html"
    out.write_text(render_html(report), encoding="utf-8")
    return out


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (np.ndarray, tuple)):
        return list(obj)
    return str(obj)


@dataclass
class _Tally:
    rejected: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, verdict: Verdict) -> None:
        self.rejected[name] = self.rejected.get(name, 0) + int(verdict.rejected.sum())


def round_seed(seed: int, round_no: int) -> int:
    """Independent, reproducible seed for each resampling round."""
    return int(np.random.SeedSequence([seed, round_no]).generate_state(1)[0])


def run(
    generator: Generator,
    rows: int,
    *,
    validators: Sequence[Validator],
    privacy_filters: Sequence[PrivacyFilter],
    metrics: Sequence[Metric] = (),
    seed: int = 0,
    conditions: Mapping[str, Any] | None = None,
    reference: Records | None = None,
    holdout: Records | None = None,
    target: str | None = None,
    options: RunOptions | None = None,
    out: str | Path | None = None,
    fmt: str = "parquet",
    overwrite: bool = False,
    lineage: dict[str, Any] | None = None,
    distance: type | None = None,
    writers: Sequence[Any] = (),
) -> Result:
    """Deliver ``rows`` checked records from a fitted ``generator``; write them to ``out`` if given."""
    options = options or RunOptions()
    if out is not None:
        check_writable_target(out, overwrite)  # fail before spending time on sampling
    context = CheckContext(
        meta=generator.meta_,
        reference_hashes=generator.reference_hashes_,
        reference=reference,
        holdout=holdout,
        domain=generator.domain,
        options=options.model_dump(),
        distance=distance,
    )
    checks: list[Check] = [*validators, *privacy_filters]
    for check in checks:
        check.prepare(context)

    # 1. sample, check, resample until enough records passed (bounded)
    start = time.perf_counter()
    kept: list[Records] = []
    rejected: list[Records] = []
    rejected_info: list[pd.DataFrame] = []
    tally = _Tally({c.name: 0 for c in checks})
    sample_seconds = check_seconds = 0.0
    have, sampled, acceptance, rounds = 0, 0, 1.0, 0
    for round_no in range(options.max_rounds):
        need = rows - have
        if need <= 0:
            break
        rounds += 1
        batch_size = math.ceil(need * options.oversample / max(acceptance, 0.05))
        t0 = time.perf_counter()
        batch = generator.sample(batch_size, seed=round_seed(seed, round_no), conditions=conditions)
        sample_seconds += time.perf_counter() - t0
        sampled += len(batch)

        t0 = time.perf_counter()
        ok, info = _gate(batch, validators, privacy_filters, context, tally)
        check_seconds += time.perf_counter() - t0
        if ok.any():  # containers of sequences/images refuse to be empty
            kept.append(batch.take(np.flatnonzero(ok)))
        if (~ok).any():
            rejected.append(batch.take(np.flatnonzero(~ok)))
            rejected_info.append(info)
        have += int(ok.sum())
        acceptance = max(have / sampled, 1e-3)
    if have < rows:
        worst = max(tally.rejected.items(), key=lambda kv: kv[1], default=("none", 0))
        raise SamplingError(
            f"only {have} of {rows} requested records passed the checks after {options.max_rounds} rounds "
            f"({sampled} sampled; most rejections by {worst[0]!r}: {worst[1]}); "
            "expected the generator to satisfy the checks more often — retrain, relax declared rules, or raise max_rounds"
        )
    records = type(kept[0]).concat(kept).take(np.arange(rows))
    rejected_records = type(rejected[0]).concat(rejected) if rejected else None
    info = pd.concat(rejected_info, ignore_index=True) if rejected_info else pd.DataFrame(columns=["stage", "checks", "reason"])

    # 2. metrics, when the real data is at hand (conditioned sequences: against the real ones that match)
    metric_values: dict[str, Any] = {}
    compared_with: dict[str, Any] | None = None
    t0 = time.perf_counter()
    if reference is not None and options.metrics:
        real, held = _matching(reference, conditions, 10), _matching(holdout, conditions, 1)
        metric_values = compute_metrics(metrics, real, records,
                                        MetricContext(holdout=held, target=target, domain=generator.domain))
        compared_with = {"training": len(real), "holdout": len(held) if held is not None else 0,
                         "matching_conditions": {"training": real is not reference,
                                                 "holdout": held is not holdout}}
    metric_seconds = time.perf_counter() - t0

    # 3. privacy audit: measured against the holdout, never asserted
    audit_report: dict[str, Any] = {"skipped": "needs the training data and a distance"}
    t0 = time.perf_counter()
    if not options.audit:
        audit_report = {"skipped": "turned off (--no-audit)"}
    elif reference is not None and distance is not None:
        from .privacy.audit import audit

        audit_report = audit(reference, holdout, records, distance, seed=seed,
                             quasi_identifiers=options.quasi_identifiers or None,
                             k_anonymity=options.k_anonymity, qi_bins=options.qi_bins)
    audit_seconds = time.perf_counter() - t0

    # 4. report
    report = {
        "report_version": REPORT_VERSION,
        "rows": rows,
        "seed": seed,
        "modality": generator.modality,
        "conditions": dict(conditions or {}),
        "metrics_compared_with": compared_with,
        "data": {"training_records": len(reference) if reference is not None else None,
                 "holdout_records": len(holdout) if holdout is not None else None, "target": target},
        "generator": {
            "name": generator.name,
            "bundle_sha256": getattr(generator, "bundle_sha256_", None),
            "config": generator.config.model_dump(mode="json"),
            "fit": generator.fit_info_,
        },
        "sampling": {"rounds": rounds, "sampled": sampled,
                     "rejected": int(sum(len(r) for r in rejected)), "acceptance_rate": round(have / sampled, 4)},
        "validators": {c.name: {"rejected": tally.rejected[c.name], **c.summary()} for c in validators},
        "privacy": {c.name: {"rejected": tally.rejected[c.name], **c.summary()} for c in privacy_filters},
        "metrics": metric_values,
        "audit": audit_report,
        "privacy_ledger": privacy_ledger(generator),
        "timings": {
            "fit_seconds": (lineage or {}).get("fit_seconds"),
            "sample_seconds": round(sample_seconds, 4),
            "checks_seconds": round(check_seconds, 4),
            "metrics_seconds": round(metric_seconds, 4),
            "audit_seconds": round(audit_seconds, 4),
            "total_seconds": round(time.perf_counter() - start, 4),
        },
        "lineage": lineage or {},
    }
    result = Result(records, rejected_records, info, report, writers=list(writers), context=context)
    if out is not None:
        result.save(out, fmt=fmt, overwrite=overwrite)
    return result


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
                    context: MetricContext) -> dict[str, Any]:
    """Each metric's dict by name; a metric that raises is reported as an error entry, never fatal."""
    values: dict[str, Any] = {}
    for metric in metrics:
        try:
            values[metric.name] = metric.compute(real, synthetic, context)
        except Exception as err:
            values[metric.name] = {"error": f"{type(err).__name__}: {err}"}
    return values


def privacy_ledger(generator: Generator) -> dict[str, Any]:
    """What of this run is covered by differential privacy (ε, δ, accountant...) and what is not."""
    fit = (getattr(generator, "fit_info_", None) or {}).get("privacy") or {}
    dp = fit.get("dp")
    steps = list(fit.get("non_private") or ([NO_DP] if dp is None else []))
    steps.append("privacy audit: attack scores and DCR computed on training and holdout records "
                 "(a measurement shown in this report, not a release of records)")
    return {"dp": dp, "epsilon": dp["epsilon_spent"] if dp else None, "non_private": steps}


def _gate(batch: Records, validators: Sequence[Validator], privacy_filters: Sequence[PrivacyFilter],
          context: CheckContext, tally: _Tally) -> tuple[np.ndarray, pd.DataFrame]:
    """Validators see the whole batch; privacy filters see what the validators kept."""
    n = len(batch)
    reasons = np.full(n, None, dtype=object)
    names = [[] for _ in range(n)]
    stage = np.full(n, None, dtype=object)

    def apply(checks: Sequence[Check], idx: np.ndarray, stage_name: str) -> None:
        if not len(idx):
            return
        sub = batch.take(idx) if len(idx) != n else batch
        for check in checks:
            verdict = check.check(sub, context)
            if len(verdict) != len(idx):
                raise RuntimeError(f"check {check.name!r} returned {len(verdict)} verdicts for {len(idx)} records")
            tally.add(check.name, verdict)
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
