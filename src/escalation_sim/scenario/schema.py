"""The scenario file's schema: regions, borders, actors, units, links, parameters, switches.

A scenario is data. Every record that carries numbers also carries a ``source`` (one citation or
stated assumption for all of its numbers) and optionally ``sources``, a table of per-field
citations that override it. Cross-references (a unit's region, a link's actors, a segment's
regions) are checked here so the model can trust what it is given.

An optional ``timeline`` schedules changes from data (``TimelineEntry``): at the start of a given
week (or of the week holding a given date) set a parameter, change a unit's strength, cohesion or
region, add a unit, or change who holds a region. Entries are checked against the rest of the
file (``Scenario._check_timeline``); the model applies them in its first weekly phase
(``escalation_sim.mechanisms.timeline``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Share = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
Ident = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=48)]

ROLES = ("iraq", "syrian_regime", "iran", "israel", "us", "isis", "hts")

#: Switch names that set several switches at once, with the meaning they had before those were
#: split (one switch per causal claim); accepted in scenario files and in overrides.
MECHANISM_ALIASES: dict[str, tuple[str, ...]] = {
    "isis_competition": ("isis_outbidding", "rival_absorption"),
    "decapitation": ("decapitation_strikes", "leadership_losses_2024"),
    "sectarian_backlash": ("sunni_syria_backlash", "militia_backlash"),
}


def expand_mechanism_aliases(mechs: dict[str, Any]) -> dict[str, Any]:
    """Switches with each alias replaced by the switches it sets; a switch named itself wins."""
    explicit = {name for name in mechs if name not in MECHANISM_ALIASES}
    out: dict[str, Any] = {}
    for name, value in mechs.items():
        for target in MECHANISM_ALIASES.get(name, (name,)):
            if target == name or target not in explicit:
                out[target] = value
    return out


class Record(BaseModel):
    """Base for every table in the file: no unknown keys, a source for its numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    source: str = Field(min_length=3, description="citation or stated assumption for the numbers")
    sources: dict[str, str] = Field(default_factory=dict, description="per-field citations")

    @model_validator(mode="after")
    def _sources_name_fields(self) -> Record:
        unknown = set(self.sources) - set(type(self).model_fields)
        if unknown:
            raise ValueError(
                f"sources names unknown field(s) {sorted(unknown)}; "
                f"allowed: {sorted(set(type(self).model_fields) - {'source', 'sources'})}"
            )
        return self


class Meta(BaseModel):
    """Scenario identity and time frame."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Ident
    title: str
    description: str = ""
    start_date: dt.date
    weeks: int = Field(ge=1, le=2000, description="default horizon in weekly steps")
    sects: tuple[Ident, ...] = Field(min_length=1, description="sect categories used in the file")


class Region(Record):
    """A node of the region network: an Iraqi district, a Syrian governorate or a border state."""

    id: Ident
    name: str
    country: Literal["IRQ", "SYR", "JOR", "IRN", "TUR", "ISR"]
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    external: bool = Field(False, description="a neighbouring state drawn as one border node")
    controller: Ident
    population: dict[Ident, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    hardship: Share = 0.0
    legitimacy: Share = 0.5
    former_isis: bool = Field(False, description="held by ISIS in 2014-2017")
    shrine: bool = Field(False, description="holds a Shia shrine Iraqi militias vow to defend")
    corridor: bool = Field(False, description="hub of Iran's land corridor")
    detainees: Annotated[int, Field(ge=0)] = 0
    camp: Annotated[int, Field(ge=0)] = 0
    guards: Share = Field(1.0, description="guard force at prisons/camps, 1 = full")
    detainees_iraqi: Share = Field(0.0, description="share of detainees who are Iraqi")
    camp_iraqi: Share = Field(0.0, description="share of camp residents who are Iraqi")


class Road(Record):
    """An undirected road, track or crossing between two regions (not the Iraq-Syria border)."""

    a: Ident
    b: Ident
    name: str = ""
    kind: Literal["road", "track", "crossing", "border"] = "road"


class BorderSegment(Record):
    """A segment of the Iraq-Syria border: an edge between an Iraqi and a Syrian region."""

    id: Ident
    iraq_region: Ident
    syria_region: Ident
    length_km: Annotated[float, Field(gt=0)]
    wall: Share = Field(description="share of the segment walled (concrete wall, trench)")
    surveillance: Share = Field(description="thermal cameras, towers, drones; 1 = fully watched")
    garrison: NonNeg = Field(description="border brigades on the segment")
    crossing: str = ""
    smuggling_corridor: bool = False


class Actor(Record):
    """An organisation or state: the relational network's node."""

    id: Ident
    name: str
    kind: Literal["state", "militia", "insurgent", "rebel"]
    affinity: dict[Ident, Share]


class Link(Record):
    """A relation between two actors: command (with strength and autonomy), alliance, hostility."""

    from_: Ident = Field(alias="from")
    to: Ident
    kind: Literal["command", "alliance", "hostility"]
    strength: Share
    autonomy: Share = Field(0.0, description="command only: how far the subordinate acts alone")
    formal: bool = Field(False, description="command only: the legal chain of command")


class Unit(Record):
    """A placed force: an army formation, a militia, a rebel force or ISIS cells."""

    id: Ident
    actor: Ident
    kind: Literal["army", "militia", "insurgent", "rebel", "foreign"]
    role: Literal["garrison", "border", "expeditionary", "launcher", "field"] = Field(
        "garrison",
        description="expeditionary units deploy abroad when ordered; launchers fire at Israel",
    )
    region: Ident
    home: Ident | None = Field(None, description="where the unit returns when ordered home")
    strength: Annotated[int, Field(ge=1)]
    cohesion: Share
    cells: Annotated[int, Field(ge=1)] = Field(1, description="split into this many agents")
    iraqi_share: Share = Field(0.0, description="insurgent cells: share of Iraqi origin")
    affinity: dict[Ident, Share] | None = None


class Parameter(Record):
    """A mechanism parameter with its allowed range."""

    value: float | int
    min: float | int
    max: float | int
    doc: str = Field(min_length=3)
    unit: str = ""

    @field_validator("value", "min", "max", mode="before")
    @classmethod
    def _no_bool(cls, v: object) -> object:
        return _not_bool(v)

    @model_validator(mode="after")
    def _in_range(self) -> Parameter:
        if self.min > self.max:
            raise ValueError(f"min {self.min} > max {self.max}")
        if not self.min <= self.value <= self.max:
            raise ValueError(f"value {self.value} outside its range [{self.min}, {self.max}]")
        return self

    @property
    def is_int(self) -> bool:
        """True when the parameter takes integers only (value, min and max are all integers)."""
        return all(isinstance(x, int) for x in (self.value, self.min, self.max))


#: What a timeline entry can do, and the fields each action needs.
TIMELINE_ACTIONS: dict[str, tuple[str, ...]] = {
    "set_parameter": ("parameter", "value"),
    "set_unit": ("unit",),
    "add_unit": ("add",),
    "set_controller": ("region", "controller"),
}

#: Parameters a timeline may not change mid-run: read only when the model is built, or
#: (``syria_collapse_week``) a schedule that a timeline expresses with its own dated entries.
INIT_ONLY_PARAMETERS = frozenset(
    {
        "recruit_sample",
        "escalation_window",
        "isis_leadership_cohesion_2024",
        "hts_offensive_momentum",
        "syria_collapse_week",
    }
)


class TimelineEntry(Record):
    """A scheduled change, applied at the start of ``week`` or of the week holding ``date``.

    Actions (``TIMELINE_ACTIONS``): ``set_parameter`` (``parameter``, ``value``); ``set_unit``
    (``unit`` and any of ``strength``, ``cohesion``, ``region``); ``add_unit`` (``add``, a unit
    table like those under ``[[units]]``); ``set_controller`` (``region``, ``controller``).
    """

    date: dt.date | None = None
    week: Annotated[int, Field(ge=1)] | None = Field(
        None, description="week 1 is the first step, ending 7 days after start_date"
    )
    action: Literal["set_parameter", "set_unit", "add_unit", "set_controller"]
    note: str = ""
    parameter: Ident | None = None
    value: float | int | None = None
    unit: Ident | None = None
    strength: Annotated[int, Field(ge=1)] | None = None
    cohesion: Share | None = None
    region: Ident | None = None
    controller: Ident | None = None
    add: Unit | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _no_bool(cls, v: object) -> object:
        return _not_bool(v)

    @model_validator(mode="after")
    def _fields_fit_action(self) -> TimelineEntry:
        if (self.date is None) == (self.week is None):
            raise ValueError("give exactly one of date or week")
        needed = TIMELINE_ACTIONS[self.action]
        missing = [f for f in needed if getattr(self, f) is None]
        if missing:
            raise ValueError(f"action {self.action} needs {', '.join(missing)}")
        allowed = set(needed) | (
            {"strength", "cohesion", "region"} if self.action == "set_unit" else set()
        )
        optional = (
            "parameter",
            "value",
            "unit",
            "strength",
            "cohesion",
            "region",
            "controller",
            "add",
        )
        extra = [f for f in optional if getattr(self, f) is not None and f not in allowed]
        if extra:
            raise ValueError(
                f"action {self.action} takes no {', '.join(extra)}; "
                f"it takes {', '.join(sorted(allowed))}"
            )
        if self.action == "set_unit" and not any(
            getattr(self, f) is not None for f in ("strength", "cohesion", "region")
        ):
            raise ValueError("action set_unit needs at least one of strength, cohesion, region")
        return self


class Scenario(BaseModel):
    """A whole scenario file, validated and cross-checked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    meta: Meta
    roles: dict[str, Ident] = Field(description="which actor plays each role the mechanisms name")
    references: dict[str, str] = Field(default_factory=dict)
    regions: tuple[Region, ...] = Field(min_length=2)
    roads: tuple[Road, ...] = ()
    border_segments: tuple[BorderSegment, ...] = ()
    actors: tuple[Actor, ...] = Field(min_length=1)
    links: tuple[Link, ...] = ()
    units: tuple[Unit, ...] = ()
    parameters: dict[Ident, Parameter]
    mechanisms: dict[Ident, bool]
    timeline: tuple[TimelineEntry, ...] = ()

    @field_validator("mechanisms", mode="before")
    @classmethod
    def _expand_aliases(cls, value: Any) -> Any:
        return expand_mechanism_aliases(value) if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        sects = set(self.meta.sects)
        regions = {r.id: r for r in self.regions}
        actors = {a.id for a in self.actors}
        _unique("regions", [r.id for r in self.regions])
        _unique("actors", [a.id for a in self.actors])
        _unique("units", [u.id for u in self.units])
        _unique("border_segments", [s.id for s in self.border_segments])
        missing = [role for role in ROLES if role not in self.roles]
        if missing:
            raise ValueError(f"roles: missing role(s) {missing}; required: {list(ROLES)}")
        for role, actor in self.roles.items():
            _known(f"roles.{role}", role, set(ROLES))
            _known(f"roles.{role}", actor, actors)
        for r in self.regions:
            _known(f"regions[{r.id}].controller", r.controller, actors)
            _keys(f"regions[{r.id}].population", r.population, sects)
        for a in self.actors:
            _keys(f"actors[{a.id}].affinity", a.affinity, sects)
        for i, road in enumerate(self.roads):
            _known(f"roads[{i}].a", road.a, regions)
            _known(f"roads[{i}].b", road.b, regions)
        for s in self.border_segments:
            _known(f"border_segments[{s.id}].iraq_region", s.iraq_region, regions)
            _known(f"border_segments[{s.id}].syria_region", s.syria_region, regions)
            if regions[s.iraq_region].country != "IRQ":
                raise ValueError(f"border_segments[{s.id}].iraq_region: must be an Iraqi region")
            if regions[s.syria_region].country != "SYR":
                raise ValueError(f"border_segments[{s.id}].syria_region: must be a Syrian region")
        for i, link in enumerate(self.links):
            _known(f"links[{i}].from", link.from_, actors)
            _known(f"links[{i}].to", link.to, actors)
        for u in self.units:
            _check_unit(f"units[{u.id}]", u, regions, actors, sects)
        self._check_timeline(regions, actors)
        return self

    def _check_timeline(self, regions: dict, actors: set[str]) -> None:
        """Check every timeline entry against the regions, actors, units and parameters."""
        units = {u.id: u for u in self.units}
        isis = self.roles.get("isis")
        for i, e in enumerate(self.timeline):
            at = f"timeline[{i}]"
            if e.date is not None and e.date < self.meta.start_date:
                raise ValueError(f"{at}.date: {e.date} is before start_date {self.meta.start_date}")
            if e.action == "set_parameter":
                assert (
                    e.parameter is not None and e.value is not None
                )  # required for this action by TimelineEntry
                _known(f"{at}.parameter", e.parameter, self.parameters)
                if e.parameter in INIT_ONLY_PARAMETERS:
                    raise ValueError(
                        f"{at}.parameter: {e.parameter} is read only when the model is built; "
                        "set it in [parameters] instead"
                    )
                spec = self.parameters[e.parameter]
                if spec.is_int and not float(e.value).is_integer():
                    raise ValueError(f"{at}.value: {e.parameter} takes integers (got {e.value})")
                if not spec.min <= e.value <= spec.max:
                    raise ValueError(
                        f"{at}.value: {e.value} is out of range; allowed: {spec.min} to {spec.max}"
                    )
            elif e.action == "set_unit":
                assert e.unit is not None  # required for this action by TimelineEntry
                _known(f"{at}.unit", e.unit, units)
                if units[e.unit].actor == isis:
                    raise ValueError(
                        f"{at}.unit: {e.unit} is an ISIS unit, split into cells when the model is "
                        "built; use add_unit to add fighters"
                    )
                if e.region is not None:
                    _known(f"{at}.region", e.region, regions)
            elif e.action == "add_unit":
                u = e.add
                assert u is not None  # required for this action by TimelineEntry
                if u.id in units:
                    raise ValueError(f"{at}.add.id: unit id '{u.id}' is already used")
                _check_unit(f"{at}.add", u, regions, actors, set(self.meta.sects))
                units[u.id] = u
            else:
                assert (
                    e.region is not None and e.controller is not None
                )  # required for this action by TimelineEntry
                _known(f"{at}.region", e.region, regions)
                if regions[e.region].external:
                    raise ValueError(
                        f"{at}.region: {e.region} is a border state, not held by units"
                    )
                _known(f"{at}.controller", e.controller, actors | {"ungoverned"})

    def timeline_week(self, entry: TimelineEntry) -> int:
        """The week an entry applies at: its ``week``, or the week whose span holds its date."""
        if entry.week is not None:
            return entry.week
        assert entry.date is not None  # a week or a date, by TimelineEntry
        return (entry.date - self.meta.start_date).days // 7 + 1

    # Convenience look-ups used by the model and the docs.
    def region(self, region_id: str) -> Region:
        """Return the region with this id."""
        return next(r for r in self.regions if r.id == region_id)

    def actor(self, actor_id: str) -> Actor:
        """Return the actor with this id."""
        return next(a for a in self.actors if a.id == actor_id)


def _not_bool(v: object) -> object:
    """TOML's true/false must not pass for the numbers 1 and 0."""
    if isinstance(v, bool):
        raise ValueError("must be a number, not true/false")
    return v


def _unique(table: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"{table}: id '{i}' appears twice; ids must be unique")
        seen.add(i)


def _known(field: str, value: str, allowed: set[str] | dict) -> None:
    if value not in allowed:
        shown = ", ".join(sorted(allowed)[:12]) + (", ..." if len(allowed) > 12 else "")
        raise ValueError(f"{field}: unknown id '{value}'; allowed: {shown}")


def _check_unit(at: str, u: Unit, regions: dict, actors: set[str], sects: set[str]) -> None:
    """A unit's references (actor, region, home, sects) and its cells, named ``at.<field>``."""
    _known(f"{at}.actor", u.actor, actors)
    _known(f"{at}.region", u.region, regions)
    if u.home is not None:
        _known(f"{at}.home", u.home, regions)
    if u.affinity is not None:
        _keys(f"{at}.affinity", u.affinity, sects)
    if u.cells > u.strength:
        raise ValueError(f"{at}.cells: {u.cells} cells > strength {u.strength}")


def _keys(field: str, mapping: dict, allowed: set[str]) -> None:
    unknown = set(mapping) - allowed
    if unknown:
        raise ValueError(f"{field}: unknown sect(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
