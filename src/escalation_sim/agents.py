"""Agents: states (not placed), armed forces and ISIS cells (placed on the region network).

Every placed force carries a **command link** set (to whom it answers, how strongly, how
autonomously; from the scenario's ``links``) and a **sectarian affinity** vector over the
scenario's sects. Behaviour lives in ``escalation_sim.mechanisms``; agents hold state and the
small decisions that are theirs alone. The state that changes every week (region, strength,
cohesion) lives in a row of the model's ``AgentTable`` (``escalation_sim.tables``), so that
mechanisms can sum or draw over all agents at once; the attributes read and write that row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from mesa import Agent
from mesa.discrete_space import Cell, CellAgent
from mesa.discrete_space.cell_agent import HasCell

if TYPE_CHECKING:
    from escalation_sim.model import EscalationModel
    from escalation_sim.tables import AgentTable


@dataclass(frozen=True)
class CommandLink:
    """A command link from a force to a commanding actor.

    Attributes:
        commander: Actor id of the commander.
        strength: How strongly the force answers to it, in [0, 1].
        autonomy: How far the force acts on its own despite the link, in [0, 1].
        formal: True for the legal chain of command (e.g. the PMF under the Iraqi state).
    """

    commander: str
    strength: float
    autonomy: float
    formal: bool


def affinity_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Sectarian distance: 1 - cosine similarity of two affinity vectors (0 = same, 1 = disjoint).

    Vectors of zeros (no sectarian identity) are at distance 0.5 from everything.
    """
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0.0 or nb == 0.0:
        return 0.5
    return float(1.0 - np.dot(a, b) / (na * nb))


class StateActor(Agent):
    """An actor not placed on the map: a state or an organisation that commands forces.

    Attributes:
        actor_id: Scenario id (``iraq``, ``iran``, ``israel``, ``aah``...).
        kind: ``state``, ``militia``, ``insurgent`` or ``rebel``.
        affinity: Sectarian affinity vector.
        threat: Threat perception (used by Israel; rises with launches, decays weekly).
        alignment: Iraq only: 0 = aligned with Iran, 1 = aligned with the US.
        demand: Iran only: demand for Iraqi militia action in Syria, in [0, 1].
        order_deploy: This week's order to subordinates: deploy to Syria.
        order_launch: This week's order to subordinates: launch intensity at Israel, in [0, 1].
        deploy_target: Node subordinates are sent to when deploying.
    """

    def __init__(self, model: EscalationModel, actor_id: str, kind: str, affinity: np.ndarray):
        super().__init__(model)
        self.actor_id = actor_id
        self.kind = kind
        self.affinity = affinity
        self.threat = 0.0
        self.alignment = 0.5
        self.demand = 0.0
        self.order_deploy = False
        self.order_launch = 0.0
        self.deploy_target: int | None = None

    def __repr__(self) -> str:
        return f"StateActor({self.actor_id})"


class TabledAgent(CellAgent):
    """A Mesa cell agent whose region, strength and cohesion live in a row of an ``AgentTable``.

    Moving (``agent.cell = ...``) and removing go through Mesa as usual and keep the row current.
    """

    _table: AgentTable
    _row: int

    def _join(self, table: AgentTable, strength: float, cohesion: float, code: int) -> None:
        self._table = table
        self._row = table.add(self, float(strength), float(cohesion), code)

    @property
    def cell(self) -> Cell | None:
        """The Mesa cell (region) the agent stands on."""
        return self._mesa_cell

    @cell.setter
    def cell(self, cell: Cell | None) -> None:
        HasCell.cell.fset(self, cell)
        self._table.region[self._row] = -1 if cell is None else cell.coordinate

    @property
    def strength(self) -> float:
        """Fighters."""
        return float(self._table.strength[self._row])

    @strength.setter
    def strength(self, value: float) -> None:
        self._table.strength[self._row] = value

    @property
    def cohesion(self) -> float:
        """In [0, 1]; multiplies effective strength."""
        return float(self._table.cohesion[self._row])

    @cohesion.setter
    def cohesion(self, value: float) -> None:
        self._table.cohesion[self._row] = value

    @property
    def region(self) -> int:
        """Node the agent stands on."""
        return self._mesa_cell.coordinate

    def remove(self) -> None:
        """Remove the agent from the model, its region and its table."""
        super().remove()
        self._table.discard(self._row)


class ArmedForce(TabledAgent):
    """An army formation, militia, rebel force or foreign contingent on the region network.

    Attributes:
        unit_id: Scenario id.
        actor_id: The organisation it belongs to.
        kind: ``army``, ``militia``, ``rebel`` or ``foreign``.
        role: ``garrison``, ``border``, ``expeditionary``, ``launcher`` or ``field``.
        strength: Fighters.
        cohesion: In [0, 1]; multiplies effective strength.
        home: Node the unit returns to when ordered home.
        links: Command links, strongest first.
        affinity: Sectarian affinity vector.
        deployed: True while following an order (or its own inclination) to deploy to Syria.
        deploy_target: Node it is heading for while deployed.
        commander: Whom it followed this week (``None`` = acted on its own).
        complied: Whether it followed an order this week.
        launching: Launch intensity it carries out this week.
    """

    def __init__(
        self,
        model: EscalationModel,
        unit_id: str,
        actor_id: str,
        kind: str,
        role: str,
        strength: float,
        cohesion: float,
        home: int,
        links: tuple[CommandLink, ...],
        affinity: np.ndarray,
    ) -> None:
        super().__init__(model)
        self._join(model.force_table, strength, cohesion, model.actor_codes[actor_id])
        self.unit_id = unit_id
        self.actor_id = actor_id
        self.kind = kind
        self.role = role
        self.home = home
        self.links = links
        self.affinity = affinity
        self.deployed = False
        self.deploy_target: int | None = None
        self.commander: str | None = None
        self.complied = False
        self.launching = 0.0

    @property
    def effective(self) -> float:
        """Strength times cohesion: what the unit brings to a fight or a checkpoint."""
        return self.strength * self.cohesion

    def __repr__(self) -> str:
        return f"ArmedForce({self.unit_id}, {self.strength:.0f} at {self.region})"


class IsisCell(TabledAgent):
    """A clandestine ISIS cell.

    Attributes:
        strength: Fighters (float so that attrition can be fractional).
        iraqi: True for a cell of Iraqi origin; such cells are drawn towards Iraq.
        affinity: Sectarian affinity vector (Salafi-jihadist, Sunni base).
    """

    def __init__(
        self, model: EscalationModel, strength: float, iraqi: bool, affinity: np.ndarray
    ) -> None:
        super().__init__(model)
        self._join(model.cell_table, strength, 1.0, int(iraqi))
        self.iraqi = iraqi
        self.affinity = affinity

    def __repr__(self) -> str:
        return f"IsisCell({self.strength:.0f} at {self.region}, iraqi={self.iraqi})"
