"""The model's structure, the Mesa 3.5 API it is built on, and reproducibility."""

import dataclasses
import gc
import io
import weakref

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from mesa.discrete_space import CellAgent, Network

from escalation_sim import RUN_OUTCOMES, WEEKLY_OUTCOMES, EscalationModel, run
from escalation_sim.agents import ArmedForce, StateActor
from escalation_sim.run import write_run


def test_builds_default_scenario_on_a_network(scenario):
    m = EscalationModel(rng=1)
    assert isinstance(m.space, Network)
    assert list(m.space.G.nodes) == list(range(len(scenario.regions)))  # integer node ids
    # Positions come from the file, not from a spring layout.
    sinjar = m.world.index["sinjar"]
    assert tuple(m.space[sinjar].position) == (41.87, 36.32)
    assert m.world.graph.number_of_edges() >= 50
    assert len(m.world.segments) == 6


def test_agents_carry_command_links_and_affinities(scenario):
    m = EscalationModel(rng=1)
    states = m.agents_by_type[StateActor]
    assert {a.actor_id for a in states} == {a.id for a in scenario.actors}
    assert sum(1 for _ in m.cells) >= 100
    assert all(isinstance(c, CellAgent) for c in m.cells)
    aah = next(f for f in m.forces if f.unit_id == "aah_expeditionary")
    assert [c.commander for c in aah.links] == ["iran", "iraq"]
    assert any(c.formal and c.commander == "iraq" for c in aah.links)
    for f in m.forces:
        assert isinstance(f, ArmedForce) and f.affinity.shape == (len(scenario.meta.sects),)
    # The relational network holds command links, alliances and hostilities.
    kinds = {d["kind"] for _, _, d in m.relations.edges(data=True)}
    assert kinds == {"command", "alliance", "hostility"}
    assert isinstance(m.relations, nx.MultiDiGraph)


def test_initial_stocks_match_the_file(scenario):
    m = EscalationModel(rng=1)
    ts = m.timeseries()
    assert len(ts) == 1 and ts.week.iloc[0] == 0
    expected_iraq = sum(
        u.strength
        for u in scenario.units
        if u.actor == "isis" and scenario.region(u.region).country == "IRQ"
    )
    assert ts.isis_fighters_iraq.iloc[0] == expected_iraq == 1500
    assert ts.isis_fighters_iraq.iloc[0] + ts.isis_fighters_syria.iloc[0] == 6000


def test_timeseries_has_every_outcome_with_week_and_date():
    r = run(seed=3, weeks=10)
    ts = r.timeseries
    assert list(ts.columns[:2]) == ["week", "date"]
    assert set(WEEKLY_OUTCOMES) <= set(ts.columns)
    assert list(ts.week) == list(range(11))
    assert ts.date.iloc[0] == pd.Timestamp("2024-11-27")
    assert (ts.date.diff().dropna() == pd.Timedelta(days=7)).all()
    assert set(r.outcomes) == set(RUN_OUTCOMES)
    assert set(r.events.columns) == {"week", "date", "region", "actor", "kind", "target", "deaths"}


def _parquet_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def test_same_seed_same_results_different_seed_differs():
    a = run(seed=7, overrides={"syria_collapse": 0.5})
    b = run(seed=7, overrides={"syria_collapse": 0.5})
    c = run(seed=8, overrides={"syria_collapse": 0.5})
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    assert _parquet_bytes(a.timeseries) == _parquet_bytes(b.timeseries)
    pd.testing.assert_frame_equal(a.events, b.events)
    assert a.outcomes == b.outcomes
    assert not a.timeseries.equals(c.timeseries)


def test_numpy_generator_and_seed_sequence_are_accepted():
    seq = np.random.SeedSequence(42)
    a = EscalationModel(rng=np.random.default_rng(seq))
    b = EscalationModel(rng=np.random.default_rng(np.random.SeedSequence(42)))
    a.run_for(20)
    b.run_for(20)
    pd.testing.assert_frame_equal(a.timeseries(), b.timeseries())


def test_keyword_overrides_match_dict_overrides():
    a = EscalationModel(rng=2, border_hardening=0.9, militia_autonomy=False)
    b = EscalationModel(
        rng=2, overrides={"border_hardening": 0.9, "mechanisms.militia_autonomy": False}
    )
    assert a.p.border_hardening == b.p.border_hardening == 0.9
    assert a.mech["militia_autonomy"] is b.mech["militia_autonomy"] is False


def test_params_are_read_only():
    m = EscalationModel(rng=0)
    with pytest.raises(AttributeError):
        m.p.border_hardening = 1.0


def test_invariants_hold_over_a_run():
    m = EscalationModel(rng=5, syria_collapse=1.0)
    for _ in range(60):
        m.step()
        assert all(c.strength >= 1 for c in m.cells)
        assert all(f.strength >= 0 and 0 <= f.cohesion <= 1 for f in m.forces)
        assert (m.chaos >= 0).all() and (m.chaos <= 1).all()
        assert 0 <= m.isis_cohesion <= 1
        # The prisons and camps moved from region arrays to model.detention (issue 11, B.3).
        det = m.detention
        assert (det.held >= 0).all() and ((det.guards >= 0) & (det.guards <= 1)).all()
        now = m.now
        assert now["infiltrations_detected"] <= now["infiltrations"]
        assert 0 <= now["escalation_level"] <= 4


def test_model_can_be_freed():
    m = EscalationModel(rng=0)
    m.run_for(5)
    ref = weakref.ref(m)
    del m
    gc.collect()
    assert ref() is None


def test_a_full_default_run_is_weekly_and_its_outcomes_add_up(scenario):
    # Speed is measured in benchmarks/; here what a full run gives: one row a week from the
    # start date over the horizon, and run outcomes that are the weekly series summed.
    result = run(seed=0)
    ts, out = result.timeseries, result.outcomes
    weeks = scenario.meta.weeks
    assert list(ts.week) == list(range(weeks + 1))
    assert (ts.date.diff().dropna() == pd.Timedelta(days=7)).all()
    assert ts.date.iloc[0] == pd.Timestamp(scenario.meta.start_date)
    assert out["isis_attacks_iraq_total"] == ts.isis_attacks_iraq.sum() > 0
    assert out["isis_fighters_iraq_peak"] == ts.isis_fighters_iraq.max()
    ev = result.events
    attacks = ev[(ev.actor == "isis") & (ev.kind == "attack")]
    assert len(attacks) == ts.isis_attacks_iraq.sum() + ts.isis_attacks_syria.sum()


def test_agents_move_and_leave_through_mesa_and_their_table_together():
    # Each agent's region lives both in Mesa's space and in its table row: moving or removing
    # it must keep the two in step, or region sums would count fighters where they are not.
    m = EscalationModel(rng=0, syria_collapse=0.8)
    m.run_for(6)
    table = m.cell_table
    for cell in m.cells:
        assert cell in m.space[cell.region].agents
    by_agents = np.zeros(m.world.n)
    for cell in m.cells:
        by_agents[cell.region] += cell.strength
    np.testing.assert_array_equal(m.isis_by_region(), by_agents)
    cell = next(iter(m.cells))
    there = next(q for q in m.world.adjacency[cell.region] if q != cell.region)
    cell.move_to(m.space[there])
    assert cell.region == there and cell in m.space[there].agents
    assert m.isis_by_region()[there] >= cell.strength
    before = m.isis_by_region().sum()
    strength = cell.strength
    cell.remove()
    assert cell not in m.cells and cell not in m.space[there].agents
    assert m.isis_by_region().sum() == pytest.approx(before - strength)
    assert len(table.rows()) == len(m.cells)


def test_next_hop_stays_put_when_the_goal_is_unreachable():
    m = EscalationModel(rng=0)
    w = m.world
    a, b = w.index["baghdad"], w.index["damascus"]
    assert w.next_hop(a, a) == a
    step = w.next_hop(a, b)
    assert step in set(w.graph.neighbors(a))
    # An island node nobody can reach: a force heading there stays where it is.
    island = dataclasses.replace(w, adjacency=((1,), (0,), ()), _to={})
    assert island.next_hop(0, 2) == 0 and island.next_hop(0, 1) == 1


def test_a_run_without_events_gives_the_same_series_and_outcomes(tmp_path):
    full = run(seed=3, weeks=30)
    lean = run(seed=3, weeks=30, events=False)
    assert lean.events is None and len(full.events) > 0
    pd.testing.assert_frame_equal(lean.timeseries, full.timeseries)
    assert lean.outcomes == full.outcomes
    written = {p.name for p in write_run(lean, tmp_path, plots=False)}
    assert written == {"timeseries.parquet", "outcomes.json"}


def test_the_scenario_file_and_mesas_scenario_do_not_clash():
    # Mesa 3.5's Model has its own `scenario`; the file is `spec`, given first or as scenario=.
    from mesa.experimental.scenarios import Scenario as MesaScenario

    by_position = EscalationModel("hindcast_2013", {"border_hardening": 0.3}, rng=4)
    by_keyword = EscalationModel(scenario="hindcast_2013", border_hardening=0.3, rng=4)
    assert by_position.spec.meta.name == by_keyword.spec.meta.name == "hindcast_2013"
    assert isinstance(by_position.scenario, MesaScenario)
    by_position.run_for(5)
    by_keyword.run_for(5)
    pd.testing.assert_frame_equal(by_position.timeseries(), by_keyword.timeseries())
    # Mesa's scenario carries overrides and the seed, as SolaraViz's Reset passes it.
    mesa = EscalationModel(scenario=MesaScenario(rng=4, border_hardening=0.3))
    assert mesa.spec.meta.name == "iraq_syria_2024" and mesa.p.border_hardening == 0.3
    assert mesa.scenario.model is mesa
    plain = EscalationModel(rng=4, border_hardening=0.3)
    mesa.run_for(5)
    plain.run_for(5)
    pd.testing.assert_frame_equal(mesa.timeseries(), plain.timeseries())
    with pytest.raises(TypeError, match="once"):
        EscalationModel("hindcast_2013", scenario="iraq_syria_2024")


def test_a_keyword_that_names_a_switch_and_a_parameter_goes_by_its_value():
    # rival_absorption is a switch (mechanism 11) and a parameter (its strength).
    switched = EscalationModel(rng=0, rival_absorption=False, isis_competition=True)
    assert switched.mech["rival_absorption"] is True  # the alias came later and set both
    switched = EscalationModel(rng=0, rival_absorption=False)
    assert switched.mech["rival_absorption"] is False
    weighed = EscalationModel(rng=0, rival_absorption=0.5)
    assert weighed.p.rival_absorption == 0.5 and weighed.mech["rival_absorption"] is True
