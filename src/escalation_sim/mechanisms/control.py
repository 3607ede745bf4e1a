"""Phase 8: who controls each region, and the windows the escalation ladder reads.

ISIS holds a region when its fighters there number at least ``isis_control_min`` and their
effective strength (fighters x ISIS cohesion) exceeds ``isis_control_ratio`` x the effective
strength of all other forces there (an insurgent needs far fewer fighters than the state to hold
ground; Mosul fell in June 2014 to ~1,500 against a nominal ~30,000). When the condition fails,
the region returns to its home holder: its holder at the start of the run, or the one a
timeline's ``set_controller`` last gave it (or, in Syria, stays ungoverned if the regime was its
holder and has gone).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from escalation_sim.mechanisms.common import UNGOVERNED

if TYPE_CHECKING:
    from escalation_sim.model import EscalationModel

PARAMETERS = (
    "isis_control_ratio",
    "isis_control_min",
    "resurgence_regions",
    "resurgence_attacks",
    "resurgence_weeks",
    "resurgence_record_multiple",
    "resurgence_record_weeks",
    "escalation_window",
    "campaign_strikes",
)


def step(model: EscalationModel) -> None:
    """Update region control by ISIS and push this week's counts into the ladder's windows."""
    p, w = model.p, model.world
    isis = model.roles["isis"]
    fighters = model.isis_by_region()
    security = model.force_by_region()
    regime = model.roles["syrian_regime"]
    holds = (fighters >= p.isis_control_min) & (
        fighters * model.isis_cohesion > p.isis_control_ratio * security
    )
    regions = model.regions
    held = np.array([c == isis for c in regions.controller])
    # Only regions whose status changes need a look (border states are never held).
    changed = np.flatnonzero((holds != held) & ~w.external)
    if len(changed):
        regime_left = model.force_by_region_of(regime)
        for r in changed.tolist():
            if holds[r]:
                regions.controller[r] = isis
                regions.chaos[r] = 1.0
            else:
                home = regions.home_controller[r]
                gone = home == regime and regime_left[r] <= 0
                regions.controller[r] = UNGOVERNED if gone else home
    model.launch_history.append(model.counts.launches)
    model.strike_syria_history.append(model.counts.strikes_syria)
    model.strike_iraq_history.append(model.counts.strikes_iraq)
