"""The release decision: each audit figure against its target, read only as far as the audit's size allows.

A figure is judged one of three ways:

* ``pass`` — the audit could have seen a breach of the target (its size detects that excess with 80%
  power) and did not; for the WP29 risks, the whole 95% interval lies below the target.
* ``fail`` — the figure breaches its target where the audit could read it; or, where it could not (an
  attack on the outlier subset, a small holdout), the figure is beyond its target *and* lies above
  chance by more than luck allows: one-sided 5% over every attack and both figures (AUC and TPR) together
  (Bonferroni over the 2k tests, from each attack's bootstrap standard error), so that an honest release is
  not refused by whichever attack got lucky. Measured on releases of real records that hold no member
  (``benchmarks/experiments/audit_null.py``, 5 tables × 100 splits, 2026-12-07): with each figure at 5% and
  exact copies tested against the holdout's rate as if it were known, 31 of 500 such releases were refused; with
  the 2k tests sharing 5% and copies tested as below, 15 (3.0%).
* ``cannot tell`` — too few records to read the target either way; the report says how many it needs.

Each attack is judged at its own size: the outlier attacks score a fifth of the units, so they can
fail a release on clear evidence but cannot pass one on their own.

The run's decision is ``fail`` when any figure fails, ``pass`` when every judged figure passes, and
``cannot tell`` otherwise. ``generate`` and ``sample`` deliver on ``pass`` and ``cannot tell`` (saying
so), and refuse on ``fail`` unless the user overrides with a recorded reason.
"""

from __future__ import annotations

from typing import Any, Callable

from scipy.stats import binom, fisher_exact, norm

from .attacks import FPR_TARGETS, detectable_auc_excess, detectable_tpr_excess


def plural(unit: str) -> str:
    """'record' -> 'records', 'entity' -> 'entities', 'person' -> 'people' (the units the audit counts)."""
    if unit == "person":
        return "people"
    return unit[:-1] + "ies" if unit.endswith("y") and unit[-2:-1] not in "aeiou" else unit + "s"


#: Worst membership-inference AUC a release may show; the WP29 targets of issue 21 (upper 95% bounds).
TARGET_AUC = 0.55
TARGET_SINGLING_OUT = 0.05
TARGET_LINKABILITY = 0.05
TARGET_INFERENCE = 0.10
#: Share of synthetic records that may copy a training record when there is no holdout to measure the
#: table's natural rate of coinciding records; with one, copies are tested against the holdout's rate.
COPY_RATE_WITHOUT_HOLDOUT = 0.01

PASS, FAIL, CANNOT_TELL = "pass", "fail", "cannot tell"


def _judge_attacks(attacks: dict[str, dict[str, Any]], key: str, chance: float, target: float,
                   readable, tests: int) -> tuple[str, dict[str, Any] | None]:
    """Verdict over attacks on ``key`` (``"auc"`` or ``"tpr"``) and the attack that decided it.

    ``readable(attack)`` says whether that attack's size can read ``target``; ``tests`` is how many (attack, figure)
    pairs the run judges, which share the 5% chance of an unlucky refusal.
    """
    scored = {name: a for name, a in attacks.items() if key in a}
    z = norm.ppf(1 - 0.05 / max(tests, 1))

    def above_chance(a: dict[str, Any]) -> bool:
        if a.get(f"{key}_se") is not None:
            return a[key] - z * a[f"{key}_se"] > chance
        return bool(a.get(f"{key}_ci")) and a[f"{key}_ci"][0] > chance

    failed = [(name, a) for name, a in scored.items() if a[key] > target and (readable(a) or above_chance(a))]
    if failed:
        name, a = max(failed, key=lambda item: item[1][key])
        return FAIL, {"attack": name, **a}
    read = {name: a for name, a in scored.items() if readable(a)}
    if not read:
        return CANNOT_TELL, None
    name = max(read, key=lambda n: read[n][key])
    return PASS, {"attack": name, **read[name]}


def _judge_bound(entry: dict[str, Any] | None, target: float) -> str | None:
    if not entry or entry.get("risk") is None or not entry.get("risk_ci"):
        return None
    lo, hi = entry["risk_ci"]
    return PASS if hi < target else FAIL if lo > target else CANNOT_TELL


def judge(audit: dict[str, Any], secrets: list[str] | None = None) -> dict[str, Any]:
    """The release decision for one audit (see the module docstring); ``secrets`` are declared sensitive columns."""
    figures: list[dict[str, Any]] = [_judge_copies(audit["exact_copies"])] if "exact_copies" in audit else []
    if "canaries" in audit:  # planted canaries (synthguard.privacy.canaries): judged there, against chance
        figures.append(audit["canaries"]["figure"])
    mia = audit.get("membership_inference")
    if mia is None:
        reason = audit.get("skipped", "no holdout: nothing to compare the synthetic records with")
        failed = [f for f in figures if f["verdict"] == FAIL]
        if failed:
            return {"decision": FAIL, "figures": figures, "reason": "; ".join(_describe(f) for f in failed)}
        return {"decision": CANNOT_TELL, "figures": figures, "reason": f"no membership audit ({reason})"}
    attacks = {name: a for name, a in mia["attacks"].items() if "auc" in a}
    n1, n0 = mia["members"], mia["non_members"]
    fpr, tpr_target = mia["fpr"], FPR_TARGETS[mia["fpr"]]

    def auc_readable(a: dict[str, Any]) -> bool:
        return detectable_auc_excess(*_sides(a, n1, n0)) <= TARGET_AUC - 0.5

    def tpr_readable(a: dict[str, Any]) -> bool:
        return detectable_tpr_excess(*_sides(a, n1, n0), fpr) <= tpr_target - fpr

    tests = sum(key in a for a in attacks.values() for key in ("auc", "tpr"))
    for key, name, chance, target, readable, needs in (
            ("auc", "worst membership AUC", 0.5, TARGET_AUC, auc_readable, "about 530 units a side to read AUC 0.55"),
            ("tpr", f"worst TPR at {fpr:.0%} FPR", fpr, tpr_target, tpr_readable,
             "about 600 units a side to read TPR at 10% FPR")):
        verdict, decided = _judge_attacks(attacks, key, chance, target, readable, tests)
        worst = max(attacks, key=lambda n: attacks[n][key])
        shown = decided or {"attack": worst, **attacks[worst]}
        figures.append({"figure": name, "value": shown[key], "attack": shown["attack"],
                        "interval": shown.get(f"{key}_ci"), "target": target, "verdict": verdict,
                        "needs": needs if verdict == CANNOT_TELL else None,
                        "worst_of_all": {"attack": worst, "value": attacks[worst][key]}})
    wp29 = audit.get("wp29") or {}
    for key, name, target in (("singling_out", "WP29 singling-out risk", TARGET_SINGLING_OUT),
                              ("linkability", "WP29 linkability risk", TARGET_LINKABILITY)):
        verdict = _judge_bound(wp29.get(key), target)
        if verdict is not None:
            figures.append({"figure": name, "value": wp29[key]["risk"], "interval": wp29[key]["risk_ci"],
                            "target": target, "verdict": verdict})
    inference = (wp29.get("inference") or {}).get("secrets") or {}
    for secret in secrets or []:
        verdict = _judge_bound(inference.get(secret), TARGET_INFERENCE)
        if verdict is not None:
            figures.append({"figure": f"WP29 inference risk of {secret}", "value": inference[secret]["risk"],
                            "interval": inference[secret]["risk_ci"], "target": TARGET_INFERENCE, "verdict": verdict})
    if not mia.get("valid", True):
        for f in figures:
            if f["verdict"] == PASS:
                f["verdict"], f["why"] = CANNOT_TELL, "positive controls not flagged: the attacks cannot see leaks here"
    verdicts = [f["verdict"] for f in figures]
    decision = FAIL if FAIL in verdicts else PASS if all(v == PASS for v in verdicts) else CANNOT_TELL
    out: dict[str, Any] = {"decision": decision, "figures": figures, "unit": mia.get("unit", "record"),
                           "members": n1, "non_members": n0}
    if decision != PASS:
        out["reason"] = "; ".join(_describe(f) for f in figures if f["verdict"] == decision)
    if not secrets:
        out["inference_note"] = ("no secret column declared: WP29 inference risks are reported, not judged "
                                 "(declare the sensitive columns with --secret)")
    return out


def _judge_copies(copies: dict[str, Any]) -> dict[str, Any]:
    """Exact copies fail when the synthetic records copy training records more often than unseen real records
    coincide with one (one-sided, 1%). With a holdout, Fisher's exact test of the two shares: the holdout's rate is a
    sample too, and a binomial test against it as if known refused 9 of 100 releases of real unseen records on AER
    HealthInsurance, where 13% coincide (``benchmarks/experiments/audit_null.py``). Without one, a binomial test
    against ``COPY_RATE_WITHOUT_HOLDOUT``."""
    count, n = copies["count"], copies["synthetic"]
    if "holdout" in copies:
        rate = copies["holdout_count"] / copies["holdout"]
        table = [[count, n - count], [copies["holdout_count"], copies["holdout"] - copies["holdout_count"]]]
        p = float(fisher_exact(table, alternative="greater").pvalue) if count else 1.0
    else:
        rate = COPY_RATE_WITHOUT_HOLDOUT
        p = float(binom.sf(count - 1, n, rate)) if count else 1.0
    return {"figure": "exact copies of training records", "value": copies["count"], "target": round(rate, 6),
            "target_is": "expected share", "p_value": round(p, 6), "verdict": FAIL if p < 0.01 else PASS}


def _sides(attack: dict[str, Any], members: int, non_members: int) -> tuple[int, int]:
    """Members and non-members an attack scored (a subset attack scores fewer; split in the audit's proportion)."""
    n = attack.get("targets") or members + non_members
    share = members / (members + non_members)
    return max(1, round(n * share)), max(1, n - round(n * share))


def _describe(f: dict[str, Any]) -> str:
    if f.get("description"):  # a figure that words itself (planted canaries)
        return f["description"]
    if f["figure"].startswith("exact copies"):
        return (f"{f['value']} exact copies of training records, more than the {f['target']:.2%} of unseen records "
                f"that coincide with one by chance (p = {f['p_value']:.2g})")
    if f["verdict"] == CANNOT_TELL:
        return f"{f['figure']} {f['value']} cannot be read against {f['target']}" + (
            f" ({f['needs']})" if f.get("needs") else f" (interval {f.get('interval')})" if f.get("interval") else "")
    return f"{f['figure']} {f['value']}" + (f" ({f['attack']})" if f.get("attack") else "") + \
        (f" interval {f['interval']}" if f.get("interval") else "") + f" > target {f['target']}"


def membership_failed(decision: dict[str, Any]) -> bool:
    """Whether a membership-inference figure (worst AUC or TPR) failed in ``decision``."""
    return any(f["verdict"] == FAIL and f["figure"].startswith(("worst membership", "worst TPR"))
               for f in decision.get("figures", []))


#: A refused run audits the first half and quarter of its records to say how many pass, down to this many.
SMALLEST_PREFIX = 100


def passing_prefix(rows: int, passes: Callable[[int], bool]) -> dict[str, Any]:
    """The first half, then quarter, of a refused output of ``rows`` records through ``passes`` (the same audit on
    the first n records): ``{"tried": [n, ...], "passes": the first n that passed, or None}``."""
    out: dict[str, Any] = {"tried": [], "passes": None}
    for n in (rows // 2, rows // 4):
        if n < SMALLEST_PREFIX:
            break
        out["tried"].append(n)
        if passes(n):
            out["passes"] = n
            break
    return out


def flatter(temperature: float) -> float:
    """The sampling temperature a refusal offers instead of ``temperature``: 1.15, or 15% above one already there."""
    return 1.15 if temperature < 1.15 else round(temperature * 1.15, 2)


def remedies(decision: dict[str, Any], *, dp: bool = False, rows: int | None = None,
             training_units: int | None = None, temperature: float | None = None,
             smaller: dict[str, Any] | None = None, flatter_decision: str | None = None,
             refit: tuple[dict[str, Any], str] | None = None) -> str:
    """What to change when ``decision`` failed, the measured remedy for its failure first.

    A membership attack reads the density of the released records around their training records, so every
    record released tells it more: on credit_data 8 of 12 of the default's 5,000-row outputs passed, 10 and 11 of
    the same 12 cut to their first 2,500 and 1,000 records; rejecting more near copies (holdout quantiles 5-20%,
    3-14% of the draws) moved the worst AUC by 0.005-0.010; sampling at temperature 1.15 passed 11 of 12
    (benchmarks/README.md, "More rows, more to read") — but on AER's NMES1988 it failed 2 of 3 where the default
    failed 1 of 3 ("Two health surveys where the audit can tell"), so a refusal measures it. ``temperature``: the one
    the run sampled at, for a generator that has one (None: it has none). ``smaller``: ``{"tried": [n, ...],
    "passes": n or None}``, the prefixes of this output audited the same way. ``flatter_decision``: the same audit's
    decision on as many records drawn at :func:`flatter` ``(temperature)`` (None: not measured). ``refit``: fit
    settings the generator measured to leak less, and what was measured (``Generator.privacy_remedy``). A stricter
    gate is suggested for exact copies.
    """
    failed = {f["figure"] for f in decision.get("figures", []) if f["verdict"] == FAIL}
    fixes = []
    if membership_failed(decision) and rows:
        unit = decision.get("unit", "record")
        measured = ""
        if smaller and smaller.get("passes"):
            measured = f"; the first {smaller['passes']:,} of these records pass the same audit"
        elif smaller and smaller.get("tried"):
            measured = "; the first " + " and ".join(f"{n:,}" for n in smaller["tried"]) + " of these fail it too"
        fixes.append(f"fewer rows ({rows:,} asked" + (f" of a model trained on {training_units:,} {plural(unit)}" if
                                                      training_units else "") + ": every record released shows the "
                     "membership attacks more of the model" + measured + ")")
        if temperature is not None:
            sampler = f"a flatter sampler (--temperature {flatter(temperature):g}"
            if flatter_decision is None:  # not measured: first where this output leaks at every size tried
                fixes.insert(0 if smaller and smaller.get("tried") and not smaller.get("passes") else 1, sampler + ")")
            elif flatter_decision == FAIL:
                fixes.insert(1, sampler + f": {rows:,} records drawn at it fail the same audit too)")
            else:  # measured to be delivered: first
                said = "pass the same audit" if flatter_decision == PASS else "are not refused by it (cannot tell)"
                fixes.insert(0, sampler + f": {rows:,} records drawn at it {said})")
    if refit is not None and membership_failed(decision) and not dp:
        settings, measured = refit
        fixes.append("refitting with " + " ".join(f"--set {key}={value}" for key, value in settings.items())
                     + f" ({measured})")
    fixes.append("a smaller --epsilon, more training data" if dp else
                 "more training data, --epsilon (differential privacy)")
    if any(name.startswith("exact copies") for name in failed):
        fixes.append("a stricter gate (--near-copy-quantile 0.05)")
    return ", ".join(fixes)


def headline(release: dict[str, Any]) -> str:
    """One line for the terminal: the decision and what drove it."""
    figs = {f["figure"]: f for f in release.get("figures", [])}
    auc = next((f for name, f in figs.items() if name == "worst membership AUC"), None)
    tpr = next((f for name, f in figs.items() if name.startswith("worst TPR")), None)
    parts = []
    for fig, label in ((auc, "worst attack AUC"), (tpr, tpr and tpr["figure"].replace("worst ", ""))):
        if fig:
            parts.append(f"{label} {fig['value']} ({fig['attack']})")
            other = fig.get("worst_of_all") or {}
            if other and other["attack"] != fig["attack"]:  # the highest attack, where the decision rests on another
                parts[-1] += f" [{other['attack']}: {other['value']}]"
    unit = (f"{release.get('members')} members vs {release.get('non_members')} non-members "
            f"({plural(str(release.get('unit')))})")
    decision = {PASS: "PASSES its targets", FAIL: "FAILS its targets", CANNOT_TELL: "CANNOT TELL"}[release["decision"]]
    line = f"privacy audit: {', '.join(parts)}; {unit} — {decision}" if parts else f"privacy audit: {decision}"
    if release["decision"] != PASS and release.get("reason"):
        line += f": {release['reason']}"
    return line


__all__ = ["judge", "headline", "remedies", "flatter", "membership_failed", "passing_prefix", "TARGET_AUC",
           "TARGET_SINGLING_OUT", "TARGET_LINKABILITY", "TARGET_INFERENCE", "PASS", "FAIL", "CANNOT_TELL"]
