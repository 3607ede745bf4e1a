"""Epstein (2002) activation kernel, against values worked out by hand."""

import numpy as np
import pytest

from escalation_sim.kernels.civil_violence import (
    EPSTEIN_K,
    arrest_probability,
    grievance,
    is_active,
    jail_term,
)


def test_grievance_is_hardship_times_illegitimacy():
    assert grievance(0.5, 0.8) == pytest.approx(0.1)
    assert np.allclose(grievance(np.array([0.0, 1.0]), 0.25), [0.0, 0.75])


def test_arrest_probability_literal_matches_epstein_k():
    # One cop, one active (the agent itself): P = 1 - exp(-2.3) = 0.8997.
    assert arrest_probability(1, 1) == pytest.approx(1 - np.exp(-EPSTEIN_K))
    assert arrest_probability(1, 1) == pytest.approx(0.8997, abs=1e-4)
    # Actives below one count as one (the agent counts itself).
    assert arrest_probability(1, 0) == arrest_probability(1, 1)
    assert arrest_probability(0, 5) == 0.0
    assert arrest_probability(2, 4) == pytest.approx(1 - np.exp(-EPSTEIN_K * 0.5))


def test_arrest_probability_floor_rule():
    # floor(C/A): fewer cops than actives means no perceived risk at all.
    assert arrest_probability(1, 2, rule="floor") == 0.0
    assert arrest_probability(3, 2, rule="floor") == pytest.approx(1 - np.exp(-EPSTEIN_K))
    assert arrest_probability(1, 2, rule="literal") > 0.6
    with pytest.raises(ValueError):
        arrest_probability(1, 1, rule="ceil")


def test_activation_rule():
    # G - R P > T
    assert is_active(0.5, 0.2, 0.9, 0.1)  # 0.5 - 0.18 = 0.32 > 0.1
    assert not is_active(0.2, 0.2, 0.9, 0.1)  # 0.2 - 0.18 = 0.02
    assert not is_active(0.2, 0.0, 0.0, 0.2)  # strictly greater
    assert np.array_equal(is_active(np.array([0.3, 0.05]), 0.0, 0.0, 0.1), [True, False])


def test_jail_term_in_range():
    terms = jail_term(np.random.default_rng(1), 30, size=5000)
    assert terms.min() == 0 and terms.max() == 30
