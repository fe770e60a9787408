"""``synthguard explain`` for sequence outputs (sensor recordings, traffic days): what the generator learned over
time and across channels (:mod:`.temporal`), and — for a generator that can score records (the LSTM sequence
models: :class:`SequenceScorer`) — each delivered record's log-likelihood with an outlier flag and where in the
record the model finds real and synthetic steps surprising.

The real data is found as for tables (:mod:`.inputs`): the reference dataset report.json names, else ``--data``
(an NPZ, or anything ``synthguard fit sensor --data`` reads with its default format), cut into the run's split.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from ..data import SequenceSet
from ..errors import DataError
from ..quality.figures import round_values
from ..quality.html import read_report
from .inputs import _bundle_for, real_data
from .scoring import record_likelihoods
from .temporal import temporal_structure
from .temporal_figures import step_likelihood_figure, temporal_figures

if TYPE_CHECKING:  # pragma: no cover
    from ..contract import Generator
    from ..engine import Engine


@runtime_checkable
class SequenceScorer(Protocol):
    """The optional capability a sequence generator offers ``explain`` (``supports_likelihood`` True).

    ``log_likelihood``: one float per record (nats); ``step_log_likelihood``: (records, steps), log p(x_t | earlier
    steps); NaN where nothing can be scored.
    """

    supports_likelihood: bool

    def log_likelihood(self, records: SequenceSet) -> np.ndarray:
        """log p(record) under the model."""

    def step_log_likelihood(self, records: SequenceSet) -> np.ndarray:
        """log p(step t | the record's earlier steps) under the model."""


def sequence_scorer_of(model: Any) -> SequenceScorer | None:
    if model is not None and getattr(model, "supports_likelihood", False) and isinstance(model, SequenceScorer):
        return model
    return None


@dataclass
class SequenceInputs:
    """One sequence explanation's material: delivered records, the real split, the model if any."""

    directory: Path
    report: dict[str, Any]
    synthetic: SequenceSet
    train: SequenceSet
    holdout: SequenceSet | None
    model: "Generator | None"
    notes: list[str] = field(default_factory=list)


def real_sequences(engine: "Engine", data: Any, source: dict[str, Any], split: dict[str, Any] | None,
                   where: str, sequence_format: Any = None) -> tuple[SequenceSet, SequenceSet | None, list[str]]:
    """The real recordings (``data``, else the recorded reference dataset) cut into the run's training/holdout split."""
    return real_data(engine, data, source, split, where, modality="sequence", sequence_format=sequence_format)


def from_sequence_output(engine: "Engine", directory: str | Path, data: Any = None, model: Any = None,
                         sequence_format: Any = None) -> SequenceInputs:
    """Everything ``explain`` needs about a sequence output directory written by generate/sample."""
    from ..io import read_sequences

    directory = Path(directory)
    report = read_report(directory)
    files = report.get("files") or {}
    syn_path = directory / str(files.get("synthetic", "synthetic.npz"))
    if not syn_path.is_file():
        raise DataError(f"{str(syn_path)!r} not found: expected the synthetic recordings its report.json names")
    lineage, fit = report.get("lineage") or {}, (report.get("generator") or {}).get("fit") or {}
    source = lineage.get("data_source") or fit.get("source") or {}
    train, hold, notes = real_sequences(engine, data, source, lineage.get("holdout") or fit.get("holdout"),
                                        f"{str(directory)!r}/report.json", sequence_format=sequence_format)
    synthetic = read_sequences(syn_path)[0]
    missing = [c for c in train.channels if c not in synthetic.channels]
    if missing:
        raise DataError(f"the synthetic recordings lack the real data's channel(s) {missing}: expected the recordings "
                        "the generator learned from")
    fingerprint = fit.get("source_fingerprint", fit.get("data_fingerprint"))
    if fingerprint and fingerprint != train.fingerprint():
        notes.append("the real training records differ from those the model was fitted on (fingerprint): "
                      "comparisons are against the data given, not what the model saw")
    loaded, how = _bundle_for(engine, report, model, source)
    return SequenceInputs(directory, report, synthetic, train, hold, loaded, [*notes, how])


def build_sequences(inputs: SequenceInputs, seed: int = 0, version: int = 1) -> dict[str, Any]:
    """explain.json's content for sequences."""
    gen = inputs.report.get("generator") or {}
    result: dict[str, Any] = {"explain_version": version, "modality": "sequence", "generator": gen.get("name"),
                              "bundle_sha256": gen.get("bundle_sha256"), "notes": list(inputs.notes),
                              "records": {"synthetic": len(inputs.synthetic), "training": len(inputs.train),
                                          "holdout": len(inputs.holdout) if inputs.holdout is not None else 0}}
    temporal = temporal_structure(inputs.train, inputs.synthetic, seed=seed)
    result["temporal"] = temporal
    figures: dict[str, list] = {"temporal": temporal_figures(temporal)}
    scorer = sequence_scorer_of(inputs.model)
    if scorer is not None:
        from .figures import likelihood_figure

        lik = record_likelihoods(scorer, inputs.synthetic, inputs.holdout, inputs.train)
        lik["scale"] = "nats in the space the model works in (standardised channels, after the generator's transform)"
        real = inputs.holdout if inputs.holdout is not None and len(inputs.holdout) else inputs.train
        steps = {"real": _step_means(scorer.step_log_likelihood(real)),
                 "synthetic": _step_means(scorer.step_log_likelihood(inputs.synthetic)),
                 "against": lik["against"]}
        lik["per_step"] = steps
        result["likelihood"] = lik
        figs = [f for f in (likelihood_figure(lik), step_likelihood_figure(steps)) if f]
        figures["likelihood"] = figs
    else:
        why = (f"generator {gen.get('name')!r} cannot score records (no exact likelihood)"
               if inputs.model is not None else "the model is not at hand (pass --model BUNDLE)")
        result["model_note"] = f"{why}: only the model-free parts are shown."
    result["figures"] = figures
    return result


def _step_means(steps: np.ndarray) -> list[float | None]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a step nobody observed: None
        return round_values(np.nanmean(np.asarray(steps, dtype=float), axis=0))


__all__ = ["SequenceScorer", "SequenceInputs", "sequence_scorer_of", "real_sequences", "from_sequence_output",
           "build_sequences"]
