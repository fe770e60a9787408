"""``synthguard explain``: what a generator learned, read from its output (or a bundle it samples from).

* the dependency structure of the real vs the synthetic data (:mod:`.association`), as two heatmaps and
  their difference, with the largest misses named;
* for a generator that can score records (:class:`LikelihoodScorer`; the finance default does), each
  column's conditional importance as the model sees it and each delivered record's log-likelihood with
  an outlier flag (:mod:`.scoring`);
* for records the gate rejected as copies, the columns that made them copies — names only (:mod:`.attribution`);
* for sequence outputs (:mod:`.sequences`): autocorrelation per channel, cross-channel correlation and lead-lag
  pairs, real vs synthetic (:mod:`.temporal`), and, for a generator that scores records (:class:`SequenceScorer`;
  the LSTM sequence models do), each record's log-likelihood and the model's surprise per step.

Written as ``explain.json`` and ``explain.html`` in ``out`` (default: the output directory itself, whose
report.json then carries an ``explain`` section that report.html draws)::

    from synthguard.explain import explain
    summary = explain("out/", model="model/")
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, DataError
from ..quality.html import read_report
from .association import dependency_structure
from .attribution import near_copy_columns
from .figures import association_figures, attribution_figure, importance_figures, likelihood_figure
from .inputs import Inputs, from_output, kind_of, real_data
from .page import explain_page, explain_section
from .scoring import LikelihoodScorer, conditional_importance, record_likelihoods, scorer_of
from .sequences import SequenceInputs, SequenceScorer, build_sequences, from_sequence_output, real_sequences
from .temporal import temporal_structure

if TYPE_CHECKING:  # pragma: no cover
    from ..engine import Engine

#: Version of explain.json's layout.
EXPLAIN_VERSION = 1
#: Keys left out of report.json's copy of the explanation (per-record lists: explain.json has them).
_BULKY = ("log_likelihood", "reference_log_likelihood")


def explain(source: str | Path, *, data: Any = None, out: str | Path | None = None, model: Any = None,
            rows: int = 1000, seed: int = 0, overwrite: bool = False, engine: "Engine | None" = None,
            sequence_format: Any = None) -> dict[str, Any]:
    """Explain an output directory, or a bundle (sampled first, ``rows`` records into ``out``). Returns explain.json.

    ``data``: the real table the generator learned from, when report.json / the bundle names no reference
    dataset; it is read as the run read its data (a table's ``--entity-column``, a sensor log's format, from the
    lineage) unless ``sequence_format`` says otherwise. ``model``: the bundle that made an output (an output does
    not hold its model; a pretrained bundle is found by itself); without one only the model-free parts are shown.
    """
    from ..engine import default_engine

    engine = engine or default_engine()
    if kind_of(source) == "bundle":
        inputs = _sample_bundle(engine, Path(source), data, out, rows, seed, overwrite, sequence_format)
        out = inputs.directory
    elif read_report(Path(source)).get("modality", "table") == "sequence":
        inputs = from_sequence_output(engine, source, data=data, model=model, sequence_format=sequence_format)
    else:
        inputs = from_output(engine, source, data=data, model=model, sequence_format=sequence_format)
    result = (build_sequences(inputs, seed=seed, version=EXPLAIN_VERSION) if isinstance(inputs, SequenceInputs)
              else build(inputs, seed=seed))
    write(result, Path(out) if out is not None else inputs.directory, inputs)
    return result


def _sample_bundle(engine: "Engine", bundle: Path, data: Any, out: str | Path | None, rows: int, seed: int,
                   overwrite: bool, sequence_format: Any = None) -> "Inputs | SequenceInputs":
    from ..io.atomic import check_writable_target

    if out is None:
        raise ConfigError(f"{str(bundle)!r} is a model bundle: explain samples from it, expected --out DIR for the "
                          "sampled output")
    check_writable_target(out, overwrite)
    loaded = engine.load(bundle)
    if loaded.modality not in ("table", "sequence"):
        raise DataError(f"bundle {str(bundle)!r} makes {loaded.modality} records: explain reads tables and sequences")
    fit = loaded.fit_info_
    read = real_data if loaded.modality == "table" else real_sequences
    train, hold, _ = read(engine, data, fit.get("source") or {}, fit.get("holdout"), f"bundle {str(bundle)!r}",
                          sequence_format=sequence_format)
    engine.sample(loaded, rows, seed=seed, reference=train, holdout=hold, out=out, overwrite=overwrite)
    if loaded.modality == "sequence":
        return from_sequence_output(engine, out, data=data, model=loaded, sequence_format=sequence_format)
    return from_output(engine, out, data=data, model=loaded, sequence_format=sequence_format)


def build(inputs: Inputs, seed: int = 0) -> dict[str, Any]:
    """explain.json's content from resolved inputs."""
    gen = inputs.report.get("generator") or {}
    result: dict[str, Any] = {"explain_version": EXPLAIN_VERSION, "generator": gen.get("name"),
                              "bundle_sha256": gen.get("bundle_sha256"), "notes": list(inputs.notes),
                              "records": {"synthetic": len(inputs.synthetic), "training": len(inputs.train),
                                          "holdout": len(inputs.holdout) if inputs.holdout is not None else 0}}
    dep = dependency_structure(inputs.train, inputs.synthetic, seed=seed)
    figures: dict[str, list] = {"dependencies": association_figures(dep)}
    result["dependencies"] = dep
    scorer = scorer_of(inputs.model)
    if scorer is not None:
        real = inputs.holdout if inputs.holdout is not None and len(inputs.holdout) else inputs.train
        result["importance"] = conditional_importance(scorer, real, seed=seed)
        result["importance"]["scored_on"] = "holdout" if real is inputs.holdout else "training"
        figures["importance"] = importance_figures(result["importance"], inputs.target)
        result["likelihood"] = record_likelihoods(scorer, inputs.synthetic, inputs.holdout, inputs.train)
        fig = likelihood_figure(result["likelihood"])
        figures["likelihood"] = [fig] if fig else []
    else:
        why = (f"generator {gen.get('name')!r} cannot score records (no log_likelihood / conditional_log_prob)"
               if inputs.model is not None else "the model is not at hand (pass --model BUNDLE)")
        result["model_note"] = f"{why}: only the model-free parts are shown."
    if inputs.rejected is not None and len(inputs.rejected):
        qi = ((inputs.report.get("privacy") or {}).get("core.k-anonymity") or {}).get("quasi_identifiers")
        result["near_copies"] = near_copy_columns(inputs.rejected, inputs.train, qi)
        fig = attribution_figure(result["near_copies"])
        figures["near_copies"] = [fig] if fig else []
    result["figures"] = figures
    return result


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write(result: dict[str, Any], out: Path, inputs: "Inputs | SequenceInputs") -> list[Path]:
    """explain.json and explain.html in ``out``; in the explained output directory also report.json/html's section."""
    from ..io.writers import json_default
    from ..result import write_html_report

    out.mkdir(parents=True, exist_ok=True)
    written = [out / "explain.json", out / "explain.html"]
    _write_text(written[0], json.dumps(result, indent=1, default=json_default))
    _write_text(written[1], explain_page(result))
    if out.resolve() == inputs.directory.resolve():
        report = dict(inputs.report)
        report["explain"] = _light(result)
        report.setdefault("files", {})["explain"] = "explain.json"
        _write_text(out / "report.json", json.dumps(report, indent=2, default=json_default))
        write_html_report(out, report)
        written += [out / "report.json", out / "report.html"]
    return written


def _light(value: Any) -> Any:
    """The explanation without per-record lists (those stay in explain.json)."""
    if isinstance(value, dict):
        return {k: _light(v) for k, v in value.items() if k not in _BULKY}
    if isinstance(value, list):
        return [_light(v) for v in value]
    return value


__all__ = ["explain", "build", "write", "explain_section", "explain_page", "LikelihoodScorer", "scorer_of",
           "SequenceScorer", "build_sequences", "temporal_structure",
           "dependency_structure", "conditional_importance", "record_likelihoods", "near_copy_columns",
           "EXPLAIN_VERSION"]
