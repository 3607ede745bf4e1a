"""The weekly phases, in the order the model runs them, and the mechanism switches.

Each phase is a function of the model: a system over agent sets (all forces, all cells, all
regions), run once a week in the order of ``PHASES``. Decisions that belong to one agent are the
agent's methods (``escalation_sim.agents``: a force's choice of whom to obey and where to march,
Iraq's alignment, Iran's demand); a phase gathers what those decisions read and calls them in
order. Mass processes over many agents (cells' attacks, counter-terrorism, recruitment) stay
vectorised kernels here, over the agents' table rows.

The eleven mechanisms asserted by the seed analysis (the analysis of Iraq's response to the
Syrian offensive, early December 2024; ``docs/ODD.md`` numbers them 1-11) and two background
processes each have a switch in the scenario's ``[mechanisms]`` table; a phase skips the parts
whose switch is off, so an experiment can show what each one contributes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from escalation_sim.mechanisms import (
    command,
    common,
    context,
    control,
    detention,
    escalation,
    movement,
    recruitment,
    resistance,
    supply,
    syria,
    timeline,
    towns,
    violence,
)

if TYPE_CHECKING:
    from escalation_sim.model import EscalationModel

#: Switch name -> what it does (numbers as in docs/ODD.md).
MECHANISMS: dict[str, str] = {
    "syria_chaos": "1. Chaos in Syria reactivates ISIS: HTS offensive, state collapse, prison and "
    "camp breakouts, ungoverned space, a pull on Iraqi cells towards Iraq",
    "guard_dynamics": "1. Prison and camp guards: the SDF's erode under its own shocks "
    "(sdf_guard_loss), all recover towards their starting strength",
    "detention_flows": "1. Iraq repatriates its nationals from the camps and takes Iraqi "
    "detainees into its prisons, at rates the timeline can change",
    "border_defence": "2. Border hardening (wall, cameras, trenches, towers, drones, brigades) "
    "detects crossings, partially",
    "decapitation_strikes": "3. Counter-terrorism decapitation strikes with the coalition degrade "
    "ISIS cohesion, which recovers between strikes",
    "leadership_losses_2024": "3. ISIS starts with the cohesion its leadership losses of late 2024 "
    "left (the 'Wali of Iraq' killed a month before the offensive)",
    "supply_interdiction": "4. HTS road control, SDF route cuts and US presence obstruct Iranian "
    "supply; air supply meets similar obstacles",
    "intel_sharing": "5. Intelligence sharing with Syria, Iran and Jordan, of uncertain "
    "efficiency, aids detection and counter-terrorism",
    "iraq_balancing": "6. Iraq's government balances between Iran and the US in response to "
    "ISIS attacks and Israeli strikes",
    "militia_autonomy": "7. Wilayati factions follow Iranian command over the Iraqi state's",
    "shrine_defence": "8. Shia militias mobilise for Syria when a hostile actor threatens a shrine "
    "(advances on it, attacks near it); the threat fades when that stops",
    "iran_interests": "1, 4, 8. Iran's demand for militia action follows its interests: it falls "
    "when the ally it defends is gone, the land route is cut or its militias' losses mount; "
    "militias come home when nothing is left to defend",
    "hostile_resistance": "1. A force in territory a hostile actor holds meets resistance and "
    "takes losses every week; one there on its own inclination breaks off and heads home",
    "sunni_syria_backlash": "9. A Sunni-weighted Syria under HTS drives ISIS motivation and "
    "recruitment in Iraq, sectarian targeting, and Iran's reading of the threat",
    "militia_backlash": "9. Shia militia presence lowers the state's legitimacy among Sunnis, "
    "which raises ISIS recruitment (also in peacetime)",
    "israel_escalation": "10. Israel answers militia launches (and Iraq's logistic role) with "
    "strikes in Syria, then in Iraq; Washington may not stop it",
    "isis_outbidding": "11. Competition with HTS spurs ISIS to outbid (more attacks while HTS "
    "takes ground) and to retake territory it held",
    "rival_absorption": "11. A co-sectarian rival (HTS) absorbs recruits ISIS would have drawn",
    "recruitment": "Background: grievance-driven recruitment into ISIS (Epstein 2002)",
    "counter_terrorism": "Background: attrition of ISIS cells by the security forces present",
    "town_control": "11. Towns change hands by an engagement rule (Lanchester with morale): ISIS "
    "takes a town when its massed fighters break or overwhelm the garrison, the state retakes it "
    "at three to one",
    "endogenous_cohesion": "The cohesion of the forces holding towns moves with their losses, "
    "pay and corruption, sectarian distance to and legitimacy among the people they garrison, "
    "and ISIS's momentum; in battle, with the enemy's strength",
    "local_momentum": "ISIS's momentum (towns it took in the last weeks) frightens only the "
    "garrisons within reach of the towns it took, so towns fall in sequence, not all at once",
    "foreign_fighters": "Foreign fighters join ISIS in Syria at the rate the record gives "
    "(exogenous context, set by date; none in the 2024 scenario)",
}


@dataclass(frozen=True)
class Phase:
    """A step of the weekly schedule: its name, function and the switches it reads."""

    name: str
    run: Callable[[EscalationModel], None]
    mechanisms: tuple[str, ...]


#: The weekly schedule, in order. ``timeline`` applies the scenario's scheduled changes (none in
#: the default scenario) before anything else happens in the week, and ``context`` applies the
#: exogenous values they may have changed (US troops, the SDF's status).
PHASES: tuple[Phase, ...] = (
    Phase("timeline", timeline.step, ()),
    Phase("context", context.step, ()),
    Phase("muster", towns.muster, ("endogenous_cohesion",)),
    Phase("syria", syria.step, ("syria_chaos",)),
    Phase("detention", detention.step, ("guard_dynamics", "detention_flows", "syria_chaos")),
    Phase("supply", supply.step, ("supply_interdiction",)),
    Phase(
        "command",
        command.step,
        (
            "iraq_balancing",
            "militia_autonomy",
            "shrine_defence",
            "sunni_syria_backlash",
            "iran_interests",
        ),
    ),
    Phase("movement", movement.step, ("border_defence", "intel_sharing", "isis_outbidding")),
    Phase("resistance", resistance.step, ("hostile_resistance",)),
    Phase(
        "recruitment",
        recruitment.step,
        (
            "recruitment",
            "sunni_syria_backlash",
            "militia_backlash",
            "rival_absorption",
            "foreign_fighters",
        ),
    ),
    Phase(
        "violence",
        violence.step,
        (
            "counter_terrorism",
            "decapitation_strikes",
            "leadership_losses_2024",
            "sunni_syria_backlash",
            "isis_outbidding",
        ),
    ),
    Phase("escalation", escalation.step, ("israel_escalation",)),
    Phase("towns", towns.step, ("town_control", "endogenous_cohesion", "local_momentum")),
    Phase("control", control.step, ()),
)

#: Every parameter some phase reads; a scenario must define exactly these.
REQUIRED_PARAMETERS: frozenset[str] = frozenset().union(
    common.PARAMETERS,
    context.PARAMETERS,
    syria.PARAMETERS,
    detention.PARAMETERS,
    supply.PARAMETERS,
    command.PARAMETERS,
    movement.PARAMETERS,
    resistance.PARAMETERS,
    recruitment.PARAMETERS,
    violence.PARAMETERS,
    escalation.PARAMETERS,
    control.PARAMETERS,
    towns.PARAMETERS,
)
