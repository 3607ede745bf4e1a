"""EscalationModel: the Iraq-Syria theatre as a Mesa 3.5 model, stepped weekly."""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from mesa import DataCollector, Model
from mesa.agent import AgentSet
from mesa.discrete_space import Network

from escalation_sim import outcomes
from escalation_sim.agents import ArmedForce, CommandLink, IsisCell, StateActor
from escalation_sim.errors import ConfigError
from escalation_sim.mechanisms import MECHANISMS, PHASES, REQUIRED_PARAMETERS
from escalation_sim.mechanisms.common import UNGOVERNED  # noqa: F401  (re-exported)
from escalation_sim.params import Params
from escalation_sim.scenario.loader import apply_overrides, load_scenario, resolve_scenario_path
from escalation_sim.scenario.schema import Scenario, TimelineEntry, Unit
from escalation_sim.tables import AgentTable
from escalation_sim.world import build_world, hardened_border

#: Counters that each phase adds to during a week; reset at the start of every step.
WEEKLY_COUNTERS = (
    "attacks_iraq",
    "attacks_syria",
    "deaths_iraq",
    "deaths_syria",
    "infiltrations",
    "infiltrations_detected",
    "infiltrating_fighters",
    "launches",
    "strikes_iraq",
    "strikes_iraq_blocked",
    "strikes_syria",
    "recruits_iraq",
    "recruits_syria",
    "escapees",
    "freed",
    "decapitations",
    "fled_to_iraq",
    "hts_captures",
)


class EscalationModel(Model):
    """Agent-based model of escalation in the Iraq-Syria theatre after late 2024.

    Built from a scenario file (``escalation_sim/scenario/data/iraq_syria_2024.toml`` unless told
    otherwise). One step is one week; ``PHASES`` in ``escalation_sim.mechanisms`` gives the order.

    Args:
        scenario: A bundled scenario name, a path to a TOML file, or a ``Scenario``; default
            ``iraq_syria_2024``.
        overrides: Parameter values and switches, e.g. ``{"border_hardening": 0.9,
            "mechanisms.militia_autonomy": False}``; checked against each parameter's range.
        rng: Seed (or numpy ``Generator``/``SeedSequence``) for every random draw of the run.
        **params: Further overrides as keyword arguments: any parameter name, or a mechanism
            name with a boolean (``militia_autonomy=False``). Used by the browser controls.

    Example:
        >>> model = EscalationModel(rng=42, border_hardening=0.9)
        >>> model.run_for(104)
        >>> model.outcomes()["isis_resurgence"]  # doctest: +SKIP
    """

    def __init__(
        self,
        scenario: str | Path | Scenario | None = None,
        overrides: Mapping[str, Any] | None = None,
        *,
        rng: Any = None,
        **params: Any,
    ) -> None:
        super().__init__(rng=rng)
        self._no_agents: AgentSet = AgentSet([], random=self.random)
        # Region, strength and cohesion of forces and of ISIS cells, as arrays (tables.py).
        self.force_table = AgentTable()
        self.cell_table = AgentTable(capacity=256)
        # Memoised static properties of agents and actors (sectarian distances, flags), by key.
        self.memo: dict[tuple, Any] = {}
        if isinstance(scenario, Scenario):
            spec, source = scenario, f"<scenario {scenario.meta.name}>"
        else:
            source = str(resolve_scenario_path(scenario))
            spec = load_scenario(scenario)
        merged: dict[str, Any] = dict(overrides or {})
        for key, value in params.items():
            merged[f"mechanisms.{key}" if key in spec.mechanisms else key] = value
        spec = apply_overrides(spec, merged, scenario_source=source, origin="override")
        _check_complete(spec, source)

        self.spec: Scenario = spec
        self.scenario_source = source
        self.p = Params({k: v.value for k, v in spec.parameters.items()})
        self.p_initial = self.p
        # The timeline's entries by the week they apply at (mechanisms.timeline).
        self.timeline_due: dict[int, list[TimelineEntry]] = {}
        for entry in spec.timeline:
            self.timeline_due.setdefault(spec.timeline_week(entry), []).append(entry)
        self.timeline_log: list[dict[str, Any]] = []
        self.mech: dict[str, bool] = dict(spec.mechanisms)
        self.roles = dict(spec.roles)
        self.start_date: dt.date = spec.meta.start_date
        self.world = build_world(spec)
        w = self.world
        self.space = Network(
            w.graph, random=self.random, layout={i: tuple(w.coords[i]) for i in range(w.n)}
        )

        self._build_actors()
        self._build_forces()
        self._init_region_state()
        self._init_recruit_sample()
        self._init_border()

        self.events: list[tuple] = []
        self._event_date: tuple[int, dt.date | None] = (-1, None)
        for name in WEEKLY_COUNTERS:
            setattr(self, name, 0)
        self.launch_history: deque[int] = deque(maxlen=int(self.p.escalation_window))
        self.strike_syria_history: deque[int] = deque(maxlen=int(self.p.escalation_window))
        self.strike_iraq_history: deque[int] = deque(maxlen=int(self.p.escalation_window))
        self.hts_capture_weeks: list[int] = []
        self.last_week: dict[str, float] = {}
        self.now: dict[str, float] = {}
        self.datacollector = DataCollector(
            model_reporters={k: _reporter(k) for k in outcomes.WEEKLY_OUTCOMES}
        )
        outcomes.measure(self)
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ construction

    def _build_actors(self) -> None:
        spec, sects = self.spec, self.spec.meta.sects
        self.actors: dict[str, StateActor] = {}
        for a in spec.actors:
            vec = np.array([a.affinity.get(s, 0.0) for s in sects], dtype=float)
            self.actors[a.id] = StateActor(self, a.id, a.kind, vec)
        #: Index of each actor, the ``code`` of its forces' rows in ``force_table``.
        self.actor_codes = {a: i for i, a in enumerate(self.actors)}
        # The relational network: command links, alliances, hostilities between actors.
        self.relations = nx.MultiDiGraph()
        self.relations.add_nodes_from(self.actors)
        for link in spec.links:
            self.relations.add_edge(
                link.from_,
                link.to,
                key=link.kind,
                kind=link.kind,
                strength=link.strength,
                autonomy=link.autonomy,
                formal=link.formal,
            )
        iraq = self.actors[self.roles["iraq"]]
        iraq.alignment = float(self.p.iraq_us_alignment)

    def command_links(self, actor_id: str) -> tuple[CommandLink, ...]:
        """Command links of an actor's forces, strongest first (from the relational network)."""
        links = [
            CommandLink(v, d["strength"], d["autonomy"], d["formal"])
            for _, v, d in self.relations.out_edges(actor_id, data=True)
            if d["kind"] == "command"
        ]
        return tuple(sorted(links, key=lambda c: (-c.strength, c.commander)))

    def _build_forces(self) -> None:
        for u in self.spec.units:
            self.place_unit(u)
        self.initial_regime = self.regime_effective()

    def place_unit(self, u: Unit) -> None:
        """Place a scenario unit: an ``ArmedForce``, or ISIS cells of near-equal size."""
        w, sects = self.world, self.spec.meta.sects
        actor = self.actors[u.actor]
        aff = (
            np.array([u.affinity.get(s, 0.0) for s in sects], dtype=float)
            if u.affinity is not None
            else actor.affinity
        )
        node = w.index[u.region]
        if u.actor == self.roles["isis"]:
            # Split a group into cells of near-equal size; the first cells are Iraqi.
            sizes = np.full(u.cells, u.strength // u.cells, dtype=int)
            sizes[: u.strength % u.cells] += 1
            n_iraqi = round(u.cells * u.iraqi_share)
            for k, size in enumerate(sizes):
                cell = IsisCell(self, float(size), iraqi=k < n_iraqi, affinity=aff)
                cell.cell = self.space[node]
            return
        force = ArmedForce(
            self,
            unit_id=u.id,
            actor_id=u.actor,
            kind=u.kind,
            role=u.role,
            strength=u.strength,
            cohesion=u.cohesion,
            home=w.index[u.home or u.region],
            links=self.command_links(u.actor),
            affinity=aff,
        )
        force.cell = self.space[node]

    def _init_region_state(self) -> None:
        w = self.world
        self.controller: list[str] = [r.controller for r in self.spec.regions]
        # Who each region returns to when ISIS loses it (the timeline may change it).
        self.home_controller: list[str] = list(self.controller)
        self.chaos = np.zeros(w.n)
        self.guards = np.array([r.guards for r in self.spec.regions], dtype=float)
        self.detainees = np.array([r.detainees for r in self.spec.regions], dtype=float)
        self.camp = np.array([r.camp for r in self.spec.regions], dtype=float)
        self.detainees_iraqi = np.array([r.detainees_iraqi for r in self.spec.regions])
        self.camp_iraqi = np.array([r.camp_iraqi for r in self.spec.regions])
        isis_aff = self.actors[self.roles["isis"]].affinity
        # People whose affinity ISIS can recruit from: population weighted by ISIS's affinity.
        self.recruit_pool = w.population @ isis_aff
        self.active_share = np.zeros(w.n)
        # ISIS recruits raised by the recruitment phase in each region since week 0.
        self.recruits_by_region = np.zeros(w.n, dtype=np.int64)
        self.hts_momentum = (
            float(self.p.hts_offensive_momentum) if self.mech["syria_chaos"] else 0.0
        )
        decap = self.mech["decapitation"]
        self.isis_cohesion = float(self.p.isis_leadership_cohesion_2024) if decap else 1.0
        self.supply_delivered = 1.0
        self.supply_transit_iraq = 0.0
        self.shrine_threat = 0.0
        self.threatened_shrines: list[int] = []  # Syrian shrine regions HTS holds or borders
        self.sunni_tilt = 0.0

    def _init_recruit_sample(self) -> None:
        # Representative potential recruits per region (Epstein's agents): fixed hardship draws
        # and risk aversions, so activation changes only when conditions do.
        m = int(self.p.recruit_sample)
        self.sample_hardship = self.rng.random((self.world.n, m))
        self.sample_risk = self.rng.random((self.world.n, m))

    def _init_border(self) -> None:
        p, segs = self.p, self.world.segments
        wall, surv, garr = hardened_border(
            segs, float(p.border_hardening), float(p.border_hardening_2024), float(p.garrison_full)
        )
        self.border_wall, self.border_surveillance, self.border_garrison = wall, surv, garr
        if self.mech["border_defence"]:
            miss = (1 - p.detect_wall * wall) * (1 - p.detect_surveillance * surv)
            miss *= 1 - p.detect_garrison * garr
            detect = 1 - miss
            detect = np.where(segs.smuggling, detect * (1 - p.corridor_leak), detect)
        else:
            detect = np.zeros(len(segs))
        if self.mech["intel_sharing"]:
            detect = 1 - (1 - detect) * (1 - p.intel_efficiency)
        self.detection = detect

    # ------------------------------------------------------------------ running

    def step(self) -> None:
        """Advance one week: run every phase in order, then record the outcomes."""
        for name in WEEKLY_COUNTERS:
            setattr(self, name, 0)
        for phase in PHASES:
            phase.run(self)
        outcomes.measure(self)
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ views

    @property
    def week(self) -> int:
        """Weeks simulated so far."""
        return self.steps

    @property
    def date(self) -> dt.date:
        """Calendar date of the current week."""
        return self.start_date + dt.timedelta(weeks=self.steps)

    @property
    def forces(self) -> AgentSet:
        """All placed armed forces."""
        return self._agents_by_type.get(ArmedForce) or self._no_agents

    @property
    def cells(self) -> AgentSet:
        """All ISIS cells."""
        return self._agents_by_type.get(IsisCell) or self._no_agents

    def forces_of(self, role: str) -> list[ArmedForce]:
        """Forces of the actor that plays a role (``syrian_regime``, ``hts``...)."""
        table = self.force_table
        rows = table.rows()
        code = self.actor_codes[self.roles[role]]
        return [table.agents[r] for r in rows[table.code[rows] == code].tolist()]

    def regime_effective(self) -> float:
        """Effective strength (strength x cohesion) of the Syrian regime's forces."""
        return float(sum(f.effective for f in self.forces_of("syrian_regime")))

    def force_by_region(self) -> np.ndarray:
        """Effective strength of all forces per region (``force_by_region_of``: some actors')."""
        return self.force_table.sum_by_region(self.world.n)

    def force_flags(self, name: str, fn: Callable[[ArmedForce], bool]) -> np.ndarray:
        """``fn(force)`` for every force, in ``force_table.rows()`` order, as a boolean array.

        For properties that never change during a run (kind, links, affinity): computed again
        only when a force is added or removed.
        """
        rows = self.force_table.rows()
        cached = self.memo.get(("force_flags", name))
        if cached is not None and cached[0] is rows:
            return cached[1]
        forces = self.force_table.live()
        flags = np.fromiter(map(fn, forces), dtype=bool, count=len(forces))
        self.memo[("force_flags", name)] = (rows, flags)
        return flags

    def forces_flagged(self, name: str, fn: Callable[[ArmedForce], bool]) -> list[ArmedForce]:
        """The forces for which ``fn`` holds (``force_flags``), in the model's order."""
        flags = self.force_flags(name, fn)
        return [f for f, keep in zip(self.force_table.live(), flags.tolist(), strict=True) if keep]

    def force_by_region_of(self, *actor_ids: str) -> np.ndarray:
        """Effective strength per region of the forces of some actors."""
        table = self.force_table
        codes = [self.actor_codes[a] for a in actor_ids if a in self.actor_codes]
        if not codes:
            return np.zeros(self.world.n)
        present = table.code[table.rows()]
        mask = present == codes[0] if len(codes) == 1 else np.isin(present, codes)
        return table.sum_by_region(self.world.n, mask)

    def isis_by_region(self) -> np.ndarray:
        """ISIS fighters per region."""
        return self.cell_table.sum_by_region(self.world.n, effective=False)

    def record_event(
        self, region: int, actor: str, deaths: int, target: str, kind: str = "attack"
    ) -> None:
        """Record one violent event (an attack or a strike) for ``events.parquet``."""
        if self._event_date[0] != self.steps:  # one date per week, not per event
            self._event_date = (self.steps, self.date)
        self.events.append(
            (
                self.steps,
                self._event_date[1],
                self.world.ids[region],
                actor,
                kind,
                target,
                int(deaths),
            )
        )

    def timeseries(self) -> pd.DataFrame:
        """Weekly outcomes so far: one row per week (week 0 is the initial state)."""
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        df.insert(0, "week", np.arange(len(df), dtype=int))
        df.insert(1, "date", pd.Timestamp(self.start_date) + pd.to_timedelta(df.week * 7, unit="D"))
        return df

    def events_frame(self) -> pd.DataFrame:
        """Every attack and strike so far, one row each."""
        cols = ["week", "date", "region", "actor", "kind", "target", "deaths"]
        df = pd.DataFrame(self.events, columns=cols)
        df["date"] = pd.to_datetime(df["date"])
        return df.astype({"week": "int64", "deaths": "int64"})

    def regions_frame(self) -> pd.DataFrame:
        """The regions as they stand now, one row each, indexed by the scenario's region id.

        Columns: ``name``, ``country``, ``controller`` (who holds it now), ``population``, a
        ``<sect>_share`` of the population for each of the scenario's sects, ``isis_fighters``,
        ``forces`` (effective strength of the armed forces there), ``chaos``,
        ``active_share`` (share of potential recruits Epstein's rule made active in the latest
        week) and ``recruits``: ISIS recruits raised there by the recruitment phase since
        week 0. In Iraq they add up to the weekly ``isis_recruits_iraq``; in Syria to
        ``isis_recruits_syria`` less ``isis_fighters_freed`` (fighters freed from prisons and
        camps are not recruits).
        """
        w = self.world
        pop = w.population.sum(axis=1)
        shares = np.divide(
            w.population,
            pop[:, None],
            out=np.zeros_like(w.population, dtype=float),
            where=pop[:, None] > 0,
        )
        df = pd.DataFrame(
            {
                "name": list(w.names),
                "country": w.country,
                "controller": list(self.controller),
                "population": pop.astype(np.int64),
                **{f"{sect}_share": shares[:, k] for k, sect in enumerate(w.sects)},
                "isis_fighters": self.isis_by_region(),
                "forces": self.force_by_region(),
                "chaos": self.chaos,
                "active_share": self.active_share,
                "recruits": self.recruits_by_region,
            },
            index=pd.Index(w.ids, name="region"),
        )
        return df.copy()

    def outcomes(self) -> dict[str, Any]:
        """Run-level outcomes from the weekly series (``isis_resurgence`` and totals)."""
        return outcomes.run_outcomes(self.timeseries(), self.p)

    def parameters(self) -> dict[str, Any]:
        """The parameter values and switches this model starts with (before any timeline)."""
        out: dict[str, Any] = dict(self.p_initial)
        out.update({f"mechanisms.{k}": v for k, v in self.mech.items()})
        return out


def _reporter(name: str):
    return lambda m: m.now[name]


def _check_complete(spec: Scenario, source: str) -> None:
    missing = sorted(REQUIRED_PARAMETERS - set(spec.parameters))
    if missing:
        raise ConfigError(
            source, f"parameters.{missing[0]}", "required by the model but missing from the file"
        )
    unknown = sorted(set(spec.parameters) - REQUIRED_PARAMETERS)
    if unknown:
        raise ConfigError(
            source, f"parameters.{unknown[0]}", "unknown parameter; the model reads no such name"
        )
    missing_m = sorted(set(MECHANISMS) - set(spec.mechanisms))
    if missing_m:
        raise ConfigError(
            source, f"mechanisms.{missing_m[0]}", "switch missing; allowed: true or false"
        )
    unknown_m = sorted(set(spec.mechanisms) - set(MECHANISMS))
    if unknown_m:
        raise ConfigError(
            source,
            f"mechanisms.{unknown_m[0]}",
            f"unknown mechanism; allowed: {', '.join(MECHANISMS)}",
        )
