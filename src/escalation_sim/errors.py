"""User-facing errors: one line naming the file, the field and what is allowed."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

#: Lines a ``ConfigErrors`` shows before summing up the rest as "... and N more".
MAX_ERROR_LINES = 20


class ConfigError(ValueError):
    """A scenario, override or experiment config that cannot be used.

    The CLI prints ``str(error)`` as a single line and exits non-zero, with no traceback.

    Args:
        source: The file (or pseudo-source such as ``--set``) the bad input came from.
        field: Dotted path of the offending field, e.g. ``parameters.border_hardening``.
        message: What is wrong and what is allowed.
    """

    def __init__(self, source: str | Path | None, field: str | None, message: str) -> None:
        self.source = str(source) if source is not None else None
        self.field = field
        self.message = " ".join(str(message).split())  # always one line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        parts = [p for p in (self.source, self.field) if p]
        return ": ".join([*parts, self.message])

    @property
    def lines(self) -> list[str]:
        """The lines the CLI prints, one per mistake (here: one)."""
        return [ConfigError.__str__(self)]

    def __reduce__(self) -> tuple[Any, ...]:  # pickles across worker processes intact
        return (ConfigError, (self.source, self.field, self.message))


class ConfigErrors(ConfigError):
    """Several mistakes in one file, reported together: one line each.

    Its ``source``, ``field`` and ``message`` are the first error's, so code that handles a
    single ``ConfigError`` still works; ``errors`` holds all of them, and ``str()`` is their lines
    joined by newlines, the first ``MAX_ERROR_LINES`` of them and then "... and N more".

    Args:
        errors: The mistakes, at least one, in the order found.
    """

    errors: list[ConfigError]

    def __init__(self, errors: Iterable[ConfigError]) -> None:
        flat: list[ConfigError] = []
        for err in errors:
            flat.extend(err.errors if isinstance(err, ConfigErrors) else [err])
        if not flat:
            raise ValueError("ConfigErrors needs at least one error")
        self.errors = flat
        first = flat[0]
        super().__init__(first.source, first.field, first.message)

    @property
    def lines(self) -> list[str]:
        """One line per mistake, cut after ``MAX_ERROR_LINES`` with a count of the rest."""
        shown = [ConfigError.__str__(e) for e in self.errors[:MAX_ERROR_LINES]]
        rest = len(self.errors) - MAX_ERROR_LINES
        if rest > 0:
            shown.append(f"... and {rest} more")
        return shown

    def __str__(self) -> str:
        return "\n".join(self.lines)

    def __reduce__(self) -> tuple[Any, ...]:
        return (ConfigErrors, (self.errors,))


def raise_errors(errors: list[ConfigError]) -> None:
    """Raise nothing for no errors, the error itself for one, ``ConfigErrors`` for several."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ConfigErrors(errors)
