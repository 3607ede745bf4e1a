"""Behaviour the seed asserts, tested over many seeds with margins, and each switch's effect."""

import numpy as np
import pytest
from conftest import SEEDS, batch
from scipy.stats import mannwhitneyu

from escalation_sim import EscalationModel, run
from escalation_sim.mechanisms import MECHANISMS

pytestmark = pytest.mark.slow


def lower(a, b, ratio: float) -> None:
    """a is lower than b: one-sided Mann-Whitney p < 0.01 and mean(a) <= ratio * mean(b)."""
    assert np.mean(a) <= ratio * np.mean(b), (np.mean(a), np.mean(b))
    assert mannwhitneyu(a, b, alternative="less").pvalue < 0.01


def test_border_hardening_lowers_undetected_infiltration_and_fighters_reaching_iraq():
    low, _ = batch({"border_hardening": 0.2})
    high, _ = batch({"border_hardening": 0.9})
    lower(high.infiltrations_undetected_total, low.infiltrations_undetected_total, 0.6)
    lower(high.infiltrating_fighters_total, low.infiltrating_fighters_total, 0.6)
    lower(high.isis_fighters_iraq_final, low.isis_fighters_iraq_final, 0.95)
    # Detection is partial by design: even a fully hardened border lets some through.
    full, _ = batch({"border_hardening": 1.0})
    assert full.infiltrations_undetected_total.sum() > 0


def test_syria_collapse_raises_isis_fighters_and_attacks():
    calm, _ = batch({"syria_collapse": 0.0})
    shock, _ = batch({"syria_collapse": 0.9})
    lower(calm.isis_fighters_iraq_final, shock.isis_fighters_iraq_final, 0.9)
    lower(calm.isis_fighters_syria_final, shock.isis_fighters_syria_final, 0.7)
    lower(calm.isis_attacks_iraq_total, shock.isis_attacks_iraq_total, 0.95)


def test_syria_collapse_dissolves_the_regime_and_frees_detainees():
    _, ts = batch({"syria_collapse": 0.9})
    week = 2
    before = ts[ts.week == week - 1]
    after = ts[ts.week == week]
    assert (after.regime_strength.to_numpy() < 0.2 * before.regime_strength.to_numpy()).all()
    assert ts[ts.week > week].groupby("seed").prison_escapees.sum().min() > 1000
    assert ts.syrian_soldiers_fled_iraq.groupby(ts.seed).sum().min() > 0


def test_without_militia_autonomy_wilayati_follow_the_iraqi_state():
    for seed in range(5):
        m = EscalationModel(rng=seed, militia_autonomy=False, syria_collapse=0.5)
        for _ in range(30):
            m.step()
            wilayati = [f for f in m.forces if f.role in ("expeditionary", "launcher")]
            assert all(f.commander == "iraq" and not f.deployed for f in wilayati)
            assert m.now["militia_launches"] == 0
            if m.steps >= 1:  # the contingent at Al-Bukamal comes home in a week
                assert m.now["militia_fighters_syria"] == 0
    # With autonomy, Iran's command wins often enough that militias go to Syria and launch.
    _, ts = batch()
    assert (ts.groupby("seed").militia_fighters_syria.max() > 1000).mean() > 0.5
    assert (ts.groupby("seed").militia_launches.sum() > 0).all()


def test_israeli_strikes_follow_militia_launches_not_the_reverse():
    quiet, ts_quiet = batch({"iran_launch_intensity": 0.0})
    assert ts_quiet.militia_launches.sum() == 0
    assert quiet.israeli_strikes_iraq_total.sum() == 0
    assert quiet.israeli_strikes_syria_total.sum() == 0

    loud, ts = batch({"iran_launch_intensity": 1.0})
    assert (loud.israeli_strikes_iraq_total > 0).mean() > 0.5
    for seed, g in ts.groupby("seed"):
        strikes = g.week[g.israeli_strikes_iraq > 0]
        launches = g.week[g.militia_launches > 0]
        if len(strikes):
            assert strikes.min() > launches.min(), seed
    # Launches over the past month predict this week's strikes; past strikes do not predict
    # launches (pooled over seeds).
    past_launches, strikes, past_strikes, launches = [], [], [], []
    for _, g in ts.groupby("seed"):
        lau = g.militia_launches.to_numpy(float)
        stk = (g.israeli_strikes_iraq + g.israeli_strikes_syria).to_numpy(float)
        window = np.ones(4)
        past_launches.append(np.convolve(lau, window)[3:-4])
        past_strikes.append(np.convolve(stk, window)[3:-4])
        strikes.append(stk[4:])
        launches.append(lau[4:])
    lead = np.corrcoef(np.concatenate(past_launches), np.concatenate(strikes))[0, 1]
    lag = np.corrcoef(np.concatenate(past_strikes), np.concatenate(launches))[0, 1]
    assert lead > lag + 0.05, (lead, lag)
    # Intervention: with Israel's response switched off, launches stay as they were.
    _, ts_off = batch({"iran_launch_intensity": 1.0, "mechanisms.israel_escalation": False})
    on_total = ts.groupby("seed").militia_launches.sum().mean()
    off_total = ts_off.groupby("seed").militia_launches.sum().mean()
    assert abs(on_total - off_total) <= 0.1 * off_total, (on_total, off_total)


# Each switch, and what must vanish (or hold still) when it is off.
def _signature(mech: str, ts, model: EscalationModel) -> None:
    match mech:
        case "syria_chaos":
            assert (ts.hts_regions == ts.hts_regions.iloc[0]).all()
            assert ts.prison_escapees.sum() == 0 and ts.syrian_soldiers_fled_iraq.sum() == 0
        case "border_defence":
            assert model.detection.max() == pytest.approx(model.p.intel_efficiency)
        case "decapitation":
            assert ts.decapitations.sum() == 0 and (ts.isis_cohesion.iloc[1:] == 1.0).all()
        case "supply_interdiction":
            assert np.allclose(ts.iran_supply_delivered.iloc[1:], 1.0)
        case "intel_sharing":
            assert model.detection.max() < 0.99 and (model.detection <= 0.85).all()
        case "iraq_balancing":
            assert (ts.iraq_us_alignment == model.p.iraq_us_alignment).all()
        case "militia_autonomy":
            assert ts.militia_launches.sum() == 0 and ts.militia_fighters_syria.iloc[1:].max() == 0
        case "shrine_defence":
            assert model.shrine_threat == 0.0
        case "sectarian_backlash":
            assert model.sunni_tilt == 0.0
        case "israel_escalation":
            assert ts.israeli_strikes_iraq.sum() == 0 and ts.israeli_strikes_syria.sum() == 0
        case "isis_competition":
            pass  # checked below against the switched-on run
        case "recruitment":
            assert ts.isis_recruits_iraq.sum() == 0
        case "counter_terrorism":
            pass  # checked below against the switched-on run
        case _:
            raise AssertionError(f"no signature for {mech}")


@pytest.mark.parametrize("mech", list(MECHANISMS))
def test_switching_a_mechanism_off_removes_its_effect(mech):
    overrides = {"syria_collapse": 0.6, "iran_launch_intensity": 0.8}
    on = run(overrides=overrides, seed=11, keep_model=True)
    off = run(overrides={**overrides, f"mechanisms.{mech}": False}, seed=11, keep_model=True)
    _signature(mech, off.timeseries, off.model)
    # With the switch on, the run shows what the switch removes (a switch that only changed
    # the random draws would pass a plain "the runs differ").
    if mech == "intel_sharing":  # raises every segment's detection chance
        assert (on.model.detection > off.model.detection).all()
    elif mech not in ("isis_competition", "counter_terrorism", "recruitment"):
        with pytest.raises(AssertionError):
            _signature(mech, on.timeseries, on.model)
    if mech == "counter_terrorism":
        assert off.outcomes["isis_fighters_iraq_final"] > on.outcomes["isis_fighters_iraq_final"]
    if mech == "recruitment":
        assert off.outcomes["isis_fighters_iraq_final"] < on.outcomes["isis_fighters_iraq_final"]


def test_isis_competition_raises_attacks_while_hts_advances():
    def early_attacks(ts):  # weeks 1-12, while HTS takes ground after the collapse
        early = ts[(ts.week >= 1) & (ts.week <= 12)]
        return (early.isis_attacks_iraq + early.isis_attacks_syria).groupby(early.seed).sum()

    _, on = batch({"syria_collapse": 0.8}, weeks=16)
    _, off = batch({"syria_collapse": 0.8, "mechanisms.isis_competition": False}, weeks=16)
    lower(early_attacks(off), early_attacks(on), 0.95)


def test_sectarian_targeting_prefers_shia_targets():
    def shia_share(mech_on: bool) -> float:
        hits = total = 0
        for seed in range(5):
            ev = run(
                seed=seed,
                overrides={"syria_collapse": 0.5, "mechanisms.sectarian_backlash": mech_on},
            ).events
            isis = ev[ev.actor == "isis"]
            hits += isis.target.str.contains("shia_arab|badr|aah|kh_|nujaba|kss|atabat|pmf").sum()
            total += len(isis)
        return hits / total

    on, off = shia_share(True), shia_share(False)
    assert on > 1.5 * off and on > off + 0.01


def test_a_statistical_arm_is_twenty_independent_runs():
    # The comparisons above rest on at least 20 seeds per arm that really differ: a model that
    # ignored its seed would give 20 copies of one run.
    out, ts = batch()
    assert out.seed.nunique() == SEEDS >= 20
    assert out.isis_attacks_iraq_total.nunique() >= SEEDS // 2
    assert ts.groupby("seed").isis_fighters_iraq.last().nunique() >= SEEDS // 2


def test_a_self_mobilising_militia_rallies_to_the_threatened_shrine():
    # Two theatres side by side: two Syrian shrines, and HTS at the second one only. A Shia
    # militia that follows no commander this week goes to the shrine under threat, not simply
    # to the first shrine in the file.
    from escalation_sim.mechanisms import command
    from escalation_sim.scenario.synthetic import replicate

    model = EscalationModel(replicate(copies=2), {"shrine_mobilisation": 1.0}, rng=0)
    w, hts, regime = model.world, model.roles["hts"], model.roles["syrian_regime"]
    first, second = np.flatnonzero(w.shrine & w.is_syria)
    for r in (first, *w.adjacency[first]):
        if model.controller[r] == hts:
            model.controller[r] = regime
    model.controller[second] = hts
    command.update_iran(model)
    assert model.threatened_shrines == [second]
    militia = next(f for f in model.forces if f.role == "expeditionary" and f.shia_militia)
    militia.links = []  # no commander: its own inclination decides
    militia.decide(restraint=0.0)
    assert militia.deployed and militia.deploy_target == second
