"""``synthguard`` command line: plugins, datasets, generate, fit, pretrain, sample, audit, evaluate, report.

Every user mistake is a :class:`SynthGuardError`; it is printed as one line
``error: ...`` on stderr with exit code 2. Anything else is a bug and keeps
its traceback.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from typing import Any

import click

from . import log_progress
from .engine import Engine
from .io.database import Database, as_source, as_target, is_database_url
from .errors import ConfigError, SynthGuardError
from .read_options import image_format, image_options, sequence_format, sequence_options, with_options
from .scale.cli import scale_from, scale_options

DEVICE = click.Choice(["auto", "cpu", "cuda", "mps"])
FORMAT = click.Choice(["parquet", "csv"])


def _engine(ctx: click.Context) -> Engine:
    return ctx.obj


def _parse_pairs(pairs: tuple[str, ...], what: str) -> dict[str, Any]:
    """``col=value`` pairs; values are JSON when they parse as JSON (numbers, true/false), else text."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{what} {pair!r} is malformed: expected NAME=VALUE")
        try:
            parsed = json.loads(value)
            if isinstance(parsed, (dict, list)):
                parsed = value
        except json.JSONDecodeError:
            parsed = value
        name = key.strip()
        if name in out and out[name] != parsed:  # the last would silently win
            raise ConfigError(f"{what} {name!r} given twice ({out[name]!r}, {parsed!r}): expected one value per name")
        out[name] = parsed
    return out


def _config(settings: tuple[str, ...], epsilon: float | None, delta: float | None, workers: int = 1,
            epochs: int | None = None) -> dict[str, Any]:
    config = _parse_pairs(settings, "setting")
    for name, value in (("epsilon", epsilon), ("delta", delta), ("epochs", epochs), ("workers", workers)):
        if name in config and value is not None and (name != "workers" or value != 1):  # one would silently win
            raise ConfigError(f"--set {name}={config[name]} and --{name} {value} both set {name}: expected one of them")
    if epsilon is not None:
        config["epsilon"] = epsilon
    if delta is not None:
        config["delta"] = delta
    if workers != 1:  # a config option of the generators that train data-parallel (synthguard.distributed)
        if config.get("epsilon") is not None:
            raise ConfigError(f"--workers {workers} with --epsilon: DP training in several processes is refused (the "
                              "privacy ledger counts one process's sample rate): expected --workers 1 with --epsilon")
        config["workers"] = workers
    return config


def _columns(value: str | None) -> list[str]:
    return [c.strip() for c in (value or "").split(",") if c.strip()]


def _bounds(pairs: tuple[str, ...]) -> dict[str, tuple[float | None, float | None]]:
    """``NAME=LO:HI`` (either side may be empty) -> {NAME: (LO, HI)}."""
    out = {}
    for pair in pairs:
        name, sep, span = pair.partition("=")
        lo, colon, hi = span.partition(":")
        try:
            if not sep or not colon or not name.strip():
                raise ValueError
            out[name.strip()] = (float(lo) if lo.strip() else None, float(hi) if hi.strip() else None)
        except ValueError:
            raise ConfigError(f"bound {pair!r} is malformed: expected NAME=LOW:HIGH, e.g. speed=0:70 or flow=:2200") from None
    return out


def _options(rules, disable, max_rounds, quasi_identifiers=None, k_anonymity=None, no_audit=False,
             bounds=(), secrets=(), override_audit=None, near_copy_quantile=None,
             no_privacy_filters=False) -> dict[str, Any]:
    opts: dict[str, Any] = {"rules": list(rules), "disable": list(disable), "secrets": list(secrets)}
    if no_privacy_filters:
        opts["privacy_filters"] = False
    if override_audit is not None:
        opts["override_audit"] = override_audit
    if near_copy_quantile is not None:
        opts["near_copy_quantile"] = near_copy_quantile
    if bounds:
        opts["bounds"] = _bounds(bounds)
    if max_rounds is not None:
        opts["max_rounds"] = max_rounds
    if quasi_identifiers:
        opts["quasi_identifiers"] = _columns(quasi_identifiers)
    if k_anonymity is not None:
        opts["k_anonymity"] = k_anonymity
    if no_audit:
        opts["audit"] = False
    return opts


def _audit_line(audit: dict) -> str:
    from .privacy.release import headline, judge

    line = headline(audit.get("release") or judge(audit))
    if "dcr" in audit:
        dcr = audit["dcr"]
        line += f"; DCR share {dcr['share_closer_to_train']}"
        if "share_draws" in dcr:  # few entities: the mean over draws of the training sample, and their range
            draws = dcr["share_draws"]
            line += f" (mean of {draws['draws']} draws of training entities: {draws['min']}–{draws['max']})"
    mia = audit.get("membership_inference") or {}
    if not mia.get("valid", True):
        line += " (positive controls NOT flagged: audit invalid)"
    return line


def _sample_line(sampled: dict | None) -> None:
    if sampled:
        unit = "" if sampled["unit"] == "row" else f", {sampled['units']:,} entities by {sampled['unit']}"
        click.echo(f"read a uniform sample of {sampled['rows']:,} of the data's {sampled['of_rows']:,} rows{unit} "
                   f"({sampled['batches']} batches, --data-sample)")


def _summary(result, out) -> None:
    rep = result.report
    rejected = {**{k: v["rejected"] for k, v in rep["validators"].items()},
                **{k: v["rejected"] for k, v in rep["privacy"].items()}}
    rej = ", ".join(f"{k}={v}" for k, v in rejected.items() if v) or "none"
    t = rep["timings"]
    fit = "pretrained" if rep["lineage"].get("pretrained") else (
        f"fit {t['fit_seconds']:.1f}s" if t.get("fit_seconds") is not None else "bundle")
    where = f"{out}" if isinstance(out, Database) else f"{str(out).rstrip('/')}/"  # never shows a password
    later = "".join(f", {name} {t[key]:.1f}s" for name, key in (("metrics", "metrics_seconds"), ("audit", "audit_seconds"))
                    if t.get(key) is not None)  # every stage's time: a slow one is named, not guessed
    click.echo(f"wrote {rep['rows']} records to {where} ({fit}, sample {t['sample_seconds']:.2f}s, "
               f"checks {t['checks_seconds']:.2f}s{later}; rejected: {rej})")
    _sample_line((rep["lineage"].get("data_source") or {}).get("sample"))
    for name, summary in rep["privacy"].items():
        if summary.get("note"):
            click.echo(f"{name}: {summary['note']}")
    vp = ((rep.get("generator") or {}).get("fit") or {}).get("value_protection")
    if vp:
        dropped = ", ".join(d["column"] for d in vp["dropped"])
        click.echo(f"value protection: {vp['summary']['cells_replaced']} rare values replaced, "
                   f"{vp['summary']['cells_clipped']} extreme values clipped before training"
                   + (f"; identifier columns not modelled: {dropped}" if dropped else ""))
    click.echo(_audit_line(rep.get("audit") or {}))
    if rep.get("measured_on"):  # a chunked run (synthguard.scale)
        m = rep["measured_on"]
        parts = (f"{rep['scale']['chunks']} chunks appended to {where}" if isinstance(out, Database)
                 else f"{rep['scale']['chunks']} partitions in {where}synthetic/")
        click.echo(f"{parts}; quality and audit measured on a uniform sample of {m['rows']:,} of {m['of']:,} records")
    if "canaries" in (rep.get("audit") or {}):
        click.echo(f"canaries: {rep['audit']['canaries']['figure']['description']}")
    if (rep.get("release") or {}).get("delivered_despite_failure"):
        click.echo(f"delivered despite the failed audit, as asked: {rep['release']['override']}")


def _raw_csv_option(ctx: click.Context, param, value: bool) -> None:
    if value:
        from .io.writers import raw_csv

        ctx.with_resource(raw_csv())  # for this command only


run_options = [
    click.option("--raw-csv", is_flag=True, expose_value=False, callback=_raw_csv_option,
                 help="--format csv: keep text cells as they are (default: a cell starting with = + - @ gets a "
                      "leading ' so a spreadsheet shows it as text instead of running it)"),
    click.option("--seed", type=int, default=0, show_default=True, help="makes the run reproducible"),
    click.option("--condition", "conditions", multiple=True, metavar="COL=VALUE", help="fix a column's value (repeatable)"),
    click.option("--rule", "rules", multiple=True, metavar="EXPR", help="inter-column rule, e.g. 'balance <= limit'"),
    click.option("--disable", multiple=True, metavar="VALIDATOR", help="skip a validator by name (repeatable)"),
    click.option("--max-rounds", type=int, default=None, help="resampling rounds before giving up (default 10)"),
    click.option("--format", "fmt", type=FORMAT, default="parquet", show_default=True),
    click.option("--overwrite", is_flag=True, help="replace a non-empty --out directory (only once the new one is complete)"),
    click.option("--quasi-identifiers", default=None, metavar="COL,COL",
                 help="columns an attacker could know; rare combinations are rejected (k-anonymity)"),
    click.option("--k-anonymity", type=int, default=None, help="fewest real records a released QI combination needs (default 5)"),
    click.option("--no-audit", is_flag=True, help="skip the privacy audit (the gate still runs; output is unverified)"),
    click.option("--secret", "secrets", multiple=True, metavar="COL",
                 help="a sensitive column whose WP29 inference risk must stay below target (repeatable)"),
    click.option("--near-copy-quantile", type=float, default=None,
                 help="holdout DCR quantile below which a record is rejected as a near copy (default 0.01; higher = stricter)"),
    click.option("--no-privacy-filters", is_flag=True,
                 help="with a DP model (--epsilon): release its samples unfiltered, so ε covers the records too"),
    click.option("--override-audit", metavar="REASON", default=None,
                 help="deliver even if the privacy audit fails its targets; REASON is recorded in the report"),
    click.option("--bound", "bounds", multiple=True, metavar="NAME=LOW:HIGH",
                 help="declared limits of a column/channel, e.g. speed=0:70, flow=:2200 (repeatable)"),
    click.option("--temperature", type=float, default=None, metavar="T",
                 help="sample at temperature T instead of the model's 1.0 (finance, sensor, traffic series; no "
                      "refit): above 1 the output spreads away from what the model learned closest (a privacy remedy "
                      "that costs fidelity)"),
]


database_options = [
    click.option("--table", default=None, metavar="NAME",
                 help="with a database URL as --data/--real: the table to read (schema.table for another schema)"),
    click.option("--query", default=None, metavar="SQL",
                 help="with a database URL as --data/--real: one read-only SELECT to read instead of a table"),
]

data_sample_option = click.option(
    "--data-sample", type=click.IntRange(min=1), default=None, metavar="ROWS",
    help="read a uniform sample of ROWS rows of --data (whole people with --entity-column), streamed in batches, so a "
         "file or database table larger than memory is never loaded whole (the sample depends on --seed)")


def _sampled(data, rows: int | None, seed: int):
    from .io.sampled import SampledSource

    if rows is None:
        return data
    if data is None:
        raise ConfigError("--data-sample samples --data: expected a CSV/Parquet file or a database URL as --data")
    return SampledSource(data, rows=rows, seed=seed, progress=sys.stderr.isatty())


out_table_option = click.option(
    "--out-table", default=None, metavar="NAME",
    help="with a database URL as --out: the synthetic table's name (default 'synthetic'; NAME_rejected and "
         "NAME_report beside it)")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="synthguard")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Privacy-gated synthetic data from sensitive tables, sequences and images."""
    ctx.obj = Engine()


@main.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.pass_context
def plugins_cmd(ctx, as_json: bool) -> None:
    """List installed plugins, what each registers, and each generator's role."""
    rows = _engine(ctx).plugins()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        version = f" {row['version']}" if row["version"] else ""
        click.echo(f"{row['name']}{version}")
        for g in row["generators"]:
            click.echo(f"  generator {g['name']} ({g['domain'] or 'any domain'}, {g['role']}): {g['description']}")
            if g["sampling_settings"]:
                click.echo(f"    sampling settings (--set, no training): {', '.join(g['sampling_settings'])}")
        for kind in ("validators", "privacy_filters", "datasets", "metrics", "distances", "writers"):
            if row[kind]:
                click.echo(f"  {kind.replace('_', ' ')}: {', '.join(row[kind])}")


@main.command("datasets")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.pass_context
def datasets_cmd(ctx, as_json: bool) -> None:
    """List the real reference datasets that installed plugins ship."""
    reg = _engine(ctx).registry
    rows = [{"name": e.name, "plugin": e.plugin, "modality": e.obj.modality,
             "shape": list(e.obj.shape) if e.obj.shape else None, "target": e.obj.target,
             "pretrained": sorted(e.obj.bundles()), "source": e.obj.source, "licence": e.obj.licence,
             "description": e.obj.description} for e in reg.datasets.values()]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        shape = "×".join(map(str, r["shape"])) if r["shape"] else "?"
        pre = f"; pretrained: {', '.join(r['pretrained'])}" if r["pretrained"] else ""
        click.echo(f"{r['name']} ({r['modality']}, {shape}, {r['plugin']}{pre})\n  {r['description']}\n"
                   f"  source: {r['source']}\n  licence: {r['licence']}")


@main.command("generate")
@click.argument("generator")
@click.option("--rows", type=int, default=1000, show_default=True, help="records to deliver")
@click.option("--out", type=click.Path(), required=True,
              help="output directory, or a database URL (sqlite:///out.db, postgresql://user@host/db)")
@out_table_option
@click.option("--dataset", default=None, help="reference dataset (see 'synthguard datasets')")
@click.option("--data", type=click.Path(), default=None,
              help="your own data: CSV/Parquet table or sensor log, a folder of DICOM/PNG/JPEG images (or NPZ), "
                   "or a database URL with --table/--query")
@with_options(database_options)
@data_sample_option
@click.option("--device", type=DEVICE, default="auto", show_default=True)
@click.option("--workers", type=int, default=1, show_default=True,
              help="training processes: torch.distributed data-parallel, gloo on CPU, NCCL on CUDA (finance, sensor)")
@click.option("--epochs", type=int, default=None, help="training epochs (forces training)")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="generator config option (repeatable): a training option forces training; a sampling option "
                   "(e.g. temperature, sampling_steps) is applied to the pretrained bundle")
@click.option("--epsilon", type=float, default=None, help="train with differential privacy to this budget ε (the domain's DP generator, else DP-SGD; forces training)")
@click.option("--delta", type=float, default=None, help="DP δ (default 1/(10·n))")
@click.option("--save-model", type=click.Path(), default=None, help="also save the fitted model bundle here")
@click.option("--holdout", type=click.FloatRange(0, 1, max_open=True), default=0.2, show_default=True,
              help="share of real records kept away from training, to measure against")
@click.option("--target", default=None, help="column a downstream model predicts (utility metric)")
@click.option("--no-value-protection", is_flag=True,
              help="tables: keep rare categories, extreme values and identifier columns in training (off by default)")
@click.option("--canaries", type=click.Path(), default=None, metavar="FILE",
              help="tables: canary records (CSV/Parquet, optional 'copies' column) planted in training only; the "
                   "audit judges whether the output gives them away (forces training)")
@with_options(run_options)
@with_options(sequence_options)
@with_options(image_options)
@with_options(scale_options)
@click.pass_context
def generate_cmd(ctx, generator, rows, out, out_table, dataset, data, table, query, data_sample, device, workers, epochs, settings, epsilon, delta, save_model, holdout, target,
                 no_value_protection, canaries, seed,
                 conditions, rules, disable, max_rounds, fmt, overwrite, quasi_identifiers, k_anonymity, no_audit,
                 secrets, near_copy_quantile, no_privacy_filters, override_audit, bounds, temperature) -> None:
    """Learn (or use the pretrained bundle) and write checked synthetic records to OUT."""
    data, out = _sampled(as_source(data, table, query), data_sample, seed), as_target(out, out_table)
    result = _engine(ctx).generate(
        generator, rows, data=data, dataset=dataset, seed=seed, device=device, epochs=epochs,
        config=_config(settings, epsilon, delta, workers, epochs),
        conditions=_parse_pairs(conditions, "condition"),
        options=_options(rules, disable, max_rounds, quasi_identifiers, k_anonymity, no_audit, bounds, secrets,
                         override_audit, near_copy_quantile, no_privacy_filters),
        out=out, fmt=fmt, overwrite=overwrite, progress=sys.stderr.isatty(), save_model=save_model,
        holdout=holdout, target=target, sequence_format=sequence_format(ctx), image_format=image_format(ctx),
        value_protection=not no_value_protection,
        canaries=canaries, scale=scale_from(ctx), temperature=temperature)
    _summary(result, out)


@main.command("fit")
@click.argument("generator")
@click.option("--out", type=click.Path(), required=True, help="bundle directory to write")
@click.option("--data", type=click.Path(), default=None,
              help="CSV/Parquet table to learn from, or a database URL with --table/--query")
@with_options(database_options)
@data_sample_option
@click.option("--dataset", default=None, help="reference dataset instead of --data")
@click.option("--holdout", type=click.FloatRange(0, 1, max_open=True), default=None,
              help="share of the records left out of training as generate leaves it, so that 'sample' measures and "
                   "audits against it: a dataset's by itself, your data's when given it again as --reference "
                   "[default: 0.2 with --dataset, 0 with --data]")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", type=DEVICE, default="auto", show_default=True)
@click.option("--workers", type=int, default=1, show_default=True,
              help="training processes: torch.distributed data-parallel, gloo on CPU, NCCL on CUDA (finance, sensor)")
@click.option("--epochs", type=int, default=None, help="training epochs (generator default otherwise)")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help="generator config option (repeatable)")
@click.option("--epsilon", type=float, default=None, help="train with differential privacy to this budget ε (the domain's DP generator, else DP-SGD; forces training)")
@click.option("--delta", type=float, default=None, help="DP δ (default 1/(10·n))")
@click.option("--overwrite", is_flag=True, help="replace an existing bundle directory")
@click.option("--resume", type=click.Path(), default=None, metavar="BUNDLE",
              help="continue training this bundle on --data (new records) instead of starting afresh")
@click.option("--no-value-protection", is_flag=True,
              help="tables: keep rare categories, extreme values and identifier columns in training (off by default)")
@with_options(sequence_options)
@with_options(image_options)
@click.pass_context
def fit_cmd(ctx, generator, out, data, table, query, data_sample, dataset, holdout, seed, device, workers, epochs, settings, epsilon, delta, overwrite, resume,
            no_value_protection) -> None:
    """Fit GENERATOR on data and save a model bundle (fit once, sample many)."""
    from .bundle import save_bundle
    from .io.atomic import check_writable_target

    engine = _engine(ctx)
    data = _sampled(as_source(data, table, query), data_sample, seed)
    cls = engine.registry.generator(generator, dp=epsilon is not None)
    if not cls.supports_save:
        raise ConfigError(f"generator {generator!r} cannot be saved as a bundle: use 'synthguard generate' instead")
    check_writable_target(out, overwrite)
    if data is None and dataset is None:
        raise ConfigError("fit needs --data PATH or --dataset NAME")
    log_progress.stage(f"fitting {generator}")
    model = engine.fit(generator, data, dataset=dataset, seed=seed, device=device, epochs=epochs,
                       progress=sys.stderr.isatty(), config=_config(settings, epsilon, delta, workers, epochs),
                       resume=resume, holdout=holdout,
                       sequence_format=sequence_format(ctx), image_format=image_format(ctx),
                       value_protection=not no_value_protection)
    digest = save_bundle(model, out, overwrite=overwrite)
    _sample_line(getattr(data, "info", None))
    info = model.fit_info_
    if resume is not None:
        from .trainings import repeated

        same = repeated(info)
        click.echo(f"resumed from {resume}: " + (
            f"trained further on the same {info['records']} records as training {same} (no new records)" if same
            else f"{info['resumed_from'][-1]['records']} earlier + {info['records']} new records"))
    dp = (info.get("privacy") or {}).get("dp")
    click.echo(f"wrote bundle {str(out).rstrip('/')}/ (sha256 {digest}; {info['records']} records, "
               f"{info.get('epochs_run', '?')} epochs on {info['device']} in {info['seconds']:.1f}s"
               + (f"; DP ε={dp['epsilon_spent']} δ={dp['delta']:.1e}" if dp else "") + ")")
    split = info.get("holdout")
    if split:
        again = "" if data is None else " --reference DATA (the same data: it is split again)"
        click.echo(f"held out {split['holdout_records']} records ({split['fraction']:.0%} of "
                   f"{dataset or 'the data'}): 'synthguard sample {str(out).rstrip('/')}{again}' measures and "
                   "audits against them")


@main.command("pretrain")
@click.argument("plugin")
@click.option("--dataset", "datasets", multiple=True, metavar="NAME",
              help="reference dataset to train on (repeatable; default: every dataset the plugin ships)")
@click.option("--generator", "generators", multiple=True, metavar="NAME",
              help="generator to train (repeatable; default: those the plugin ships bundles of, else its default)")
@click.option("--out", type=click.Path(), default=None,
              help="write the bundles here instead of into the plugin's bundle folder")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", type=DEVICE, default="auto", show_default=True)
@click.pass_context
def pretrain_cmd(ctx, plugin, datasets, generators, out, seed, device) -> None:
    """Train the pretrained bundles PLUGIN ships, on the training split 'generate' makes (holdout unseen)."""
    from pathlib import Path

    engine = _engine(ctx)
    jobs = []
    for generator, ds in pretrain_jobs(engine, plugin, datasets, generators):  # every target known before training
        folder = out if out is not None else ds.bundle_dir
        if folder is None:
            raise ConfigError(f"dataset {ds.name!r} declares no bundle folder (Dataset.bundle_dir): pass --out DIR")
        jobs.append((generator, ds.name, Path(folder) / f"{generator}--{ds.name}"))
    for generator, dataset, bundle in jobs:
        log_progress.stage(f"pretraining {generator} on {dataset}")
        model, digest = engine.pretrain(generator, dataset, bundle, seed=seed, device=device,
                                        progress=sys.stderr.isatty())
        info = model.fit_info_
        if out is None:  # the plugin's own bundle folder: pin what was written (pretrained_pins.py)
            from .bundle import write_pins

            write_pins(bundle.parent)
        click.echo(f"{generator} on {dataset}: {info.get('epochs_run', '?')} epochs on {info['device']} in "
                   f"{info['seconds']:.1f}s -> {bundle} (sha256 {digest[:12]}…)")


def pretrain_jobs(engine: Engine, plugin: str, datasets: tuple[str, ...], generators: tuple[str, ...]) -> list:
    """(generator, dataset) pairs ``synthguard pretrain`` trains, checked before any training."""
    reg = engine.registry
    plugins = {e.plugin for kind in reg.KINDS for e in getattr(reg, kind).values()}
    name = plugin if plugin in plugins else f"synthguard-{plugin}"
    if name not in plugins:
        raise ConfigError(f"unknown plugin {plugin!r}: expected one of {', '.join(sorted(plugins))}")
    own = {e.name: e.obj for e in reg.datasets.values() if e.plugin == name}
    for d in datasets:
        if d not in own:
            raise ConfigError(f"plugin {name!r} ships no dataset {d!r}: expected one of {', '.join(sorted(own)) or 'none'}")
    shipped = [d for d in sorted(own) if own[d].bundles()]  # retrain what the plugin ships, else everything
    chosen = [own[d] for d in (datasets or shipped or sorted(own))]
    default = {e.obj.modality: e.name for e in reg.generators.values() if e.plugin == name and e.obj.role == "default"}
    jobs = []
    for ds in chosen:
        names = list(generators) or sorted(ds.bundles()) or ([default[ds.modality]] if ds.modality in default else [])
        for g in names:
            cls = reg.generator(g)
            if cls.modality != ds.modality:
                raise ConfigError(f"generator {g!r} fits {cls.modality} data, dataset {ds.name!r} is {ds.modality}: "
                                  "expected a generator of the dataset's modality")
            jobs.append((cls.name, ds))
    if not jobs:
        raise ConfigError(f"plugin {name!r} has nothing to pretrain: expected --dataset and --generator")
    return jobs


@main.command("sample")
@click.argument("model", type=click.Path())
@click.option("--rows", type=int, default=1000, show_default=True, help="records to deliver")
@click.option("--out", type=click.Path(), required=True,
              help="output directory, or a database URL (sqlite:///out.db, postgresql://user@host/db)")
@out_table_option
@click.option("--reference", type=click.Path(), multiple=True,
              help="the real training data, to compute metrics (the exact-copy gate works without it), read as the "
                   "model's training read it (its --entity-column, a sensor log's format) unless those options are "
                   "given; a model trained with --resume: repeat it, once per training's data")
@click.option("--holdout", "holdout_data", type=click.Path(), default=None,
              help="real records the model never saw, for utility/privacy metrics")
@click.option("--target", default=None, help="column a downstream model predicts (utility metric)")
@click.option("--expect-sha256", default=None, metavar="HASH",
              help="refuse MODEL unless its bundle_sha256 is HASH (printed by 'synthguard fit' when it was written)")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="a sampling option of the model's generator instead of the bundle's (repeatable; e.g. order_rows, "
                   "sampling_steps; 'synthguard plugins' lists them)")
@with_options(run_options)
@with_options(sequence_options)
@with_options(scale_options)
@click.pass_context
def sample_cmd(ctx, model, rows, out, out_table, reference, holdout_data, target, seed, conditions, rules, disable, max_rounds,
               fmt, overwrite, quasi_identifiers, k_anonymity, no_audit, secrets, near_copy_quantile, no_privacy_filters,
               override_audit, bounds, temperature, expect_sha256, settings) -> None:
    """Sample ROWS checked records from a saved MODEL bundle."""
    if expect_sha256 is not None:
        from .bundle import load_bundle

        model = load_bundle(model, _engine(ctx), expect_sha256=expect_sha256)
    out = as_target(out, out_table)
    result = _engine(ctx).sample(model, rows, seed=seed, conditions=_parse_pairs(conditions, "condition"),
                                 reference=list(reference) or None, holdout=holdout_data, target=target,
                                 options=_options(rules, disable, max_rounds, quasi_identifiers, k_anonymity, no_audit,
                                                  bounds, secrets, override_audit, near_copy_quantile,
                                                  no_privacy_filters),
                                 out=out, fmt=fmt, overwrite=overwrite, scale=scale_from(ctx), temperature=temperature,
                                 settings=_parse_pairs(settings, "setting"), sequence_format=sequence_format(ctx))
    _summary(result, out)


pair_options = [
    click.option("--real", type=click.Path(), required=True,
                 help="the real table the synthetic data was made from (a file, or a database URL with --table/--query)"),
    *database_options,
    click.option("--synthetic", type=click.Path(), required=True, help="the synthetic table (from any tool)"),
    click.option("--synthetic-table", default=None, metavar="NAME", help="with a database URL as --synthetic: its table"),
    click.option("--holdout", "holdout_data", type=click.Path(), default=None,
                 help="real records the generator never saw (needed for membership inference and DCR share)"),
    click.option("--holdout-table", default=None, metavar="NAME", help="with a database URL as --holdout: its table"),
    click.option("--entity-column", default=None, metavar="COL",
                 help="column of --real and --holdout naming whose record each row is (a customer with several "
                      "loans): the audit scores people, not rows; '@row': every row a different person"),
    click.option("--seed", type=int, default=0, show_default=True),
]


def _pair_sources(real, table, query, synthetic, synthetic_table, holdout, holdout_table):
    """--real/--synthetic/--holdout as given, or as databases where they are database URLs."""
    if holdout is None and holdout_table is not None:
        raise ConfigError("--holdout-table names a table in a database: expected --holdout URL")
    for flag, url, name in (("--synthetic", synthetic, synthetic_table), ("--holdout", holdout, holdout_table)):
        if name is None and is_database_url(url):  # Database would name --table, which is --real's
            raise ConfigError(f"{flag} {Database(url).display_url} is a database: expected {flag}-table NAME, the "
                              "table to read")
    return (as_source(real, table, query), as_source(synthetic, synthetic_table),
            as_source(holdout, holdout_table) if holdout is not None else None)


@main.command("audit")
@with_options(pair_options)
@click.option("--quasi-identifiers", default=None, metavar="COL,COL", help="report output uniqueness on these columns")
@click.option("--secret", "secrets", multiple=True, metavar="COL",
              help="a sensitive column whose WP29 inference risk is judged (repeatable)")
@click.option("--thorough", is_flag=True, help="also refit --generator on shadow training sets and attack it "
              "(shadow-model membership inference; slow: --shadows fits)")
@click.option("--generator", default=None, metavar="NAME", help="the generator that made --synthetic (--thorough)")
@click.option("--shadows", type=int, default=100, show_default=True, help="generator fits of --thorough")
@click.option("--canaries", type=click.Path(), default=None, metavar="FILE",
              help="canary records planted in --real (CSV/Parquet): is each copied, nearly copied or exposed?")
@click.option("--json", "as_json", is_flag=True, help="print the whole audit as JSON")
@click.pass_context
def audit_cmd(ctx, real, table, query, synthetic, synthetic_table, holdout_data, holdout_table, entity_column, seed,
              quasi_identifiers, secrets, thorough, generator, shadows, canaries, as_json) -> None:
    """Privacy audit of any synthetic table against its real training table (and a holdout)."""
    if thorough and not generator:  # before the audit: fail in a second, not after it
        raise ConfigError("--thorough refits the generator that made --synthetic: expected --generator NAME")
    if thorough and entity_column:
        raise ConfigError("--thorough refits on rows, not people: expected --entity-column without --thorough")
    if thorough:
        from .privacy.thorough import refit_generator

        refit_generator(_engine(ctx), generator)  # an unknown name: refused before the audit, not after it
    real, synthetic, holdout_data = _pair_sources(real, table, query, synthetic, synthetic_table, holdout_data,
                                                  holdout_table)
    out = _engine(ctx).audit(real, synthetic, holdout=holdout_data, seed=seed,
                             quasi_identifiers=_columns(quasi_identifiers) or None, secrets=list(secrets) or None,
                             canaries=canaries, entity_column=entity_column)
    if thorough:
        from .privacy.thorough import thorough_audit

        with click.progressbar(length=shadows, label="shadow fits", file=sys.stderr) as bar:
            out["thorough"] = thorough_audit(_engine(ctx), generator, real, holdout_data, shadows=shadows,
                                             seed=seed, rows=out["records"]["synthetic"],
                                             progress=lambda done, total: bar.update(1))
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    copies = out["exact_copies"]
    click.echo(f"{out['records']['synthetic']} synthetic vs {out['records']['real']} real records: "
               f"{copies['count']} exact copies; DCR to train p5 {out['synthetic_to_train']['p5']}, "
               f"median {out['synthetic_to_train']['median']}")
    click.echo(_audit_line(out))
    wp = out.get("wp29") or {}
    if "singling_out" in wp:
        click.echo("WP29 risks: " + ", ".join(f"{k.replace('_', '-')} {wp[k]['risk']} {wp[k].get('risk_ci')}"
                                              for k in ("singling_out", "linkability", "inference")))
    if "canaries" in out:
        click.echo(f"canaries: {out['canaries']['figure']['description']}")
    if thorough:
        from .privacy.thorough import describe

        click.echo(describe(out["thorough"]))


@main.command("evaluate")
@with_options(pair_options)
@click.option("--target", default=None, help="column a downstream model predicts (TSTR)")
@click.option("--out", type=click.Path(), default=None,
              help="write report.json and report.html here (or the report row to a database URL: NAME_report)")
@out_table_option
@click.option("--overwrite", is_flag=True, help="replace a non-empty --out directory")
@click.pass_context
def evaluate_cmd(ctx, real, table, query, synthetic, synthetic_table, holdout_data, holdout_table, entity_column, seed,
                 target, out, out_table, overwrite) -> None:
    """Score any real/synthetic pair: quality, utility, privacy audit (report.json + report.html with --out)."""
    real, synthetic, holdout_data = _pair_sources(real, table, query, synthetic, synthetic_table, holdout_data,
                                                  holdout_table)
    out = as_target(out, out_table) if out is not None else None
    rep = _engine(ctx).evaluate(real, synthetic, holdout=holdout_data, target=target, seed=seed, out=out,
                                overwrite=overwrite, entity_column=entity_column)
    m = rep["metrics"]
    q, t = m.get("core.quality", {}), m.get("core.tstr", {})
    click.echo(f"quality {q.get('score', q.get('skipped', q.get('error')))}"
               + (f", TSTR/TRTR {t['ratio']} ({t['metric']})" if "ratio" in t else ""))
    click.echo(_audit_line(rep["audit"]))
    if isinstance(out, Database):
        click.echo(f"wrote the report to table {rep['tables']['report']!r} in {out.display_url}")
    elif out:
        click.echo(f"wrote {str(out).rstrip('/')}/report.json and report.html")


@main.command("report")
@click.argument("directory", type=click.Path())
def report_cmd(directory) -> None:
    """Re-render DIRECTORY/report.html from its report.json (e.g. after upgrading synthguard)."""
    from .quality.html import read_report
    from .result import write_html_report

    path = write_html_report(directory, read_report(directory))
    click.echo(f"wrote {path}")


from .augment_cli import augment_cmd  # noqa: E402 - its own module; registered here

main.add_command(augment_cmd)


from .explain.command import explain_cmd  # noqa: E402
main.add_command(explain_cmd)


def run() -> None:
    """Console-script entry point: user errors become one line and exit code 2. Notes on what a run decided
    for the user go to stderr, and when it is not a terminal (where the bars draw) so do long stages
    (:mod:`synthguard.log_progress`)."""
    if os.environ.get("RANK", "0") == "0":  # torchrun's other ranks: rank 0 speaks
        log_progress.start(heartbeat=not sys.stderr.isatty())
    try:
        _run_main()
    finally:
        log_progress.stop()  # an error: no "done" line after it


def script() -> None:
    """The ``synthguard`` console script: :func:`run` in a process of its own.

    What the imports built lives as long as the process, so the garbage collector stops walking it: a plugin's
    heavy import during the command (MONAI's) takes 0.4 s instead of 0.8, and the interpreter's last collection at
    exit 0.1 s instead of 0.65 (benchmarks/README.md, "Imaging: what a command pays besides its work"). Not in
    :func:`run`, which tests call in their own long-lived process.
    """
    gc.freeze()
    try:
        run()
    finally:
        gc.freeze()


def _run_main() -> None:
    try:
        main(standalone_mode=False)
        log_progress.stop(finished=True)
    except SynthGuardError as err:
        log_progress.stop()
        click.echo(f"error: {err}", err=True)
        sys.exit(err.exit_code)
    except click.exceptions.Abort:
        log_progress.stop()
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.UsageError as err:  # one line, like every other user error
        log_progress.stop()
        where = f"{err.ctx.command_path}: " if err.ctx is not None else ""
        click.echo(f"error: {where}{err.format_message()}", err=True)
        sys.exit(2)
    except click.ClickException as err:
        log_progress.stop()
        err.show()
        sys.exit(err.exit_code)


if __name__ == "__main__":  # pragma: no cover
    script()


__all__ = ["main", "run"]
