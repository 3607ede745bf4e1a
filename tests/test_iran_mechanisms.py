"""Issue 11 B.1, 2, 7, 8, 9: Iran's interests, hostile resistance, fading shrine threats,
Israel's strikes on Iraq, leaky intelligence and the exogenous context, each sign over seeds.

Runs are short (12-30 weeks) so the file stays under a minute.
"""

import numpy as np
import pytest
from conftest import SEEDS, batch, with_timeline
from scipy.stats import mannwhitneyu

from escalation_sim import EscalationModel, run
from escalation_sim.mechanisms import command

pytestmark = pytest.mark.slow

DECEMBER_2024 = {"syria_collapse": 1.0, "collapse_guard_loss": 0.1}  # dissolution at week 2


def lower(a, b, ratio: float) -> None:
    """a is lower than b: one-sided Mann-Whitney p < 0.01 and mean(a) <= ratio * mean(b)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert np.mean(a) <= ratio * np.mean(b), (np.mean(a), np.mean(b))
    assert mannwhitneyu(a, b, alternative="less").pvalue < 0.01


def _hostile_weeks(overrides: dict, weeks: int = 12):
    """Per seed: militia fighters in Syria by week, and the fighter-weeks Iraqi militias spent
    in hostile-held regions, and whether any such week went without losses (unopposed)."""
    syria, hostile_fw, unopposed = [], [], 0
    for seed in range(SEEDS):
        m = EscalationModel(overrides=overrides, rng=seed)
        hostile = m.constants.hostile_holders
        series, fw = [], 0.0
        before: dict[int, float] = {}
        for _ in range(weeks):
            m.step()
            series.append(m.now["militia_fighters_syria"])
            for f in m.forces:
                if not (f.iraqi_militia and m.world.is_syria[f.region]):
                    continue
                if m.controller[f.region] in hostile[f.actor_id] and f.strength >= 1:
                    fw += f.strength
                    if f.strength >= before.get(f.unique_id, np.inf):
                        unopposed += 1
            before = {f.unique_id: f.strength for f in m.forces}
        syria.append(series)
        hostile_fw.append(fw)
    return np.array(syria), np.array(hostile_fw), unopposed


# ------------------------------------------------------------------ must hold (issue 11)


def test_on_the_december_2024_path_militias_leave_syria_within_weeks():
    year, _, unopposed = _hostile_weeks(DECEMBER_2024, weeks=52)
    syria = year[:, :12]
    after = syria[:, 3:]  # weeks 4-12: two to ten weeks after the regime dissolved
    assert (after.max(axis=1) < 100).mean() >= 0.8, after.max(axis=1)
    # ... and they do not come back (before one definition of hostile, ISIS-held and ungoverned
    # Damascus drew them back after week 12 in 17 of 20 runs, peaks of 1,690 on average).
    assert (year[:, 3:] < 100).mean() >= 0.8, (year[:, 3:] < 100).mean()
    assert year[:, 12:].mean() < 50, year[:, 12:].mean()
    # Before issue 11 (both mechanisms off) they stayed: hundreds on average.
    off = {**DECEMBER_2024, "mechanisms.iran_interests": False}
    off_syria, _, _ = _hostile_weeks({**off, "mechanisms.hostile_resistance": False})
    lower(after.mean(axis=1) + 1, off_syria[:, 3:].mean(axis=1) + 1, 0.2)
    # Nobody stays unopposed in territory a hostile actor holds.
    assert unopposed == 0


def test_militias_meet_resistance_in_hostile_held_territory():
    # Without Iran's interests the militias still go to Damascus's shrine after HTS took it;
    # resistance bleeds them and sends the self-directed home.
    off = {**DECEMBER_2024, "mechanisms.iran_interests": False}
    _, on_fw, unopposed = _hostile_weeks(off, weeks=20)
    _, off_fw, off_unopposed = _hostile_weeks(
        {**off, "mechanisms.hostile_resistance": False}, weeks=20
    )
    lower(on_fw + 1, off_fw + 1, 0.5)
    assert unopposed == 0 < off_unopposed


def test_resistance_losses_follow_the_attrition_formula():
    m = EscalationModel(rng=0)
    aah = next(f for f in m.forces if f.unit_id == "aah_expeditionary")
    idlib = m.world.index["idlib"]  # held by HTS, whose forces there outnumber the column
    aah.move_to(m.space[idlib])
    start = aah.strength
    from escalation_sim.mechanisms import resistance

    aah.commander = None
    aah.deployed, aah.deploy_target = True, idlib
    resistance.step(m)
    assert aah.strength == pytest.approx(start * (1 - m.p.hostile_attrition))
    assert not aah.deployed  # on its own inclination: it breaks off
    # With nobody of the holder's near, only the floor applies.
    m2 = EscalationModel(rng=0, hostile_attrition_floor=0.1)
    force = next(f for f in m2.forces if f.unit_id == "aah_expeditionary")
    for f in list(m2.forces):
        if f.actor_id == "hts":
            f.strength = 0.0
    force.move_to(m2.space[idlib])
    s0 = force.strength
    resistance.step(m2)
    assert force.strength == pytest.approx(s0 * 0.9)


# ------------------------------------------------------------------ Iran's interests (B.1)


def test_iran_demand_falls_when_the_ally_is_gone():
    _, on = batch(DECEMBER_2024, weeks=12)
    _, off = batch({**DECEMBER_2024, "mechanisms.iran_interests": False}, weeks=12)
    demand = lambda ts: ts[ts.week >= 4].groupby("seed").iran_demand.mean()  # noqa: E731
    lower(demand(on), demand(off), 0.5)
    assert (demand(off) == 1.0).all()


def test_iran_demand_falls_when_the_land_route_counts_and_is_cut():
    # At defaults HTS and the SDF cut part of the ground route (about a third gets through).
    # Weeks 1-3, before the deployments the two arms order make their runs part ways.
    _, free = batch({"iran_route_weight": 0.0}, weeks=4)
    _, cut = batch({"iran_route_weight": 1.0}, weeks=4)
    demand = lambda ts: ts[ts.week >= 1].groupby("seed").iran_demand.mean()  # noqa: E731
    lower(demand(cut), demand(free), 0.85)


def test_iran_demand_falls_as_its_losses_mount():
    # Israeli strikes in Syria bleed the militias Iran sent; a loss-averse Iran pulls back.
    _, indifferent = batch({"iran_loss_aversion": 0.0}, weeks=40)
    _, averse = batch({"iran_loss_aversion": 4.0}, weeks=40)
    demand = lambda ts: ts[ts.week >= 20].groupby("seed").iran_demand.mean()  # noqa: E731
    lower(demand(averse), demand(indifferent), 0.95)
    fighters = lambda ts: ts[ts.week >= 20].groupby("seed").militia_fighters_syria.mean()  # noqa: E731
    lower(fighters(averse), fighters(indifferent), 0.95)
    assert (indifferent.groupby("seed").iran_loss_memory.max() > 0).mean() >= 0.8


# ------------------------------------------------------------------ shrine threat (B.2)


def _shrine_model():
    m = EscalationModel(rng=0)
    w = m.world
    shrine = int(np.flatnonzero(w.shrine & w.is_syria)[0])
    return m, shrine


def test_a_shrine_threat_rises_with_a_hostile_advance_and_halves_in_its_half_life():
    m, shrine = _shrine_model()
    command.update_shrine_threat(m)
    assert m.shrine_threat == 0.0  # nothing hostile has happened near it
    neighbour = next(q for q in m.world.adjacency[shrine] if not m.world.external[q])
    m.controller[neighbour] = m.roles["hts"]
    command.update_shrine_threat(m)
    assert m.shrine_threat == pytest.approx(1.0) and m.threatened_shrines == [shrine]
    half_life = int(m.p.shrine_threat_half_life)
    for _ in range(half_life):  # HTS stays, but does nothing more
        command.update_shrine_threat(m)
    assert m.shrine_threat_by_region[shrine] == pytest.approx(0.5)
    for _ in range(2 * half_life):
        command.update_shrine_threat(m)
    assert m.shrine_threat == 0.0 and m.threatened_shrines == []


def test_shrine_threat_fades_faster_with_a_shorter_half_life():
    _, short = batch({**DECEMBER_2024, "shrine_threat_half_life": 1.0}, weeks=24)
    _, long = batch({**DECEMBER_2024, "shrine_threat_half_life": 8.0}, weeks=24)
    late = lambda ts: ts[ts.week >= 12].groupby("seed").shrine_threat.mean()  # noqa: E731
    lower(late(short), late(long), 0.8)
    # It is no longer "threatened for ever": with advances only, most late weeks are calm.
    _, quiet = batch({**DECEMBER_2024, "shrine_attack_threat": 0.0}, weeks=24)
    calm = quiet[quiet.week >= 12].groupby("seed").shrine_threat.apply(lambda s: (s == 0).mean())
    assert calm.mean() > 0.3, calm.describe()


def test_isis_attacks_near_a_shrine_raise_its_threat():
    _, quiet = batch({**DECEMBER_2024, "shrine_attack_threat": 0.0}, weeks=24)
    _, loud = batch({**DECEMBER_2024, "shrine_attack_threat": 0.3}, weeks=24)
    mean = lambda ts: ts[ts.week >= 4].groupby("seed").shrine_threat.mean()  # noqa: E731
    lower(mean(quiet), mean(loud), 0.9)


# ------------------------------------------------------------------ Israel strikes Iraq (B.7)


def test_israel_strikes_iraq_under_confrontation_without_us_restraint():
    calm, _ = batch({"israel_iran_confrontation": 0.0}, weeks=52)
    tense, _ = batch({"israel_iran_confrontation": 1.0, "us_restraint": 0.1}, weeks=52)
    assert (tense.israeli_strikes_iraq_total > 0).mean() >= 0.5  # the branch is reachable
    lower(calm.israeli_strikes_iraq_total, tense.israeli_strikes_iraq_total, 0.3)
    # US restraint, at the same confrontation, lowers the strikes that go ahead.
    held, _ = batch({"israel_iran_confrontation": 1.0, "us_restraint": 1.0}, weeks=52)
    lower(held.israeli_strikes_iraq_total, tense.israeli_strikes_iraq_total, 0.6)


def test_the_timeline_sets_confrontation_and_us_restraint_by_date(base):
    spec = with_timeline(
        base,
        {
            "week": 10,
            "action": "set_parameter",
            "parameter": "israel_iran_confrontation",
            "value": 1,
        },
        {"week": 10, "action": "set_parameter", "parameter": "us_restraint", "value": 0.0},
    )
    early = late = 0
    for seed in range(SEEDS):
        m = EscalationModel(spec, rng=seed)
        m.run_for(40)
        ts = m.timeseries()
        assert ts[ts.week >= 10].israeli_strikes_iraq_blocked.sum() == 0  # no restraint left
        early += ts[ts.week < 10].israeli_strikes_iraq.sum()
        late += ts[(ts.week >= 10) & (ts.week < 40)].israeli_strikes_iraq.sum()
        assert m.p.us_restraint == 0.0 and m.p.israel_iran_confrontation == 1.0
    # 30 weeks against 9: far more than in proportion once restraint is gone.
    assert late >= SEEDS // 2 and late > 6 * early, (early, late)


# ------------------------------------------------------------------ intelligence (B.8)


def test_the_sign_of_intelligence_sharing_depends_on_efficiency_and_leaks():
    und = lambda out: out.infiltrations_undetected_total  # noqa: E731
    # 30 seeds: counts of a dozen a run; at 20 seeds p sat at 0.002-0.013 depending on the path.
    off, _ = batch({"mechanisms.intel_sharing": False}, seeds=30, weeks=20)
    helps, _ = batch({"intel_efficiency": 0.5, "intel_leak": 0.0}, seeds=30, weeks=20)
    leaks, _ = batch({"intel_efficiency": 0.0, "intel_leak": 0.5}, seeds=30, weeks=20)
    lower(und(helps), und(off), 0.7)  # efficient and tight: fewer get through
    lower(und(off), und(leaks), 0.9)  # no efficiency, leaky: more get through
    m0 = EscalationModel(rng=0, intel_efficiency=0.0, intel_leak=0.0)
    m1 = EscalationModel(rng=0, intel_efficiency=0.0, intel_leak=0.0, intel_sharing=False)
    assert np.allclose(m0.detection, m1.detection)  # zero efficiency is in range: no benefit


# ------------------------------------------------------------------ exogenous context (B.9)


def test_withdrawing_us_troops_from_iraq_by_date_removes_coalition_support(base):
    spec = with_timeline(
        base, {"week": 4, "action": "set_parameter", "parameter": "us_troops_iraq", "value": 0}
    )
    withdrawn, stay = [], []
    for seed in range(SEEDS):
        m = EscalationModel(spec, rng=seed)
        m.run_for(26)
        ts = m.timeseries()
        assert ts[ts.week >= 4].decapitations.sum() == 0  # no coalition support in Iraq
        us_iraq = [f for f in m.forces_of("us") if m.world.is_iraq[f.region]]
        assert us_iraq and all(f.strength == 0 for f in us_iraq)
        withdrawn.append(ts.isis_fighters_iraq.iloc[-1])
    _, kept = batch(weeks=26)
    stay = kept.groupby("seed").isis_fighters_iraq.last()
    lower(stay, withdrawn, 0.95)  # less counter-terrorism: more ISIS in Iraq


def test_the_context_comes_back_when_the_timeline_restores_it(base):
    spec = with_timeline(
        base,
        {"week": 2, "action": "set_parameter", "parameter": "us_troops_syria", "value": 0},
        {"week": 5, "action": "set_parameter", "parameter": "us_troops_syria", "value": 0.5},
    )
    m = EscalationModel(spec, rng=0)
    placed = {f.unit_id: f.strength for f in m.forces_of("us") if m.world.is_syria[f.region]}
    m.run_for(3)
    assert all(f.strength == 0 for f in m.forces_of("us") if f.unit_id in placed)
    m.run_for(3)
    for f in m.forces_of("us"):
        if f.unit_id in placed:
            assert f.strength == pytest.approx(0.5 * placed[f.unit_id], rel=0.05)


def _isis_in_sdf_regions(overrides: dict, seed: int, weeks: int = 20) -> float:
    """Mean ISIS fighters a week in the regions the SDF held at the start."""
    m = EscalationModel(overrides=overrides, rng=seed)
    sdf = [r for r, c in enumerate(m.controller) if c == "sdf"]
    total = 0.0
    for _ in range(weeks):
        m.step()
        total += float(m.isis_by_region()[sdf].sum())
    return total / weeks


def test_a_dissolved_sdf_and_no_air_support_help_isis():
    intact = [_isis_in_sdf_regions({}, seed) for seed in range(SEEDS)]
    dissolved = [_isis_in_sdf_regions({"sdf_status": 0.0}, seed) for seed in range(SEEDS)]
    lower(intact, dissolved, 0.9)  # nobody left to hold ISIS down where the SDF stood
    _, no_air = batch({"coalition_air_support": 0.0}, weeks=26)
    _, air = batch(weeks=26)
    assert no_air.decapitations.sum() == 0 < air.decapitations.sum()
    cohesion = lambda ts: ts[ts.week >= 1].groupby("seed").isis_cohesion.mean()  # noqa: E731
    lower(cohesion(air), cohesion(no_air), 0.99)


def test_the_context_left_alone_changes_nothing():
    a = run(seed=3, weeks=20)
    b = run(overrides={"us_troops_iraq": 1.0, "sdf_status": 1.0}, seed=3, weeks=20)
    assert a.timeseries.equals(b.timeseries)
