"""Generate ``docs/scenario.md``, the scenario file reference, from the schema and the scenarios.

Everything in the tables is read, not written by hand: fields, types, ranges, defaults and
meanings from the pydantic schema (``Scenario.model_json_schema()``, whose descriptions and
``unit`` extras are in ``schema.py``); examples from the bundled scenarios' files; the
parameters, switches, caps, role kinds, timeline actions and model limits from the default
scenario and the schema's constants. The prose between the tables (how the levers relate to the
segments, how to add a record, the worked example) is here.

Usage::

    python -m escalation_sim.scenario.reference            # rewrite docs/scenario.md
    python -m escalation_sim.scenario.reference --check    # exit 1 if it is stale

``tests/test_reference.py`` fails when the checked-in file differs from what this produces.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import sys
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from escalation_sim.check import LENGTH_TOLERANCE, WALL_TOLERANCE
from escalation_sim.errors import ConfigError
from escalation_sim.scenario.loader import (
    DEFAULT_SCENARIO,
    bundled_scenarios,
    load_scenario,
    parse_scenario,
)
from escalation_sim.scenario.schema import (
    CAPS,
    INIT_ONLY_PARAMETERS,
    MODEL_LIMITS,
    ROLE_KINDS,
    TIMELINE_ACTIONS,
    UNGOVERNED,
    Scenario,
)

#: Where the reference lives, relative to the repository root.
DOC_PATH = Path("docs/scenario.md")
#: The worked example's scenario, relative to the repository root.
TOY_PATH = Path("docs/examples/toy.toml")
#: The command that regenerates the reference (named in the test's failure message).
COMMAND = "python -m escalation_sim.scenario.reference"

#: Tables of the file, in the order the reference gives them: (TOML heading, schema class).
TABLES: tuple[tuple[str, str], ...] = (
    ("[meta]", "Meta"),
    ("[[regions]]", "Region"),
    ("[[roads]]", "Road"),
    ("[[border_segments]]", "BorderSegment"),
    ("[[actors]]", "Actor"),
    ("[[links]]", "Link"),
    ("[[facilities]]", "Facility"),
    ("[[units]]", "Unit"),
    ("[[towns]]", "Town"),
    ("[parameters.NAME]", "Parameter"),
    ("[[timeline]]", "TimelineEntry"),
)

_EXAMPLE_WIDTH = 48


def render(root: Path | None = None) -> str:
    """The whole reference as Markdown (``root``: the repository, for the worked example)."""
    root = root or _repo_root()
    schema = Scenario.model_json_schema(by_alias=True)
    raws = [_raw(path) for _, path in sorted(bundled_scenarios().items(), key=_default_first)]
    raws.append(_raw(root / TOY_PATH))
    spec = load_scenario(DEFAULT_SCENARIO)
    parts = [
        _INTRO,
        _top_level(schema),
        "## Tables and fields\n\n" + _FIELDS_INTRO,
        *(_table(heading, name, schema, raws) for heading, name in TABLES),
        _roles(),
        _timeline_actions(),
        _caps(),
        _model_limits(),
        _levers(spec),
        _parameters(spec),
        _mechanisms(spec),
        _HOW_TO,
        _ERRORS.replace("{example}", _error_example(raws[0]))
        .replace("{length}", f"{LENGTH_TOLERANCE:.0%}")
        .replace("{wall}", f"{WALL_TOLERANCE}"),
        _worked_example(root),
    ]
    return "\n".join(p.rstrip() + "\n" for p in parts)


def _repo_root() -> Path:
    return Path(__file__).resolve().parents[3]


def _default_first(item: tuple[str, Path]) -> tuple[bool, str]:
    return (item[0] != DEFAULT_SCENARIO, item[0])


def _raw(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8-sig"))


# ---------------------------------------------------------------------------------------------
# Tables generated from the schema


def _top_level(schema: Mapping[str, Any]) -> str:
    rows = []
    required = set(schema.get("required", ()))
    for key, prop in schema["properties"].items():
        ref = _ref_name(prop)
        form = f"`[[{key}]]`" if prop.get("type") == "array" else f"`[{key}]`"
        if key in ("parameters",):
            form = "`[parameters.NAME]`"
        what = prop.get("description", "")
        need = "required" if key in required else "optional"
        if prop.get("minItems"):
            need += f", at least {prop['minItems']}"
        rows.append([form, need, what + (f" ({ref})" if ref else "")])
    return "## The file at a glance\n\n" + _md_table(["Table", "", "What it holds"], rows)


def _table(heading: str, name: str, schema: Mapping[str, Any], raws: list[dict]) -> str:
    definition = schema["$defs"][name]
    required = set(definition.get("required", ()))
    rows = []
    props = definition["properties"]
    order = [f for f in props if f not in ("source", "sources")] + [
        f for f in ("source", "sources") if f in props
    ]
    for field in order:
        prop = props[field]
        rows.append(
            [
                f"`{field}`",
                _type(prop, schema),
                _range(prop),
                _unit(prop) or ("share" if _range(prop) == "0 to 1" else ""),
                "required" if field in required else _default(prop),
                _escape(prop.get("description", "")),
                _example(heading, field, raws),
            ]
        )
    doc = (definition.get("description") or "").strip().split("\n\n")[0]
    doc = " ".join(doc.split()).replace("``", "`")
    head = f"### `{heading}`\n\n{_escape(doc)}\n\n"
    return head + _md_table(
        ["Field", "Type", "Range", "Unit", "Default", "Meaning", "Example"], rows
    )


def _ref_name(prop: Mapping[str, Any]) -> str:
    for node in (prop, prop.get("items") or {}, *(prop.get("anyOf") or [])):
        if isinstance(node, Mapping) and "$ref" in node:
            return str(node["$ref"]).rsplit("/", 1)[-1]
    return ""


def _type(prop: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    options = [p for p in prop.get("anyOf", [prop]) if p.get("type") != "null"]
    return " or ".join(_one_type(p, schema) for p in options)


def _one_type(p: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    if "$ref" in p:
        return f"table ({_ref_name(p)})"
    if "enum" in p:
        return "one of " + ", ".join(f"`{v}`" for v in p["enum"])
    kind = p.get("type")
    if kind == "string":
        if p.get("format") == "date":
            return "date (YYYY-MM-DD)"
        return "id" if p.get("pattern") == r"^[a-z][a-z0-9_]*$" else "text"
    if kind == "array":
        return f"list of {_one_type(p.get('items', {}), schema)}"
    if kind == "object":
        inner = (p.get("patternProperties") or {}).values()
        value = next(iter(inner), p.get("additionalProperties"))
        key = "id" if p.get("patternProperties") else "key"
        if isinstance(value, Mapping):
            return f"table {key} → {_one_type(value, schema)}"
        return "table"
    return {"number": "number", "integer": "integer", "boolean": "true/false"}.get(str(kind), "?")


def _range(prop: Mapping[str, Any]) -> str:
    nodes = [prop, *prop.get("anyOf", [])]
    for node in list(nodes):
        nodes.extend((node.get("patternProperties") or {}).values())
        if isinstance(node.get("items"), Mapping):
            nodes.append(node["items"])
    for node in nodes:
        lo, hi = node.get("minimum"), node.get("maximum")
        if lo is not None and hi is not None:
            return f"{_num(lo)} to {_num(hi)}"
        if node.get("exclusiveMinimum") is not None:
            above = f"> {_num(node['exclusiveMinimum'])}"
            return above + (f", ≤ {_num(hi)}" if hi is not None else "")
        if lo is not None:
            return f"≥ {_num(lo)}"
        if hi is not None:
            return f"≤ {_num(hi)}"
        if node.get("minLength"):
            return f"≥ {node['minLength']} characters"
        if node.get("minItems"):
            return f"≥ {node['minItems']} items"
    return ""


def _unit(prop: Mapping[str, Any]) -> str:
    return str(prop.get("unit", ""))


def _default(prop: Mapping[str, Any]) -> str:
    if "default" not in prop:
        return "empty" if prop.get("type") in ("array", "object") else ""
    value = prop["default"]
    if value is None:
        return "none"
    if value in ([], {}, ""):
        return "empty"
    return f"`{_toml(value)}`"


def _num(x: float | int) -> str:
    if isinstance(x, float) and x.is_integer():
        x = int(x)
    return f"{x:,}" if isinstance(x, int) else f"{x:g}"


def _example(heading: str, field: str, raws: list[dict]) -> str:
    for raw in raws:
        for record in _records_of(heading, raw):
            if field in record:
                return f"`{_escape(_short(_toml(record[field])))}`"
    return ""


def _records_of(heading: str, raw: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if heading == "[meta]":
        return [raw.get("meta", {})]
    if heading.startswith("[parameters"):
        params: Mapping[str, Any] = raw.get("parameters", {})
        first: Mapping[str, Any] = params.get("border_hardening") or next(iter(params.values()), {})
        return [first]
    table = heading.strip("[]")
    return [r for r in raw.get(table, []) if isinstance(r, Mapping)]


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


def _short(text: str) -> str:
    return text if len(text) <= _EXAMPLE_WIDTH else text[: _EXAMPLE_WIDTH - 1] + "…"


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell.replace("\n", " ") for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Tables generated from the schema's constants and the default scenario


def _roles() -> str:
    rows = [
        [f"`{role}`", " or ".join(f"`{k}`" for k in kinds)] for role, kinds in ROLE_KINDS.items()
    ]
    return (
        "### `[roles]`\n\nEvery role the mechanisms name must be played by an actor of the file, "
        "each by a different actor, of the kind the role needs:\n\n"
        + _md_table(["Role", "Actor kind"], rows)
    )


def _timeline_actions() -> str:
    extra = {"set_unit": "any of `strength`, `cohesion`, `region` (at least one)"}
    rows = [
        [f"`{action}`", ", ".join(f"`{f}`" for f in fields), extra.get(action, "")]
        for action, fields in TIMELINE_ACTIONS.items()
    ]
    init_only = ", ".join(f"`{p}`" for p in sorted(INIT_ONLY_PARAMETERS))
    return (
        "### Timeline actions\n\nEach `[[timeline]]` entry has exactly one of `date` or `week` "
        "and an `action`, with the fields that action takes (and no others):\n\n"
        + _md_table(["Action", "Needs", "Also takes"], rows)
        + f"\n`set_controller` takes an actor or `{UNGOVERNED}`; a border state cannot change "
        "hands. `set_unit` cannot name an ISIS unit (its cells are split when the model is "
        f"built; add fighters with `add_unit`). These parameters are read only when the model "
        f"is built, so a timeline cannot set them: {init_only}.\n"
    )


def _caps() -> str:
    rows = [[f"`{name}`", _num(value), what] for name, (value, what) in CAPS.items()]
    return (
        "## Caps\n\nNo file can make a run hang or grow memory without bound: these magnitudes "
        "are refused, each with an error that states the cap. Numbers must also be finite "
        "(`inf` and `nan` are refused everywhere).\n\n" + _md_table(["Cap", "Value", "Of"], rows)
    )


def _model_limits() -> str:
    rows = [
        [f"`{name}`", "" if lo is None else _num(lo), "" if hi is None else _num(hi), why]
        for name, (lo, hi, why) in MODEL_LIMITS.items()
    ]
    return (
        "### Limits the model puts on parameter ranges\n\nA file declares each parameter's "
        "range, but the model's formulas need some ranges to stay clear of zero or one: a "
        "parameter's `min` may not be below the lowest, nor its `max` above the highest.\n\n"
        + _md_table(["Parameter", "Lowest min", "Highest max", "Why"], rows)
    )


def _levers(spec: Scenario) -> str:
    segs = spec.border_segments
    total = sum(s.length_km for s in segs)
    walled = sum(s.length_km * s.wall for s in segs)
    p = spec.parameters
    anchor = p["border_hardening_2024"].value if "border_hardening_2024" in p else None
    lever = p["border_hardening"].value if "border_hardening" in p else None
    collapse = p.get("syria_collapse")
    share = walled / total if segs and total else None
    numbers = ""
    if share is not None:
        numbers = (
            f"In `{spec.meta.name}` the {len(segs)} segments add up to {total:,.0f} km "
            f"(`border_length_km` = {spec.meta.border_length_km:,.0f}), {walled:,.0f} km of "
            f"them walled ({share:.0%}); `border_hardening_2024` = {anchor} and the default "
            f"`border_hardening` = {lever}, so the default lever reproduces the file"
        )
        if anchor is not None and abs(share - float(anchor)) <= 0.05:
            numbers += f', and {anchor} also means "{share:.0%} of the border walled".'
        else:
            numbers += "."
    collapse_doc = f" (`{collapse.doc}`)" if collapse is not None else ""
    return f"""## The levers and the segment data

**`border_hardening`** (a parameter) scales every segment's `wall`, `surveillance` and
garrison share (`garrison` / (`garrison_full` × `length_km` / 100), at most 1) together. The
segment data describe the border at one lever value, `border_hardening_2024`:

* at `border_hardening` = `border_hardening_2024` each segment is exactly as the file says;
* below it, each quantity is scaled down linearly to 0 at `border_hardening` = 0 (an open border);
* above it, each moves linearly towards 1 (walled, watched, fully garrisoned) at 1.

Detection of a crossing on a segment is then 1 − (1 − `detect_wall` × wall) (1 −
`detect_surveillance` × surveillance) (1 − `detect_garrison` × garrison share), reduced by
`corridor_leak` on a smuggling corridor (mechanism 2, `border_defence`), and raised by intelligence
sharing (mechanism 5).

{numbers} **Change a segment's wall and the default no longer means that**: it still reproduces
the file, but the file is another border. If the walls changed, set `border_hardening_2024` (and
`border_hardening`) to the new walled share; `escalation-sim check` warns when the walled share and
`border_hardening_2024` differ by more than {WALL_TOLERANCE}, and when the segments do not add up
to `meta.border_length_km` (within {LENGTH_TOLERANCE:.0%}).

**`syria_collapse`** (a parameter) does not touch the segment data{collapse_doc}. At week
`syria_collapse_week` it acts on the units and regions of the `syrian_regime` role's actor and on
the `guards` of the `[[facilities]]` that actor holds (`collapse_guard_loss`), not on those another
actor holds (the SDF's: `sdf_guard_loss`, set by the timeline); the border's segments stay as the
lever makes them.
"""


def _parameters(spec: Scenario) -> str:
    rows = [
        [
            f"`{name}`",
            _num(p.value),
            f"{_num(p.min)} to {_num(p.max)}",
            _escape(p.unit),
            _escape(p.doc),
        ]
        for name, p in spec.parameters.items()
    ]
    return (
        f"## Parameters of the default scenario\n\nThe `[parameters]` of `{spec.meta.name}`, in "
        "file order, with their meanings (`escalation-sim params` prints the same; `--set "
        "NAME=VALUE` overrides one within its range). A scenario must define exactly the "
        "parameters the model reads, or take them from a bundled scenario with "
        "`meta.parameters_from`.\n\n"
        + _md_table(["Parameter", "Value", "Range", "Unit", "Meaning"], rows)
    )


def _mechanisms(spec: Scenario) -> str:
    from escalation_sim.mechanisms import MECHANISMS

    rows = [
        [f"`{name}`", "on" if spec.mechanisms.get(name) else "off", _escape(what)]
        for name, what in MECHANISMS.items()
    ]
    return (
        "## Mechanism switches\n\n`[mechanisms]` switches each mechanism on or off "
        "(`--set mechanisms.NAME=false`); the default scenario's values:\n\n"
        + _md_table(["Switch", "Default", "What it does"], rows)
    )


def _error_example(raw: Mapping[str, Any]) -> str:
    """The errors of the default scenario with three mistakes, as ``run`` prints them."""
    data = copy.deepcopy(dict(raw))
    data["regions"][0]["hardship"] = 3.5
    data["regions"][1]["controller"] = "irak"
    data["units"][0]["region"] = "mosull"
    try:
        parse_scenario(data, source="my.toml")
    except ConfigError as exc:
        return "```text\n" + "\n".join(f"error: {line}" for line in exc.lines) + "\n```"
    return ""


def _worked_example(root: Path) -> str:
    from escalation_sim.check import check_file

    toy = (root / TOY_PATH).read_text(encoding="utf-8")
    report = check_file(root / TOY_PATH)
    lines = [f"error: {e}" for e in report.errors] or report.output()
    shown = "\n".join(lines).replace(f"{root}/", "")
    return (
        _WORKED_EXAMPLE
        + f"\n`check` prints:\n\n```text\n{shown}\n```\n"
        + f"\nThe whole file, `{TOY_PATH}`:\n\n```toml\n{toy.rstrip()}\n```\n"
    )


# ---------------------------------------------------------------------------------------------
# Prose


_INTRO = f"""# Scenario files: the reference

<!-- Generated by `{COMMAND}` from the schema
(src/escalation_sim/scenario/schema.py) and the bundled scenarios. Do not edit by hand: change
the schema or the generator and rerun it. -->

A scenario is a TOML file that describes a theatre: its regions and the roads and border
segments between them, the actors and the links between actors, the units placed on regions at
week 0, the parameters and switches of the mechanisms, and an optional timeline of dated changes.
The model reads nothing else, so a new scenario needs no code.

* The bundled scenarios are `src/escalation_sim/scenario/data/*.toml` (`escalation-sim
  scenarios` lists them); `{DEFAULT_SCENARIO}` is the default.
* `escalation-sim check FILE` validates a file without running it, prints every mistake (one line
  each) and warns about legal but suspicious things; `escalation-sim run --scenario FILE` runs it.
* Every record that carries numbers has a `source` (one citation key of `[references]` or a
  stated assumption, for all its numbers) and may have `sources`, a table of per-field
  citations.
* Ids are lower case: a letter, then letters, digits or `_`, at most 48 characters.

A small scenario built from scratch, which runs, is at the end: [worked example](#worked-example).
"""

_FIELDS_INTRO = """Every table below lists its fields: the TOML type, the allowed range, the unit,
the default (or "required"), what the field means in the model, and an example taken from the
bundled scenarios. Every record of `[[regions]]`, `[[roads]]`, `[[border_segments]]`,
`[[actors]]`, `[[links]]`, `[[units]]`, `[parameters.NAME]` and `[[timeline]]` also takes
`source` and `sources` (see the first table). In error messages a record is named by its id
(`regions[sinjar]`), a road by its ends (`roads[sinjar--tal_afar]`), a link by its ends
(`links[pmf->iraq]`) and a timeline entry by its position (`timeline[0]`).
"""

_HOW_TO = """## How to add...

Run `escalation-sim check FILE` after each change: it names every mistake at once.

**A region.** Add a `[[regions]]` table with a new `id`, its `country`, coordinates, the actor
that holds it (`controller`) and its `population` by sect (the sects of `meta.sects`). Then join
it to the network: at least one `[[roads]]` entry (`a`, `b`) to a neighbour, or a
`[[border_segments]]` entry if it lies on the Iraq-Syria border (one Iraqi and one Syrian region).
A region no road or segment reaches is refused. A border state (`external = true`) is a single
node for routes and strikes: no unit may stand there.

```toml
[[regions]]
id = "rutba"
name = "Rutba"
country = "IRQ"
lon = 40.28
lat = 33.04
controller = "iraq"
population = { sunni_arab = 30000 }
source = "assumption"

[[roads]]
a = "rutba"
b = "ramadi"
source = "assumption"
```

**A unit.** Add a `[[units]]` table naming its `actor`, `kind`, `region` (not a border state),
`strength` and `cohesion`. An ISIS unit (of the actor playing the `isis` role) is split into
`cells` agents of near-equal size; `iraqi_share` of them are of Iraqi origin. An expeditionary
unit (`role = "expeditionary"`) deploys abroad when ordered and returns to `home`.

```toml
[[units]]
id = "isis_rutba"
actor = "isis"
kind = "insurgent"
region = "rutba"
strength = 80
cohesion = 1.0
cells = 2
iraqi_share = 1.0
source = "assumption"
```

**An actor.** Add an `[[actors]]` table with a new `id`, its `kind` (`state`, `militia`,
`insurgent`, `rebel`) and its `affinity` over the sects. An actor acts through its units, the
regions it holds and its links; `check` warns about one with none of these but links. To make it
play a role the mechanisms name, point the role at it in `[roles]` (the role's kind must fit).

**A link.** Add a `[[links]]` table between two different actors. `kind = "command"` means `to`
can order the forces of `from` (the Iraqi state and Iran both command PMF factions, with different
`strength` and `autonomy`; `formal = true` marks the legal chain); `alliance` and `hostility`
are relations. One link per (`from`, `to`, `kind`).

```toml
[[links]]
from = "kataib_hezbollah"
to = "iran"
kind = "command"
strength = 0.9
autonomy = 0.3
source = "assumption"
```

**A timeline entry.** Add a `[[timeline]]` table with a `week` (or a `date`, applied at the start
of the week holding it) and an `action` with its fields (see [Timeline actions](#timeline-actions)).
Entries apply at the start of their week, before anything else happens in it.

```toml
[[timeline]]
date = 2025-03-01
action = "set_parameter"
parameter = "iran_supply"
value = 0.5
note = "Iran halves its supply effort"
source = "assumption"
```
"""

_ERRORS = """## Errors and warnings

A file with mistakes gets one line per mistake, all at once (the first 20, then "... and N more"),
each naming the file, the record, the field and what is allowed, e.g.:

{example}

`run`, `sweep`, `check` and the other commands exit with status 2 on such errors, before anything
is computed or written. Experiment configs (`experiments/*.toml`) are read the same way, with the
same file caps.

The file itself: it must be UTF-8 (a byte-order mark is accepted), at most `MAX_FILE_BYTES` bytes
(its size is checked before it is read), with tables and arrays nested at most `MAX_TOML_DEPTH`
levels deep (see [Caps](#caps)).

`escalation-sim check FILE` also warns (exit status 0) about what is legal but suspicious:
segment lengths that do not add up to `meta.border_length_km` (within {length}); a walled share of
the border more than {wall} away from `border_hardening_2024` (see
[the levers](#the-levers-and-the-segment-data)); regions in a part of the network that no border
reaches; actors with no units that hold no region and play no role; parameters whose value sits
at the edge of their range.
"""

_WORKED_EXAMPLE = """## Worked example

A three-region toy built from scratch: one Iraqi district (`anbar`), one Syrian governorate
across the border (`deir`) and Jordan as a border state. Step by step:

1. `[meta]`: a `name`, a `start_date`, a horizon in `weeks`, the `sects` the populations use, the
   border's length (one 120 km segment here) and `parameters_from = "iraq_syria_2024"`, so the
   file need not list the model's parameters and switches: it takes the default's and overrides
   two of them at the end.
2. `[roles]`: the seven roles, each played by an actor of the right kind.
3. Three `[[regions]]`, one `[[border_segments]]` between the Iraqi and the Syrian region, and
   one `[[roads]]` entry to Jordan, so every region is reached.
4. Eight `[[actors]]` (the seven role players and Jordan, which holds its node) and two
   `[[links]]`.
5. Four `[[units]]`: the Iraqi and Syrian armies, HTS, and 400 ISIS fighters in 10 cells in Syria.
6. One `[[timeline]]` entry: US troops arrive in week 10.
7. `border_hardening` and `border_hardening_2024` set to the segment's walled share (0.5), so
   the lever keeps its meaning.

Check it, then run it:

```sh
escalation-sim check docs/examples/toy.toml
escalation-sim run --scenario docs/examples/toy.toml --weeks 26 --out results/toy
```

`tests/test_reference.py` checks the toy and runs it.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Write ``docs/scenario.md`` (or, with ``--check``, exit 1 if it is not current)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "out", nargs="?", type=Path, default=None, help=f"output file (default {DOC_PATH})"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    root = _repo_root()
    out = args.out or root / DOC_PATH
    text = render(root)
    if args.check:
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != text:
            print(f"{out} is stale; regenerate it with `{COMMAND}`", file=sys.stderr)
            return 1
        return 0
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
