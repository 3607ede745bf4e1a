"""Docking with Epstein (2002): the torus model built on the shared kernel, and its outbursts."""

import json

import numpy as np
import pandas as pd
import pytest

from escalation_sim.cli import main
from escalation_sim.errors import ConfigError
from escalation_sim.kernels.civil_violence import arrest_probability, jail_term
from escalation_sim.validation.epstein import (
    EpsteinModel,
    EpsteinParams,
    gradual_decline,
    neighbour_table,
    outburst_summary,
    outbursts,
    run_epstein,
    sudden_drop,
    table2_params,
    vision_offsets,
    with_changes,
)

SEEDS = (0, 1, 2)


def test_run_2_inputs_are_the_papers():
    p = table2_params(2)
    assert (p.vision, p.legitimacy, p.j_max, p.cop_density, p.agent_density, p.threshold) == (
        7,
        0.82,
        30,
        0.04,
        0.7,
        0.1,
    )
    assert p.k == pytest.approx(2.3) and (p.width, p.height) == (40, 40)
    with pytest.raises(ConfigError, match="not available"):
        table2_params(4)


def test_vision_shapes_count_the_cells_they_should():
    assert len(vision_offsets(7, "cross")) == 28  # 7 cells along each of four axes
    assert len(vision_offsets(7, "diamond")) == 2 * 7 * 8  # von Neumann radius 7: 2r(r+1)
    assert len(vision_offsets(1, "disk")) == 4
    assert not ((vision_offsets(3, "disk") == 0).all(axis=1)).any()  # own cell excluded


def test_neighbour_table_wraps_around_the_torus():
    nbrs = neighbour_table(5, 4, 1, "diamond")
    # Cell (0, 0) sees (4, 0), (1, 0), (0, 3) and (0, 1) on a 5 x 4 torus.
    assert sorted(nbrs[0]) == sorted([4, 1, 3 * 5, 5])


def test_kernel_values_used_by_the_docking():
    # Two cops, three actives: literal P = 1 - exp(-2.3 * 2/3), floor P = 0.
    assert arrest_probability(2, 3) == pytest.approx(1 - np.exp(-2.3 * 2 / 3))
    assert arrest_probability(2, 3, rule="floor") == 0.0
    assert arrest_probability(4, 2, rule="floor") == pytest.approx(1 - np.exp(-2.3 * 2))
    terms = jail_term(np.random.default_rng(0), 3, size=4000)
    assert set(np.unique(terms)) == {0, 1, 2, 3}
    assert abs(terms.mean() - 1.5) < 0.1


def test_population_is_conserved_and_cells_hold_one_each():
    m = EpsteinModel(table2_params(2, rule="floor"), rng=5)
    for _ in range(60):
        m.step()
        free = ~m.jailed
        cells = np.concatenate([m.pos[free], m.cop_pos])
        assert len(np.unique(cells)) == len(cells)  # no two on a cell
        assert (m.agent_at[m.pos[free]] == np.flatnonzero(free)).all()
        assert not (m.active & m.jailed).any()
    c = m.counts()
    assert (c.active + c.jailed + c.quiet == 1120).all()
    assert m.n_cops == 64


def test_same_seed_same_run():
    a = run_epstein(table2_params(2, rule="floor"), 80, seed=3)
    b = run_epstein(table2_params(2, rule="floor"), 80, seed=3)
    pd.testing.assert_frame_equal(a, b)


def test_floor_rule_gives_punctuated_outbursts_literal_does_not():
    # Epstein's Run 2: with floor(C/A) (NetLogo) repeated outbursts above 50 actives separated
    # by quiet spells; with C/A as printed, one cop among a few actives deters and none come.
    for seed in SEEDS:
        floor = run_epstein(table2_params(2, rule="floor"), 300, seed=seed)
        table = outbursts(floor)
        assert len(table) >= 5, seed  # about 11 per 300 ticks seen
        assert table["wait"].dropna().min() >= 3
        quiet = floor["active"][floor["active"] <= 50]
        assert quiet.mean() < 25  # quiet between outbursts
        literal = run_epstein(table2_params(2, rule="literal"), 300, seed=seed)
        assert literal["active"].iloc[10:].max() < 40  # about 16 seen


def test_sudden_drop_brings_an_outburst_gradual_decline_does_not_with_long_terms():
    params = table2_params(2, rule="floor", j_max=1000)
    for seed in SEEDS[:2]:
        schedule = gradual_decline(0.9, 0.7, 50, 250)
        gradual = run_epstein(params, 260, seed, legitimacy=schedule)
        sudden = run_epstein(params, 260, seed, legitimacy=sudden_drop(0.9, 0.8, 77))
        assert gradual["legitimacy"].iloc[-1] == pytest.approx(0.7)  # 0.001 a tick
        assert len(outbursts(gradual)) == 0
        assert outbursts(sudden)["start"].tolist()[:1] == [77]


def test_outbursts_on_a_known_series():
    counts = pd.DataFrame({"tick": range(12), "active": [0, 60, 70, 0, 0, 0, 55, 0, 0, 80, 90, 0]})
    table = outbursts(counts)
    assert table["start"].tolist() == [1, 6, 9]
    assert table["peak"].tolist() == [70, 55, 90]
    assert table["activation"].tolist() == [130, 55, 170]
    assert table["wait"].tolist()[1:] == [3, 2]
    s = outburst_summary(counts)
    assert s["outbursts"] == 3 and s["waiting_time"]["mean"] == 2.5


def test_bad_inputs_are_config_errors():
    with pytest.raises(ConfigError, match="legitimacy"):
        EpsteinParams(legitimacy=1.5)
    with pytest.raises(ConfigError, match="unknown Epstein input"):
        with_changes(EpsteinParams(), {"colour": "red"})
    with pytest.raises(ConfigError, match="not a valid int"):
        with_changes(EpsteinParams(), {"vision": "far"})
    assert with_changes(EpsteinParams(), {"shape": "disk", "j_max": "9"}).j_max == 9


def test_validate_epstein_command_writes_its_outputs(tmp_path):
    out = tmp_path / "ep"
    args = ["validate", "epstein", "--arrest-rule", "floor", "--ticks", "60", "--quiet"]
    assert main([*args, "--seed", "1", "--out", str(out)]) == 0
    actives = pd.read_csv(out / "actives.csv")
    assert list(actives.columns) == ["tick", "active", "jailed", "quiet"]
    assert len(actives) == 61
    summary = json.loads((out / "summary.json").read_text())
    assert summary["params"]["rule"] == "floor" and summary["run"] == 2
    assert "outbursts" in summary["outbursts"]
    assert len(summary["legitimacy_contrast"]["results"]) == 4
    for png in ("actives.png", "legitimacy.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"
    assert "Legitimacy" in (out / "summary.md").read_text()
    assert main(["validate", "epstein", "--run", "5", "--out", str(tmp_path / "x")]) == 2
