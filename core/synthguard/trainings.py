"""Which data a model was trained on, training by training (``fit``, then each ``fit --resume``).

Every fit records a *training* in ``fit_info_["trainings"]`` (saved in the bundle's manifest, covered by its
hash): the records' count and fingerprints (sha256 over sorted record hashes, :meth:`Records.fingerprint`:
``source_fingerprint`` of the real records as read, ``data_fingerprint`` of what the generator saw after value
protection) and where they came from. A resumed model lists the bundle's trainings and then its own.

Every training's records are members of the model: the release audit of a resumed model must count the rows of
either training as training rows. :func:`members` joins the real tables given to ``sample --reference`` (one per
training, or one holding them all) and refuses a set that plainly leaves a training out. Bundles written before
trainings were recorded describe one training with their fit facts (and ``resumed_from``), which
:func:`trainings` reads back.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import pandas as pd

from .data import Records, Table
from .errors import DataError

__all__: list[str] = []  # core-internal


def entry(fit_info: Mapping[str, Any]) -> dict[str, Any]:
    """The training a fit's facts describe (the latest one of a resumed model)."""
    out = {"records": fit_info.get("records"), "data_fingerprint": fit_info.get("data_fingerprint"),
           "source_fingerprint": fit_info.get("source_fingerprint"), "source": fit_info.get("source"),
           "seed": fit_info.get("seed"), "epochs_run": fit_info.get("epochs_run")}
    return {k: v for k, v in out.items() if v is not None}


def trainings(fit_info: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every training of a model, oldest first (also for bundles written before they were recorded)."""
    if fit_info.get("trainings"):
        return [dict(t) for t in fit_info["trainings"]]
    earlier = [{k: r[k] for k in ("records", "data_fingerprint", "epochs_run") if r.get(k) is not None}
               for r in fit_info.get("resumed_from") or []]
    return [*earlier, entry(fit_info)]


def record(fit_info: dict[str, Any], earlier: Sequence[Mapping[str, Any]] = ()) -> None:
    """Append this fit's training to ``earlier`` (the resumed bundle's) as ``fit_info["trainings"]``."""
    fit_info["trainings"] = [*(dict(t) for t in earlier), entry(fit_info)]


def _fingerprint(training: Mapping[str, Any]) -> str | None:
    return training.get("source_fingerprint") or training.get("data_fingerprint")


def repeated(fit_info: Mapping[str, Any]) -> int | None:
    """The earlier training (numbered from 1) whose records the latest training's are, by fingerprint: a
    ``fit --resume`` on the same data trains further rather than on new records. None when they are new."""
    *earlier, latest = trainings(fit_info)
    mine = _fingerprint(latest)
    return next((i + 1 for i, t in enumerate(earlier) if mine and _fingerprint(t) == mine), None)


def members(fit_info: Mapping[str, Any], references: Sequence[Records]) -> Records:
    """The real training records of every training, from the tables given (``sample --reference``, repeatable).

    Tables are joined one after the other. When some of them are recognised (by fingerprint) as a training's
    records but some training of the model is not among them, the audit would treat that training's members
    as strangers: refused with a DataError naming it. A table that matches no training is taken as given (it
    may hold several trainings' rows at once).
    """
    done = trainings(fit_info)
    given = {r.fingerprint() for r in references}
    known = [_fingerprint(t) in given for t in done]
    if len(done) > 1 and any(known) and not all(known):
        missing = ", ".join(f"training {i + 1} ({t.get('records', '?')} records, fingerprint {_fingerprint(t)[:12]}…)"
                            for i, t in enumerate(done) if not known[i] and _fingerprint(t))
        raise DataError(f"--reference gives the records of {sum(known)} of the model's {len(done)} trainings, not "
                        f"{missing}: expected every training's real data (repeat --reference), so that the audit "
                        "counts the members of either training as members")
    if len(references) == 1:
        return references[0]
    if isinstance(references[0], Table):
        if not all(isinstance(r, Table) for r in references):
            raise DataError("--reference mixes tables and other records: expected tables of one schema")
        names = references[0].meta.names
        for r in references[1:]:
            if r.meta.names != names:
                raise DataError(f"--reference tables differ in their columns ({r.meta.names} vs {names}): expected "
                                "the same schema")
        return Table.from_frame(pd.concat([r.frame for r in references], ignore_index=True),
                                name=references[0].meta.name)
    return type(references[0]).concat(list(references))
