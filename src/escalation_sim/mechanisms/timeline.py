"""Phase 0: the scenario's timeline, applied at the start of the week (before every other phase).

A scenario may carry a ``timeline`` of dated changes (``escalation_sim.scenario.schema
.TimelineEntry``), used by the hindcast to replay what happened (the fall of Mosul, the coalition
campaign). An entry with ``week = W`` (or a ``date`` inside week W, the week that ends on
``start_date + 7 W days``) is applied at the start of step W, in file order:

* ``set_parameter``: the parameter takes the new value from this week on. Border and
  intelligence parameters re-derive the crossing detection chances; parameters read only when
  the model is built are refused by the schema.
* ``set_unit``: the unit's strength, cohesion and/or region change (a unit that no longer exists,
  e.g. dissolved in a collapse, is skipped and the skip is logged). A new cohesion is also the
  one the unit recovers towards under endogenous cohesion (``towns``).
* ``add_unit``: a new unit is placed, as those of ``[[units]]`` are at the start (an ISIS unit is
  split into cells).
* ``set_controller``: the region changes hands and its chaos is set to 1. The new holder also
  becomes the holder the region returns to when ISIS loses it, unless the new holder is ISIS
  itself, whose hold is decided each week by the control phase from its strength there.

Every applied entry is recorded in ``model.timeline_log``. A scenario without a timeline (the
default) makes this phase a no-op that draws no random numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from escalation_sim.mechanisms.movement import BORDER_PARAMETERS
from escalation_sim.params import Params

if TYPE_CHECKING:
    from escalation_sim.model import EscalationModel
    from escalation_sim.scenario.schema import TimelineEntry

PARAMETERS: tuple[str, ...] = ()


def step(model: EscalationModel) -> None:
    """Apply the timeline entries due this week."""
    for entry in model.timeline_due.get(model.steps, ()):
        status = apply(model, entry)
        model.timeline_log.append(
            {"week": model.steps, "date": model.date, "action": entry.action, "status": status}
        )


def apply(model: EscalationModel, entry: TimelineEntry) -> str:
    """Apply one entry; return what was done (for the log)."""
    w = model.world
    if entry.action == "set_parameter":
        assert entry.parameter is not None and entry.value is not None  # the schema requires them
        value = entry.value
        if model.spec.parameters[entry.parameter].is_int:
            value = int(value)
        model.p = Params({**model.p, entry.parameter: value})
        if entry.parameter in BORDER_PARAMETERS:
            model.derive_border()
        return f"{entry.parameter} = {value}"
    if entry.action == "set_unit":
        forces = [f for f in model.forces if f.unit_id == entry.unit]
        if not forces:
            return f"skipped: unit {entry.unit} no longer exists"
        for f in forces:
            if entry.strength is not None:
                f.strength = float(entry.strength)
            if entry.cohesion is not None:
                f.cohesion = float(entry.cohesion)
                f.standing_cohesion = float(entry.cohesion)
            if entry.region is not None:
                f.move_to(model.space[w.index[entry.region]])
        return f"unit {entry.unit} changed"
    if entry.action == "add_unit":
        assert entry.add is not None
        model.place_unit(entry.add)
        return f"unit {entry.add.id} added in {entry.add.region}"
    assert entry.region is not None and entry.controller is not None
    r = w.index[entry.region]
    regions = model.regions
    regions.controller[r] = entry.controller
    regions.chaos[r] = 1.0
    if entry.controller != model.roles["isis"]:
        regions.home_controller[r] = entry.controller
    return f"{entry.region} held by {entry.controller}"
