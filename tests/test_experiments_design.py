"""Designs: sizes, bounds, integer rounding, reproducibility, stable ids, seeds."""

import itertools

import numpy as np
import pytest

from escalation_sim.errors import ConfigError
from escalation_sim.experiments import derive_seeds, resolve
from escalation_sim.experiments.config import parse_config
from escalation_sim.experiments.design import point_id
from escalation_sim.scenario import load_scenario


def design_of(text: str):
    return resolve(parse_config(text, source="t.toml"), source="t.toml")


SAMPLED = """
name = "s"
[design]
sampler = "{sampler}"
{settings}
[design.parameters]
border_hardening = {{ min = 0.2, max = 0.9 }}
syria_collapse = {{}}
militia_speed = {{ min = 1, max = 3 }}
"""


def sampled(sampler: str, settings: str):
    return design_of(SAMPLED.format(sampler=sampler, settings=settings))


def test_grid_is_the_full_factorial_with_the_baseline_added():
    exp = design_of(
        """
name = "g"
[design.parameters]
border_hardening = { min = 0.0, max = 1.0, levels = 11 }
syria_collapse = { values = [0.0, 0.8] }
"mechanisms.militia_autonomy" = {}
[baseline]
border_hardening = 0.59
"""
    )
    d = exp.design
    assert len(d.rows) == 11 * 2 * 2
    assert len(d.points) == 11 * 2 * 2 + 1  # 0.59 is not a level: an extra point
    assert d.levels["border_hardening"][3] == 0.3  # not 0.30000000000000004
    base = d.baseline
    assert not base.in_design
    assert base.params == {
        "border_hardening": 0.59,
        "syria_collapse": 0.0,  # the scenario's value
        "mechanisms.militia_autonomy": True,
    }
    assert exp.runs_total == len(d.points) * 30


def test_baseline_on_the_grid_is_not_run_twice():
    exp = design_of(
        """
name = "g"
[design.parameters]
syria_collapse = { min = 0.0, max = 1.0, levels = 5 }
"""
    )
    assert len(exp.design.points) == 5
    assert exp.design.baseline.in_design and exp.design.baseline.params == {"syria_collapse": 0.0}


@pytest.mark.parametrize(
    ("sampler", "settings", "rows"),
    [
        ("lhs", "samples = 40", 40),
        ("sobol", "samples = 16", 16 * (3 + 2)),
        ("sobol", "samples = 16\nsecond_order = true", 16 * (2 * 3 + 2)),
        ("morris", "trajectories = 6", 6 * (3 + 1)),
    ],
)
def test_sampled_designs_sizes_bounds_and_integers(sampler, settings, rows):
    exp = sampled(sampler, settings)
    d = exp.design
    assert len(d.rows) == rows
    assert d.samples.shape == (rows, 3)
    values = {
        name: np.array([d.point(pid).params[name] for pid in d.rows]) for name in d.parameters
    }
    assert values["border_hardening"].min() >= 0.2 and values["border_hardening"].max() <= 0.9
    assert values["syria_collapse"].min() >= 0.0 and values["syria_collapse"].max() <= 1.0
    speeds = values["militia_speed"]
    assert all(isinstance(d.point(pid).params["militia_speed"], int) for pid in d.rows)
    assert set(speeds) <= {1, 2, 3}
    if sampler == "lhs":  # every integer gets its share of a Latin hypercube
        assert set(speeds) == {1, 2, 3}
        assert min(np.bincount(speeds)[1:]) >= 40 // 3 - 1
    # Distinct points are run once; rows keep the sampler's order for SALib.
    assert len({p.point_id for p in d.points if p.in_design}) == len(set(d.rows))


def test_sobol_with_morris_screening():
    exp = sampled("sobol", "samples = 16\nscreening = 6")
    d = exp.design
    assert len(d.rows) == 16 * (3 + 2)
    assert d.screening is not None and d.screening.sampler == "morris"
    assert len(d.screening.rows) == 6 * (3 + 1) and d.screening.samples.shape == (24, 3)
    ids = {p.point_id for p in d.points}
    assert set(d.rows) <= ids and set(d.screening.rows) <= ids  # both run in one sweep
    with pytest.raises(ConfigError, match=r"design\.screening: only used by sampler = 'sobol'"):
        sampled("lhs", "samples = 10\nscreening = 6")


def test_designs_are_reproducible_and_seeded():
    a = sampled("lhs", "samples = 20")
    b = sampled("lhs", "samples = 20")
    c = sampled("lhs", "samples = 20\nseed = 99")
    assert a.design.rows == b.design.rows and a.config_hash() == b.config_hash()
    assert a.design.rows != c.design.rows and a.config_hash() != c.config_hash()


def test_point_id_depends_on_values_only():
    assert point_id({"a": 1, "b": 0.5}) == point_id({"b": 0.5, "a": 1})
    assert point_id({"a": 1, "b": 0.5}) != point_id({"a": 1, "b": 0.25})
    assert point_id({}).startswith("p") and len(point_id({})) == 13


def test_no_design_means_the_baseline_alone():
    exp = design_of('name = "b"\n[seeds]\nper_point = 5\n')
    assert exp.design.sampler == "none"
    assert [p.params for p in exp.design.points] == [{}]
    assert exp.runs_total == 5


def test_seeds_are_spawned_from_the_root_and_independent_of_the_count():
    seeds = derive_seeds(11, 5)
    assert derive_seeds(11, 5) == seeds  # the same root, the same seeds
    assert derive_seeds(11, 8)[:5] == seeds  # more seeds extend, never reshuffle
    assert set(derive_seeds(12, 5)).isdisjoint(seeds)  # another root, other seeds
    # Spawned, not counted up from the root: neighbouring seeds are far apart.
    assert min(abs(a - b) for a, b in itertools.pairwise(seeds)) > 2**40
    assert len(set(seeds)) == 5 and all(0 <= s < 2**63 for s in seeds)
    own_a, own_b = derive_seeds(11, 5, "p000000000001"), derive_seeds(11, 5, "p000000000002")
    assert own_a != own_b and own_a != seeds


def test_common_random_numbers_switch():
    text = (
        'name = "g"\n[seeds]\nper_point = 3\ncommon = {}\n'
        "[design.parameters]\nsyria_collapse = {{ values = [0.0, 1.0] }}\n"
    )
    crn = design_of(text.format("true"))
    own = design_of(text.format("false"))
    p0, p1 = (p.point_id for p in crn.design.points)
    assert crn.seeds_for(p0) == crn.seeds_for(p1)
    assert own.seeds_for(p0) != own.seeds_for(p1)


def test_integer_grid_levels_are_rounded_and_deduplicated():
    exp = design_of(
        'name = "g"\n[design.parameters]\nmilitia_speed = { min = 1, max = 3, levels = 7 }\n'
    )
    assert exp.design.levels["militia_speed"] == [1, 2, 3]
    spec = load_scenario().parameters["militia_speed"]
    assert spec.is_int
