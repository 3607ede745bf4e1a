"""Column arrays of the placed agents' changing state, so region-level sums are numpy operations.

Every ``ArmedForce`` and ``IsisCell`` keeps its region, strength and cohesion in a row of an
``AgentTable`` (one table per kind, on the model); the agents stay ordinary Mesa agents whose
attributes read and write their row. Summing strength per region, or drawing one binomial per
cell, is then one numpy call over the rows instead of a Python loop over agents, which is what
dominated a weekly step.

The columns are for reading (``table.strength[rows]``); every write goes through a method of the
table (``place``, ``set_strength``, ``add_strength``, ``remove_fighters``, ``shift_cohesion``...)
or of the agent, so the table stays the one place that knows its layout.

Rows are in creation order, the order in which the model's ``AgentSet`` iterates the agents, so a
vectorised sum adds the same numbers in the same order as the loop it replaces: results are
bit-identical. Removed agents leave dead rows; ``rows()`` compacts them away when they outnumber
the live ones. Column arrays are replaced when the table grows or compacts: read them after the
last ``add`` or ``rows()`` call, not across one.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np


class Tabled(Protocol):
    """What a table needs of the agent of a row: to be told its new row after a compaction."""

    def moved_to_row(self, row: int) -> None:
        """The agent's row is now ``row``."""


class AgentTable:
    """Region, strength, cohesion, actor and origin of one kind of agent, by row.

    Attributes:
        region: Node each agent stands on (-1 if none).
        strength: Fighters.
        cohesion: In [0, 1] (1 for agents without one).
        standing: The cohesion a force recovers towards (its file value, or the timeline's
            latest); read by the towns phase's endogenous cohesion.
        actor: Index of the agent's actor in ``model.actors``.
        iraqi: True for an ISIS cell of Iraqi origin (False for every force).
        alive: False for rows of removed agents.
        agents: The agent of each row (None for removed ones).
    """

    COLUMNS = ("region", "strength", "cohesion", "standing", "actor", "iraqi", "alive")

    region: np.ndarray
    strength: np.ndarray
    cohesion: np.ndarray
    standing: np.ndarray
    actor: np.ndarray
    iraqi: np.ndarray
    alive: np.ndarray

    def __init__(self, capacity: int = 64) -> None:
        self.size = 0
        self.dead = 0
        #: How many times the rows were compacted (row numbers change when it does).
        self.compactions = 0
        self.agents: list[Any] = []
        self._allocate(max(8, capacity))
        self._rows: np.ndarray | None = None

    def _allocate(self, capacity: int) -> None:
        n = self.size
        fresh = {
            "region": np.full(capacity, -1, dtype=np.int64),
            "strength": np.zeros(capacity),
            "cohesion": np.ones(capacity),
            "standing": np.ones(capacity),
            "actor": np.zeros(capacity, dtype=np.int64),
            "iraqi": np.zeros(capacity, dtype=bool),
            "alive": np.zeros(capacity, dtype=bool),
        }
        for column, array in fresh.items():
            if n:
                array[:n] = getattr(self, column)[:n]
            setattr(self, column, array)

    def add(
        self,
        agent: Any,
        strength: float,
        cohesion: float = 1.0,
        actor: int = 0,
        iraqi: bool = False,
    ) -> int:
        """Append a row for ``agent`` (not yet placed); return the row."""
        if self.size == len(self.alive):
            self._allocate(2 * self.size)
        row = self.size
        self.strength[row], self.cohesion[row] = strength, cohesion
        self.standing[row] = cohesion
        self.actor[row], self.iraqi[row] = actor, iraqi
        self.region[row] = -1
        self.alive[row] = True
        self.agents.append(agent)
        self.size += 1
        self._rows = None
        return row

    def discard(self, row: int) -> None:
        """Mark a removed agent's row dead."""
        if self.alive[row]:
            self.alive[row] = False
            self.region[row] = -1
            self.agents[row] = None
            self.dead += 1
            self._rows = None

    def rows(self) -> np.ndarray:
        """Rows of the live agents, in creation order (compacts dead rows first if many)."""
        if self._rows is None:
            if self.dead > 32 and self.dead > self.size - self.dead:
                self._compact()
            self._rows = np.flatnonzero(self.alive[: self.size])
        return self._rows

    def live(self) -> list[Any]:
        """The live agents, in creation order."""
        agents = self.agents
        return [agents[r] for r in self.rows()]

    def agent(self, row: int) -> Any:
        """The agent of a row."""
        return self.agents[row]

    # ------------------------------------------------------------------ writes

    def place(self, row: int, region: int) -> None:
        """The agent of ``row`` now stands on ``region`` (-1: nowhere)."""
        self.region[row] = region

    def set_strength(self, row: int, value: float) -> None:
        """Set one agent's fighters."""
        self.strength[row] = value

    def add_strength(self, row: int, n: float) -> None:
        """Add ``n`` fighters to one agent."""
        self.strength[row] += n

    def set_cohesion(self, row: int, value: float) -> None:
        """Set one agent's cohesion."""
        self.cohesion[row] = value

    def set_standing(self, row: int, value: float) -> None:
        """Set the cohesion one agent recovers towards."""
        self.standing[row] = value

    def set_strengths(self, rows: np.ndarray, values: np.ndarray) -> None:
        """Set the fighters of several agents at once."""
        self.strength[rows] = values

    def set_cohesions(self, rows: np.ndarray, values: np.ndarray) -> None:
        """Set the cohesion of several agents at once, kept in [0, 1]."""
        self.cohesion[rows] = np.clip(values, 0.0, 1.0)

    def remove_fighters(self, rows: np.ndarray, losses: np.ndarray) -> np.ndarray:
        """Take ``losses`` fighters from each of ``rows``; return the rows left with under one."""
        self.strength[rows] -= losses
        return rows[self.strength[rows] < 1]

    def shift_cohesion(self, rows: np.ndarray, change: float) -> None:
        """Add ``change`` to the cohesion of ``rows``, kept in [0, 1]."""
        self.cohesion[rows] = np.minimum(1.0, np.maximum(0.0, self.cohesion[rows] + change))

    # ------------------------------------------------------------------ sums

    def sum_by_region(
        self, n: int, mask: np.ndarray | None = None, effective: bool = True
    ) -> np.ndarray:
        """Strength (times cohesion if ``effective``) per region over the live rows in ``mask``.

        Args:
            n: Number of regions.
            mask: Boolean over ``rows()`` (default: every live row).
            effective: Weigh by strength x cohesion rather than strength.
        """
        rows = self.rows()
        if mask is not None:
            rows = rows[mask]
        weights = self.strength[rows]
        if effective:
            weights = weights * self.cohesion[rows]
        return np.bincount(self.region[rows], weights=weights, minlength=n)

    def _compact(self) -> None:
        keep = np.flatnonzero(self.alive[: self.size])
        k = len(keep)
        for column in self.COLUMNS:
            array = getattr(self, column)
            array[:k] = array[keep]
            array[k : self.size] = -1 if column == "region" else 0
        self.agents = [self.agents[r] for r in keep]
        for row, agent in enumerate(self.agents):
            agent.moved_to_row(row)
        self.size, self.dead = k, 0
        self.compactions += 1
