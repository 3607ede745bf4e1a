"""Finding, reading, parsing and validating scenario files, and applying ``key=value`` overrides.

Scenario and experiment files are read the same way (``read_toml_file``, ``parse_toml``,
``parse_toml_model``): the size is checked before reading (``MAX_FILE_BYTES``), the text must be
UTF-8 (a byte-order mark is accepted), TOML nesting is bounded (``MAX_TOML_DEPTH``), and every
mistake the schema finds becomes one error line.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from escalation_sim.errors import ConfigError, ConfigErrors, raise_errors
from escalation_sim.scenario.schema import (
    MAX_FILE_BYTES,
    MAX_TOML_DEPTH,
    MECHANISM_ALIASES,
    Parameter,
    Scenario,
    ScenarioProblems,
    allowed_ids,
    record_label,
)

DEFAULT_SCENARIO = "iraq_syria_2024"


def bundled_scenarios() -> dict[str, Path]:
    """Return the scenarios shipped with the package, by name."""
    data = resources.files("escalation_sim.scenario") / "data"
    return {Path(p.name).stem: Path(str(p)) for p in data.iterdir() if p.name.endswith(".toml")}


def resolve_scenario_path(name_or_path: str | Path | None) -> Path:
    """Turn a bundled scenario name or a file path into a path, or raise ConfigError."""
    if name_or_path is None:
        name_or_path = DEFAULT_SCENARIO
    bundled = bundled_scenarios()
    if isinstance(name_or_path, str) and name_or_path in bundled:
        return bundled[name_or_path]
    path = Path(name_or_path)
    if path.is_file():
        return path
    allowed = "a path to a .toml file or one of: " + ", ".join(sorted(bundled))
    raise ConfigError(str(name_or_path), None, f"scenario not found; allowed: {allowed}")


def load_scenario(name_or_path: str | Path | None = None) -> Scenario:
    """Load and validate a scenario by bundled name (``iraq_syria_2024``) or path.

    Raises:
        ConfigError: the file is missing, too large, not UTF-8, not valid TOML, or breaks the
            schema: one line per mistake (``ConfigErrors`` when there are several), each naming
            the file and the field.
    """
    path = resolve_scenario_path(name_or_path)
    stat = path.stat()
    return _load_cached(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _load_cached(path: str, _mtime: int, _size: int) -> Scenario:
    return parse_scenario(read_toml_file(path, "scenario"), source=path)


def read_toml_file(path: str | Path, what: str = "file") -> str:
    """The text of a TOML file, its size checked before it is read.

    A UTF-8 byte-order mark is accepted (and dropped). Scenarios and experiment configs are read
    through here, so both have the same caps and messages.

    Raises:
        ConfigError: missing, unreadable, larger than ``MAX_FILE_BYTES``, or not UTF-8.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ConfigError(
                path,
                None,
                f"the {what} file is {size:,} bytes; allowed: at most {MAX_FILE_BYTES:,} bytes "
                f"({MAX_FILE_BYTES // 2**20} MiB)",
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(path, None, f"{what} file not found") from None
    except IsADirectoryError:
        raise ConfigError(path, None, f"is a directory; allowed: a {what} file (.toml)") from None
    except OSError as exc:
        raise ConfigError(path, None, f"cannot read the {what} file: {exc.strerror}") from None
    return decode_toml(data, str(path))


def decode_toml(data: bytes, source: str) -> str:
    """Bytes of a TOML file as text: UTF-8, with or without a byte-order mark."""
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(
            source, None, f"{len(data):,} bytes; allowed: at most {MAX_FILE_BYTES:,} bytes"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            source,
            None,
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); allowed: a TOML "
            "file saved as UTF-8",
        ) from None


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """Parse TOML text; broken or too deeply nested TOML is a one-line ConfigError."""
    try:
        doc = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, None, f"invalid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(
            source,
            None,
            f"tables or arrays nested too deeply to read; allowed: at most {MAX_TOML_DEPTH} levels",
        ) from None
    if _depth(doc) > MAX_TOML_DEPTH:
        raise ConfigError(
            source,
            None,
            f"tables or arrays nested more than {MAX_TOML_DEPTH} levels deep; allowed: at most "
            f"{MAX_TOML_DEPTH}",
        )
    return doc


def _depth(doc: object) -> int:
    """Nesting depth of parsed TOML up to ``MAX_TOML_DEPTH + 1``, without recursion."""
    deepest, stack = 0, [(doc, 0)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_TOML_DEPTH:
            break
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        )
        stack.extend((child, level + 1) for child in children)
    return deepest


def parse_scenario(data: bytes | str | Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a scenario given as TOML bytes or text, or as an already parsed mapping.

    ``[meta] parameters_from = "<bundled scenario>"`` fills in the parameters and switches the
    file does not list from that scenario. ``[meta] extends = "<bundled scenario>"`` fills in
    everything the file does not give (:func:`_extended`).
    """
    if isinstance(data, bytes):
        data = decode_toml(data, source)
    if isinstance(data, str):
        data = parse_toml(data, source)
    return parse_toml_model(
        Scenario, _with_base_parameters(_extended(data, source), source), source
    )


#: Tables of a scenario that an extending file replaces whole when it gives them.
_WHOLE_TABLES = ("roles", "regions", "roads", "border_segments", "actors", "links", "units")
#: Tables merged key by key (the file's keys win).
_KEYED_TABLES = ("meta", "references", "parameters", "mechanisms")


def _extended(data: Mapping[str, Any], source: str) -> Mapping[str, Any]:
    """``[meta] extends``: the base scenario with this file's differences applied.

    A table the file gives among ``_WHOLE_TABLES`` replaces the base's; ``[meta]``,
    ``[references]``, ``[parameters]`` and ``[mechanisms]`` are merged key by key (the file's
    win); the base's timeline runs first, then the file's entries. ``extends`` names a bundled
    scenario (one level: the base itself may not extend another).
    """
    meta = data.get("meta")
    base_name = meta.get("extends") if isinstance(meta, Mapping) else None
    if base_name is None:
        return data
    bundled = bundled_scenarios()
    here = Path(source).stem if source else ""
    if not isinstance(base_name, str) or base_name not in bundled or base_name == here:
        raise ConfigError(
            source,
            "meta.extends",
            f"unknown bundled scenario {base_name!r}; allowed: "
            + ", ".join(sorted(n for n in bundled if n != here)),
        )
    base = load_scenario(base_name)
    if base.meta.extends is not None:
        raise ConfigError(
            source,
            "meta.extends",
            f"{base_name!r} itself extends {base.meta.extends!r}; allowed: a scenario that "
            "extends none",
        )
    doc = base.model_dump(by_alias=True, exclude_none=True)
    out: dict[str, Any] = {**doc, **{k: v for k, v in data.items() if k in _WHOLE_TABLES}}
    for key in _KEYED_TABLES:
        own = data.get(key)
        out[key] = {**doc.get(key, {}), **own} if isinstance(own, Mapping) else doc.get(key, {})
    own_timeline = data.get("timeline", [])
    out["timeline"] = [
        *doc.get("timeline", []),
        *(own_timeline if isinstance(own_timeline, list) else [own_timeline]),
    ]
    for key in data:
        if key not in out:
            out[key] = data[key]  # unknown tables: the schema names them
    return out


def _with_base_parameters(data: Mapping[str, Any], source: str) -> Mapping[str, Any]:
    meta = data.get("meta")
    base_name = meta.get("parameters_from") if isinstance(meta, Mapping) else None
    if base_name is None:
        return data
    bundled = bundled_scenarios()
    if not isinstance(base_name, str) or base_name not in bundled:
        raise ConfigError(
            source,
            "meta.parameters_from",
            f"unknown bundled scenario {base_name!r}; allowed: {', '.join(sorted(bundled))}",
        )
    base = load_scenario(base_name)
    own_params = data.get("parameters")
    own_mechs = data.get("mechanisms")
    params = {k: v.model_dump(by_alias=True) for k, v in base.parameters.items()}
    mechs = dict(base.mechanisms)
    return {
        **data,
        "parameters": {**params, **own_params} if isinstance(own_params, Mapping) else params,
        "mechanisms": {**mechs, **own_mechs} if isinstance(own_mechs, Mapping) else mechs,
    }


def parse_toml_model[M: BaseModel](model: type[M], data: str | Mapping[str, Any], source: str) -> M:
    """Validate TOML text or a parsed mapping as ``model``; every mistake is one error line.

    The one way files are read into schemas (scenarios, experiment configs), so broken TOML and
    schema errors read the same whatever the file. A model with a ``raw_problems(data)``
    classmethod (``Scenario``) also has its cross-references checked when fields fail, so one
    pass reports both.

    Raises:
        ConfigError: one mistake; ``ConfigErrors`` for several (one line each).
    """
    if isinstance(data, str):
        data = parse_toml(data, source)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, source, data, model) from None


def validation_error(
    exc: ValidationError, source: str, data: Any, model: type[BaseModel] | None = None
) -> ConfigError:
    """Every error of a pydantic ValidationError as ConfigErrors, one per field, file order."""
    found: dict[str, ConfigError] = {}
    cross_ran = False

    def add(field: str | None, message: str) -> None:
        key = field or ""
        if key not in found:
            found[key] = ConfigError(source, field or None, message)

    errs = exc.errors()
    for err in errs:
        if err["type"] == "too_short" and any(
            e["loc"][: len(err["loc"])] == err["loc"] and e is not err for e in errs
        ):
            continue  # "at least 2 regions after validation": their own errors say why
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, ScenarioProblems):
            cross_ran = True
            for field, message in cause.problems:
                add(field, message)
            continue
        field, msg = _describe(err, data)
        add(field, msg)
    raw = getattr(model, "raw_problems", None)
    if not cross_ran and raw is not None and isinstance(data, Mapping):
        for field, message in raw(data):
            if not any(field == f or field.startswith(f + ".") for f in found):
                add(field, message)
    errors = list(found.values())
    return errors[0] if len(errors) == 1 else ConfigErrors(errors)


def _describe(err: Any, data: Any) -> tuple[str, str]:
    """A pydantic error as (field path, message with what is allowed)."""
    loc = _strip_type_tags(err["loc"])
    field = _field_path(loc, data)
    msg = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if not field and ": " in msg:  # cross-reference errors carry their own field path
        field, msg = msg.split(": ", 1)
    if err["type"] == "extra_forbidden":
        msg = "unknown field; remove it or check its spelling"
    elif err["type"] == "missing":
        msg = "required field is missing"
    elif err["type"] == "finite_number":
        msg = "must be a finite number (not inf or nan)"
    elif loc and isinstance(err.get("input"), str | int | float | bool):
        msg = f"{msg} (got {err['input']!r})"
    return field, msg


_TYPE_TAGS = {
    "float",
    "int",
    "bool",
    "str",
    "list",
    "dict",
    "date",
    "function-after",
    "function-before",
}


def _strip_type_tags(loc: tuple) -> tuple:
    """Drop the union-member tags pydantic appends to a location (``value.float``)."""
    out = list(loc)
    while out and isinstance(out[-1], str) and (out[-1] in _TYPE_TAGS or "[" in out[-1]):
        out.pop()
    return tuple(out)


def _field_path(loc: tuple, data: Any) -> str:
    """Render a pydantic location as ``regions[sinjar].population.kurd`` or ``roads[a--b].a``."""
    out = ""
    node = data
    table = ""
    for part in loc:
        if isinstance(part, int):
            label = f"{out}[{part}]"
            if isinstance(node, list) and part < len(node) and isinstance(node[part], dict):
                label = out.removesuffix(table) + record_label(table, node[part], part)
            out = label
            node = node[part] if isinstance(node, list) and part < len(node) else None
        else:
            table = str(part)
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


# ---------------------------------------------------------------------------------------------
# Overrides


_TRUE = {"true", "on", "yes", "1"}
_FALSE = {"false", "off", "no", "0"}


def parse_assignments(items: list[str] | None, source: str = "--set") -> dict[str, str]:
    """Parse ``["key=value", ...]`` from the command line into a dict (values stay strings)."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise ConfigError(source, item, "expected key=value, e.g. border_hardening=0.8")
        if key in out or f"parameters.{key}" in out or key.removeprefix("parameters.") in out:
            raise ConfigError(source, key, "given twice; set each key once")
        if not value.isascii():
            raise ConfigError(
                source, key, f"{value!r} is not allowed; allowed: ASCII numbers (0.5), true, false"
            )
        if "_" in value and _is_number(value.replace("_", "")):
            raise ConfigError(
                source,
                key,
                f"{value!r}: no underscores in numbers; write it as {value.replace('_', '')}",
            )
        out[key] = value
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def apply_overrides(
    scenario: Scenario,
    overrides: Mapping[str, Any] | None,
    *,
    scenario_source: str = "<scenario>",
    origin: str = "--set",
) -> Scenario:
    """Return a copy of ``scenario`` with parameters and mechanism switches overridden.

    Keys are parameter names (``border_hardening`` or ``parameters.border_hardening``) or
    mechanism switches (``mechanisms.militia_autonomy``). Values may be strings (from the
    command line) or Python numbers and booleans. Each value is checked against the
    parameter's type and range.

    Raises:
        ConfigError: unknown key, wrong type or out-of-range value, naming the scenario file,
            the field and what is allowed.
    """
    if not overrides:
        return scenario
    params = dict(scenario.parameters)
    mechs = dict(scenario.mechanisms)
    errors: list[ConfigError] = []
    for key, raw in overrides.items():
        try:
            _override(params, mechs, key, raw, scenario_source, origin)
        except ConfigError as exc:
            errors.append(exc)  # every bad override at once
    raise_errors(errors)
    return scenario.model_copy(update={"parameters": params, "mechanisms": mechs})


def _override(
    params: dict[str, Parameter],
    mechs: dict[str, bool],
    key: str,
    raw: Any,
    scenario_source: str,
    origin: str,
) -> None:
    """Apply one override to ``params`` or ``mechs``, or raise its ConfigError."""
    name = key.removeprefix("parameters.")
    if name.startswith("mechanisms."):
        mech = name.removeprefix("mechanisms.")
        field = f"mechanisms.{mech}"
        targets = MECHANISM_ALIASES.get(mech, (mech,))  # an alias sets several switches
        if any(t not in mechs for t in targets):
            allowed = ", ".join(sorted([*mechs, *MECHANISM_ALIASES]))
            raise ConfigError(
                scenario_source, field, f"unknown mechanism ({origin}); allowed: {allowed}"
            )
        mechs.update(dict.fromkeys(targets, _as_bool(raw, scenario_source, field, origin)))
        return
    field = f"parameters.{name}"
    if name not in params:
        near = allowed_ids(name, params)
        raise ConfigError(
            scenario_source,
            field,
            f"unknown parameter ({origin}); allowed: a parameter of the scenario "
            f"(see `escalation-sim params`) or mechanisms.<switch>"
            + (f"; {near}" if near.startswith("did you mean") else ""),
        )
    spec = params[name]
    value = _as_number(raw, spec.is_int, scenario_source, field, origin)
    if not spec.min <= value <= spec.max:
        raise ConfigError(
            scenario_source,
            field,
            f"{value} is out of range ({origin}); allowed: {spec.min} to {spec.max}",
        )
    params[name] = spec.model_copy(update={"value": value})


def _as_bool(raw: Any, source: str, field: str, origin: str) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(
        source, field, f"{raw!r} is not a switch value ({origin}); allowed: true or false"
    )


def _as_number(raw: Any, is_int: bool, source: str, field: str, origin: str) -> float | int:
    kind = "an integer" if is_int else "a number"
    if isinstance(raw, bool):
        raise ConfigError(source, field, f"{raw!r} is not {kind} ({origin}); allowed: {kind}")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ConfigError(
            source, field, f"{raw!r} is not {kind} ({origin}); allowed: {kind}"
        ) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ConfigError(source, field, f"{raw!r} is not finite ({origin}); allowed: {kind}")
    if is_int:
        if not value.is_integer():
            raise ConfigError(source, field, f"{raw!r} is not {kind} ({origin}); allowed: {kind}")
        return int(value)
    return value
