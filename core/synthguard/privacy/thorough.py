"""The thorough audit: a shadow-model membership attack on the generator itself (issue 21).

The per-run audit (:func:`synthguard.privacy.audit`) attacks one synthetic table with cheap no-box scores.
The thorough audit checks them against a strong attack: it refits the named generator ``shadows`` times
on training sets drawn from train + holdout, half of them holding each target record and half not, and
asks whether a classifier can tell the two apart from the synthetic data alone
(:func:`~synthguard.privacy.shadow_attack`, TAPAS / DOMIAS-style). Its cost is ``shadows`` fits, so it is
for small tables (german_credit, GaussianCopula, 100 fits: 96-139 s on one CPU core).

CLI wiring
----------
``synthguard audit --thorough --generator NAME [--shadows N]``: in ``cli.py``, three options and three
parameters on ``audit_cmd``; in its body, a check first, the thorough run between ``out = ...`` and
``if as_json:``, and its line after the WP29 line (``ConfigError``, ``sys`` and ``click`` are imported there)::

    @click.option("--thorough", is_flag=True, help="also refit --generator on shadow training sets and attack it "
                  "(shadow-model membership inference; slow: --shadows fits)")
    @click.option("--generator", default=None, metavar="NAME", help="the generator that made --synthetic (--thorough)")
    @click.option("--shadows", type=int, default=100, show_default=True, help="generator fits of --thorough")
    ...
    def audit_cmd(ctx, real, synthetic, holdout_data, seed, quasi_identifiers, secrets, as_json, thorough, generator,
                  shadows) -> None:
        if thorough and not generator:  # before the audit: fail in a second, not after it
            raise ConfigError("--thorough refits the generator that made --synthetic: expected --generator NAME")
        ...  # out = _engine(ctx).audit(...) as now
        if thorough:
            from .privacy.thorough import describe, thorough_audit

            with click.progressbar(length=shadows, label="shadow fits", file=sys.stderr) as bar:
                out["thorough"] = thorough_audit(_engine(ctx), generator, real, holdout_data, shadows=shadows,
                                                 seed=seed, rows=out["records"]["synthetic"],
                                                 progress=lambda done, total: bar.update(1))
        ...  # if as_json: ... as now (out["thorough"] is in the JSON)
        ...  # after the WP29 line:
        if thorough:
            click.echo(describe(out["thorough"]))
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from ..data import Records, Table
from ..errors import ConfigError, DataError, PluginError
from .shadow import MIN_SHADOWS, choose_targets, generator_fit_sample, shadow_attack

#: Label permutations giving the worst and pooled AUC their null (no generator fits: seconds).
PERMUTATIONS = 50
#: Default targets: this many most isolated records, this many random ones.
TARGETS = (5, 5)

Progress = Callable[[int, int], None]


def _records(engine, data: Any, what: str, generator) -> Records:
    """A container of the generator's modality from a container, a DataFrame or a file path; names what does not
    fit."""
    modality = generator.modality
    if isinstance(data, Records) and data.modality != modality:
        raise ConfigError(f"generator {generator.name!r} fits {modality} data: {what} is {data.modality} data, "
                          "so the generator cannot be refitted on it")
    if not isinstance(data, (Records, pd.DataFrame, str, Path)):
        raise DataError(f"{what} of type {type(data).__name__}: expected a DataFrame, a file path or a synthguard "
                        "container")
    records = engine.to_records(data, what, modality=None if modality == "table" else modality)
    if records.modality != modality:
        raise ConfigError(f"generator {generator.name!r} fits {modality} data: {what} is {records.modality} data, "
                          "so the generator cannot be refitted on it")
    return records


def _population(train: Records, holdout: Records | None) -> Records:
    """train + holdout as one container (train first), tables in one schema learned from both."""
    if holdout is None:
        return train
    if isinstance(train, Table):
        if set(holdout.frame.columns) != set(train.meta.names):
            missing = [c for c in train.meta.names if c not in holdout.frame.columns]
            extra = [c for c in holdout.frame.columns if c not in train.meta.names]
            raise DataError(f"holdout columns differ from train's: missing {missing}, unexpected {extra}")
        if holdout.meta == train.meta:
            return Table.concat([train, holdout])
        frame = pd.concat([train.frame, holdout.frame[train.meta.names]], ignore_index=True)
        return Table.from_frame(frame, name=train.meta.name)
    if type(holdout) is not type(train):
        raise DataError(f"holdout is {holdout.modality} data, train is {train.modality}: expected the same kind")
    return type(train).concat([train, holdout])


def _targets(targets: Any) -> tuple[int, int]:
    ok = (isinstance(targets, (tuple, list)) and len(targets) == 2
          and all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0 for n in targets)
          and sum(targets) > 0)
    if not ok:
        raise ConfigError(f"targets={targets!r}: expected (outliers, random), two counts >= 0, at least one target")
    return int(targets[0]), int(targets[1])


def refit_generator(engine, generator: str, config: Mapping[str, Any] | None = None):
    """The unfitted generator the thorough audit refits, its name and ``config`` checked (ConfigError naming the
    problem): callers check it before any slower work."""
    if not isinstance(generator, str) or not generator:
        raise ConfigError(f"generator {generator!r}: the thorough audit refits the generator that made the data, "
                          "expected its name (--generator NAME)")
    try:
        made = engine.generator(generator, config)  # validates the config too (ConfigError)
    except PluginError as err:
        raise ConfigError(f"thorough audit: {err}") from None
    if config and config.get("epsilon") is not None and not made.supports_dp:
        raise ConfigError(f"generator {made.name!r} cannot train with differential privacy: it cannot be refitted "
                          "with this config (drop epsilon)")
    return made


def thorough_audit(engine, generator: str, train: Any, holdout: Any = None, *,
                   config: Mapping[str, Any] | None = None, shadows: int = 100, targets: tuple[int, int] = TARGETS,
                   rows: int | None = None, permutations: int = PERMUTATIONS, seed: int = 0,
                   progress: Progress | None = None) -> dict[str, Any]:
    """Shadow-model membership inference against ``generator`` refitted on train + holdout: is any record exposed?

    The attacker's population is ``train`` and ``holdout`` together (``holdout`` may be None: then ``train``
    alone, and every shadow set holds all its non-target records). Its targets are the ``targets[0]`` most
    isolated distinct records and ``targets[1]`` random ones. The generator (``engine.generator(generator,
    config)``, fitted on CPU) is trained ``shadows`` times on sets of ``len(train)`` records (fewer when the
    population is too small) with a balanced half of the targets inserted, and samples ``rows`` records each
    (default ``len(train)``; give the audited release's size). A classifier scored by cross-validation over
    the runs tells "in" from "out"; ``permutations`` refits on shuffled labels give the null.
    ``progress(done, total)`` is called after each fit.

    Everything is checked before the first fit: the generator's name and config, that it fits this kind of
    data (and can train with DP when ``config`` asks for it), the counts, and that the records suffice.
    Raises :class:`~synthguard.errors.ConfigError` (the generator, the options) or
    :class:`~synthguard.errors.DataError` (the records) naming the problem.

    Returns a JSON-able dict: ``generator``, ``shadows``, ``targets`` (counts), ``worst_auc``,
    ``worst_auc_null_p95``, ``worst_auc_significant``, ``worst_p_value``, ``pooled_auc`` (+ ``pooled_auc_ci``,
    ``pooled_auc_null_p95``, ``pooled_auc_significant``), ``mean_auc``, ``per_target`` (kind, whether it came
    from train or holdout, outlier score, AUC with interval, TPR at 10% FPR, p-value, the cheap scores' AUC on
    the same runs: never a record's values), ``cheap_on_same_runs``, ``verdict`` (``"leaks"`` when the worst
    target's AUC passes its null's 95th percentile, else ``"no leak seen"``), the set-up and ``seconds``.
    """
    began = time.perf_counter()
    made = refit_generator(engine, generator, config)
    name = made.name
    if not isinstance(shadows, (int, np.integer)) or isinstance(shadows, bool) or shadows < MIN_SHADOWS or shadows % 2:
        raise ConfigError(f"shadows={shadows!r}: expected an even number of generator fits, at least {MIN_SHADOWS} "
                          "(half with each target, half without)")
    if not isinstance(permutations, (int, np.integer)) or isinstance(permutations, bool) or permutations < 1:
        raise ConfigError(f"permutations={permutations!r}: expected at least 1 (the null the verdict is read against)")
    outliers, random = _targets(targets)
    if rows is not None and (not isinstance(rows, (int, np.integer)) or isinstance(rows, bool) or rows < 1):
        raise ConfigError(f"rows={rows!r}: expected a positive number of synthetic records per fit")

    if train is None:
        raise DataError("the thorough audit needs the training records (--real): got None")
    train_r = _records(engine, train, "train", made)
    hold_r = _records(engine, holdout, "holdout", made) if holdout is not None else None
    population = _population(train_r, hold_r)
    n_targets = outliers + random
    if len(train_r) < 2 * n_targets:
        raise DataError(f"train holds {len(train_r)} records: expected at least {2 * n_targets} for {n_targets} "
                        "targets (about half of them sit in each shadow training set of len(train) records)")
    distance = engine.distance_for(made.modality, made.domain)
    chosen = choose_targets(population, distance, outliers=outliers, random=random, seed=seed)  # DataError: too few
    hashes = chosen["records"].record_hashes()
    pool = int((~np.isin(population.record_hashes(), hashes)).sum())  # records a shadow set can be drawn from
    train_rows = min(len(train_r), pool)  # each shadow set: train's size when the population allows it
    if train_rows < 2 * n_targets:
        raise DataError(f"train and holdout hold {pool} records besides the {n_targets} targets: expected at least "
                        f"{2 * n_targets} (more records or fewer targets)")
    synthetic_rows = len(train_r) if rows is None else int(rows)
    fit_sample = generator_fit_sample(lambda: engine.generator(generator, config), synthetic_rows, device="cpu")
    result = shadow_attack(fit_sample, population, chosen["records"], shadows=int(shadows), distance=distance,
                           train_rows=train_rows, permutations=int(permutations), seed=seed, progress=progress)
    null = result["null"]
    per_target = []
    for row in result["targets"]:
        t = row["target"]
        index = int(chosen["indices"][t])
        per_target.append({
            "target": t, "kind": chosen["kinds"][t], "source": "train" if index < len(train_r) else "holdout",
            "outlier_score": row["outlier_score"], "auc": row["auc"], "auc_ci": row["auc_ci"],
            "tpr_at_10pct_fpr": row.get("tpr"), "p_value": row.get("p_value"), "cheap_auc": row["cheap_auc"]})
    significant = bool(result["worst_auc_significant"])
    return {
        "attack": result["attack"], "generator": name, "config": dict(config or {}), "shadows": int(shadows),
        "targets": {"outliers": outliers, "random": random},
        "worst_auc": result["worst_auc"], "worst_auc_null_p95": null["worst_auc_p95"],
        "worst_auc_significant": significant, "worst_p_value": null["worst_p_value"],
        "worst_target": result["worst_target"], "mean_auc": result["mean_auc"],
        "pooled_auc": result["pooled"]["auc"], "pooled_auc_ci": result["pooled"]["auc_ci"],
        "pooled_auc_null_p95": null["pooled_auc_p95"],
        "pooled_auc_significant": bool(result["pooled_auc_significant"]),
        "per_target": per_target, "cheap_on_same_runs": result["cheap_on_same_runs"],
        "verdict": "leaks" if significant else "no leak seen",
        "population": len(population), "train_rows": train_rows, "synthetic_rows": synthetic_rows,
        "distance": result["distance"], "permutations": int(permutations), "seed": seed,
        "seconds": round(time.perf_counter() - began, 2), "fit_seconds": result["fit_s"],
        "note": result["note"],
    }


def describe(result: Mapping[str, Any]) -> str:
    """One line for the terminal: the verdict, the worst target's AUC against its null, the pooled AUC, the cost."""
    sign = ">" if result["worst_auc_significant"] else "<="
    t = result["targets"]
    low, high = result["pooled_auc_ci"]
    return (f"thorough audit ({result['generator']}, {result['shadows']} shadow fits, {t['outliers']} outlier + "
            f"{t['random']} random targets): {result['verdict']} — worst target AUC {result['worst_auc']:.3f} {sign} "
            f"{result['worst_auc_null_p95']:.3f} no-leak p95 (p={result['worst_p_value']:.2f}); pooled AUC "
            f"{result['pooled_auc']:.3f} [{low:.3f}, {high:.3f}]; {result['seconds']:.0f} s")


__all__ = ["thorough_audit", "describe"]
