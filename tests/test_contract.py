"""Every generator any installed plugin registers keeps the contract, and every domain has one default."""

from __future__ import annotations

import numpy as np
import pytest
import synthguard as sg
from synthguard.testing import installed_generator_checks


@pytest.mark.parametrize("check", installed_generator_checks())
def test_every_installed_generator_keeps_the_contract(check):
    check()


def test_every_domain_has_exactly_one_default_and_every_generator_a_role():
    rows = [g for plugin in sg.plugins() for g in plugin["generators"]]
    assert {"finance", "sensor", "traffic", "imaging"} <= {g["domain"] for g in rows}
    for domain in {g["domain"] for g in rows}:
        defaults = [g["name"] for g in rows if g["domain"] == domain and g["role"] == "default"]
        assert defaults == [domain], (domain, defaults)  # `generate DOMAIN` runs the generator named after it
    assert all(g["role"] in sg.ROLES and g["description"] for g in rows)


def test_a_second_default_for_a_domain_is_refused_naming_both():
    class Rival(sg.Generator):
        name, domain, role, description = "rival", "finance", "default", "a second default"

    class Unsure(sg.Generator):
        name, domain, description = "unsure", "finance", "no role"

    import types

    for cls, says in [(Rival, "domain 'finance' has two default generators, 'finance'"),
                      (Unsure, "registered generator 'unsure' with role None")]:
        plugin = types.ModuleType(f"plugin_{cls.name}")
        plugin.register_generators = sg.hookimpl(lambda register, _c=cls: register(_c))
        with pytest.raises(sg.PluginError, match=says):
            sg.Engine(plugins=[plugin]).registry


def test_a_verdict_names_only_the_records_it_rejects_and_joins_two_checks_reasons():
    ages = np.array([30, 12, 45, 16])
    asked = []

    def reason(i):
        asked.append(i)
        return f"age={ages[i]} under 18"

    minors = sg.Verdict.from_mask(ages < 18, reason)
    assert asked == [1, 3]  # the per-record reason is built for rejected records only
    assert list(minors.reasons) == [None, "age=12 under 18", None, "age=16 under 18"]
    assert list(sg.Verdict.from_mask(ages > 40, ["a", "b", "c", "d"]).reasons) == [None, None, "c", None]
    merged = sg.Verdict.keep_all(4).merge(minors).merge(sg.Verdict.from_mask(ages == 16, "sixteen"))
    assert list(merged.rejected) == [False, True, False, True]
    assert list(merged.reasons) == [None, "age=12 under 18", None, "age=16 under 18; sixteen"]
