"""Agents: states (not placed), armed forces and ISIS cells (placed on the region network).

**The pattern.** Agents hold state and make their own decisions; phases
(``escalation_sim.mechanisms``) are systems over agent sets, run in a documented order. A
decision that belongs to one agent is its method: whom a force obeys and whether it deploys
(``ArmedForce.decide``), where it marches next (``ArmedForce.march``), Iraq's alignment
(``StateActor.update_alignment``), Iran's demand and orders (``StateActor.update_demand``). Mass
processes over many agents (cells' attacks, counter-terrorism's binomials, recruitment) stay
vectorised kernels in the phase modules, over the agents' table rows.

Every placed force carries a **command link** set (to whom it answers, how strongly, how
autonomously; from the scenario's ``links``) and a **sectarian affinity** vector over the
scenario's sects. The state that changes every week (region, strength, cohesion) lives in a row
of the model's ``AgentTable`` (``escalation_sim.tables``), so that phases can sum or draw over
all agents at once; the attributes read and write that row. Agents move with ``move_to``, which
goes through Mesa's public ``cell`` property and keeps the row current.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from mesa import Agent
from mesa.discrete_space import Cell, CellAgent

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


def shia_share(sects: tuple[str, ...], affinity: np.ndarray) -> float:
    """Share of an affinity vector on the Shia sect (0 if the scenario has no such sect)."""
    if "shia_arab" not in sects:
        return 0.0
    total = float(affinity.sum())
    return float(affinity[sects.index("shia_arab")] / total) if total > 0 else 0.0


class StateActor(Agent):
    """An actor not placed on the map: a state or an organisation that commands forces.

    Attributes:
        actor_id: Scenario id (``iraq``, ``iran``, ``israel``, ``aah``...).
        kind: ``state``, ``militia``, ``insurgent`` or ``rebel``.
        affinity: Sectarian affinity vector.
        isis_distance: Sectarian distance from ISIS's affinity to this actor's.
        threat: Threat perception (used by Israel; rises with launches, decays weekly).
        alignment: Iraq only: 0 = aligned with Iran, 1 = aligned with the US.
        demand: Iran only: demand for Iraqi militia action in Syria, in [0, 1].
        order_deploy: This week's order to subordinates: deploy to Syria.
        order_launch: This week's order to subordinates: launch intensity at Israel, in [0, 1].
        deploy_target: Node subordinates are sent to when deploying.
    """

    model: EscalationModel

    def __init__(
        self, model: EscalationModel, actor_id: str, kind: str, affinity: np.ndarray
    ) -> None:
        super().__init__(model)
        self.actor_id = actor_id
        self.kind = kind
        self.affinity = affinity
        self.isis_distance = 0.0
        self.threat = 0.0
        self.alignment = 0.5
        self.demand = 0.0
        self.order_deploy = False
        self.order_launch = 0.0
        self.deploy_target: int | None = None

    def update_alignment(self) -> None:
        """Iraq (mechanism 6): the alignment drifts with ISIS attacks (to the US) and strikes.

        Uses last week's counts. Without ``iraq_balancing`` it stays at ``iraq_us_alignment``.
        """
        model = self.model
        p = model.p
        if not model.mech["iraq_balancing"]:
            self.alignment = float(p.iraq_us_alignment)
            return
        last = model.last_week
        isis_pressure = min(
            1.0, last.get("isis_attacks_iraq", 0.0) / max(1.0, p.resurgence_attacks)
        )
        strike_pressure = min(1.0, last.get("israeli_strikes_iraq", 0.0))
        target = (
            p.iraq_us_alignment
            + p.alignment_isis_response * isis_pressure
            - p.alignment_strike_response * strike_pressure
        )
        target = min(1.0, max(0.0, target))
        self.alignment += p.alignment_speed * (target - self.alignment)

    def restraint(self) -> float:
        """Iraq: how strongly it orders its forces and the PMF to stay out of Syria."""
        p = self.model.p
        return float(
            np.clip(p.iraq_restraint + p.iraq_restraint_alignment * (self.alignment - 0.5), 0, 1)
        )

    def update_demand(
        self,
        regime_loss: float,
        shrine_threat: float,
        sunni_tilt: float,
        target: int | None,
        stake: float | None = None,
        loss_memory: float = 0.0,
    ) -> None:
        """Iran: its demand for militia action in Syria, and this week's orders.

        Without ``iran_interests`` (``stake`` None): ``clip(iran_demand_base +
        regime_threat_weight x regime_loss + shrine_threat_weight x shrine_threat +
        sunni_tilt_weight x sunni_tilt, 0, 1)``. With it, the terms that defend the regime are
        weighed by Iran's ``stake`` in it (the ally still standing, the land route open), and the
        memory of its forces' losses weighs against the whole: ``clip(stake x (iran_demand_base +
        regime_threat_weight x regime_loss + sunni_tilt_weight x sunni_tilt) +
        shrine_threat_weight x shrine_threat - iran_loss_aversion x loss_memory, 0, 1)``.

        It orders deployment (to ``target``) when the demand passes ``iran_deploy_threshold``
        and there is somewhere to go, and launches at Israel with ``iran_launch_intensity``.
        """
        p = self.model.p
        if stake is None:
            demand = (
                p.iran_demand_base
                + p.regime_threat_weight * regime_loss
                + p.shrine_threat_weight * shrine_threat
                + p.sunni_tilt_weight * sunni_tilt
            )
        else:
            defence = (
                p.iran_demand_base
                + p.regime_threat_weight * regime_loss
                + p.sunni_tilt_weight * sunni_tilt
            )
            demand = (
                stake * defence
                + p.shrine_threat_weight * shrine_threat
                - p.iran_loss_aversion * loss_memory
            )
        self.demand = float(np.clip(demand, 0.0, 1.0))
        self.deploy_target = target
        self.order_deploy = self.demand > p.iran_deploy_threshold and target is not None
        self.order_launch = float(p.iran_launch_intensity)

    def __repr__(self) -> str:
        return f"StateActor({self.actor_id})"


class TabledAgent(CellAgent):
    """A Mesa cell agent whose region, strength and cohesion live in a row of an ``AgentTable``.

    Move it with ``move_to`` (Mesa's ``cell`` property, and the row); ``remove`` frees the row.
    """

    model: EscalationModel
    _table: AgentTable
    _row: int

    def _join(
        self, table: AgentTable, strength: float, cohesion: float, actor: int, iraqi: bool
    ) -> None:
        self._table = table
        self._row = table.add(self, float(strength), float(cohesion), actor, iraqi)

    def moved_to_row(self, row: int) -> None:
        """The table compacted its rows: this agent's row is now ``row``."""
        self._row = row

    def move_to(self, cell: Cell) -> None:
        """Stand on ``cell`` (a region of ``model.space``), in Mesa's space and in the table."""
        self.cell = cell
        self._table.place(self._row, cell.coordinate)

    @property
    def strength(self) -> float:
        """Fighters."""
        return float(self._table.strength[self._row])

    @strength.setter
    def strength(self, value: float) -> None:
        self._table.set_strength(self._row, value)

    @property
    def cohesion(self) -> float:
        """In [0, 1]; multiplies effective strength."""
        return float(self._table.cohesion[self._row])

    @cohesion.setter
    def cohesion(self, value: float) -> None:
        self._table.set_cohesion(self._row, value)

    @property
    def standing_cohesion(self) -> float:
        """The cohesion it recovers towards when endogenous cohesion is on (file or timeline)."""
        return float(self._table.standing[self._row])

    @standing_cohesion.setter
    def standing_cohesion(self, value: float) -> None:
        self._table.set_standing(self._row, value)

    @property
    def region(self) -> int:
        """Node the agent stands on."""
        assert self.cell is not None
        return self.cell.coordinate

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
        shia_militia: A militia whose affinity is mostly Shia (the Wilayati factions, the
            Atabat units).
        iraqi_militia: A militia whose formal chain of command leads to the Iraqi state.
        isis_distance: Sectarian distance from ISIS's affinity to this force's.
        deployed: True while following an order (or its own inclination) to deploy to Syria.
        deploy_target: Node it is heading for while deployed.
        commander: Whom it followed this week (``None`` = acted on its own).
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
        self._join(model.force_table, strength, cohesion, model.actor_codes[actor_id], False)
        self.unit_id = unit_id
        self.actor_id = actor_id
        self.kind = kind
        self.role = role
        self.home = home
        self.links = links
        self.affinity = affinity
        # Kind, links and affinity never change: the flags are decided once.
        self.shia_militia = kind == "militia" and shia_share(model.world.sects, affinity) > 0.5
        iraq = model.roles["iraq"]
        self.iraqi_militia = kind == "militia" and any(
            c.formal and c.commander == iraq for c in links
        )
        self.isis_distance = affinity_distance(model.actors[model.roles["isis"]].affinity, affinity)
        self._commander_distance: dict[str, float] = {}
        self.deployed = False
        self.deploy_target: int | None = None
        self.commander: str | None = None
        self.launching = 0.0

    @property
    def effective(self) -> float:
        """Strength times cohesion: what the unit brings to a fight or a checkpoint."""
        return self.strength * self.cohesion

    def commander_distance(self, commander: str) -> float:
        """Sectarian distance from this force to a commanding actor (computed once per pair)."""
        distance = self._commander_distance.get(commander)
        if distance is None:
            distance = self._commander_distance[commander] = affinity_distance(
                self.affinity, self.model.actors[commander].affinity
            )
        return distance

    def decide(self, restraint: float) -> None:
        """Mechanism 7: whom to obey this week, and so whether to deploy and to launch.

        Each commander c it has a link to pulls with ``strength_c (1 - autonomy_c) (1 -
        affinity_weight x d(force, c))``, times ``restraint`` for Iraq; the force follows the
        strongest pull with probability equal to that pull. Otherwise it acts on its own
        inclination: it keeps last week's course, except that a Shia militia rallies to a
        threatened shrine with probability ``shrine_mobilisation`` x the shrine threat (mechanism
        8). With ``iran_interests`` a force on its own inclination gives up a target where
        nothing is left to defend (``model.defendable``) and rallies only to a shrine no hostile
        actor holds. Without ``militia_autonomy`` only formal links count, and they are obeyed.
        """
        model = self.model
        p = model.p
        iraq_id = model.roles["iraq"]
        best: StateActor | None
        if model.mech["militia_autonomy"]:
            best, best_pull = None, 0.0
            for link in self.links:
                commander = model.actors[link.commander]
                pull = link.strength * (1 - link.autonomy)
                pull *= 1 - p.affinity_weight * self.commander_distance(link.commander)
                if link.commander == iraq_id:
                    pull *= restraint
                if pull > best_pull:
                    best, best_pull = commander, pull
        else:
            formal = [link for link in self.links if link.formal]
            best = model.actors[formal[0].commander] if formal else None
            best_pull = 1.0 if formal else 0.0

        if best is not None and model.rng.random() < best_pull:
            self.commander = best.actor_id
            self.deployed = best.order_deploy and self.role == "expeditionary"
            self.deploy_target = best.deploy_target if self.deployed else None
            self.launching = best.order_launch if self.role == "launcher" else 0.0
            return
        # Own inclination: keep last week's course, unless (with iran_interests) nothing is left
        # to defend where it was going; a Shia militia rallies to a threatened shrine.
        self.commander = None
        if (
            model.mech["iran_interests"]
            and self.deployed
            and self.deploy_target not in model.defendable
        ):
            self.deployed = False
            self.deploy_target = None
        shrines = model.rally_shrines
        if (
            self.role == "expeditionary"
            and model.shrine_threat
            and shrines
            and self.shia_militia
            and model.rng.random() < p.shrine_mobilisation * model.shrine_threat
        ):
            self.deployed = True
            self.deploy_target = int(shrines[0])

    def march(self, hops: int) -> None:
        """Up to ``hops`` steps along the shortest road: to its target if deployed, else home."""
        goal = self.deploy_target if self.deployed and self.deploy_target is not None else self.home
        nxt = self.model.world.next_hop
        start = here = self.region
        for _ in range(hops):
            if here == goal:
                break
            here = nxt(here, goal)
        if here != start:
            self.move_to(self.model.space[here])

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
        isis = model.actor_codes[model.roles["isis"]]
        self._join(model.cell_table, strength, 1.0, isis, iraqi)
        self.iraqi = iraqi
        self.affinity = affinity

    def add_fighters(self, n: int) -> None:
        """``n`` more fighters join the cell."""
        self._table.add_strength(self._row, n)

    def __repr__(self) -> str:
        return f"IsisCell({self.strength:.0f} at {self.region}, iraqi={self.iraqi})"
