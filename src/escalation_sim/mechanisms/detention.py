"""Phase 1b, mechanism 1's prisons and camps: guards, repatriation and transfer, breakouts.

Record: ~11,000 suspected fighters held by the SDF (3,500+ Iraqi) and ~41,700 in al-Hol and Roj
(18,160 Iraqi); Iraq repatriated ~12,000 of its nationals from al-Hol from May 2021 to 2024 and
took Iraqi detainees into its own prisons in batches. Each prison and camp
(``DetentionState``) has a holder, an actor whose guards hold it.

* **Guards** (``guard_dynamics``): at a facility the SDF holds (its holder is an actor of kind
  rebel other than the ``hts`` role's) guards fall by a share ``sdf_guard_loss`` a week (0 by
  default: a timeline sets it for an SDF status shock), and their level is capped by the SDF's
  standing (``sdf_status``, ``context``): g <= g0 x sdf_status, so a dissolved SDF (0) guards
  nothing and its prisons leak at the full escape rate. Everywhere guards recover towards their
  level, g <- g + ``guard_recovery_rate`` (g_max - g), with g_max = g0 x sdf_status at SDF-held
  facilities and g0 elsewhere (at sdf_status = 1 exactly as before). A collapse of the Syrian regime
  (``syria.collapse``) cuts the guards of the facilities the regime holds, and only those, by a
  share s x ``collapse_guard_loss``.
* **Flows** (``detention_flows``): each week ``repatriation_rate`` Iraqi residents leave the
  camps in Syria for Iraq and ``transfer_rate`` Iraqi detainees leave its prisons for Iraq's
  (into a prison the ``iraq`` role holds if the file lists one, else out of the model), shared
  among the facilities by their Iraqi numbers; at most the Iraqis held. Deterministic, so the
  random stream does not depend on them.
* **Breakouts** (``syria_chaos``, as before): escapes ~ Binomial(detainees,
  ``detainee_escape_rate`` (1 - g)), of whom ``detainee_rejoin_share`` rejoin ISIS; camp
  recruits ~ Binomial(residents, ``camp_recruit_rate`` (1 - g)). They form cells in place, Iraqi
  by the facility's share. A prison week with escapes is a breakout event
  (``model.breakout_events``: week, facility, escapees, of whom joined ISIS).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from escalation_sim.mechanisms.common import add_recruits

if TYPE_CHECKING:
    from escalation_sim.model import EscalationModel

PARAMETERS = (
    "guard_recovery_rate",
    "sdf_guard_loss",
    "repatriation_rate",
    "transfer_rate",
)


def step(model: EscalationModel) -> None:
    """Run the detention phase: guards, then flows, then breakouts (each behind its switch)."""
    det = model.detention
    if not det.ids:
        return
    if model.mech["guard_dynamics"]:
        guards(model)
    if model.mech["detention_flows"]:
        flows(model)
    if model.mech["syria_chaos"]:
        breakouts(model)


def sdf_held(model: EscalationModel) -> np.ndarray:
    """True for each facility whose holder is SDF-like: an actor of kind rebel, not HTS."""
    hts = model.roles["hts"]
    return np.array(
        [h != hts and model.actors[h].kind == "rebel" for h in model.detention.holder], dtype=bool
    )


def guards(model: EscalationModel) -> None:
    """SDF-held guards are capped by ``sdf_status`` and erode; all recover towards their level.

    The level is the week-0 guards, times ``sdf_status`` at SDF-held facilities.
    """
    p, det = model.p, model.detention
    level = det.guards_full
    status = float(p.sdf_status)
    if status < 1:  # a weakened or dissolved SDF guards its prisons less, or not at all
        level = np.where(sdf_held(model), det.guards_full * status, det.guards_full)
        det.guards = np.minimum(det.guards, level)
    if p.sdf_guard_loss > 0:
        det.guards = np.where(sdf_held(model), det.guards * (1 - p.sdf_guard_loss), det.guards)
    gap = np.maximum(level - det.guards, 0.0)
    det.guards = det.guards + p.guard_recovery_rate * gap


def erode_holder(model: EscalationModel, holder: str, share: float) -> None:
    """Cut the guards of the facilities ``holder`` holds by ``share`` (a collapse)."""
    det = model.detention
    mine = np.array([h == holder for h in det.holder], dtype=bool)
    det.guards = np.where(mine, det.guards * (1 - share), det.guards)


def _take_iraqis(model: EscalationModel, from_mask: np.ndarray, amount: float) -> float:
    """Remove up to ``amount`` Iraqis from the facilities in ``from_mask``; returns how many."""
    det = model.detention
    iraqis = np.where(from_mask, det.held * det.iraqi, 0.0)
    total = float(iraqis.sum())
    if amount <= 0 or total <= 0:
        return 0.0
    taken = iraqis * min(1.0, amount / total)
    left = det.held - taken
    changed = from_mask & (left > 0)
    det.iraqi = np.where(changed, (iraqis - taken) / np.maximum(left, 1e-12), det.iraqi)
    det.held = np.maximum(left, 0.0)
    return float(taken.sum())


def flows(model: EscalationModel) -> None:
    """Iraq repatriates Iraqis from camps in Syria and takes Iraqi detainees into its prisons."""
    p, det, w = model.p, model.detention, model.world
    in_syria = w.is_syria[det.region]
    model.counts.repatriated += _take_iraqis(model, in_syria & det.is_camp, p.repatriation_rate)
    moved = _take_iraqis(model, in_syria & ~det.is_camp, p.transfer_rate)
    model.counts.transferred += moved
    iraq = model.roles["iraq"]
    into = [i for i, h in enumerate(det.holder) if h == iraq and not det.is_camp[i]]
    if moved > 0 and into:
        i = into[0]
        iraqis = det.held[i] * det.iraqi[i] + moved
        det.held[i] += moved
        det.iraqi[i] = iraqis / det.held[i]


def breakouts(model: EscalationModel) -> None:
    """Escapes from prisons and recruitment from camps where guards have thinned."""
    p, rng, det, counts = model.p, model.rng, model.detention, model.counts
    leak = 1 - det.guards
    for i in np.flatnonzero(det.held >= 1):
        camp = bool(det.is_camp[i])
        rate = p.camp_recruit_rate if camp else p.detainee_escape_rate
        left = rng.binomial(int(det.held[i]), min(1.0, rate * leak[i]))
        if left == 0:
            continue
        det.held[i] -= left
        fighters = left if camp else rng.binomial(left, p.detainee_rejoin_share)
        iraqi = rng.binomial(fighters, det.iraqi[i])
        if not camp:
            counts.escapees += int(left)
            counts.breakouts += 1
            model.breakout_events.append((model.steps, det.ids[i], int(left), int(fighters)))
        counts.freed += int(fighters)
        r = int(det.region[i])
        add_recruits(model, r, int(iraqi), iraqi=True)
        add_recruits(model, r, int(fighters - iraqi), iraqi=False)
