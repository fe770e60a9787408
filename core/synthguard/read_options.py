"""How a command reads its data: ``--entity-column``, ``--time-column``, ``--window``, ``--stride`` (sensor logs; a
table's people) and ``--image-size``, ``--channels``, ``--labels`` (image folders), collected for the engine.

``generate``, ``fit``, ``sample``, ``augment`` and ``explain`` share them. ``sample``/``explain``/``augment`` with a
saved bundle read its data as its training read it (the lineage's ``read_as``) unless these are given.
"""

from __future__ import annotations

from typing import Any

import click

_KEY = "synthguard.read"
_SEQUENCE = {"entity_column": "entity", "time_column": "time", "window": "window", "stride": "stride"}
_IMAGE = {"image_size": "size", "channels": "channels", "labels": "labels"}


def _store(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if value is None:
        return
    if param.name in ("entity_column", "time_column") and value.lower() == "none":
        value = None  # 'none': one stream / rows in order
    elif param.name == "channels":
        value = int(value)
    ctx.meta.setdefault(_KEY, {})[param.name] = value


def _collect(ctx: click.Context, keys: dict[str, str]) -> dict[str, Any] | None:
    given = ctx.meta.get(_KEY, {})
    return {key: given[name] for name, key in keys.items() if name in given} or None


def sequence_format(ctx: click.Context) -> dict[str, Any] | None:
    """The sensor-log format (or a table's people column) given on the command line, or None."""
    return _collect(ctx, _SEQUENCE)


def image_format(ctx: click.Context) -> dict[str, Any] | None:
    """The image-folder format given on the command line, or None."""
    return _collect(ctx, _IMAGE)


def _option(*names: str, **kwargs: Any):
    return click.option(*names, default=None, expose_value=False, callback=_store, **kwargs)


sequence_options = [
    _option("--entity-column", metavar="COL",
            help="sensor logs: column naming each recording/device (default 'entity'; 'none' = one stream); "
                 "tables: column naming whose record each row is (a customer with several loans) — the split, "
                 "value protection and audit then count people, not rows, and the column is not modelled; "
                 "'@row': every row is a different person (a survey), so a record 5 people share is not withheld "
                 "as a copy; "
                 "images: 'folder' (a folder per patient) or a --labels column naming each image's patient "
                 "(DICOM: PatientID, then StudyInstanceUID, without this)"),
    _option("--time-column", metavar="COL",
            help="sensor logs: column with each reading's time (default 'timestamp'; 'none' = rows in order)"),
    _option("--window", type=click.IntRange(min=2), metavar="STEPS",
            help="sensor logs: cut streams into records of this many steps (default: whole, unless the generator "
                 "cuts long ones: sensor cuts recordings over 512 steps into 256-step windows and says so)"),
    _option("--stride", type=click.IntRange(min=1), metavar="STEPS",
            help="sensor logs: steps between window starts (default: --window)"),
]

image_options = [
    _option("--image-size", type=click.IntRange(8, 1024), metavar="SIZE",
            help="images: resize every image to SIZE x SIZE (default 64)"),
    _option("--channels", type=click.Choice(["1", "3"]),
            help="images: 1 = grayscale (RGB converted), 3 = RGB; default: what the files are (a mix is refused)"),
    _option("--labels", type=click.Path(), metavar="CSV",
            help="images: CSV with a 'file' column (relative to the folder) and label columns; default: sub-folder "
                 "names"),
]


def with_options(options):
    """Apply a list of click options to a command, in the order listed."""
    def deco(f):
        for opt in reversed(options):
            f = opt(f)
        return f
    return deco


__all__ = ["image_format", "image_options", "sequence_format", "sequence_options", "with_options"]
