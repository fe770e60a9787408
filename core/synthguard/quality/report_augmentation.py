"""The augmentation section of report.html (``synthguard augment``): a Jinja2 partial the page includes.

It reads ``report.augmentation`` (written by :mod:`synthguard.augment`) and nothing else; the page's
environment autoescapes, so every value is text.
"""

PARTIAL = r"""{% set aug = report.augmentation if report.augmentation is mapping else none %}
{% if aug %}<h2 id='augmentation'>Augmentation</h2>
{% set rb = aug.rebalance if aug.rebalance is mapping else none %}
{% if rb %}<p>Rebalanced <code>{{ rb.column }}</code>: minority class <code>{{ rb.minority_class }}</code> asked at {{ rb.requested_shares[rb.minority_class] }} of the synthetic records, delivered {{ rb.delivered_shares[rb.minority_class] if rb.minority_class in rb.delivered_shares else 0 }} (every class: {% for k, v in rb.delivered_shares.items() %}{{ k }} {{ v }}{% if not loop.last %}, {% endif %}{% endfor %}).</p>{% endif %}
{% set au = aug.augmented if aug.augmented is mapping else {} %}
<p><code>augmented.*</code> holds {{ au.real_records }} real training records and {{ au.synthetic_records }} synthetic ones; column <code>{{ au.source_column }}</code> says which is which. It holds real records: train your own model on it, do not share it.</p>
{% set m = aug.measurement if aug.measurement is mapping else {} %}
{% if m.skipped %}<p>{{ m.skipped }}</p>{% elif m.regimes %}
<p class='release {{ "ok" if m.verdict and "helps" in m.verdict and "does not" not in m.verdict else "warn" }}'><b>{{ m.verdict }}</b></p>
<p>Downstream model: {{ m.task.description if m.task is mapping else '' }}; target <code>{{ m.target }}</code> ({{ m.kind }}), scored on {{ m.holdout_records }} real holdout records{% if m.minority_class is not none %}; minority class <code>{{ m.minority_class }}</code>{% endif %}. {{ m.protocol }}.</p>
{% set key = m.metric %}{% set name = 'AUC' if key == 'roc_auc' else 'MAE' %}
{% for reg in m.regimes %}<h3>{{ '%.0f' % (reg.fraction * 100) }}% of the training data ({{ reg.real_records }} real records)</h3>
<p>{{ reg.verdict }}. Synthetic records: {{ reg.synthetic_from }}.</p>
<table><tr><th>trained on</th><th class='num'>records</th><th class='num'>{{ name }} [95% CI]</th>{% if key == 'roc_auc' %}<th class='num'>minority recall [95% CI]</th>{% endif %}<th class='num'>{{ name }} uplift vs real-only [95% CI]</th><th>interval excludes 0</th></tr>
{% for a in reg.arms %}<tr><td>{{ a.arm }}</td>{% if a.skipped %}<td colspan='5'>{{ a.skipped }}</td>{% else %}<td class='num'>{{ a.train_records }}</td><td class='num'>{{ a[key] }} {{ a[key ~ '_ci'] }}</td>{% if key == 'roc_auc' %}<td class='num'>{{ a.minority_recall }} {{ a.minority_recall_ci }}</td>{% endif %}{% set u = a.uplift[key] if a.uplift is mapping else none %}<td class='num'>{% if u %}{{ '%+.4f' % u.value if u.value is number else u.value }} {{ u.ci }}{% else %}—{% endif %}</td><td class='{{ "bad" if u and u.significant and u.value is number and u.value < 0 }}'>{% if u %}{{ 'yes' if u.significant else 'no' }}{% endif %}</td>{% endif %}</tr>
{% endfor %}</table>{% endfor %}{% endif %}{% endif %}
"""


def augmentation_section(report: dict):
    """The section as markup for the page (empty when the run was not ``augment``); autoescaped like the page."""
    from jinja2 import Environment
    from markupsafe import Markup

    if not isinstance(report, dict) or not isinstance(report.get("augmentation"), dict):
        return Markup("")
    return Markup(Environment(autoescape=True).from_string(PARTIAL).render(report=report))


__all__ = ["PARTIAL", "augmentation_section"]
