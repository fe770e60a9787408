"""The Jinja2 template of report.html (autoescaped: every value from report.json is text, never markup).

Only plotly's figure ``<div>``s (built by :mod:`synthguard.quality.html` from escaped labels, with
plotly's own script-safe JSON) and plotly.js itself are passed in as :class:`markupsafe.Markup`.
"""

PAGE = r"""<!doctype html><html lang='en'><head><meta charset='utf-8'>
<title>SynthGuard report — {{ gen.name }}</title><style>{{ css }}</style>
<script>{{ plotlyjs }}</script></head><body>
<h1>Synthetic data report — <code>{{ gen.name }}</code></h1>
<p class='sub'>{{ report.rows }} records, seed {{ report.seed }}, source {{ source }}, bundle <code>{{ bundle }}</code></p>
{% if release %}
<div class='release {{ release.style }}'><b>Privacy audit {{ release.words }}.</b>
{%- if release.reason %} {{ release.reason }}.{% endif %}
{%- if release.override %}<br><b>Delivered by override despite the failed audit.</b> Reason given: <q>{{ release.override }}</q>{% endif %}
</div>
{% if release.figures %}<table><tr><th>figure</th><th class='num'>value</th><th class='num'>95% CI</th><th class='num'>target</th><th>verdict</th></tr>
{% for f in release.figures %}<tr><td>{{ f.figure }}</td><td class='num'>{{ f.value }}</td><td class='num'>{{ f.interval }}</td><td class='num'>{{ f.target }}</td><td>{{ f.verdict }}</td></tr>
{% endfor %}</table>{% endif %}
{% endif %}
<div class='cards'>{% for value, label in cards %}<div class="card"><b>{{ value }}</b><span>{{ label }}</span></div>{% endfor %}</div>
<h2>Safety and privacy checks</h2>
<p>Every record passed every check below; rejected records were written to <code>rejected.*</code> with their reasons and replaced by new samples.</p>
<table><tr><th>stage</th><th>check</th><th class='num'>rejected</th><th>settings</th></tr>
{% for c in checks %}<tr><td>{{ c.stage }}</td><td><code>{{ c.name }}</code></td><td class="num{{ ' bad' if c.rejected }}">{{ c.rejected }}</td><td><code>{{ c.settings }}</code></td></tr>
{% endfor %}</table>
{% for c in checks if c.note %}<p><code>{{ c.name }}</code>: {{ c.note }}</p>{% endfor %}
<h2>Fidelity</h2>
{% if quality %}<p>Column shapes {{ quality.column_shapes }}, column-pair trends {{ quality.column_pair_trends }} (SDMetrics QualityReport, synthetic vs training data).</p>{% endif %}
{% if correlation %}{{ correlation }}{% else %}<p>{{ fidelity_note }}</p>{% endif %}
{% if column_figs %}<div class='grid'>{% for f in column_figs %}{{ f }}{% endfor %}</div>{% endif %}
<h2 id='privacy-audit'>Privacy audit</h2>
{% if audit.skipped %}<p>{{ audit.skipped }}</p>{% endif %}
{% if audit.dcr %}{% set d = audit.dcr %}<p>Distance: <code>{{ audit.distance }}</code>. Of the synthetic records, <b>{{ d.share }}</b> are closer to (an equal-sized sample of) the training records than to the {{ d.holdout_records }} real holdout records — 50% means no preference for the records the generator learned from.{% if d.draws %} The mean over {{ d.draws }} draws of whole training entities (one draw alone read from {{ d.draws_min }} to {{ d.draws_max }}).{% endif %} Distance to the closest training record: synthetic 5th percentile {{ d.syn_p5 }}, median {{ d.syn_median }}; real unseen records {{ d.hold_p5 }}, {{ d.hold_median }}.</p>{% endif %}
{% if audit.mia %}{% set m = audit.mia %}<h3>Membership inference</h3><p>{{ m.members }} training {{ m.unit }}s (members) vs {{ m.non_members }} holdout {{ m.unit }}s (non-members: all of the holdout); the attacker's reference population is the other half of the holdout (cross-fitted). Worst AUC <b>{{ m.worst_auc }}</b> ({{ m.worst_auc_attack }}), worst TPR at {{ m.fpr }} FPR <b>{{ m.worst_tpr }}</b> ({{ m.worst_tpr_attack }}). At this size the audit detects an AUC excess of {{ m.detectable_auc_excess }} and a TPR excess of {{ m.detectable_tpr_excess }} (80% power, 5% level).</p>
{% if m.warning %}<p class='bad'>{{ m.warning }}</p>{% endif %}
<table><tr><th>attack</th><th class='num'>AUC [95% CI]</th><th class='num'>TPR @ {{ m.fpr }} FPR [95% CI]</th><th class='num'>units scored</th></tr>
{% for a in m.attacks %}<tr><td><code>{{ a.name }}</code></td><td class='num'>{{ a.auc }}</td><td class='num'>{{ a.tpr }}</td><td class='num'>{{ a.targets }}</td></tr>
{% endfor %}</table>
{% if m.controls_fig %}{{ m.controls_fig }}{% endif %}{% endif %}
{% if audit.wp29 %}<h3>Re-identification risks (WP29)</h3><p>{{ audit.wp29_targets }} training records attacked, the same number of holdout records as control; risk = excess success on training records.</p>
<table><tr><th>risk</th><th class='num'>value</th><th class='num'>95% CI</th><th class='num'>success (train)</th><th class='num'>success (control)</th></tr>
{% for r in audit.wp29 %}<tr><td>{{ r.name }}</td><td class='num'>{{ r.risk }}</td><td class='num'>{{ r.risk_ci }}</td><td class='num'>{{ r.train }}</td><td class='num'>{{ r.control }}</td></tr>
{% endfor %}</table>{% endif %}
{% if audit.qi %}<p>Quasi-identifiers {{ audit.qi.columns }}: {{ audit.qi.unique_in_output }} output records are unique on them; {{ audit.qi.unique_in_output_and_rare_in_real }} of those match a combination fewer than {{ audit.qi.k }} real records share.</p>{% endif %}
{% if ledger %}<h3>Privacy ledger</h3>
{% if ledger.dp %}{% set dp = ledger.dp %}<p>Trained with {{ dp.mechanism }}: <b>ε = {{ dp.epsilon_spent }}</b> spent of {{ dp.epsilon_target }}, δ = {{ dp.delta }}, accountant {{ dp.accountant }}{% for k, v in dp.extra %}, {{ k }} {{ v }}{% endfor %}; unit of privacy: {{ dp.unit }}.</p>
{% if dp.verification %}<p class='{{ "bad" if dp.unverified }}'>ε claim {{ dp.verification }}.</p>{% endif %}
{% else %}<p>No differential privacy in this run (train with <code>--epsilon</code> for a DP generator).</p>{% endif %}
<p>Steps not covered by ε:</p><ul>{% for x in ledger.non_private %}<li>{{ x }}</li>{% endfor %}</ul>{% endif %}
<h2>Utility</h2>
{% if tstr.tstr is defined %}<p>Target <code>{{ tstr.target }}</code> ({{ tstr.task }}), gradient-boosted model scored on {{ tstr.holdout_records }} real holdout records by {{ tstr.metric }}: trained on real (TRTR) <b>{{ tstr.trtr }}</b>, trained on synthetic (TSTR) <b>{{ tstr.tstr }}</b>, ratio <b>{{ tstr.ratio }}</b>.{% if tstr.trts is defined and tstr.trts is not none %} The real-trained model on the synthetic rows' own outcomes (TRTS): <b>{{ tstr.trts }}</b> (on the real holdout: {{ tstr.trtr }}; lower means the synthetic outcome depends on the rest of its row more loosely than the real one does).{% endif %}</p>
{% else %}<p>{{ tstr.skipped or 'not measured' }}</p>{% endif %}
{{ augmentation_section }}
<h2>Training</h2>
<p>Device {{ fit.device }}, {{ fit.epochs_run or '—' }} epochs (best {{ fit.best_epoch or '—' }}), {{ fit.seconds or '—' }} s, seed {{ fit.seed }}, {{ fit.records }} training records.</p>
{{ loss_fig }}
{% for f in fit_figs %}{{ f }}{% endfor %}
{{ explain_section }}
<h2>Timings and lineage</h2>
<pre>{{ lineage_json }}</pre>
{% if plugin_metrics %}<h2>Domain metrics</h2>
{% for pm in plugin_metrics %}<h3><code>{{ pm.name }}</code></h3><table>{% for key, text in pm.rows %}<tr><td><code>{{ key }}</code></td><td class='num'>{{ text }}</td></tr>{% endfor %}</table>
{% if pm.more %}<p>{{ pm.more }} more values in report.json.</p>{% endif %}
{% if pm.small %}<div class='grid'>{% for f in pm.small %}{{ f }}{% endfor %}</div>{% endif %}
{% for f in pm.wide %}{{ f }}{% endfor %}
{% endfor %}{% endif %}
</body></html>
"""
