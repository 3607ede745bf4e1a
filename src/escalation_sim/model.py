"""EscalationModel: the Iraq-Syria theatre as a Mesa 3.5 model, stepped weekly.

**The pattern.** Agents (``escalation_sim.agents``) hold state and make their own decisions: a
force chooses whom to obey and where to march, Iraq its alignment, Iran its demand and orders.
Phases (``escalation_sim.mechanisms.PHASES``) are systems over agent sets, run in a fixed,
documented order each week; mass processes over many agents (cells' attacks, counter-terrorism,
recruitment) are vectorised kernels over the agents' table rows (``escalation_sim.tables``).

The state that is not an agent's is typed (``escalation_sim.state``): ``counts`` (this week's
``WeekCounters``), ``regions`` (``RegionState``, one named array per quantity), ``constants``
(``RunConstants``, derived once at build) and ``caches`` (``WeekCaches``, recomputed when what
they depend on changes).

**Scenarios.** ``spec`` is the validated scenario file (``escalation_sim.scenario.schema
.Scenario``). Mesa 3.5's ``Model`` has its own ``scenario`` attribute, an experiment object of
``mesa.experimental.scenarios``; ``model.scenario`` is Mesa's, as Mesa's tools (SolaraViz's
Reset) expect. The constructor takes the scenario file as its first positional argument (or, as
before, the keyword ``scenario=``), and also accepts Mesa's ``Scenario`` on ``scenario=``: its
values are parameter overrides and its ``rng`` the seed.
"""

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
from mesa.experimental.scenarios import Scenario as MesaScenario

from escalation_sim import outcomes
from escalation_sim.agents import ArmedForce, CommandLink, IsisCell, StateActor, affinity_distance
from escalation_sim.errors import ConfigError, raise_errors
from escalation_sim.mechanisms import MECHANISMS, PHASES, REQUIRED_PARAMETERS, context, resistance
from escalation_sim.mechanisms.common import UNGOVERNED  # noqa: F401  (re-exported)
from escalation_sim.params import Params
from escalation_sim.scenario.loader import apply_overrides, load_scenario, resolve_scenario_path
from escalation_sim.scenario.schema import MECHANISM_ALIASES, Scenario, TimelineEntry, Unit
from escalation_sim.state import (
    DetentionState,
    RegionState,
    Routes,
    RunConstants,
    TownState,
    WeekCaches,
    WeekCounters,
)
from escalation_sim.tables import AgentTable
from escalation_sim.world import World, build_world, hardened_border

#: What the first argument (or ``scenario=``) may be: a bundled name, a path, a ``Scenario``.
ScenarioSource = str | Path | Scenario


class EscalationModel(Model):
    """Agent-based model of escalation in the Iraq-Syria theatre after late 2024.

    Built from a scenario file (``escalation_sim/scenario/data/iraq_syria_2024.toml`` unless told
    otherwise). One step is one week; ``PHASES`` in ``escalation_sim.mechanisms`` gives the order.

    Args:
        source: A bundled scenario name, a path to a TOML file, or a ``Scenario``; default
            ``iraq_syria_2024``. Positional (``EscalationModel("hindcast_2013")``).
        overrides: Parameter values and switches, e.g. ``{"border_hardening": 0.9,
            "mechanisms.militia_autonomy": False}``; checked against each parameter's range.
        rng: Seed (or numpy ``Generator``/``SeedSequence``) for every random draw of the run.
        scenario: The scenario file, as ``source`` (kept for callers that name it), or Mesa's
            ``mesa.experimental.scenarios.Scenario`` (what SolaraViz passes on Reset): its
            values are overrides and its ``rng``, if set, the seed.
        lean: Record the weekly outcomes into preallocated arrays (``recorder``, an
            ``outcomes.WeeklyRecorder``) instead of Mesa's ``DataCollector``: the sweeps' path,
            with the same ``timeseries()`` and outcomes bit for bit. A lean model has no
            ``datacollector``; the interactive paths (``run``, notebooks, browser) keep it.
        **params: Further overrides as keyword arguments: any parameter name, or a mechanism
            name with a boolean (``militia_autonomy=False``). Used by the browser controls.

    Example:
        >>> model = EscalationModel(rng=42, border_hardening=0.9)
        >>> model.run_for(104)
        >>> model.outcomes()["isis_resurgence"]  # doctest: +SKIP
    """

    def __init__(
        self,
        source: ScenarioSource | None = None,
        /,
        overrides: Mapping[str, Any] | None = None,
        *,
        rng: Any = None,
        scenario: ScenarioSource | MesaScenario | None = None,
        lean: bool = False,
        **params: Any,
    ) -> None:
        mesa_scenario: MesaScenario | None = None
        if isinstance(scenario, MesaScenario):
            mesa_scenario = scenario
            extra = {k: v for k, v in scenario if k != "rng"}
            params = {**extra, **params}
            if rng is None:
                rng = scenario.rng
            else:
                scenario.rng = rng  # one seed for both (Mesa refuses two different ones)
        elif scenario is not None:
            if source is not None:
                raise TypeError("give the scenario file once: positionally or as scenario=")
            source = scenario
        super().__init__(rng=rng, scenario=mesa_scenario)
        self._no_agents: AgentSet = AgentSet([], random=self.random)
        # Region, strength and cohesion of forces and of ISIS cells, as arrays (tables.py).
        self.force_table = AgentTable()
        self.cell_table = AgentTable(capacity=256)
        self.caches = WeekCaches()
        if isinstance(source, Scenario):
            spec, origin = source, f"<scenario {source.meta.name}>"
        else:
            origin = str(resolve_scenario_path(source))
            spec = load_scenario(source)
        merged: dict[str, Any] = dict(overrides or {})
        for key, value in params.items():
            merged[_override_key(spec, key, value)] = value
        spec = apply_overrides(spec, merged, scenario_source=origin, origin="override")
        _check_complete(spec, origin)

        self.spec: Scenario = spec
        self.scenario_source = origin
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
        self.world: World = build_world(spec)
        w = self.world
        self.space = Network(
            w.graph, random=self.random, layout={i: tuple(w.coords[i]) for i in range(w.n)}
        )

        self._build_actors()
        self._build_forces()
        isis_aff = self.actors[self.roles["isis"]].affinity
        self.regions = RegionState.from_scenario(spec, w, isis_aff)
        self.towns = TownState.from_scenario(spec, w)
        self.detention = DetentionState.from_scenario(spec, w)
        #: Breakouts: (week, facility id, escapees, of whom joined ISIS), one per prison-week.
        self.breakout_events: list[tuple[int, str, int, int]] = []
        self._init_theatre()
        self._init_recruit_sample()
        self.constants = self._derive_constants()
        self.derive_border()

        self.events: list[tuple] = []
        self._event_date: tuple[int, dt.date | None] = (-1, None)
        self.counts = WeekCounters()
        self.launch_history: deque[int] = deque(maxlen=int(self.p.escalation_window))
        self.strike_syria_history: deque[int] = deque(maxlen=int(self.p.escalation_window))
        self.strike_iraq_history: deque[int] = deque(maxlen=int(self.p.escalation_window))
        self.hts_capture_weeks: list[int] = []
        # Towns ISIS took in each recent week (its momentum), the strength of every force at
        # the week's muster, and every change of hands (week, town, new holder).
        self.town_captures: deque[int] = deque(maxlen=int(self.p.momentum_weeks))
        self.town_muster: tuple[int, np.ndarray, np.ndarray] = (-1, np.zeros(0, int), np.zeros(0))
        self.town_log: list[tuple[int, str, str]] = []
        self.last_week: dict[str, float] = {}
        self.now: dict[str, float] = {}
        self.lean = bool(lean)
        self.recorder: outcomes.WeeklyRecorder | None = None
        if self.lean:
            self.recorder = outcomes.WeeklyRecorder(int(spec.meta.weeks) + 1)
        else:
            self.datacollector = DataCollector(
                model_reporters={k: _reporter(k) for k in outcomes.WEEKLY_OUTCOMES}
            )
        outcomes.measure(self)
        self._record()

    # ------------------------------------------------------------------ construction

    def _build_actors(self) -> None:
        spec, sects = self.spec, self.spec.meta.sects
        self.actors: dict[str, StateActor] = {}
        for a in spec.actors:
            vec = np.array([a.affinity.get(s, 0.0) for s in sects], dtype=float)
            self.actors[a.id] = StateActor(self, a.id, a.kind, vec)
        isis_aff = self.actors[self.roles["isis"]].affinity
        for actor in self.actors.values():
            actor.isis_distance = affinity_distance(actor.affinity, isis_aff)
        #: Index of each actor, the ``actor`` column of the agent tables.
        self.actor_codes = {a: i for i, a in enumerate(self.actors)}
        # The relational network: command links, alliances, hostilities between actors.
        self.relations: nx.MultiDiGraph[str] = nx.MultiDiGraph()
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
                cell.move_to(self.space[node])
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
        force.move_to(self.space[node])

    def _init_theatre(self) -> None:
        # Theatre-wide state the phases update each week.
        self.hts_momentum = (
            float(self.p.hts_offensive_momentum) if self.mech["syria_chaos"] else 0.0
        )
        losses = self.mech["leadership_losses_2024"]
        self.isis_cohesion = float(self.p.isis_leadership_cohesion_2024) if losses else 1.0
        self.supply_delivered = 1.0
        self.supply_transit_iraq = 0.0
        self.shrine_threat = 0.0
        # Syrian shrine regions under threat, most threatened first, and each region's threat
        # (mechanism 8: raised by hostile advances and attacks near it, fading with a half-life).
        self.threatened_shrines: list[int] = []
        self.rally_shrines: list[int] = []  # of those, the shrines militias may rally to
        # Syrian regions left to defend (iran_interests): held by the regime's side, or a
        # threatened shrine no hostile actor holds.
        self.defendable: frozenset[int] = frozenset()
        self.shrine_threat_by_region = np.zeros(self.world.n)
        self.sunni_tilt = 0.0
        # Iran's reading of its interests (iran_interests): its memory of its forces' losses,
        # their strengths last week, and the share of the ground route open (supply phase).
        self.iran_loss_memory = 0.0
        self.iran_force_strength: dict[int, float] = {}
        self.supply_ground = 1.0
        # Who held each region at the end of last week: what changed hands this week.
        self.last_controller = list(self.regions.controller)
        # The exogenous context (mechanisms.context): the share each force group was last set
        # to, and the strength a force set to 0 returns to.
        self.context_applied: dict[str, float] = {}
        self.context_base: dict[int, float] = {}
        context.init(self)

    def _init_recruit_sample(self) -> None:
        # Representative potential recruits per region (Epstein's agents): fixed hardship draws
        # and risk aversions, so activation changes only when conditions do.
        m = int(self.p.recruit_sample)
        self.sample_hardship = self.rng.random((self.world.n, m))
        self.sample_risk = self.rng.random((self.world.n, m))

    def _derive_constants(self) -> RunConstants:
        w, roles, actors = self.world, self.roles, self.actors
        pop = w.total_population
        iran, regime = roles["iran"], roles["syrian_regime"]
        iran_commanded = frozenset(
            u for u, v, d in self.relations.edges(data=True) if d["kind"] == "command" and v == iran
        )
        side = {regime, iran}
        for u, v, d in self.relations.edges(data=True):
            if d["kind"] == "alliance" and regime in (u, v):
                side.add(v if u == regime else u)
        isis_aff = actors[roles["isis"]].affinity
        sects = np.eye(len(w.sects))  # a civilian of sect k has affinity e_k
        norm = np.linalg.norm(w.population, axis=1, keepdims=True)
        town_region = np.zeros(w.n, dtype=bool)
        town_region[self.towns.region] = True
        return RunConstants(
            sunni_share=np.divide(self.regions.recruit_pool, pop, out=np.zeros(w.n), where=pop > 0),
            recruit_hardship=np.minimum(1.0, 2.0 * self.sample_hardship * w.hardship[:, None]),
            routes=tuple(_routes(w, here) for here in range(w.n)),
            iran_commanded=iran_commanded,
            # Iraqi militias that Iran commands fight on the regime's side in Syria.
            regime_side=frozenset(side | iran_commanded),
            supply_passable=frozenset({iran, roles["iraq"], regime} | iran_commanded),
            isis_rivals=tuple(
                a
                for a, actor in actors.items()
                if actor.kind == "rebel" and actor.isis_distance < 0.5
            ),
            sect_isis_distance=np.array(
                [affinity_distance(isis_aff, sects[k]) for k in range(len(w.sects))]
            ),
            town_holders=frozenset(self.towns.home),
            town_region=town_region,
            population_direction=np.divide(
                w.population, norm, out=np.zeros_like(w.population), where=norm > 0
            ),
            hostile_holders=resistance.hostile_holders(self.relations),
            iran_stake_norm=float(
                sum(
                    f.strength
                    for f in self.forces
                    if f.role == "expeditionary" and f.actor_id in iran_commanded
                )
            ),
        )

    def derive_border(self) -> None:
        """Derive the border's wall, surveillance, garrison and detection chance per segment.

        From the ``border_hardening`` lever and the detection parameters (``movement``'s
        ``BORDER_PARAMETERS``); the timeline calls it again when one of them changes.
        """
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
        if self.mech["intel_sharing"]:  # what is shared may also leak to ISIS (intel_leak)
            detect = (1 - (1 - detect) * (1 - p.intel_efficiency)) * (1 - p.intel_leak)
        self.detection: np.ndarray = detect

    # ------------------------------------------------------------------ running

    def step(self) -> None:
        """Advance one week: run every phase in order, then record the outcomes."""
        self.counts = WeekCounters()
        for phase in PHASES:
            phase.run(self)
        outcomes.measure(self)
        self._record()

    def _record(self) -> None:
        """Keep this week's outcomes (``model.now``): in the recorder, or Mesa's DataCollector."""
        if self.recorder is not None:
            self.recorder.record(self.now)
        else:
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
        return self.agents_by_type.get(ArmedForce) or self._no_agents

    @property
    def cells(self) -> AgentSet:
        """All ISIS cells."""
        return self.agents_by_type.get(IsisCell) or self._no_agents

    @property
    def controller(self) -> list[str]:
        """Who holds each region now (``regions.controller``)."""
        return self.regions.controller

    @property
    def chaos(self) -> np.ndarray:
        """Disorder in each region, in [0, 1] (``regions.chaos``)."""
        return self.regions.chaos

    def forces_of(self, role: str) -> list[ArmedForce]:
        """Forces of the actor that plays a role (``syrian_regime``, ``hts``...)."""
        table = self.force_table
        rows = table.rows()
        code = self.actor_codes[self.roles[role]]
        return [table.agent(r) for r in rows[table.actor[rows] == code].tolist()]

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
        cached = self.caches.force_flags.get(name)
        if cached is not None and cached[0] is rows:
            return cached[1]
        forces = self.force_table.live()
        flags = np.fromiter(map(fn, forces), dtype=bool, count=len(forces))
        self.caches.force_flags[name] = (rows, flags)
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
        present = table.actor[table.rows()]
        mask = present == codes[0] if len(codes) == 1 else np.isin(present, codes)
        return table.sum_by_region(self.world.n, mask)

    def isis_by_region(self) -> np.ndarray:
        """ISIS fighters per region."""
        return self.cell_table.sum_by_region(self.world.n, effective=False)

    def town_share(self, actor: str | None = None) -> np.ndarray:
        """Share of each region's town population an actor holds (default ISIS; 0: no towns)."""
        towns = self.towns
        actor = self.roles["isis"] if actor is None else actor
        held = np.array([h == actor for h in towns.holder], dtype=bool)
        n = self.world.n
        total = np.bincount(towns.region, weights=towns.population, minlength=n)
        mine = np.bincount(towns.region[held], weights=towns.population[held], minlength=n)
        return np.divide(mine, total, out=np.zeros(n), where=total > 0)

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

    def record_events(
        self,
        regions: np.ndarray,
        actor: str,
        deaths: np.ndarray,
        targets: list[str],
        kind: str = "attack",
    ) -> None:
        """Record several events at once, in order (as ``record_event`` one at a time)."""
        if not len(targets):
            return
        if self._event_date[0] != self.steps:
            self._event_date = (self.steps, self.date)
        week, date, ids = self.steps, self._event_date[1], self.world.ids
        self.events.extend(
            (week, date, ids[r], actor, kind, target, d)
            for r, d, target in zip(regions.tolist(), deaths.tolist(), targets, strict=True)
        )

    def timeseries(self) -> pd.DataFrame:
        """Weekly outcomes so far: one row per week (week 0 is the initial state)."""
        if self.recorder is not None:
            return outcomes.weekly_frame(self.recorder.columns(), self.start_date)
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

    def breakouts_frame(self) -> pd.DataFrame:
        """Every breakout so far (a prison-week with escapes), one row each."""
        cols = ["week", "facility", "escapees", "joined_isis"]
        return pd.DataFrame(self.breakout_events, columns=cols).astype(
            {"week": "int64", "escapees": "int64", "joined_isis": "int64"}
        )

    def facilities_frame(self) -> pd.DataFrame:
        """The prisons and camps as they stand now, one row each, indexed by facility id."""
        det = self.detention
        return pd.DataFrame(
            {
                "region": [self.world.ids[r] for r in det.region],
                "holder": det.holder,
                "kind": np.where(det.is_camp, "camp", "prison"),
                "held": det.held,
                "iraqi_share": det.iraqi,
                "guards": det.guards,
            },
            index=pd.Index(det.ids, name="id"),
        )

    def regions_frame(self) -> pd.DataFrame:
        """The regions as they stand now, one row each, indexed by the scenario's region id.

        Columns: ``name``, ``country``, ``controller`` (who holds it now), ``population``, a
        ``<sect>_share`` of the population for each of the scenario's sects, ``isis_fighters``,
        ``forces`` (effective strength of the armed forces there), ``chaos``,
        ``active_share`` (share of potential recruits Epstein's rule made active in the latest
        week) and ``recruits``: ISIS recruits raised there by the recruitment phase since
        week 0. In Iraq they add up to the weekly ``isis_recruits_iraq``; in Syria to
        ``isis_recruits_syria`` less ``isis_fighters_freed`` (fighters freed from prisons and
        camps are not recruits). ``isis_town_share``: the share of the region's town population
        (``[[towns]]``) ISIS holds (0 where the region has no towns).
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
                "controller": list(self.regions.controller),
                "population": pop.astype(np.int64),
                **{f"{sect}_share": shares[:, k] for k, sect in enumerate(w.sects)},
                "isis_fighters": self.isis_by_region(),
                "forces": self.force_by_region(),
                "chaos": self.regions.chaos,
                "active_share": self.regions.active_share,
                "recruits": self.regions.recruits,
                "isis_town_share": self.town_share(),
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


def _override_key(spec: Scenario, key: str, value: Any) -> str:
    """The override a keyword argument stands for: a switch (or alias) or a parameter.

    A name that is both (``rival_absorption``) is the switch for a boolean, else the parameter.
    """
    switch = key in spec.mechanisms or key in MECHANISM_ALIASES
    if switch and (key not in spec.parameters or isinstance(value, bool)):
        return f"mechanisms.{key}"
    return key


def _reporter(name: str) -> Callable[[EscalationModel], float]:
    return lambda m: m.now[name]


def _routes(w: World, here: int) -> Routes | None:
    """Where a cell in ``here`` may move (``state.Routes``); None if there is no neighbour."""
    by_edge = w.segments.by_edge
    options = np.array([q for q in w.adjacency[here] if not w.external[q]], dtype=np.intp)
    if not len(options):
        return None
    segment = np.array([by_edge.get((here, int(q)), -1) for q in options], dtype=np.intp)
    towards = (w.dist_to_iraq[options] < w.dist_to_iraq[here]) | w.is_iraq[options]
    return options, segment, towards


def _check_complete(spec: Scenario, source: str) -> None:
    """Every parameter and switch the model reads, and no other: all the mistakes at once."""
    errors = [
        ConfigError(source, f"parameters.{name}", "required by the model but missing from the file")
        for name in sorted(REQUIRED_PARAMETERS - set(spec.parameters))
    ]
    errors += [
        ConfigError(source, f"parameters.{name}", "unknown parameter; the model reads no such name")
        for name in sorted(set(spec.parameters) - REQUIRED_PARAMETERS)
    ]
    errors += [
        ConfigError(source, f"mechanisms.{name}", "switch missing; allowed: true or false")
        for name in sorted(set(MECHANISMS) - set(spec.mechanisms))
    ]
    errors += [
        ConfigError(
            source, f"mechanisms.{name}", f"unknown mechanism; allowed: {', '.join(MECHANISMS)}"
        )
        for name in sorted(set(spec.mechanisms) - set(MECHANISMS))
    ]
    raise_errors(errors)
