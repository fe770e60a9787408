"""report.json -> report.html: one self-contained file (plotly.js inlined, no CDN) a reviewer opens offline.

The page is a Jinja2 template with autoescaping (:mod:`synthguard.quality.report_page`): every value
taken from report.json — column names, category values, check names and reasons, plugin metric titles,
file names, DP ledger fields — reaches the page as text, never as markup. Text drawn inside a plotly
figure is escaped for plotly's own HTML-like labels (:func:`plot_text`), and plotly embeds its data
as JSON with ``<``, ``>`` and ``/`` escaped, so no value can close a ``<script>`` block.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..errors import DataError

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2330;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{margin-top:2.2rem;border-bottom:1px solid #dde;padding-bottom:.3rem}
.sub{color:#5a6275} .cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:1.2rem 0}
.card{border:1px solid #dde;border-radius:8px;padding:.7rem 1rem;min-width:150px}
.card b{display:block;font-size:1.4rem} .card span{color:#5a6275;font-size:.85rem}
table{border-collapse:collapse;width:100%;font-size:.9rem} td,th{border-bottom:1px solid #eef;padding:.35rem .5rem;text-align:left}
th{background:#f5f6fa} .num{text-align:right;font-variant-numeric:tabular-nums} .bad{color:#b3261e;font-weight:600}
.release{padding:10px 14px;border-radius:6px;margin:12px 0;border:1px solid} .release.ok{background:#e8f5e9;border-color:#2e7d32}
.release.bad{background:#fdecea;border-color:#b3261e;color:inherit;font-weight:normal} .release.warn{background:#fff8e1;border-color:#b26a00}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:.5rem} code{font-size:.85rem}
"""


#: Keys of a plotly figure whose strings are code, not text shown to the reader.
_PLOT_CODE_KEYS = {"hovertemplate", "texttemplate", "type", "mode", "xaxis", "yaxis", "colorscale", "color", "xref",
                   "yref", "anchor", "overlaying", "fill", "dash", "barmode", "tickformat", "hoverinfo", "textposition"}


def _obj(value: Any) -> dict:
    """``value`` if it is a JSON object, else an empty one: a malformed section is shown as absent, never a crash."""
    return value if isinstance(value, dict) else {}


def plot_text(value: Any) -> Any:
    """A label for plotly, whose text understands a few HTML tags: ``&`` and ``<`` escaped so it stays text."""
    if isinstance(value, str):
        return value.replace("&", "&amp;").replace("<", "&lt;")
    return value


def _plot_texts(value: Any, key: str = "") -> Any:
    """Every shown string of a plugin's figure spec through :func:`plot_text` (code-like keys left alone)."""
    if key in _PLOT_CODE_KEYS:
        return value
    if isinstance(value, dict):
        return {k: _plot_texts(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_plot_texts(v, key) for v in value]
    return plot_text(value)


def _fig(fig) -> Markup:
    # plotly's JSON is script-safe (<, > and / escaped as \\u003c...): the div is markup we trust
    return Markup(fig.to_html(full_html=False, include_plotlyjs=False,
                              config={"displayModeBar": False, "responsive": True}))


def _checks(report: dict) -> list[dict]:
    rows = []
    for stage in ("validators", "privacy"):
        for name, info in _obj(report.get(stage)).items():
            info = _obj(info)
            extra = {k: v for k, v in info.items() if k not in ("rejected", "note")}
            rows.append({"stage": stage, "name": name, "rejected": info.get("rejected", 0),
                         "settings": json.dumps(extra)[:300] if extra else "", "note": info.get("note")})
    return rows


def _short(label: str, width: int = 16) -> str:
    return label if len(label) <= width else label[:width - 1] + "…"


def _column_figs(dist: dict) -> list[Markup]:
    import plotly.graph_objects as go

    out = []
    for name, col in _obj(dist.get("columns")).items():
        fig = go.Figure()
        if "edges" in col:
            mids = [(a + b) / 2 for a, b in zip(col["edges"][:-1], col["edges"][1:])]
            fig.add_bar(x=mids, y=col["real"], name="real", marker_color="#3b6fd8", opacity=0.6)
            fig.add_bar(x=mids, y=col["synthetic"], name="synthetic", marker_color="#e07a1f", opacity=0.6)
            fig.update_layout(barmode="overlay", bargap=0)
        else:
            # long category names (german_credit: "... >= 200 DM / salary assignments for at least 1 year") ran
            # over the legend and each other: shortened on the axis, whole on hover; bars sit at positions, so two
            # names that shorten alike stay two bars
            names = [str(c) for c in col["categories"]]
            at = list(range(len(names)))
            shown = [plot_text(n) for n in names]
            fig.add_bar(x=at, y=col["real"], name="real", marker_color="#3b6fd8", hovertext=shown)
            fig.add_bar(x=at, y=col["synthetic"], name="synthetic", marker_color="#e07a1f", hovertext=shown)
            fig.update_xaxes(tickvals=at, ticktext=[plot_text(_short(n)) for n in names], tickangle=-30)
        miss = _obj(col.get("missing"))
        # the legend lives in the subtitle (a legend box collided with the axis labels or the title)
        title = (f"<b>{plot_text(str(name))}</b><br><span style='color:#3b6fd8'>■ real</span> (missing "
                 f"{miss.get('real', 0):.1%}) <span style='color:#e07a1f'>■ synthetic</span> "
                 f"(missing {miss.get('synthetic', 0):.1%})")
        fig.update_layout(title=title, height=300, margin=dict(l=30, r=10, t=50, b=30), title_font_size=12,
                          showlegend=False)
        out.append(_fig(fig))
    return out


def _correlation_fig(dist: dict) -> Markup | None:
    import plotly.graph_objects as go

    corr = _obj(dist.get("correlation"))
    cols = [plot_text(str(c)) for c in corr.get("columns") or []]
    if len(cols) < 2:
        return None
    diff = [[abs(s - r) for r, s in zip(rr, sr)] for rr, sr in zip(corr["real"], corr["synthetic"])]
    fig = go.Figure(go.Heatmap(z=diff, x=cols, y=cols, zmin=0, zmax=1, colorscale="Reds",
                               colorbar=dict(title="|Δρ|")))
    fig.update_layout(title=f"|Spearman(synthetic) − Spearman(real)|, mean {plot_text(corr.get('mean_abs_difference'))}",
                      height=520, margin=dict(l=10, r=10, t=50, b=10))
    return _fig(fig)


def _loss_fig(history: Any) -> Markup | str:
    import plotly.graph_objects as go

    history = _obj(history)
    if not history.get("train_loss"):
        return Markup("<p>No per-epoch losses recorded (pretrained bundle without history, or a generator without "
                      "epochs).</p>")
    epochs = list(range(1, len(history["train_loss"]) + 1))
    fig = go.Figure()
    fig.add_scatter(x=epochs, y=history["train_loss"], name="train")
    if history.get("val_loss"):
        fig.add_scatter(x=history.get("val_epochs") or epochs, y=history["val_loss"], name="validation")
    if isinstance(history.get("best_epoch"), (int, float)):
        fig.add_vline(x=history["best_epoch"], line_dash="dot", annotation_text="kept weights")
    fig.update_layout(title="training loss per epoch", xaxis_title="epoch", height=320,
                      margin=dict(l=30, r=10, t=40, b=30))
    return _fig(fig)


def _metric_figs(result: dict, wide: bool) -> list[Markup]:
    """Figures a metric returned as plotly JSON (``{"title", "data", "layout"}``) — how plugins plot.

    ``wide`` picks the figures with subplots (drawn full width) or the single-panel ones (in a grid).
    """
    import plotly.graph_objects as go

    out = []
    for spec in result.get("figures") or []:
        spec = _plot_texts(_obj(spec))
        if ("xaxis2" in _obj(spec.get("layout"))) != wide:
            continue
        try:
            fig = go.Figure(data=spec.get("data", []), layout=spec.get("layout", {}))
        except (ValueError, TypeError) as err:  # a plugin's malformed figure must not break the report
            out.append(Markup("<p>figure {} could not be drawn: {}</p>").format(spec.get("title"), str(err)))
            continue
        if spec.get("title") and not fig.layout.title.text:
            fig.update_layout(title=spec["title"])
        fig.update_layout(height=fig.layout.height or 320, margin=dict(l=30, r=10, t=40, b=30))
        out.append(_fig(fig))
    return out


def _flat_rows(numbers: dict, limit: int = 60) -> tuple[list[tuple[str, str]], int]:
    """Nested metric results as one row per leaf (``a.b.c``); lists inline and shortened."""
    rows: list[tuple[str, Any]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict) and value:
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        else:
            rows.append((prefix, value))

    walk("", numbers)
    cells = []
    for key, value in rows[:limit]:
        text = json.dumps(value) if isinstance(value, (list, dict)) else str(value)
        cells.append((key, text[:160] + ("…" if len(text) > 160 else "")))
    return cells, max(0, len(rows) - limit)


def _plugin_metrics(metrics: dict) -> list[dict]:
    out = []
    for name, result in metrics.items():
        if not isinstance(result, dict):
            continue
        rows, more = _flat_rows({k: v for k, v in result.items() if k != "figures"})
        out.append({"name": name, "rows": rows, "more": more, "small": _metric_figs(result, wide=False),
                    "wide": _metric_figs(result, wide=True)})
    return out


def _release(release: dict, audit: dict) -> dict | None:
    """The release decision, first on the page: what was judged, and any override the user recorded."""
    if not release:
        return None
    decision = release.get("decision")
    words = {"pass": "passed its targets", "fail": "FAILED its targets",
             "cannot tell": "could not tell (too little data or no audit)"}.get(decision, str(decision))
    figures = [{"interval": "", **_obj(f)} for f in _obj(audit.get("release")).get("figures") or []]
    return {"style": {"pass": "ok", "fail": "bad"}.get(decision, "warn"), "words": words,
            "reason": release.get("reason"), "override": release.get("override"), "figures": figures}


def _ci(row: dict, key: str) -> str:
    if row.get(key) is None:
        return "n/a (too few non-members)"
    ci = row.get(f"{key}_ci")
    return f"{row.get(key)}" + (f" [{ci[0]}, {ci[1]}]" if isinstance(ci, list) and len(ci) == 2 else "")


def _audit(audit: dict) -> dict:
    import plotly.graph_objects as go

    out: dict[str, Any] = {"skipped": audit.get("skipped") if "dcr" not in audit else None,
                           "distance": audit.get("distance")}
    dcr = _obj(audit.get("dcr"))
    if dcr:
        syn, hold = _obj(dcr.get("synthetic_to_train")), _obj(dcr.get("holdout_to_train"))
        share = dcr.get("share_closer_to_train")
        draws = _obj(dcr.get("share_draws"))
        out["dcr"] = {"share": f"{share:.1%}" if isinstance(share, (int, float)) else share,
                      "draws": draws.get("draws"), "draws_min": draws.get("min"), "draws_max": draws.get("max"),
                      "holdout_records": dcr.get("holdout_records"), "syn_p5": syn.get("p5"),
                      "syn_median": syn.get("median"), "hold_p5": hold.get("p5"), "hold_median": hold.get("median")}
    mia = _obj(audit.get("membership_inference"))
    if mia:
        fpr = mia.get("fpr", 0.01)
        m = {k: mia.get(k) for k in ("members", "non_members", "worst_auc", "worst_auc_attack", "worst_tpr",
                                     "worst_tpr_attack", "detectable_auc_excess", "detectable_tpr_excess", "warning")}
        m["unit"] = mia.get("unit", "record")
        m["fpr"] = f"{fpr:.0%}" if isinstance(fpr, (int, float)) else fpr
        m["attacks"] = [{"name": k, "auc": _ci(v, "auc"), "tpr": _ci(v, "tpr"), "targets": v.get("targets", "")}
                        for k, v in _obj(mia.get("attacks")).items() if isinstance(v, dict) and "auc" in v]
        controls = _obj(mia.get("controls"))
        if controls:
            names = ["this output"] + [plot_text(str(c)) for c in controls]
            aucs = [mia.get("worst_auc")] + [_obj(c).get("worst_auc") for c in controls.values()]
            fig = go.Figure(go.Bar(x=names, y=aucs, marker_color=["#3b6fd8"] + ["#b3261e"] * len(controls),
                                   text=aucs, textposition="outside"))
            target = _obj(audit.get("targets")).get("worst_auc_max")
            if isinstance(target, (int, float)):
                fig.add_hline(y=target, line_dash="dot", annotation_text="target")
            fig.update_layout(title="worst attack AUC: this output beside positive controls (leaky on purpose)",
                              yaxis_range=[0, 1.1], height=320, margin=dict(l=30, r=10, t=50, b=30))
            m["controls_fig"] = _fig(fig)
        out["mia"] = m
    wp = _obj(audit.get("wp29"))
    if wp and "skipped" not in wp:
        out["wp29_targets"] = wp.get("targets")
        out["wp29"] = [{"name": k.replace("_", " "), "risk": v.get("risk"), "risk_ci": v.get("risk_ci"),
                        "train": v.get("train_success_rate", ""), "control": v.get("control_success_rate", "")}
                       for k, v in wp.items() if isinstance(v, dict)]
    out["qi"] = _obj(audit.get("quasi_identifiers")) or None
    return out


def _ledger(ledger: dict) -> dict | None:
    if not ledger:
        return None
    dp = _obj(ledger.get("dp"))
    view = None
    if dp:
        # mechanism-specific fields (DP-SGD: noise multiplier, clipping...; marginal methods: their own) as listed
        known = {"mechanism", "epsilon_spent", "epsilon_target", "delta", "accountant", "unit", "verification"}
        delta = dp.get("delta")
        verification = dp.get("verification")
        view = {"mechanism": dp.get("mechanism", "differential privacy"), "epsilon_spent": dp.get("epsilon_spent"),
                "epsilon_target": dp.get("epsilon_target"), "accountant": dp.get("accountant"),
                "delta": f"{delta:.2e}" if isinstance(delta, (int, float)) else delta,
                "unit": dp.get("unit", "record"),
                "extra": [(str(k).replace("_", " "), v) for k, v in dp.items()
                          if k not in known and isinstance(v, (int, float, str)) and not isinstance(v, bool)],
                "verification": verification, "unverified": str(verification or "").startswith("unverified")}
    steps = ledger.get("non_private")
    return {"dp": view, "non_private": steps if isinstance(steps, list) else []}


def read_report(directory: str | Path) -> dict[str, Any]:
    """``DIRECTORY/report.json`` as a dict, or one :class:`DataError` saying what is wrong with it."""
    path = Path(directory) / "report.json"
    if not path.is_file():
        raise DataError(f"{str(path)!r} not found: expected an output directory written by generate/sample")
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DataError(f"{str(path)!r} is corrupt: expected JSON written by generate/sample ({err})") from None
    if not isinstance(report, dict):
        raise DataError(f"{str(path)!r} holds a JSON {type(report).__name__}: expected an object written by "
                        "generate/sample")
    return report


def render_html(report: dict[str, Any]) -> str:
    """The whole report page; every figure is drawn from ``report`` (report.json), nothing else."""
    from jinja2 import Environment
    from plotly.offline import get_plotlyjs

    from ..explain.page import explain_section  # synthguard explain's section, when the run was explained
    from .report_page import PAGE
    from .report_augmentation import augmentation_section  # synthguard augment's section

    report = _obj(report)
    gen = _obj(report.get("generator"))
    fit = _obj(gen.get("fit"))
    metrics = _obj(report.get("metrics"))
    quality = _obj(metrics.get("core.quality"))
    tstr = _obj(metrics.get("core.tstr"))
    dist = _obj(metrics.get("core.distributions"))
    sampling = _obj(report.get("sampling"))
    audit = _obj(report.get("audit"))
    mia = _obj(audit.get("membership_inference"))
    lineage = _obj(report.get("lineage"))
    copies = sum(_obj(v).get("rejected", 0) for k, v in _obj(report.get("privacy")).items() if k == "core.exact-copy")
    share = _obj(audit.get("dcr")).get("share_closer_to_train")
    cards = [
        (report.get("rows"), "records delivered"),
        (quality.get("score", "—"), "quality (SDMetrics)"),
        (quality.get("ceiling", "—"), "real holdout vs train (ceiling)"),
        (tstr.get("ratio", "—"), f"TSTR / TRTR ({tstr.get('metric', 'n/a')})"),
        (sampling.get("rejected", 0), "records rejected and resampled"),
        (copies, "exact copies removed"),
        (f"{share:.1%}" if isinstance(share, (int, float)) else "—", "closer to train than holdout (50% ideal)"),
        (mia.get("worst_auc", "—"), "worst membership-attack AUC (0.5 ideal)"),
    ]
    measured = _obj(report.get("measured_on"))  # a chunked run: metrics and audit on a stated uniform sample
    if measured:
        cards.append((f"{measured.get('rows', 0):,} of {measured.get('of', 0):,}",
                      "records measured (uniform sample): quality, audit and release decision"))
    if dist:
        fidelity_note = "Fewer than two numeric columns: no correlation matrix."
    elif report.get("modality", "table") != "table" and len(metrics):
        fidelity_note = "Fidelity of this modality is measured by the domain metrics below."
    else:
        fidelity_note = "No real data at hand: fidelity not measured."
    source = _obj(lineage.get("data_source")).get("source", fit.get("source", ""))
    sampled = _obj(_obj(lineage.get("data_source")).get("sample"))
    if sampled and isinstance(source, str):
        source += f" (a uniform sample of {sampled.get('rows', 0):,} of its {sampled.get('of_rows', 0):,} rows)"
    bundle = gen.get("bundle_sha256") or "none"
    env = Environment(autoescape=True, keep_trailing_newline=True)
    other = {k: v for k, v in metrics.items() if k not in ("core.quality", "core.tstr", "core.distributions")}
    return env.from_string(PAGE).render(
        css=Markup(_CSS), plotlyjs=Markup(get_plotlyjs()), report=report, gen=gen, fit=fit,
        source=source if isinstance(source, str) else json.dumps(source),
        bundle=str(bundle)[:16], release=_release(_obj(report.get("release")), audit), cards=cards,
        checks=_checks(report), quality=quality, correlation=_correlation_fig(dist) if dist else None,
        fidelity_note=fidelity_note, column_figs=_column_figs(dist) if dist else [], audit=_audit(audit),
        ledger=_ledger(_obj(report.get("privacy_ledger"))), tstr=tstr,
        loss_fig=_loss_fig(fit.get("history")), fit_figs=[*_metric_figs(fit, False), *_metric_figs(fit, True)],
        lineage_json=json.dumps({"timings": _obj(report.get("timings")), "lineage": lineage, "sampling": sampling},
                                indent=2),
        plugin_metrics=_plugin_metrics(other), explain_section=explain_section(report.get("explain")),
        augmentation_section=augmentation_section(report))
