"""The explanation as HTML: a section of report.html (:func:`explain_section`) and a page of its own
(:func:`explain_page`). A Jinja2 template with autoescaping: column names and notes reach the page as text;
figure labels go through :func:`synthguard.quality.html.plot_text` (plotly's labels understand a few tags)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

SECTION = r"""<h2 id='explain'>What the model learned</h2>
<p class='sub'>{{ notes }}</p>
<h3>Dependencies between columns: real vs synthetic</h3>
<p>One measure per pair of column types, each from 0 (independent) to 1 (one column determines the other):
{% for pair, m in measures %}{{ pair }}: {{ m }}{{ '; ' if not loop.last else '.' }}{% endfor %}
Mean absolute difference {{ mean_diff }}.</p>
{% if misses %}<p>Largest misses:</p><ul>{% for m in misses %}<li>{{ m }}</li>{% endfor %}</ul>{% endif %}
{% for f in dep_figs %}{{ f }}{% endfor %}
<h3>What the generator uses to predict each column</h3>
{% if importance %}<p>For {{ importance.rows_scored }} real records the model did not train on, how much worse the model
predicts a column from all the others when one more column is hidden (mean drop of log-likelihood, nats).
{% for t, cols in importance.top %}<code>{{ t }}</code> ← {{ cols|join(', ') }}{{ '; ' if not loop.last else '.' }}{% endfor %}</p>
{% for f in imp_figs %}{{ f }}{% endfor %}
{% else %}<p>{{ model_note }}</p>{% endif %}
<h3>How typical each delivered record is</h3>
{% if lik %}<p>{{ lik.outliers }} of {{ lik.records }} delivered records ({{ lik.share }}) are less likely under the model
than {{ lik.keep }}% of the real {{ lik.against }} records (log-likelihood below {{ lik.threshold }} nats); explain.json lists
them by row.</p>{% for f in lik_figs %}{{ f }}{% endfor %}
{% else %}<p>{{ model_note }}</p>{% endif %}
<h3>Rejected records: which columns made each a copy</h3>
{% if att %}<p>{{ att.explained }} rejected records explained ({{ att.near_copies }} near or exact copies; the rest by
their quasi-identifiers). Column names only: the real records' values are not shown.</p>
{% for f in att_figs %}{{ f }}{% endfor %}
<table><tr><th class='num'>rejected row</th><th>checks</th><th>matching columns</th></tr>
{% for r in att.rows %}<tr><td class='num'>{{ r.row }}</td><td><code>{{ r.checks|join(', ') }}</code></td><td>{{ r.matching }}: {{ r.matching_columns|join(', ') }}</td></tr>
{% endfor %}</table>{% if att.more %}<p>{{ att.more }} more in explain.json.</p>{% endif %}
{% else %}<p>No record was rejected as a copy.</p>{% endif %}
"""

SEQUENCE_SECTION = r"""<h2 id='explain'>What the model learned</h2>
<p class='sub'>{{ notes }}</p>
<h3>Over time and across channels: real vs synthetic</h3>
<p>{{ measure }} (real: {{ records.real }} records, synthetic: {{ records.synthetic }}; lags 1 to {{ lags }} steps).
Mean absolute difference: autocorrelation {{ acf_diff }}, cross-channel correlation {{ cross_diff }}.</p>
{% if misses %}<p>Largest misses:</p><ul>{% for m in misses %}<li>{{ m }}</li>{% endfor %}</ul>
{% else %}<p>No autocorrelation, cross-channel or lead-lag correlation differs by {{ threshold }} or more.</p>{% endif %}
{% if leads %}<p>Channels that follow another in the real data:</p><ul>{% for m in leads %}<li>{{ m }}</li>{% endfor %}</ul>{% endif %}
{% for f in temporal_figs %}{{ f }}{% endfor %}
<h3>How typical each delivered record is</h3>
{% if lik %}<p>{{ lik.outliers }} of {{ lik.records }} delivered records ({{ lik.share }}) are less likely under the model
than {{ lik.keep }}% of the real {{ lik.against }} records (log-likelihood below {{ lik.threshold }} nats, {{ scale }});
explain.json lists them by record.</p>{% for f in lik_figs %}{{ f }}{% endfor %}
{% else %}<p>{{ model_note }}</p>{% endif %}
"""

PAGE = r"""<!doctype html><html lang='en'><head><meta charset='utf-8'>
<title>SynthGuard — what the model learned</title><style>{{ css }}</style><script>{{ plotlyjs }}</script></head>
<body><h1>What the model learned — <code>{{ generator }}</code></h1>{{ section }}</body></html>
"""

#: Rejected records listed on the page (all of them are in explain.json).
SHOWN_ROWS = 20


def _obj(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _draw(specs: Any) -> list[Markup]:
    """Figures (full width: heatmaps and bars over every column) from plotly figure dicts, labels escaped."""
    import plotly.graph_objects as go

    from ..quality.html import _fig, _plot_texts

    out = []
    for spec in specs if isinstance(specs, list) else []:
        spec = _plot_texts(_obj(spec))
        try:
            fig = go.Figure(data=spec.get("data", []), layout=spec.get("layout", {}))
        except (ValueError, TypeError) as err:
            out.append(Markup("<p>figure {} could not be drawn: {}</p>").format(spec.get("title"), str(err)))
            continue
        fig.update_layout(title=spec.get("title"), title_font_size=13, margin=dict(l=40, r=10, t=50, b=40))
        out.append(_fig(fig))
    return out


def explain_section(explain: Any) -> Markup:
    """The report's explain section (empty when the run was not explained)."""
    from jinja2 import Environment

    e = _obj(explain)
    if not e:
        return Markup("")
    if e.get("modality") == "sequence":
        return _sequence_section(e)
    figs = _obj(e.get("figures"))
    dep, imp, lik, att = (_obj(e.get(k)) for k in ("dependencies", "importance", "likelihood", "near_copies"))
    lik_view = _likelihood_view(lik)
    rows = [r for r in att.get("records") or [] if isinstance(r, dict)]
    att_view = {"explained": att.get("explained", len(rows)), "near_copies": att.get("near_copies", 0),
                "rows": rows[:SHOWN_ROWS], "more": max(0, len(rows) - SHOWN_ROWS)} if rows else None
    env = Environment(autoescape=True)
    return Markup(env.from_string(SECTION).render(
        notes=" · ".join(str(n) for n in e.get("notes") or []),
        measures=list(_obj(dep.get("measures")).items()), mean_diff=dep.get("mean_abs_difference"),
        misses=dep.get("largest_misses_text") or [], dep_figs=_draw(figs.get("dependencies")),
        importance={"rows_scored": imp.get("rows_scored"), "top": list(_obj(imp.get("top")).items())} if imp else None,
        imp_figs=_draw(figs.get("importance")), model_note=e.get("model_note") or "",
        lik=lik_view, lik_figs=_draw(figs.get("likelihood")),
        att=att_view, att_figs=_draw(figs.get("near_copies"))))


def _likelihood_view(lik: dict) -> dict | None:
    if lik.get("threshold") is None:
        return None
    n = len(lik.get("log_likelihood") or []) or lik.get("records", 0)
    k = len(lik.get("outliers") or [])
    share = lik.get("outlier_share")
    return {"outliers": k, "records": n, "share": f"{share:.1%}" if isinstance(share, (int, float)) else "—",
            "keep": 100 - float(lik.get("percentile", 1)), "against": lik.get("against"),
            "threshold": lik.get("threshold")}


def _sequence_section(e: dict) -> Markup:
    """The explain section of a sequence output (explain/sequences.py)."""
    from jinja2 import Environment

    from .temporal import describe_lead

    t, lik = _obj(e.get("temporal")), _obj(e.get("likelihood"))
    figs = _obj(e.get("figures"))
    leads = [describe_lead(p) for p in (t.get("lead_lag") or [])[:5] if isinstance(p, dict) and p.get("real") is not None]
    env = Environment(autoescape=True)
    return Markup(env.from_string(SEQUENCE_SECTION).render(
        notes=" · ".join(str(n) for n in e.get("notes") or []), measure=t.get("measure", ""),
        records=_obj(t.get("records")), lags=len(t.get("lags") or []),
        acf_diff=_obj(t.get("autocorrelation")).get("mean_abs_difference"),
        cross_diff=_obj(t.get("cross_correlation")).get("mean_abs_difference"),
        misses=t.get("largest_misses_text") or [], threshold=t.get("miss_threshold"), leads=leads, temporal_figs=_draw(figs.get("temporal")),
        lik=_likelihood_view(lik), scale=lik.get("scale", ""), lik_figs=_draw(figs.get("likelihood")),
        model_note=e.get("model_note") or ""))


def explain_page(explain: dict[str, Any]) -> str:
    """explain.html: the section on a page of its own (plotly.js inlined, opens offline)."""
    from jinja2 import Environment
    from plotly.offline import get_plotlyjs

    from ..quality.html import _CSS

    env = Environment(autoescape=True)
    return env.from_string(PAGE).render(css=Markup(_CSS), plotlyjs=Markup(get_plotlyjs()),
                                        generator=str(_obj(explain).get("generator", "")),
                                        section=explain_section(explain))
