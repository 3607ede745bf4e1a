"""The scenario file's schema: regions, borders, actors, units, links, parameters, switches.

A scenario is data. Every record that carries numbers also carries a ``source`` (one citation or
stated assumption for all of its numbers) and optionally ``sources``, a table of per-field
citations that override it. Cross-references (a unit's region, a link's actors, a segment's
regions) are checked here so the model can trust what it is given.

Mistakes are collected, not raised one by one: pydantic reports every field that breaks its type
or range, and ``cross_check`` reports every broken reference, duplicate, self-loop, isolated
region and magnitude past a cap (``CAPS``), each as ``(field, message)``. The loader turns them
into one ``ConfigError`` line each. ``docs/scenario.md`` is generated from this module
(``python -m escalation_sim.scenario.reference``): field descriptions and ``unit`` extras are
its text.

An optional ``timeline`` schedules changes from data (``TimelineEntry``): at the start of a given
week (or of the week holding a given date) set a parameter, change a unit's strength, cohesion or
region, add a unit, or change who holds a region. Entries are checked against the rest of the
file; the model applies them in its first weekly phase (``escalation_sim.mechanisms.timeline``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal, TypeGuard

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: Caps on magnitudes, so that no file can make a run hang or grow memory without bound. Each is
#: stated in docs/scenario.md and in the error that enforces it.
MAX_POPULATION = 10**9  # people in one region, all sects together
MAX_STRENGTH = 10**7  # fighters in one unit
MAX_CELLS_UNIT = 10_000  # agents one ISIS unit is split into
MAX_AGENTS = 100_000  # agents of all units and added units together (one per unit, ISIS: cells)
MAX_DETAINEES = 10**7  # detainees or camp residents in one region
MAX_SEGMENT_KM = 10_000.0  # length of one border segment
MAX_PARAMETER = 10**5  # magnitude of a parameter's value, min and max
MAX_WEEKS = 2000  # weeks of one run (meta.weeks, --weeks, a timeline entry's week)
MAX_FILE_BYTES = 16 * 2**20  # size of a scenario or experiment file, checked before reading
MAX_TOML_DEPTH = 64  # nesting of tables and arrays in a TOML file

CAPS: dict[str, tuple[int | float, str]] = {
    "MAX_POPULATION": (MAX_POPULATION, "people in one region (all sects together)"),
    "MAX_STRENGTH": (MAX_STRENGTH, "fighters in one unit"),
    "MAX_CELLS_UNIT": (MAX_CELLS_UNIT, "cells (agents) one ISIS unit is split into"),
    "MAX_AGENTS": (
        MAX_AGENTS,
        "agents of all units together (a unit is one, an ISIS unit its cells)",
    ),
    "MAX_DETAINEES": (MAX_DETAINEES, "detainees, or camp residents, in one region"),
    "MAX_SEGMENT_KM": (MAX_SEGMENT_KM, "km, length of one border segment"),
    "MAX_PARAMETER": (
        MAX_PARAMETER,
        "magnitude of a parameter's value, min and max (with the other caps, it keeps the "
        "weekly Poisson rates of attacks and recruits below numpy's limit of about 9.2 x 10^18)",
    ),
    "MAX_WEEKS": (MAX_WEEKS, "weeks of one run (meta.weeks, run --weeks, a timeline week)"),
    "MAX_FILE_BYTES": (MAX_FILE_BYTES, "bytes of a scenario or experiment file"),
    "MAX_TOML_DEPTH": (MAX_TOML_DEPTH, "levels of nested tables and arrays in a TOML file"),
}

Share = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
Ident = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=48)]
People = Annotated[int, Field(ge=0)]  # the cap is on a region's total (cross_check)
Held = Annotated[int, Field(ge=0, le=MAX_DETAINEES)]

ROLES = ("iraq", "syrian_regime", "iran", "israel", "us", "isis", "hts")

#: The actor kinds each role may name: the mechanisms treat the role's actor as this kind of
#: organisation (a state's forces, ISIS's cells, HTS's offensive).
ROLE_KINDS: dict[str, tuple[str, ...]] = {
    "iraq": ("state",),
    "syrian_regime": ("state",),
    "iran": ("state",),
    "israel": ("state",),
    "us": ("state",),
    "isis": ("insurgent",),
    "hts": ("rebel",),
}

#: Bounds the model's formulas put on some parameters, whatever range a file declares: a
#: parameter's ``min`` may not go below the first number nor its ``max`` above the second.
MODEL_LIMITS: dict[str, tuple[float | None, float | None, str]] = {
    "isis_cell_size": (1, None, "fighters per cell, a divisor"),
    "ct_half": (1, None, "a half-saturation constant, a divisor"),
    "backlash_norm": (1, None, "a divisor"),
    "recruit_presence_half": (1, None, "a half-saturation constant, a divisor"),
    "garrison_full": (0.01, None, "brigades per 100 km, a divisor"),
    "border_hardening_2024": (0.01, 0.99, "the lever's anchor, divides by it and by 1 minus it"),
    "resurgence_weeks": (1, None, "the length of a moving window"),
    "escalation_window": (1, None, "the length of a moving window"),
    "recruit_sample": (1, None, "agents per region in the recruitment sample"),
    "hts_axes": (1, None, "fronts a week"),
    "deaths_alpha": (1.01, None, "a tail exponent, divides by deaths_alpha - 1"),
}

#: A controller that is no actor: a region nobody holds (timeline ``set_controller`` only).
UNGOVERNED = "ungoverned"

_STRICT = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _unit(unit: str) -> dict[str, Any]:
    """Field extra naming the unit of a number (read by the reference generator)."""
    return {"unit": unit}


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

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )

    source: str = Field(min_length=3, description="citation or stated assumption for the numbers")
    sources: dict[str, str] = Field(
        default_factory=dict, description="per-field citations that override `source`"
    )

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
    """Scenario identity and time frame (the ``[meta]`` table)."""

    model_config = _STRICT

    name: Ident = Field(description="the scenario's id, used in output files and `--scenario`")
    title: str = Field(description="one-line title shown by `escalation-sim scenarios`")
    description: str = Field("", description="a paragraph on what the scenario describes")
    start_date: dt.date = Field(
        description="calendar date of week 0; week k ends 7 k days later (run --weeks and "
        "timeline dates count from it)"
    )
    weeks: int = Field(
        ge=1,
        le=MAX_WEEKS,
        description="default horizon in weekly steps",
        json_schema_extra=_unit("weeks"),
    )
    sects: tuple[Ident, ...] = Field(
        min_length=1,
        description="sect categories used in the file: the keys of populations and affinities",
    )
    border_length_km: float = Field(
        610.0,
        gt=0,
        le=MAX_SEGMENT_KM * 100,
        description="length of the whole Iraq-Syria border; `check` warns when the segments' "
        "lengths do not add up to it (default 610 km, the analysis of early December 2024)",
        json_schema_extra=_unit("km"),
    )
    hindcast: bool = Field(
        False,
        description="the scenario replays the record: its timeline may hold only what was "
        "decided outside the model's ISIS and the state forces it starts with (no ISIS unit "
        "added or changed, no starting state unit's strength or cohesion set, no region handed "
        "over, only parameters marked `exogenous`); tests/test_hindcast_endogenous.py checks it",
    )
    parameters_from: str | None = Field(
        None,
        description="a bundled scenario whose `[parameters]` and `[mechanisms]` fill in every "
        "parameter and switch this file leaves out (a file need then list only what it changes)",
    )
    extends: str | None = Field(
        None,
        description="a bundled scenario this file changes: every table it leaves out (roles, "
        "regions, roads, border segments, actors, links, units) and every `[meta]` field, "
        "reference, parameter and switch it does not give come from that scenario, and that "
        "scenario's timeline runs before this file's (a file need then list only its "
        "differences)",
    )


class Region(Record):
    """A node of the region network: an Iraqi district, a Syrian governorate or a border state."""

    id: Ident = Field(description="the region's id, used by roads, segments, units and timeline")
    name: str = Field(description="name shown in figures and the browser")
    country: Literal["IRQ", "SYR", "JOR", "IRN", "TUR", "ISR"] = Field(
        description="ISO code; IRQ and SYR regions are the theatre, the others border states"
    )
    lon: float = Field(
        ge=-180,
        le=180,
        description="longitude of the map point",
        json_schema_extra=_unit("degrees"),
    )
    lat: float = Field(
        ge=-90, le=90, description="latitude of the map point", json_schema_extra=_unit("degrees")
    )
    external: bool = Field(
        False,
        description="a neighbouring state drawn as one border node: routes and strikes only, "
        "no units, no recruitment",
    )
    controller: Ident = Field(description="the actor holding the region at week 0")
    population: dict[Ident, People] = Field(
        default_factory=dict,
        description=f"people by sect (keys from meta.sects); the recruitment pool (at most "
        f"{MAX_POPULATION:,} in one region)",
        json_schema_extra=_unit("people"),
    )
    hardship: Share = Field(
        0.0, description="economic hardship, the grievance term of recruitment (Epstein 2002)"
    )
    legitimacy: Share = Field(
        0.5, description="perceived legitimacy of the ruler; low legitimacy feeds recruitment"
    )
    former_isis: bool = Field(
        False, description="held by ISIS in 2014-2017: draws ISIS movement (mechanism 11)"
    )
    shrine: bool = Field(
        False, description="holds a Shia shrine Iraqi militias vow to defend (mechanism 8)"
    )
    corridor: bool = Field(False, description="hub of Iran's land corridor to Syria and Lebanon")
    detainees: Held = Field(
        0,
        description="older form of [[facilities]]: ISIS detainees held in the region's "
        "prisons, one prison held by the region's controller",
        json_schema_extra=_unit("people"),
    )
    camp: Held = Field(
        0,
        description="older form of [[facilities]]: residents of camps for ISIS families, one "
        "camp held by the region's controller",
        json_schema_extra=_unit("people"),
    )
    guards: Share = Field(
        1.0,
        description="older form: guard force of the region's prison and camp, 1 = full",
    )
    detainees_iraqi: Share = Field(0.0, description="share of detainees who are Iraqi")
    camp_iraqi: Share = Field(0.0, description="share of camp residents who are Iraqi")


class Town(Record):
    """A town inside a region whose control can change hands (mechanism ``town_control``).

    Regions are governorate-sized; a town is the scale at which ISIS took and lost ground in
    2014-2017 (Fallujah, Mosul, Tikrit, Hit...). Its holder changes by the engagement rule of the
    towns phase; a region's controlled share is the population share of its towns each holds.
    """

    id: Ident = Field(description="the town's id")
    name: str = Field(description="name shown in figures and the browser")
    region: Ident = Field(description="the region it lies in (Iraq or Syria, not a border state)")
    population: Annotated[int, Field(ge=1, le=MAX_POPULATION)] = Field(
        description="people in the town (before 2014 where it changed hands since); at most the "
        "region's population",
        json_schema_extra=_unit("people"),
    )
    lon: float = Field(
        ge=-180, le=180, description="longitude of the town", json_schema_extra=_unit("degrees")
    )
    lat: float = Field(
        ge=-90, le=90, description="latitude of the town", json_schema_extra=_unit("degrees")
    )
    controller: Ident | None = Field(
        None, description="who holds it at week 0 (default: the region's controller)"
    )


class Facility(Record):
    """A prison or camp holding ISIS detainees or families, guarded by its holder's guards."""

    id: Ident = Field(description="the facility's id, used in breakout events")
    name: str = Field(description="name shown in events and figures")
    kind: Literal["prison", "camp"] = Field(
        description="prison: suspected fighters (escapes, transfers); camp: ISIS families "
        "(recruitment when guards thin, repatriation)"
    )
    region: Ident = Field(description="the region it stands in (not a border state)")
    holder: Ident = Field(
        description="the actor whose guards hold it: a collapse of that actor erodes them "
        "(collapse_guard_loss); an SDF-like holder (kind rebel, not the hts role) loses them "
        "by sdf_guard_loss a week"
    )
    held: Held = Field(
        description="people held at week 0 (detainees in a prison, residents in a camp)",
        json_schema_extra=_unit("people"),
    )
    iraqi_share: Share = Field(
        0.0, description="share of those held who are Iraqi (repatriation and transfer take them)"
    )
    guards: Share = Field(
        1.0,
        description="guard force at week 0, 1 = full (escapes grow as it thins); guards recover "
        "towards it at guard_recovery_rate",
    )


class Road(Record):
    """An undirected road, track or crossing between two regions (not the Iraq-Syria border)."""

    a: Ident = Field(description="one end (a region id); the road is named `roads[a--b]`")
    b: Ident = Field(description="the other end (a region id)")
    name: str = Field("", description="name of the road or crossing")
    kind: Literal["road", "track", "crossing", "border"] = Field(
        "road", description="what kind of link; all kinds are one hop of the network"
    )


class BorderSegment(Record):
    """A segment of the Iraq-Syria border: an edge between an Iraqi and a Syrian region."""

    id: Ident = Field(description="the segment's id")
    iraq_region: Ident = Field(description="the Iraqi region on this side (country IRQ)")
    syria_region: Ident = Field(description="the Syrian region on the other side (country SYR)")
    length_km: Annotated[float, Field(gt=0, le=MAX_SEGMENT_KM)] = Field(
        description="length of the segment; the segments together make the border "
        "(meta.border_length_km)",
        json_schema_extra=_unit("km"),
    )
    wall: Share = Field(
        description="share of the segment walled (concrete wall, trench) at border_hardening_2024"
    )
    surveillance: Share = Field(
        description="thermal cameras, towers, drones at border_hardening_2024; 1 = fully watched"
    )
    garrison: NonNeg = Field(
        description="border brigades on the segment at border_hardening_2024 (garrison_full "
        "brigades per 100 km is a full garrison)",
        json_schema_extra=_unit("brigades"),
    )
    crossing: str = Field("", description="name of an official crossing on the segment")
    smuggling_corridor: bool = Field(
        False, description="a smuggling corridor: detection is reduced by corridor_leak"
    )


class Actor(Record):
    """An organisation or state: the relational network's node."""

    id: Ident = Field(description="the actor's id, named by roles, units, links and controllers")
    name: str = Field(description="name shown in figures")
    kind: Literal["state", "militia", "insurgent", "rebel"] = Field(
        description="what the mechanisms treat it as (a role needs a kind of actor: see [roles])"
    )
    affinity: dict[Ident, Share] = Field(
        description="sectarian profile over meta.sects, e.g. { sunni_arab = 1.0 }; drives "
        "recruitment, legitimacy of a new ruler and whom militias defend"
    )


class Link(Record):
    """A relation between two actors: command (with strength and autonomy), alliance, hostility."""

    from_: Ident = Field(
        alias="from",
        description="command: the subordinate, whose forces take orders; else the first actor "
        "(the link is named `links[from->to]`)",
    )
    to: Ident = Field(description="command: the commander; else the second actor")
    kind: Literal["command", "alliance", "hostility"] = Field(
        description="command: `to` can order the forces of `from` (mechanism 7); alliance or "
        "hostility: a relation from `from` to `to`"
    )
    strength: Share = Field(description="how strong the tie is (command: how far orders bind)")
    autonomy: Share = Field(0.0, description="command only: how far the subordinate acts alone")
    formal: bool = Field(False, description="command only: the legal chain of command")


class Unit(Record):
    """A placed force: an army formation, a militia, a rebel force or ISIS cells."""

    id: Ident = Field(description="the unit's id, named by timeline set_unit")
    actor: Ident = Field(description="the actor it belongs to")
    kind: Literal["army", "militia", "insurgent", "rebel", "foreign"] = Field(
        description="what kind of force (foreign: a state's troops abroad, e.g. US forces)"
    )
    role: Literal["garrison", "border", "expeditionary", "launcher", "field"] = Field(
        "garrison",
        description="expeditionary units deploy abroad when ordered; launchers fire at Israel",
    )
    region: Ident = Field(description="where it stands at week 0 (not a border state)")
    home: Ident | None = Field(None, description="where the unit returns when ordered home")
    strength: Annotated[int, Field(ge=1, le=MAX_STRENGTH)] = Field(
        description=f"fighters (at most {MAX_STRENGTH:,})", json_schema_extra=_unit("fighters")
    )
    cohesion: Share = Field(description="how far the unit holds together under losses and orders")
    cells: Annotated[int, Field(ge=1, le=MAX_CELLS_UNIT)] = Field(
        1,
        description=f"ISIS units: split into this many cells, each an agent (at most "
        f"{MAX_CELLS_UNIT:,}, and no more than strength)",
        json_schema_extra=_unit("agents"),
    )
    iraqi_share: Share = Field(0.0, description="insurgent cells: share of Iraqi origin")
    affinity: dict[Ident, Share] | None = Field(
        None, description="the unit's own sectarian profile (default: its actor's)"
    )


class Parameter(Record):
    """A mechanism parameter with its allowed range."""

    value: float | int = Field(description="the value runs use unless overridden (`--set`)")
    min: float | int = Field(description="smallest value an override or sweep may set")
    max: float | int = Field(description="largest value an override or sweep may set")
    doc: str = Field(min_length=3, description="what the parameter means in the model")
    unit: str = Field("", description="unit of value, min and max")
    exogenous: bool = Field(
        False,
        description="exogenous context (a decision of an outside actor or of Iraqi government "
        "policy, the course of Syria's war): a hindcast's timeline may set it by date",
    )

    @field_validator("value", "min", "max", mode="before")
    @classmethod
    def _no_bool(cls, v: object) -> object:
        return _not_bool(v)

    @model_validator(mode="after")
    def _in_range(self) -> Parameter:
        for name in ("value", "min", "max"):
            x = getattr(self, name)
            if not math.isfinite(x) or abs(x) > MAX_PARAMETER:
                raise ValueError(
                    f"{name} {x} is past the cap; allowed: finite numbers from "
                    f"-{MAX_PARAMETER:,} to {MAX_PARAMETER:,}"
                )
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
        "momentum_weeks",
    }
)


class TimelineEntry(Record):
    """A scheduled change, applied at the start of ``week`` or of the week holding ``date``.

    Actions (``TIMELINE_ACTIONS``): ``set_parameter`` (``parameter``, ``value``); ``set_unit``
    (``unit`` and any of ``strength``, ``cohesion``, ``region``); ``add_unit`` (``add``, a unit
    table like those under ``[[units]]``); ``set_controller`` (``region``, ``controller``).
    """

    date: dt.date | None = Field(
        None, description="apply at the start of the week holding this date (or give week)"
    )
    week: Annotated[int, Field(ge=1, le=MAX_WEEKS)] | None = Field(
        None,
        description="apply at the start of this week; week 1 is the first step, ending 7 days "
        "after start_date",
        json_schema_extra=_unit("week"),
    )
    action: Literal["set_parameter", "set_unit", "add_unit", "set_controller"] = Field(
        description="what the entry does (the fields each action takes: see Timeline actions)"
    )
    note: str = Field("", description="what happened, in words")
    parameter: Ident | None = Field(None, description="set_parameter: the parameter's name")
    value: float | int | None = Field(
        None, description="set_parameter: the new value, inside the parameter's range"
    )
    unit: Ident | None = Field(None, description="set_unit: the unit's id (not an ISIS unit)")
    strength: Annotated[int, Field(ge=1, le=MAX_STRENGTH)] | None = Field(
        None, description="set_unit: new strength", json_schema_extra=_unit("fighters")
    )
    cohesion: Share | None = Field(None, description="set_unit: new cohesion")
    region: Ident | None = Field(
        None, description="set_unit: where the unit moves; set_controller: the region"
    )
    controller: Ident | None = Field(
        None, description="set_controller: the new holder, an actor or `ungoverned`"
    )
    add: Unit | None = Field(None, description="add_unit: a unit table like those of [[units]]")

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

    model_config = _STRICT

    meta: Meta = Field(description="identity and time frame")
    roles: dict[str, Ident] = Field(description="which actor plays each role the mechanisms name")
    references: dict[str, str] = Field(
        default_factory=dict, description="citation keys that `source` fields may name"
    )
    regions: tuple[Region, ...] = Field(min_length=2, description="the region network's nodes")
    roads: tuple[Road, ...] = Field((), description="edges between regions, besides the border")
    border_segments: tuple[BorderSegment, ...] = Field(
        (), description="the Iraq-Syria border, segment by segment (edges of the network)"
    )
    actors: tuple[Actor, ...] = Field(min_length=1, description="states and armed organisations")
    links: tuple[Link, ...] = Field((), description="the relational network between actors")
    facilities: tuple[Facility, ...] = Field(
        (),
        description="prisons and camps, each with its holder and guards (regions' `detainees` "
        "and `camp` are the older form: a file uses one or the other)",
    )
    units: tuple[Unit, ...] = Field((), description="forces placed on the network at week 0")
    towns: tuple[Town, ...] = Field(
        (), description="towns inside regions whose control can change hands (town_control)"
    )
    parameters: dict[Ident, Parameter] = Field(description="mechanism parameters with ranges")
    mechanisms: dict[Ident, bool] = Field(description="mechanism switches (on or off)")
    timeline: tuple[TimelineEntry, ...] = Field((), description="dated changes during a run")

    @field_validator("mechanisms", mode="before")
    @classmethod
    def _expand_aliases(cls, value: Any) -> Any:
        return expand_mechanism_aliases(value) if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        problems = cross_check(self.model_dump(by_alias=True))
        if problems:
            raise ScenarioProblems(problems)
        return self

    @classmethod
    def raw_problems(cls, data: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Cross-reference problems of a parsed file whose fields may not all be valid."""
        return cross_check(data)

    def timeline_week(self, entry: TimelineEntry) -> int:
        """The week an entry applies at: its ``week``, or the week whose span holds its date."""
        if entry.week is not None:
            return entry.week
        assert entry.date is not None  # an entry has one of date or week (validated)
        return (entry.date - self.meta.start_date).days // 7 + 1

    # Convenience look-ups used by the model and the docs.
    def region(self, region_id: str) -> Region:
        """Return the region with this id."""
        return next(r for r in self.regions if r.id == region_id)

    def actor(self, actor_id: str) -> Actor:
        """Return the actor with this id."""
        return next(a for a in self.actors if a.id == actor_id)


class ScenarioProblems(ValueError):
    """Every cross-reference problem of a scenario, as ``(field, message)`` pairs.

    Raised inside pydantic's validation, which keeps it as the error's context, so the loader
    can report each problem on its own line.
    """

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{f}: {m}" for f, m in problems))


# ---------------------------------------------------------------------------------------------
# Cross-checks over the parsed file (a mapping), tolerant of records that failed their own
# validation, so a file with field errors still gets its broken references reported too.

Problems = list[tuple[str, str]]


def record_label(table: str, record: Mapping[str, Any], index: int) -> str:
    """How a record is named in errors: ``regions[sinjar]``, ``roads[a--b]``, ``links[a->b]``."""
    if table == "roads" and isinstance(record.get("a"), str) and isinstance(record.get("b"), str):
        return f"roads[{record['a']}--{record['b']}]"
    if (
        table == "links"
        and isinstance(record.get("from"), str)
        and isinstance(record.get("to"), str)
    ):
        return f"links[{record['from']}->{record['to']}]"
    rid = record.get("id")
    return f"{table}[{rid if isinstance(rid, str) else index}]"


def allowed_ids(value: object, allowed: Iterable[str]) -> str:
    """``did you mean 'mosul'?`` for a near miss, else the full sorted list of allowed ids."""
    pool = sorted(set(allowed))
    near = difflib.get_close_matches(str(value), pool, n=3, cutoff=0.6)
    if near:
        return "did you mean " + " or ".join(f"'{n}'" for n in near) + "?"
    return "allowed: " + (", ".join(pool) if pool else "none (the table is empty)")


def _records(data: Mapping[str, Any], table: str) -> list[tuple[str, dict[str, Any]]]:
    rows = data.get(table)
    if not isinstance(rows, list | tuple):
        return []
    return [
        (record_label(table, r, i), dict(r)) for i, r in enumerate(rows) if isinstance(r, Mapping)
    ]


def _ids(data: Mapping[str, Any], table: str) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for _, r in _records(data, table) if isinstance(r.get("id"), str)}


def cross_check(data: Mapping[str, Any]) -> Problems:
    """Every problem between the records of a scenario, as ``(field, message)`` pairs.

    Checks: unique ids and sects; roles present, known, distinct and of the right kind
    (``ROLE_KINDS``); every reference to a region, actor, unit or sect; roads and links without
    self-loops or duplicates; segments between an Iraqi and a Syrian region, one per pair; no
    unit in a border state; no region that no road or segment reaches, and one network (no part
    cut off from the rest); facilities in the theatre, held by known actors; populations, cells and
    dates within ``CAPS``; timeline entries against all of these.
    """
    out: Problems = []
    meta: Mapping[str, Any] = data["meta"] if isinstance(data.get("meta"), Mapping) else {}
    sect_list = [s for s in meta.get("sects") or () if isinstance(s, str)]
    sects = set(sect_list)
    for sect, n in Counter(sect_list).items():
        if n > 1:
            out.append(("meta.sects", f"sect '{sect}' is listed {n} times; list each once"))
    regions = _ids(data, "regions")
    actors = _ids(data, "actors")
    for table in ("regions", "actors", "units", "border_segments", "towns", "facilities"):
        ids = [r.get("id") for _, r in _records(data, table) if isinstance(r.get("id"), str)]
        for rid, n in Counter(ids).items():
            if n > 1:
                out.append(
                    (f"{table}[{rid}].id", f"id '{rid}' appears {n} times; ids must be unique")
                )
    _check_meta(meta, out)
    _check_roles(data.get("roles"), actors, out)
    for at, r in _records(data, "regions"):
        _known(r.get("controller"), actors, out, f"{at}.controller")
        _keys(out, f"{at}.population", r.get("population"), sects)
        pop = r.get("population")
        if isinstance(pop, Mapping):
            total = sum(v for v in pop.values() if isinstance(v, int))
            if total > MAX_POPULATION:
                out.append(
                    (
                        f"{at}.population",
                        f"{total:,} people in one region is past the cap; "
                        f"allowed: at most {MAX_POPULATION:,} (all sects together)",
                    )
                )
    for at, a in _records(data, "actors"):
        _keys(out, f"{at}.affinity", a.get("affinity"), sects)
    _check_network(data, regions, out)
    _check_towns(data, regions, actors, out)
    _check_facilities(data, regions, actors, out)
    _check_parameter_limits(data.get("parameters"), out)
    _check_links(data, actors, out)
    units: dict[str, dict[str, Any]] = {}
    agents = 0
    isis = (data.get("roles") or {}).get("isis") if isinstance(data.get("roles"), Mapping) else None
    for at, u in _records(data, "units"):
        agents += _check_unit(out, at, u, regions, actors, sects, isis)
        if isinstance(u.get("id"), str):
            units.setdefault(u["id"], u)
    agents += _check_timeline(data, meta, regions, actors, units, sects, isis, out)
    if agents > MAX_AGENTS:
        out.append(
            (
                "units",
                f"{agents:,} agents (one per unit, ISIS units: their cells) is past the cap; "
                f"allowed: at most {MAX_AGENTS:,} in all",
            )
        )
    return out


def _check_towns(
    data: Mapping[str, Any],
    regions: dict[str, dict[str, Any]],
    actors: dict[str, dict[str, Any]],
    out: Problems,
) -> None:
    """Towns: in a known region of the theatre, held by a known actor, within its population."""
    people: Counter[str] = Counter()
    for at, t in _records(data, "towns"):
        rid = t.get("region")
        if t.get("controller") is not None:
            _known(t.get("controller"), actors, out, f"{at}.controller")
        if not _known(rid, regions, out, f"{at}.region"):
            continue
        if regions[rid].get("external"):
            out.append(
                (f"{at}.region", f"'{rid}' is a border state; allowed: a region of Iraq or Syria")
            )
            continue
        if isinstance(t.get("population"), int):
            people[rid] += t["population"]
    for rid, n in people.items():
        pop = regions[rid].get("population")
        total = 0
        if isinstance(pop, Mapping):
            total = sum(v for v in pop.values() if isinstance(v, int))
        if n > total:
            out.append(
                (
                    "towns",
                    f"the towns of {rid} hold {n:,} people, more than the region's {total:,}; "
                    "allowed: at most the region's population",
                )
            )


def _check_meta(meta: Mapping[str, Any], out: Problems) -> None:
    start = meta.get("start_date")
    if isinstance(start, dt.date):
        latest = dt.date.max - dt.timedelta(weeks=MAX_WEEKS)
        if start > latest:
            out.append(
                (
                    "meta.start_date",
                    f"{start} leaves no room for a run of up to {MAX_WEEKS:,} "
                    f"weeks in the calendar; allowed: a date up to {latest}",
                )
            )


def _check_roles(roles: object, actors: dict[str, dict[str, Any]], out: Problems) -> None:
    if not isinstance(roles, Mapping):
        return
    missing = [role for role in ROLES if role not in roles]
    if missing:
        out.append(("roles", f"missing role(s) {', '.join(missing)}; required: {', '.join(ROLES)}"))
    by_actor: dict[str, list[str]] = {}
    for role, actor in roles.items():
        if role not in ROLES:
            out.append((f"roles.{role}", f"unknown role; {allowed_ids(role, ROLES)}"))
            continue
        if not _known(actor, actors, out, f"roles.{role}"):
            continue
        by_actor.setdefault(actor, []).append(role)
        kind = actors[actor].get("kind")
        if isinstance(kind, str) and kind not in ROLE_KINDS[role]:
            out.append(
                (
                    f"roles.{role}",
                    f"'{actor}' is an actor of kind {kind}; the {role} role takes "
                    f"an actor of kind {' or '.join(ROLE_KINDS[role])}",
                )
            )
    for actor, named in by_actor.items():
        if len(named) > 1:
            out.append(
                (
                    f"roles.{named[1]}",
                    f"'{actor}' already plays {named[0]}; each role needs its own actor",
                )
            )


def _check_network(
    data: Mapping[str, Any], regions: dict[str, dict[str, Any]], out: Problems
) -> None:
    """Roads and segments: known ends, no self-loops, one edge per pair, no isolated region."""
    edges: dict[frozenset[str], str] = {}
    for at, road in _records(data, "roads"):
        a, b = road.get("a"), road.get("b")
        ok_a = _known(a, regions, out, f"{at}.a")
        ok_b = _known(b, regions, out, f"{at}.b")  # both ends reported, so not `and`
        if not (ok_a and ok_b and isinstance(a, str) and isinstance(b, str)):
            continue
        if a == b:
            out.append((f"{at}.b", "a road from a region to itself; give two different regions"))
            continue
        pair = frozenset((a, b))
        if pair in edges:
            out.append(
                (
                    at,
                    f"a second edge between {a} and {b} (the first: {edges[pair]}); "
                    "one edge per pair",
                )
            )
        else:
            edges[pair] = at
    for at, s in _records(data, "border_segments"):
        ends = []
        for field, country in (("iraq_region", "IRQ"), ("syria_region", "SYR")):
            rid = s.get(field)
            if not _known(rid, regions, out, f"{at}.{field}"):
                continue
            region = regions[rid]
            if region.get("country") != country or region.get("external"):
                out.append(
                    (
                        f"{at}.{field}",
                        f"'{rid}' is not an Iraqi region inside the theatre"
                        if country == "IRQ"
                        else f"'{rid}' is not a Syrian region inside the theatre",
                    )
                )
                continue
            ends.append(rid)
        if len(ends) == 2:
            pair = frozenset(ends)
            if pair in edges:
                out.append(
                    (
                        at,
                        f"a second edge between {ends[0]} and {ends[1]} "
                        f"(the first: {edges[pair]}); "
                        "one edge per pair",
                    )
                )
            else:
                edges[pair] = at
    touched = {rid for pair in edges for rid in pair}
    for rid in regions:
        if rid not in touched:
            out.append(
                (
                    f"regions[{rid}]",
                    "no road or border segment reaches it; add a [[roads]] entry "
                    "joining it to a neighbour",
                )
            )
    _check_connected(list(regions), touched, edges, out)


def _check_connected(
    ids: list[str], touched: set[str], edges: Mapping[frozenset[str], str], out: Problems
) -> None:
    """One network: a part of it that no road or segment joins to the rest is cut off."""
    parent = {rid: rid for rid in ids}

    def root(rid: str) -> str:
        while parent[rid] != rid:
            parent[rid] = parent[parent[rid]]
            rid = parent[rid]
        return rid

    for pair in edges:
        a, b = sorted(pair)
        parent[root(a)] = root(b)
    parts: dict[str, list[str]] = {}
    for rid in ids:
        if rid in touched:  # an isolated region is reported on its own line above
            parts.setdefault(root(rid), []).append(rid)
    if len(parts) < 2:
        return
    main = max(parts.values(), key=len)
    for part in parts.values():
        if part is not main:
            out.append(
                (
                    "regions",
                    f"{', '.join(part)} {'reaches' if len(part) == 1 else 'reach'} no other "
                    f"region (no road or border segment joins their part of the network to "
                    f"{main[0]}'s); add a [[roads]] entry joining them",
                )
            )


def _check_facilities(
    data: Mapping[str, Any],
    regions: dict[str, dict[str, Any]],
    actors: dict[str, dict[str, Any]],
    out: Problems,
) -> None:
    """Facilities: a known region inside the theatre, a known holder, and no second form."""
    facilities = _records(data, "facilities")
    for at, f in facilities:
        rid = f.get("region")
        if _known(rid, regions, out, f"{at}.region") and regions[rid].get("external"):
            out.append(
                (
                    f"{at}.region",
                    f"'{rid}' is a border state; allowed: a region of Iraq or Syria",
                )
            )
        _known(f.get("holder"), actors, out, f"{at}.holder")
    if not facilities:
        return
    for at, r in _records(data, "regions"):
        for field in ("detainees", "camp"):
            if isinstance(r.get(field), int) and r[field] > 0:
                out.append(
                    (
                        f"{at}.{field}",
                        "the file lists [[facilities]]; give the people held there as a "
                        "facility, not on the region (set it to 0)",
                    )
                )


def _check_parameter_limits(params: object, out: Problems) -> None:
    if not isinstance(params, Mapping):
        return
    for name, (low, high, why) in MODEL_LIMITS.items():
        spec = params.get(name)
        if not isinstance(spec, Mapping):
            continue
        lo, hi = spec.get("min"), spec.get("max")
        if low is not None and isinstance(lo, int | float) and lo < low:
            out.append(
                (
                    f"parameters.{name}.min",
                    f"{lo} is below what the model can use ({why}); allowed: at least {low}",
                )
            )
        if high is not None and isinstance(hi, int | float) and hi > high:
            out.append(
                (
                    f"parameters.{name}.max",
                    f"{hi} is above what the model can use ({why}); allowed: at most {high}",
                )
            )


def _check_links(data: Mapping[str, Any], actors: dict[str, dict[str, Any]], out: Problems) -> None:
    seen: dict[tuple[str, str, str], str] = {}
    for at, link in _records(data, "links"):
        a, b = link.get("from"), link.get("to")
        ok = _known(a, actors, out, f"{at}.from") & _known(b, actors, out, f"{at}.to")
        if not (ok and isinstance(a, str) and isinstance(b, str)):
            continue
        if a == b:
            out.append((f"{at}.to", "a link from an actor to itself; give two different actors"))
            continue
        kind = str(link.get("kind"))
        key = (a, b, kind)  # the relational network keeps one edge per (from, to, kind)
        if key in seen:
            out.append((f"{at}.kind", f"a second {kind} link between {a} and {b}; one is allowed"))
        else:
            seen[key] = at


def _check_unit(
    out: Problems,
    at: str,
    u: Mapping[str, Any],
    regions: dict[str, dict[str, Any]],
    actors: dict[str, dict[str, Any]],
    sects: set[str],
    isis: object,
) -> int:
    """A unit's references (actor, region, home, sects) and cells; returns its agent count."""
    _known(u.get("actor"), actors, out, f"{at}.actor")
    for field in ("region", "home"):
        rid = u.get(field)
        if rid is None and field == "home":
            continue
        if _known(rid, regions, out, f"{at}.{field}") and regions[rid].get("external"):
            out.append(
                (
                    f"{at}.{field}",
                    f"'{rid}' is a border state, where no unit stands; allowed: a "
                    "region of Iraq or Syria",
                )
            )
    if u.get("affinity") is not None:
        _keys(out, f"{at}.affinity", u.get("affinity"), sects)
    cells, strength = u.get("cells", 1), u.get("strength")
    if isinstance(cells, int) and isinstance(strength, int) and cells > strength:
        out.append(
            (f"{at}.cells", f"{cells} cells > strength {strength}; each cell needs a fighter")
        )
    if u.get("actor") == isis and isinstance(cells, int):
        return min(cells, MAX_CELLS_UNIT)
    return 1


def _check_timeline(
    data: Mapping[str, Any],
    meta: Mapping[str, Any],
    regions: dict[str, dict[str, Any]],
    actors: dict[str, dict[str, Any]],
    units: dict[str, dict[str, Any]],
    sects: set[str],
    isis: object,
    out: Problems,
) -> int:
    """Every timeline entry against the rest of the file; returns the agents added units make."""
    rows = data.get("timeline")
    if not isinstance(rows, list | tuple):
        return 0
    params: Mapping[str, Any] = (
        data["parameters"] if isinstance(data.get("parameters"), Mapping) else {}
    )
    start = meta.get("start_date")
    agents = 0
    for i, e in enumerate(rows):
        if not isinstance(e, Mapping):
            continue
        at = f"timeline[{i}]"
        date = e.get("date")
        if isinstance(date, dt.date) and isinstance(start, dt.date):
            if date < start:
                out.append((f"{at}.date", f"{date} is before start_date {start}"))
            elif (date - start).days // 7 + 1 > MAX_WEEKS:
                out.append(
                    (
                        f"{at}.date",
                        f"{date} is past the longest run ({MAX_WEEKS:,} weeks "
                        f"from start_date {start})",
                    )
                )
        action = e.get("action")
        if action == "set_parameter":
            name, value = e.get("parameter"), e.get("value")
            if not _known(name, params, out, f"{at}.parameter"):
                continue
            if name in INIT_ONLY_PARAMETERS:
                out.append(
                    (
                        f"{at}.parameter",
                        f"{name} is read only when the model is built; "
                        "set it in [parameters] instead",
                    )
                )
                continue
            spec = params[name]
            if not isinstance(spec, Mapping) or not isinstance(value, int | float):
                continue
            lo, hi = spec.get("min"), spec.get("max")
            is_int = all(
                isinstance(spec.get(k), int) and not isinstance(spec.get(k), bool)
                for k in ("value", "min", "max")
            )
            if is_int and not float(value).is_integer():
                out.append((f"{at}.value", f"{name} takes integers (got {value})"))
            elif (
                isinstance(lo, int | float)
                and isinstance(hi, int | float)
                and not lo <= value <= hi
            ):
                out.append((f"{at}.value", f"{value} is out of range; allowed: {lo} to {hi}"))
        elif action == "set_unit":
            uid = e.get("unit")
            if not _known(uid, units, out, f"{at}.unit"):
                continue
            if units[uid].get("actor") == isis:
                out.append(
                    (
                        f"{at}.unit",
                        f"{uid} is an ISIS unit, split into cells when the model "
                        "is built; use add_unit to add fighters",
                    )
                )
            if e.get("region") is not None:
                rid = e.get("region")
                if _known(rid, regions, out, f"{at}.region") and regions[rid].get("external"):
                    out.append((f"{at}.region", f"'{rid}' is a border state, where no unit stands"))
        elif action == "add_unit":
            u = e.get("add")
            if not isinstance(u, Mapping):
                continue
            if u.get("id") in units:
                out.append((f"{at}.add.id", f"unit id '{u.get('id')}' is already used"))
            agents += _check_unit(out, f"{at}.add", u, regions, actors, sects, isis)
            if isinstance(u.get("id"), str):
                units[u["id"]] = dict(u)
        elif action == "set_controller":
            rid = e.get("region")
            if _known(rid, regions, out, f"{at}.region") and regions[rid].get("external"):
                out.append((f"{at}.region", f"{rid} is a border state, not held by units"))
            _known(e.get("controller"), {*actors, UNGOVERNED}, out, f"{at}.controller")
    return agents


def _not_bool(v: object) -> object:
    """TOML's true/false must not pass for the numbers 1 and 0."""
    if isinstance(v, bool):
        raise ValueError("must be a number, not true/false")
    return v


def _known(
    value: object, allowed: Mapping[str, Any] | set[str], out: Problems, field: str
) -> TypeGuard[str]:
    """True if ``value`` is an id of ``allowed``; else note the problem.

    A value that is not a string is left to the field's own validation, which reports it.
    """
    if isinstance(value, str) and value in allowed:
        return True
    if isinstance(value, str):
        out.append((field, f"unknown id '{value}'; {allowed_ids(value, allowed)}"))
    return False


def _keys(out: Problems, field: str, mapping: object, allowed: set[str]) -> None:
    if not isinstance(mapping, Mapping):
        return
    for key in mapping:
        if key not in allowed:
            out.append(
                (
                    f"{field}.{key}",
                    f"unknown sect '{key}'; {allowed_ids(key, allowed)} "
                    "(sects are listed in meta.sects)",
                )
            )
