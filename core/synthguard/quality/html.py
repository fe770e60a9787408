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
.release{padding:10px 14px;border-radius:6px;margin:12px 0;border:1px solid} .release.ok{background:#e8f5e9;border-color:#2e7d32}
.release.bad{background:#fdecea;border-color:#b3261e;color:inherit;font-weight:normal} .release.warn{background:#fff8e1;border-color:#b26a00}
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


def _short(label: str, width: int = 16) -> str:
    return label if len(label) <= width else label[:width - 1] + "…"


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
            # long category names (german_credit: "... >= 200 DM / salary assignments for at least 1 year") ran
            # over the legend and each other: shortened on the axis, whole on hover; bars sit at positions, so two
            # names that shorten alike stay two bars
            names = [str(c) for c in col["categories"]]
            at = list(range(len(names)))
            fig.add_bar(x=at, y=col["real"], name="real", marker_color="#3b6fd8", hovertext=names)
            fig.add_bar(x=at, y=col["synthetic"], name="synthetic", marker_color="#e07a1f", hovertext=names)
            fig.update_xaxes(tickvals=at, ticktext=[_short(n) for n in names], tickangle=-30)
        miss = col.get("missing", {})
        # the legend lives in the subtitle (a legend box collided with the axis labels or the title)
        title = (f"<b>{name}</b><br><span style='color:#3b6fd8'>■ real</span> (missing {miss.get('real', 0):.1%}) "
                 f"<span style='color:#e07a1f'>■ synthetic</span> (missing {miss.get('synthetic', 0):.1%})")
        fig.update_layout(title=title, height=300, margin=dict(l=30, r=10, t=50, b=30), title_font_size=12,
                          showlegend=False)
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
        fig.add_scatter(x=history.get("val_epochs") or epochs, y=history["val_loss"], name="validation")
    if history.get("best_epoch"):
        fig.add_vline(x=history["best_epoch"], line_dash="dot", annotation_text="kept weights")
    fig.update_layout(title="training loss per epoch", xaxis_title="epoch", height=320, margin=dict(l=30, r=10, t=40, b=30))
    return _fig(fig)


def _metric_figs(result: dict, wide: bool) -> list[str]:
    """Figures a metric returned as plotly JSON (``{"title", "data", "layout"}``) — how plugins plot.

    ``wide`` picks the figures with subplots (drawn full width) or the single-panel ones (in a grid).
    """
    import plotly.graph_objects as go

    out = []
    for spec in result.get("figures") or []:
        if ("xaxis2" in (spec.get("layout") or {})) != wide:
            continue
        try:
            fig = go.Figure(data=spec.get("data", []), layout=spec.get("layout", {}))
        except (ValueError, TypeError) as err:  # a plugin's malformed figure must not break the report
            out.append(f"<p>figure {_esc(spec.get('title'))!s} could not be drawn: {_esc(err)}</p>")
            continue
        if spec.get("title") and not fig.layout.title.text:
            fig.update_layout(title=spec["title"])
        fig.update_layout(height=fig.layout.height or 320, margin=dict(l=30, r=10, t=40, b=30))
        out.append(_fig(fig))
    return out


def _flat_table(numbers: dict, limit: int = 60) -> str:
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
        cells.append(f"<tr><td><code>{_esc(key)}</code></td><td class='num'>{_esc(text[:160] + ('…' if len(text) > 160 else ''))}</td></tr>")
    more = f"<p>{len(rows) - limit} more values in report.json.</p>" if len(rows) > limit else ""
    return "<table>" + "".join(cells) + "</table>" + more


def _plugin_metrics_section(metrics: dict) -> str:
    if not metrics:
        return ""
    parts = ["<h2>Domain metrics</h2>"]
    for name, result in metrics.items():
        if not isinstance(result, dict):
            continue
        numbers = {k: v for k, v in result.items() if k != "figures"}
        parts.append(f"<h3><code>{_esc(name)}</code></h3>{_flat_table(numbers)}")
        small = _metric_figs(result, wide=False)
        if small:
            parts.append("<div class='grid'>" + "".join(small) + "</div>")
        parts.extend(_metric_figs(result, wide=True))
    return "\n".join(parts)


def _release_section(release: dict, audit: dict) -> str:
    """The release decision, first on the page: what was judged, and any override the user recorded."""
    if not release:
        return ""
    decision = release.get("decision")
    style = {"pass": "ok", "fail": "bad"}.get(decision, "warn")
    words = {"pass": "passed its targets", "fail": "FAILED its targets",
             "cannot tell": "could not tell (too little data or no audit)"}.get(decision, str(decision))
    html = [f"<div class='release {style}'><b>Privacy audit {_esc(words)}.</b>"]
    if release.get("reason"):
        html.append(f" {_esc(release['reason'])}.")
    if release.get("override"):
        html.append(f"<br><b>Delivered by override despite the failed audit.</b> Reason given: "
                    f"<q>{_esc(release['override'])}</q>")
    html.append("</div>")
    figures = (audit.get("release") or {}).get("figures") or []
    if figures:
        rows = "".join(f"<tr><td>{_esc(f['figure'])}</td><td class='num'>{_esc(f['value'])}</td>"
                       f"<td class='num'>{_esc(f.get('interval', ''))}</td><td class='num'>{_esc(f['target'])}</td>"
                       f"<td>{_esc(f['verdict'])}</td></tr>" for f in figures)
        html.append("<table><tr><th>figure</th><th class='num'>value</th><th class='num'>95% CI</th>"
                    f"<th class='num'>target</th><th>verdict</th></tr>{rows}</table>")
    return "".join(html)


def _ci(row: dict, key: str) -> str:
    if row.get(key) is None:
        return "n/a (too few non-members)"
    ci = row.get(f"{key}_ci")
    return f"{row.get(key)}" + (f" [{ci[0]}, {ci[1]}]" if ci else "")


def _audit_section(audit: dict) -> str:
    import plotly.graph_objects as go

    parts = ["<h2 id='privacy-audit'>Privacy audit</h2>"]
    if "skipped" in audit and "dcr" not in audit:
        return parts[0] + f"<p>{_esc(audit['skipped'])}</p>"
    dcr = audit.get("dcr", {})
    if dcr:
        parts.append(
            f"<p>Distance: <code>{_esc(audit.get('distance'))}</code>. Of the synthetic records, "
            f"<b>{dcr['share_closer_to_train']:.1%}</b> are closer to (an equal-sized sample of) the training records "
            f"than to the {dcr['holdout_records']} real holdout records — 50% means no preference for the records the "
            f"generator learned from. Distance to the closest training record: synthetic 5th percentile "
            f"{dcr['synthetic_to_train']['p5']}, median {dcr['synthetic_to_train']['median']}; real unseen records "
            f"{dcr['holdout_to_train']['p5']}, {dcr['holdout_to_train']['median']}.</p>")
    mia = audit.get("membership_inference") or {}
    if mia:
        fpr = mia.get("fpr", 0.01)
        parts.append(
            f"<h3>Membership inference</h3><p>{mia.get('members')} training {_esc(mia.get('unit', 'record'))}s (members) "
            f"vs {mia.get('non_members')} holdout {_esc(mia.get('unit', 'record'))}s (non-members: all of the holdout); "
            "the attacker's reference population is the other half of the holdout (cross-fitted). Worst "
            f"AUC <b>{_esc(mia.get('worst_auc'))}</b> ({_esc(mia.get('worst_auc_attack'))}), worst TPR at {fpr:.0%} FPR "
            f"<b>{_esc(mia.get('worst_tpr'))}</b> ({_esc(mia.get('worst_tpr_attack'))}). At this size the audit detects "
            f"an AUC excess of {_esc(mia.get('detectable_auc_excess'))} and a TPR excess of "
            f"{_esc(mia.get('detectable_tpr_excess'))} (80% power, 5% level).</p>")
        if mia.get("warning"):
            parts.append(f"<p class='bad'>{_esc(mia['warning'])}</p>")
        rows = "".join(f"<tr><td><code>{_esc(k)}</code></td><td class='num'>{_esc(_ci(v, 'auc'))}</td>"
                       f"<td class='num'>{_esc(_ci(v, 'tpr'))}</td><td class='num'>{v.get('targets', '')}</td></tr>"
                       for k, v in mia.get("attacks", {}).items() if "auc" in v)
        parts.append("<table><tr><th>attack</th><th class='num'>AUC [95% CI]</th>"
                     f"<th class='num'>TPR @ {fpr:.0%} FPR [95% CI]</th><th class='num'>units scored</th></tr>{rows}</table>")
        controls = mia.get("controls") or {}
        if controls:
            names = ["this output"] + list(controls)
            aucs = [mia.get("worst_auc")] + [c["worst_auc"] for c in controls.values()]
            fig = go.Figure(go.Bar(x=names, y=aucs, marker_color=["#3b6fd8"] + ["#b3261e"] * len(controls),
                                   text=aucs, textposition="outside"))
            fig.add_hline(y=audit["targets"]["worst_auc_max"], line_dash="dot", annotation_text="target")
            fig.update_layout(title="worst attack AUC: this output beside positive controls (leaky on purpose)",
                              yaxis_range=[0, 1.1], height=320, margin=dict(l=30, r=10, t=50, b=30))
            parts.append(_fig(fig))
    wp = audit.get("wp29") or {}
    if wp and "skipped" not in wp:
        rows = "".join(f"<tr><td>{_esc(k.replace('_', ' '))}</td><td class='num'>{_esc(v.get('risk'))}</td>"
                       f"<td class='num'>{_esc(v.get('risk_ci'))}</td><td class='num'>{_esc(v.get('train_success_rate', ''))}</td>"
                       f"<td class='num'>{_esc(v.get('control_success_rate', ''))}</td></tr>"
                       for k, v in wp.items() if isinstance(v, dict))
        parts.append(f"<h3>Re-identification risks (WP29)</h3><p>{wp.get('targets')} training records attacked, the same "
                     "number of holdout records as control; risk = excess success on training records.</p>"
                     "<table><tr><th>risk</th><th class='num'>value</th><th class='num'>95% CI</th>"
                     f"<th class='num'>success (train)</th><th class='num'>success (control)</th></tr>{rows}</table>")
    qi = audit.get("quasi_identifiers")
    if qi:
        parts.append(f"<p>Quasi-identifiers {_esc(qi['columns'])}: {qi['unique_in_output']} output records are unique "
                     f"on them; {qi['unique_in_output_and_rare_in_real']} of those match a combination fewer than "
                     f"{qi['k']} real records share.</p>")
    return "\n".join(parts)


def _ledger_section(ledger: dict) -> str:
    if not ledger:
        return ""
    dp = ledger.get("dp")
    if dp:
        # mechanism-specific fields (DP-SGD: noise multiplier, clipping...; marginal methods: their own) as listed
        known = {"mechanism", "epsilon_spent", "epsilon_target", "delta", "accountant", "unit"}
        extra = ", ".join(f"{_esc(str(k).replace('_', ' '))} {_esc(v)}" for k, v in dp.items()
                          if k not in known and isinstance(v, (int, float, str)) and not isinstance(v, bool))
        delta = dp.get("delta")
        head = (f"<p>Trained with {_esc(dp.get('mechanism', 'differential privacy'))}: <b>ε = {_esc(dp.get('epsilon_spent'))}"
                f"</b> spent of {_esc(dp.get('epsilon_target'))}, δ = "
                f"{f'{delta:.2e}' if isinstance(delta, (int, float)) else _esc(delta)}, accountant "
                f"{_esc(dp.get('accountant'))}" + (f", {extra}" if extra else "") +
                f"; unit of privacy: {_esc(dp.get('unit', 'record'))}.</p>")
    else:
        head = "<p>No differential privacy in this run (train with <code>--epsilon</code> for a DP generator).</p>"
    items = "".join(f"<li>{_esc(x)}</li>" for x in ledger.get("non_private", []))
    return f"<h3>Privacy ledger</h3>{head}<p>Steps not covered by ε:</p><ul>{items}</ul>"


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
    audit = report.get("audit") or {}
    mia = audit.get("membership_inference") or {}
    copies = sum(v.get("rejected", 0) for k, v in report.get("privacy", {}).items() if k == "core.exact-copy")
    cards = [
        _card(report.get("rows"), "records delivered"),
        _card(quality.get("score", "—"), "quality (SDMetrics)"),
        _card(quality.get("ceiling", "—"), "real holdout vs train (ceiling)"),
        _card(tstr.get("ratio", "—"), f"TSTR / TRTR ({tstr.get('metric', 'n/a')})"),
        _card(sampling.get("rejected", 0), "records rejected and resampled"),
        _card(copies, "exact copies removed"),
        _card(f"{audit['dcr']['share_closer_to_train']:.1%}" if "dcr" in audit else "—",
              "closer to train than holdout (50% ideal)"),
        _card(mia.get("worst_auc", "—"), "worst membership-attack AUC (0.5 ideal)"),
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
        _release_section(report.get("release") or {}, audit),
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
    if dist:
        parts.append(_correlation_fig(dist))
    elif report.get("modality", "table") != "table" and len(metrics):
        parts.append("<p>Fidelity of this modality is measured by the domain metrics below.</p>")
    else:
        parts.append("<p>No real data at hand: fidelity not measured.</p>")
    if dist:
        parts.append("<div class='grid'>" + "".join(_column_figs(dist)) + "</div>")
    parts.append(_audit_section(report.get("audit") or {}))
    parts.append(_ledger_section(report.get("privacy_ledger") or {}))
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
              *_metric_figs(fit, False), *_metric_figs(fit, True),  # a generator's own monitoring (e.g. sample grids)
              "<h2>Timings and lineage</h2>",
              f"<pre>{_esc(json.dumps({'timings': timings, 'lineage': lineage, 'sampling': sampling}, indent=2))}</pre>"]
    other = {k: v for k, v in metrics.items() if k not in ("core.quality", "core.tstr", "core.distributions")}
    parts.append(_plugin_metrics_section(other))
    parts.append("</body></html>")
    return "\n".join(parts)
