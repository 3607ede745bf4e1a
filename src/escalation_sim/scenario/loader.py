"""Finding, parsing and validating scenario files, and applying ``key=value`` overrides."""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from escalation_sim.errors import ConfigError
from escalation_sim.scenario.schema import Scenario

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
        ConfigError: the file is missing, is not valid TOML, or breaks the schema. The message is
            one line naming the file and the field.
    """
    path = resolve_scenario_path(name_or_path)
    stat = path.stat()
    return _load_cached(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _load_cached(path: str, _mtime: int, _size: int) -> Scenario:
    return parse_scenario(Path(path).read_bytes(), source=path)


def parse_scenario(data: bytes | str | Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a scenario given as TOML text or as an already parsed mapping."""
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    return parse_toml_model(Scenario, data, source)


def parse_toml_model[M: BaseModel](model: type[M], data: str | Mapping[str, Any], source: str) -> M:
    """Validate TOML text or a parsed mapping as ``model``; any error is a one-line ConfigError.

    The one way files are read into schemas (scenarios, experiment configs), so broken TOML and
    schema errors read the same whatever the file.
    """
    if isinstance(data, str):
        try:
            data = tomllib.loads(data)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(source, None, f"invalid TOML: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, source, data) from None


def validation_error(exc: ValidationError, source: str, data: Any) -> ConfigError:
    """Turn pydantic's first error into a one-line ConfigError naming the field."""
    errors = exc.errors()
    err = errors[0]
    loc = _strip_type_tags(err["loc"])
    field = _field_path(loc, data)
    msg = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if not field and ": " in msg:  # cross-reference errors carry their own field path
        field, msg = msg.split(": ", 1)
    if err["type"] == "extra_forbidden":
        msg = "unknown field; remove it or check its spelling"
    elif err["type"] == "missing":
        msg = "required field is missing"
    elif loc and isinstance(err.get("input"), str | int | float | bool):
        msg = f"{msg} (got {err['input']!r})"
    others = {_strip_type_tags(e["loc"]) for e in errors} - {loc}
    if others:
        msg += f" (+{len(others)} more field{'s' if len(others) > 1 else ''} with errors)"
    return ConfigError(source, field or None, msg)


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
    """Render a pydantic location as ``regions[sinjar].population.kurd``."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            label = str(part)
            if isinstance(node, list) and part < len(node) and isinstance(node[part], dict):
                label = str(node[part].get("id", part))
            out += f"[{label}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
        else:
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
    for key, raw in overrides.items():
        name = key.removeprefix("parameters.")
        if name.startswith("mechanisms."):
            mech = name.removeprefix("mechanisms.")
            field = f"mechanisms.{mech}"
            if mech not in mechs:
                allowed = ", ".join(sorted(mechs))
                raise ConfigError(
                    scenario_source, field, f"unknown mechanism ({origin}); allowed: {allowed}"
                )
            mechs[mech] = _as_bool(raw, scenario_source, field, origin)
            continue
        field = f"parameters.{name}"
        if name not in params:
            raise ConfigError(
                scenario_source,
                field,
                f"unknown parameter ({origin}); allowed: a parameter of the scenario "
                f"(see `escalation-sim params`) or mechanisms.<switch>",
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
    return scenario.model_copy(update={"parameters": params, "mechanisms": mechs})


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
