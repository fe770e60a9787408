"""``synthguard augment``: the command line of :func:`synthguard.augment.augment` (registered in :mod:`synthguard.cli`)."""

from __future__ import annotations

import sys

import click

from .errors import ConfigError
from .read_options import image_format, image_options, sequence_format, sequence_options, with_options


def _numbers(text: str, what: str, example: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ConfigError(f"--{what} {text!r}: expected numbers separated by commas, e.g. {example}") from None


@click.command("augment")
@click.argument("generator")
@click.option("--out", type=click.Path(), required=True,
              help="output directory: synthetic.*, augmented.* (real + synthetic, column _source), report")
@click.option("--data", type=click.Path(), default=None,
              help="your training data: a CSV/Parquet table or sensor log, a folder of images (or NPZ)")
@click.option("--dataset", default=None, help="reference dataset instead of --data (see 'synthguard datasets')")
@click.option("--target", default=None, help="column a downstream model predicts (default: the dataset's target)")
@click.option("--rebalance", default=None, metavar="COLUMN=SHARE",
              help="hold the target's minority class at SHARE of the synthetic records, e.g. Status=0.5")
@click.option("--rows", type=int, default=None, help="synthetic records to deliver (default: as many as the real "
              "training records)")
@click.option("--seed", type=int, default=0, show_default=True, help="makes the run reproducible")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), default="auto", show_default=True)
@click.option("--epochs", type=int, default=None, help="training epochs (forces training)")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help="generator config option (forces training)")
@click.option("--holdout", type=click.FloatRange(0, 1, max_open=True), default=0.2, show_default=True,
              help="share of real records kept away from training: the downstream models are scored on it")
@click.option("--regimes", default="0.1,0.25,1", show_default=True, metavar="SHARES",
              help="shares of the training records the downstream models learn from (each smaller share refits "
                   "the generator on it); '1' measures only the full data and trains once")
@click.option("--ratios", default="0.5,1,2", show_default=True, metavar="RATIOS",
              help="synthetic-to-real ratios of the real + synthetic arms")
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True)
@click.option("--overwrite", is_flag=True, help="replace a non-empty --out directory (only once the new one is complete)")
@click.option("--rule", "rules", multiple=True, metavar="EXPR", help="inter-column rule, e.g. 'balance <= limit'")
@click.option("--disable", multiple=True, metavar="VALIDATOR", help="skip a validator by name (repeatable)")
@click.option("--quasi-identifiers", default=None, metavar="COL,COL",
              help="columns an attacker could know; rare combinations are rejected (k-anonymity)")
@click.option("--secret", "secrets", multiple=True, metavar="COL",
              help="a sensitive column whose WP29 inference risk must stay below target (repeatable)")
@click.option("--override-audit", metavar="REASON", default=None,
              help="deliver even if the privacy audit fails its targets; REASON is recorded in the report")
@click.option("--no-value-protection", is_flag=True,
              help="keep rare categories, extreme values and identifier columns in training (off by default)")
@with_options(sequence_options)
@with_options(image_options)
@click.pass_context
def augment_cmd(ctx, generator, out, data, dataset, target, rebalance, rows, seed, device, epochs, settings, holdout,
                regimes, ratios, fmt, overwrite, rules, disable, quasi_identifiers, secrets, override_audit,
                no_value_protection) -> None:
    """Synthetic records to train a better model: fit GENERATOR (a name, or a bundle saved by 'generate
    --save-model'), deliver gated synthetic records (rebalanced with --rebalance), write the real + synthetic
    training set, and measure a downstream model on real vs real + synthetic vs synthetic on the real holdout."""
    from .augment import augment
    from .cli import _config, _options, _summary

    result = augment(ctx.obj, generator, target=target, data=data, dataset=dataset, rows=rows, rebalance=rebalance,
                     seed=seed, device=device, epochs=epochs,
                     config=_config(settings, None, None, epochs=epochs) or None,
                     holdout=holdout, out=out, fmt=fmt, overwrite=overwrite, progress=sys.stderr.isatty(),
                     options=_options(rules, disable, None, quasi_identifiers, None, False, (), secrets,
                                      override_audit),
                     value_protection=not no_value_protection, regimes=_numbers(regimes, "regimes", "0.1,0.25,1"),
                     ratios=_numbers(ratios, "ratios", "0.5,1,2"), sequence_format=sequence_format(ctx),
                     image_format=image_format(ctx))
    _summary(result, out)
    section = result.report["augmentation"]
    if "rebalance" in section:
        rb = section["rebalance"]
        click.echo(f"rebalanced {rb['column']}: minority class {rb['minority_class']!r} holds "
                   f"{rb['delivered_shares'].get(rb['minority_class'], 0):.1%} of the synthetic records "
                   f"(asked {rb['requested_shares'][rb['minority_class']]:.1%})")
    aug = section["augmented"]
    click.echo(f"augmented training set: {aug['real_records']} real + {aug['synthetic_records']} synthetic records "
               f"(column {aug['source_column']})")
    measurement = section["measurement"]
    click.echo(measurement.get("verdict") or measurement.get("skipped"))


__all__ = ["augment_cmd"]
