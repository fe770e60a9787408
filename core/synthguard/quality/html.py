"""report.json -> report.html: one self-contained file (plotly.js inlined, no CDN) a reviewer opens offline."""

from __future__ import annotations

import html
import json
from typing import Any

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2330;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{margin-top:2.2rem;border-bottom:1px solid #dde;padding-bottom:.3rem}
.sub{color:#5a6275} .cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:1.2rem 0}
.card{border:1px solid #dde;border-radius:8px;padding:.7rem 1rem;min-width:150px}
.card b{display:block;font-size:1.4rem} .card span{color:#5a6275;font-size:.85rem}
table{border-collapse:collapse;width:100%;font-size:.9rem} td,th{border-bottom:1px solid #eef;padding:.35rem .5rem;text-align:left}
th{background:#f5f6fa} .num{text-align:right;font-variant-numeric:tabular-nums} .bad{color:#b3261e;font-weight:600}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:.5rem} code{font-size:.85rem}
"""


def _esc(x: Any) -> str:
    return html.escape(str(x))


def _fig(fig) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False, config={"displayModeBar": False, "responsive": True})


def _card(value: Any, label: str) -> str:
    return f'<div class="card"><b>{_esc(value)}</b><span>{_esc(label)}</span></div>'


def _checks_table(report: dict) -> str:
    rows = []
    for stage in ("validators", "privacy"):
        for name, info in report.get(stage, {}).items():
            extra = {k: v for k, v in info.items() if k != "rejected"}
            cls = ' class="num bad"' if info.get("rejected") else ' class="num"'
            rows.append(f"<tr><td>{stage}</td><td><code>{_esc(name)}</code></td><td{cls}>{info.get('rejected', 0)}</td>"
                        f"<td><code>{_esc(json.dumps(extra)[:300]) if extra else ''}</code></td></tr>")
    return ("<table><tr><th>stage</th><th>check</th><th class='num'>rejected</th><th>settings</th></tr>"
            + "".join(rows) + "</table>")


def _column_figs(dist: dict) -> list[str]:
    import plotly.graph_objects as go

    out = []
    for name, col in dist.get("columns", {}).items():
        fig = go.Figure()
        if "edges" in col:
            mids = [(a + b) / 2 for a, b in zip(col["edges"][:-1], col["edges"][1:])]
            fig.add_bar(x=mids, y=col["real"], name="real", marker_color="#3b6fd8", opacity=0.6)
            fig.add_bar(x=mids, y=col["synthetic"], name="synthetic", marker_color="#e07a1f", opacity=0.6)
            fig.update_layout(barmode="overlay", bargap=0)
        else:
            fig.add_bar(x=col["categories"], y=col["real"], name="real", marker_color="#3b6fd8")
            fig.add_bar(x=col["categories"], y=col["synthetic"], name="synthetic", marker_color="#e07a1f")
        miss = col.get("missing", {})
        title = f"<b>{name}</b><br>missing: real {miss.get('real', 0):.1%}, synthetic {miss.get('synthetic', 0):.1%}"
        fig.update_layout(title=title, height=300, margin=dict(l=30, r=10, t=50, b=30), title_font_size=12,
                          legend=dict(orientation="h", y=-0.25))
        out.append(_fig(fig))
    return out


def _correlation_fig(dist: dict) -> str:
    import plotly.graph_objects as go

    corr = dist.get("correlation") or {}
    cols = corr.get("columns") or []
    if len(cols) < 2:
        return "<p>Fewer than two numeric columns: no correlation matrix.</p>"
    diff = [[abs(s - r) for r, s in zip(rr, sr)] for rr, sr in zip(corr["real"], corr["synthetic"])]
    fig = go.Figure(go.Heatmap(z=diff, x=cols, y=cols, zmin=0, zmax=1, colorscale="Reds",
                               colorbar=dict(title="|Δρ|")))
    fig.update_layout(title=f"|Spearman(synthetic) − Spearman(real)|, mean {corr.get('mean_abs_difference')}",
                      height=520, margin=dict(l=10, r=10, t=50, b=10))
    return _fig(fig)


def _loss_fig(history: dict | None) -> str:
    import plotly.graph_objects as go

    if not history or not history.get("train_loss"):
        return "<p>No per-epoch losses recorded (pretrained bundle without history, or a generator without epochs).</p>"
    epochs = list(range(1, len(history["train_loss"]) + 1))
    fig = go.Figure()
    fig.add_scatter(x=epochs, y=history["train_loss"], name="train")
    if history.get("val_loss"):
        fig.add_scatter(x=epochs, y=history["val_loss"], name="validation")
    if history.get("best_epoch"):
        fig.add_vline(x=history["best_epoch"], line_dash="dot", annotation_text="kept weights")
    fig.update_layout(title="training loss per epoch", xaxis_title="epoch", height=320, margin=dict(l=30, r=10, t=40, b=30))
    return _fig(fig)


def render_html(report: dict[str, Any]) -> str:
    """The whole report page; every figure is drawn from ``report`` (report.json), nothing else."""
    from plotly.offline import get_plotlyjs

    gen = report.get("generator", {})
    fit = gen.get("fit") or {}
    metrics = report.get("metrics", {})
    quality = metrics.get("core.quality", {})
    tstr = metrics.get("core.tstr", {})
    dist = metrics.get("core.distributions", {})
    sampling = report.get("sampling", {})
    copies = sum(v.get("rejected", 0) for k, v in report.get("privacy", {}).items() if k == "core.exact-copy")
    cards = [
        _card(report.get("rows"), "records delivered"),
        _card(quality.get("score", "—"), "quality (SDMetrics)"),
        _card(quality.get("ceiling", "—"), "real holdout vs train (ceiling)"),
        _card(tstr.get("ratio", "—"), f"TSTR / TRTR ({tstr.get('metric', 'n/a')})"),
        _card(sampling.get("rejected", 0), "records rejected and resampled"),
        _card(copies, "exact copies removed"),
        _card(f"{metrics['core.dcr']['share_closer_to_train']:.1%}" if "share_closer_to_train" in metrics.get("core.dcr", {})
              else "—", "closer to train than holdout (50% ideal)"),
    ]
    timings = report.get("timings", {})
    lineage = report.get("lineage", {})
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>SynthGuard report — {_esc(gen.get('name'))}</title><style>{_CSS}</style>",
        f"<script>{get_plotlyjs()}</script></head><body>",
        f"<h1>Synthetic data report — <code>{_esc(gen.get('name'))}</code></h1>",
        f"<p class='sub'>{_esc(report.get('rows'))} records, seed {_esc(report.get('seed'))}, "
        f"source {_esc((lineage.get('data_source') or {}).get('source', fit.get('source', '')))}, "
        f"bundle <code>{_esc((gen.get('bundle_sha256') or 'none')[:16])}</code></p>",
        "<div class='cards'>" + "".join(cards) + "</div>",
        "<h2>Safety and privacy checks</h2>",
        "<p>Every record passed every check below; rejected records were written to <code>rejected.*</code> with "
        "their reasons and replaced by new samples.</p>",
        _checks_table(report),
        "<h2>Fidelity</h2>",
    ]
    if quality:
        parts.append(f"<p>Column shapes {quality.get('column_shapes')}, column-pair trends "
                     f"{quality.get('column_pair_trends')} (SDMetrics QualityReport, synthetic vs training data).</p>")
    parts.append(_correlation_fig(dist) if dist else "<p>No real data at hand: fidelity not measured.</p>")
    if dist:
        parts.append("<div class='grid'>" + "".join(_column_figs(dist)) + "</div>")
    dcr = metrics.get("core.dcr", {})
    parts.append("<h2>Privacy: distance to closest record</h2>")
    if "share_closer_to_train" in dcr:
        parts.append(
            f"<p>Of the synthetic records, <b>{dcr['share_closer_to_train']:.1%}</b> are closer to (an equal-sized "
            f"sample of) the training records than to the {dcr['holdout_records']} real holdout records — 50% means "
            f"the generator shows no preference for the records it learned from. Distance to the closest training "
            f"record: synthetic 5th percentile {dcr['synthetic_to_train']['p5']}, median "
            f"{dcr['synthetic_to_train']['median']}; real unseen records {dcr['holdout_to_train']['p5']}, "
            f"{dcr['holdout_to_train']['median']}.</p>")
    else:
        parts.append(f"<p>{_esc(dcr.get('skipped', 'not measured'))}</p>")
    parts.append("<h2>Utility</h2>")
    if "tstr" in tstr:
        parts.append(f"<p>Target <code>{_esc(tstr['target'])}</code> ({_esc(tstr['task'])}), gradient-boosted model "
                     f"scored on {tstr.get('holdout_records')} real holdout records by {_esc(tstr['metric'])}: "
                     f"trained on real (TRTR) <b>{tstr['trtr']}</b>, trained on synthetic (TSTR) <b>{tstr['tstr']}</b>, "
                     f"ratio <b>{tstr['ratio']}</b>.</p>")
    else:
        parts.append(f"<p>{_esc(tstr.get('skipped', 'not measured'))}</p>")
    parts += ["<h2>Training</h2>",
              f"<p>Device {_esc(fit.get('device'))}, {_esc(fit.get('epochs_run', '—'))} epochs "
              f"(best {_esc(fit.get('best_epoch', '—'))}), {_esc(fit.get('seconds', '—'))} s, seed {_esc(fit.get('seed'))}, "
              f"{_esc(fit.get('records'))} training records.</p>",
              _loss_fig(fit.get("history")),
              "<h2>Timings and lineage</h2>",
              f"<pre>{_esc(json.dumps({'timings': timings, 'lineage': lineage, 'sampling': sampling}, indent=2))}</pre>"]
    other = {k: v for k, v in metrics.items() if k not in ("core.quality", "core.tstr", "core.distributions", "core.dcr")}
    if other:
        parts += ["<h2>Plugin metrics</h2>", f"<pre>{_esc(json.dumps(other, indent=2))}</pre>"]
    parts.append("</body></html>")
    return "\n".join(parts)
