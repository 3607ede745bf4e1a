"""Grievance-driven activation after Epstein (2002), shared by the model and the docking run.

Epstein, J. M. (2002). Modeling civil violence: An agent-based computational approach.
PNAS 99 (suppl. 3), 7243-7250. https://doi.org/10.1073/pnas.092080199

The rule, for an agent with hardship H, risk aversion R, facing legitimacy L:

* grievance G = H (1 - L);
* estimated arrest probability P = 1 - exp(-k (C / A)), with C the cops and A the actives
  (the agent counting itself) within vision, k = 2.3;
* net risk N = R P; the agent turns active if G - N > T (threshold).

NetLogo's Rebellion model (Wilensky 2004) uses floor(C / A) instead of C / A. With the ratio as
printed, Epstein's Run 2 inputs show no outbursts, since a single cop among a few actives already
deters; with the floor, a lone agent facing fewer cops than actives estimates P = 0. Both are
offered (``rule="literal"`` or ``rule="floor"``) and the escalation model uses the literal rule.

All functions work element-wise on numpy arrays.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

ArrestRule = Literal["literal", "floor"]
EPSTEIN_K = 2.3


def grievance(
    hardship: np.ndarray | float, legitimacy: np.ndarray | float, out: np.ndarray | None = None
) -> np.ndarray:
    """G = H (1 - L): perceived hardship times the perceived illegitimacy of the regime.

    ``out``: an array to write G into (saves allocating one on large populations).
    """
    illegitimacy = 1.0 - np.asarray(legitimacy, dtype=float)
    return np.multiply(np.asarray(hardship, dtype=float), illegitimacy, out=out)


def arrest_probability(
    cops: np.ndarray | float,
    actives: np.ndarray | float,
    k: float = EPSTEIN_K,
    rule: ArrestRule = "literal",
) -> np.ndarray:
    """P = 1 - exp(-k (C / A)), with A at least 1 (the agent counts itself).

    Args:
        cops: Cops (or security strength) within vision.
        actives: Active agents within vision, the agent included; values below 1 count as 1.
        k: Epstein's constant, 2.3 so that P is about 0.9 when C = A = 1.
        rule: ``"literal"`` for C / A as printed; ``"floor"`` for NetLogo's floor(C / A).
    """
    ratio = np.asarray(cops, dtype=float) / np.maximum(np.asarray(actives, dtype=float), 1.0)
    if rule == "floor":
        ratio = np.floor(ratio)
    elif rule != "literal":
        raise ValueError(f"rule must be 'literal' or 'floor', not {rule!r}")
    return 1.0 - np.exp(-k * ratio)


def is_active(
    grievance_: np.ndarray | float,
    risk_aversion: np.ndarray | float,
    arrest_p: np.ndarray | float,
    threshold: float,
    work: np.ndarray | None = None,
) -> np.ndarray:
    """Epstein's activation rule: G - R P > T.

    ``work``: a float array of the result's shape to compute G - R P in (saves allocating two
    on large populations; the values are the same).
    """
    if work is None:
        return np.asarray(grievance_) - np.asarray(risk_aversion) * np.asarray(arrest_p) > threshold
    np.multiply(risk_aversion, arrest_p, out=work)
    np.subtract(grievance_, work, out=work)
    return work > threshold


def jail_term(rng: np.random.Generator, j_max: int, size: int | None = None) -> np.ndarray:
    """A jail term drawn uniformly from 0 to ``j_max`` (inclusive), as in Epstein's model."""
    return rng.integers(0, j_max + 1, size=size)
