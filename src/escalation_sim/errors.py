"""User-facing errors: one line naming the file, the field and what is allowed."""

from __future__ import annotations

from pathlib import Path


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
