"""``synthguard explain``: the command line of :func:`synthguard.explain.explain` (registered in cli.py)."""

from __future__ import annotations

import click

from ..read_options import sequence_format, sequence_options, with_options


@click.command("explain")
@click.argument("source", type=click.Path())
@click.option("--data", type=click.Path(), default=None,
              help="the real data the generator learned from (default: the reference dataset report.json or the "
                   "bundle names), read as the run read it (--entity-column, a sensor log's format) unless those "
                   "options are given")
@click.option("--out", type=click.Path(), default=None,
              help="where explain.json and explain.html go (default: the output directory, whose report.html then "
                   "shows the explanation); required for a bundle: its sampled output goes here")
@click.option("--model", type=click.Path(), default=None,
              help="the bundle that made the output (fit / generate --save-model), for what the model learned")
@click.option("--rows", type=int, default=1000, show_default=True, help="a bundle: records to sample and explain")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--overwrite", is_flag=True, help="a bundle: replace a non-empty --out directory")
@with_options(sequence_options)
@click.pass_context
def explain_cmd(ctx, source, data, out, model, rows, seed, overwrite) -> None:
    """What the generator learned: dependencies real vs synthetic, each column's importance to the model, each
    record's likelihood, and the columns behind rejected near copies; for sequences, autocorrelation, cross-channel and
    lead-lag dependence and each record's likelihood. SOURCE: an output directory or a bundle."""
    from . import explain

    result = explain(source, data=data, out=out, model=model, rows=rows, seed=seed, overwrite=overwrite,
                     engine=ctx.obj, sequence_format=sequence_format(ctx))
    where = str(out if out is not None else source).rstrip("/")
    if result.get("modality") == "sequence":
        t = result["temporal"]
        click.echo(f"wrote {where}/explain.json and explain.html ({result['records']['synthetic']} synthetic records; "
                   f"mean autocorrelation difference {t['autocorrelation']['mean_abs_difference']}, cross-channel "
                   f"{t['cross_correlation']['mean_abs_difference']})")
        misses = t["largest_misses_text"]
    else:
        dep = result["dependencies"]
        click.echo(f"wrote {where}/explain.json and explain.html ({result['records']['synthetic']} synthetic records; "
                   f"mean association difference {dep['mean_abs_difference']})")
        misses = dep["largest_misses_text"]
    for line in misses[:3]:
        click.echo(f"  miss: {line}")
    lik = result.get("likelihood")
    if lik and lik.get("threshold") is not None:
        click.echo(f"  {len(lik['outliers'])} delivered records less likely than {100 - lik['percentile']:g}% of the "
                   f"real {lik['against']} records")
    if "model_note" in result:
        click.echo(f"  {result['model_note']}")
