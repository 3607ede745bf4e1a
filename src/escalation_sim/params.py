"""A frozen, typed view of a scenario's parameter values, read once by the model."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


class Params(Mapping[str, float | int]):
    """Parameter values with attribute access (``p.border_hardening``); immutable.

    Built once per model from the scenario (after overrides), so mechanisms read plain numbers
    and a run's parameters can be stored beside its outputs.
    """

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, float | int]) -> None:
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"no parameter named {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Params is read-only; pass overrides when building the model")

    def __getitem__(self, key: str) -> float | int:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Params({self._values!r})"

    def __reduce__(self) -> tuple:
        return (Params, (self._values,))
