"""Phase 0b: the exogenous context, as scenario values a timeline can change by date.

Things the model does not explain but that shape the theatre are parameters, so a timeline's
``set_parameter`` entries (``mechanisms.timeline``, applied just before this phase) can change
them on a date, and a sweep can vary them:

* ``us_troops_iraq``, ``us_troops_syria``: the US contingents in Iraq and in Syria, as a share
  of those the scenario places (1 = as placed: about 2,500 in Iraq and 900 in Syria in the
  2024 scenario). When a value changes, every US force in that country is set to its strength at
  the old value x new / old (a force taken to 0 keeps the strength it would return to). A
  contingent at 0 is absent: no coalition support there (``violence.coalition_support``), no
  interdiction of Iranian convoys (``supply``), no security strength.
* ``sdf_status``: the standing of the US-backed rebel movements (the SDF: rebels with an alliance
  link to the US), as a share of their strength as placed; 1 = intact and US-backed, 0 =
  dissolved. Applied to their forces as for the US contingents; the detention phase also caps
  the guards of the facilities the SDF holds at their week-0 level x ``sdf_status``.
* ``coalition_air_support``: multiplies the coalition's air and intelligence support wherever it
  applies (counter-terrorism's coalition bonus and decapitation strikes; ``violence``), 1 = the
  2024 level, 0 = none.
* ``israel_iran_confrontation``: the state of the Israel-Iran confrontation, 0 = calm, 1 = open
  exchange of strikes (April and October 2024 were such); it adds to Israel's pressure to strike
  Iraq (``escalation``).

The last two are read where they act; this phase applies the first three when they change (and
once when the model is built, if the scenario starts them away from 1). It draws no random
numbers, so with the values left alone it changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from escalation_sim.agents import ArmedForce
    from escalation_sim.model import EscalationModel

#: Parameters that scale a group of forces: name -> which forces (``_members``).
FORCE_SHARES = ("us_troops_iraq", "us_troops_syria", "sdf_status")

PARAMETERS = (*FORCE_SHARES, "coalition_air_support", "israel_iran_confrontation")


def init(model: EscalationModel) -> None:
    """Start from the forces as placed (share 1), then apply the scenario's starting values."""
    model.context_applied = dict.fromkeys(FORCE_SHARES, 1.0)
    model.context_base = {}
    step(model)


def step(model: EscalationModel) -> None:
    """Apply the force shares that changed since they were last applied."""
    for name in FORCE_SHARES:
        share = float(model.p[name])
        old = model.context_applied[name]
        if share == old:
            continue
        for f in _members(model, name):
            base = f.strength / old if old > 0 else model.context_base.get(f.unique_id, 0.0)
            model.context_base[f.unique_id] = base
            f.strength = base * share
        model.context_applied[name] = share


def _members(model: EscalationModel, name: str) -> list[ArmedForce]:
    """The forces a context share applies to."""
    w = model.world
    if name == "sdf_status":
        us = model.roles["us"]
        backed = {
            a
            for a, actor in model.actors.items()
            if actor.kind == "rebel"
            and (
                model.relations.has_edge(us, a, "alliance")
                or model.relations.has_edge(a, us, "alliance")
            )
        }
        return [f for f in model.forces if f.actor_id in backed]
    country = w.is_iraq if name == "us_troops_iraq" else w.is_syria
    return [f for f in model.forces_of("us") if country[f.region]]
