"""The synthetic scenario generator (scenario.synthetic.replicate) used by the scaling benchmark."""

from __future__ import annotations

import networkx as nx
import pytest

from escalation_sim import EscalationModel
from escalation_sim.agents import ArmedForce, IsisCell, StateActor
from escalation_sim.scenario import Scenario, load_scenario
from escalation_sim.scenario.synthetic import replicate
from escalation_sim.world import build_world


def test_one_copy_is_the_scenario_itself(scenario):
    one = replicate(scenario, 1)
    assert one.meta.name == f"{scenario.meta.name}_x1"
    assert one.regions == scenario.regions
    assert one.roads == scenario.roads
    assert one.border_segments == scenario.border_segments
    assert one.units == scenario.units
    assert one.parameters == scenario.parameters and one.mechanisms == scenario.mechanisms


@pytest.mark.parametrize("copies", [2, 3, 7])
def test_copies_validate_and_form_one_connected_network(scenario, copies):
    s = replicate(scenario, copies)
    assert isinstance(s, Scenario)
    n = len(scenario.regions)
    assert len(s.regions) == copies * n
    assert len(s.units) == copies * len(scenario.units)
    assert len(s.border_segments) == copies * len(scenario.border_segments)
    assert len(s.roads) > copies * len(scenario.roads)  # plus the roads joining copies
    # Actors, roles, links and parameters are shared, not copied.
    assert s.actors == scenario.actors and s.links == scenario.links and s.roles == scenario.roles
    assert s.parameters == scenario.parameters
    world = build_world(s)
    assert nx.is_connected(world.graph)
    # Each copy keeps the original's shape: the same degree sequence inside it.
    for i in range(copies):
        inside = world.graph.subgraph(range(i * n, (i + 1) * n))
        assert nx.is_isomorphic(inside, build_world(scenario).graph)


def test_a_copy_keeps_every_region_attribute_but_its_id_and_place(scenario):
    s = replicate(scenario, 4)
    last = s.regions[3 * len(scenario.regions) :]
    for original, copy in zip(scenario.regions, last, strict=True):
        assert copy.id == f"{original.id}_3"
        assert copy.model_dump(exclude={"id", "lon", "lat"}) == original.model_dump(
            exclude={"id", "lon", "lat"}
        )


def test_many_copies_stay_on_the_map(scenario):
    s = replicate(scenario, 400)  # the schema checks lon in [-180, 180] and lat in [-90, 90]
    assert len(s.regions) == 400 * len(scenario.regions)


def test_the_model_runs_on_copies_with_k_times_the_agents(scenario):
    base = EscalationModel(scenario, rng=1)
    model = EscalationModel(replicate(scenario, 3), rng=1)
    count = lambda m, kind: sum(isinstance(a, kind) for a in m.agents)  # noqa: E731
    assert count(model, StateActor) == count(base, StateActor)  # the same actors
    assert count(model, ArmedForce) == 3 * count(base, ArmedForce)
    assert count(model, IsisCell) == 3 * count(base, IsisCell)
    model.run_for(8)
    ts = model.timeseries()
    assert len(ts) == 9 and ts["isis_fighters_iraq"].gt(0).all()
    again = EscalationModel(replicate(scenario, 3), rng=1)
    again.run_for(8)
    assert again.timeseries().equals(ts)  # reproducible like any scenario


def test_a_timeline_is_copied_and_parameters_change_once():
    hindcast = load_scenario("hindcast_2013")
    s = replicate(hindcast, 2)
    per_copy = [e for e in hindcast.timeline if e.action != "set_parameter"]
    params = [e for e in hindcast.timeline if e.action == "set_parameter"]
    assert len(s.timeline) == 2 * len(per_copy) + len(params)
    EscalationModel(s, rng=0).run_for(3)


def test_fewer_than_one_copy_is_refused(scenario):
    with pytest.raises(ValueError, match="at least 1"):
        replicate(scenario, 0)
