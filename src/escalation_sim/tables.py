"""Column arrays of the placed agents' changing state, so region-level sums are numpy operations.

Every ``ArmedForce`` and ``IsisCell`` keeps its region, strength and cohesion in a row of an
``AgentTable`` (one table per kind, on the model); the agents stay ordinary Mesa agents whose
attributes read and write their row. Summing strength per region, or drawing one binomial per
cell, is then one numpy call over the rows instead of a Python loop over agents, which is what
dominated a weekly step.

Rows are in creation order, the order in which the model's ``AgentSet`` iterates the agents, so a
vectorised sum adds the same numbers in the same order as the loop it replaces: results are
bit-identical. Removed agents leave dead rows; ``rows()`` compacts them away when they outnumber
the live ones. Column arrays are replaced when the table grows or compacts: read them after the
last ``add`` or ``rows()`` call, not across one.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class AgentTable:
    """Region, strength, cohesion and a code (the actor's index) of one kind of agent, by row.

    Attributes:
        region: Node each agent stands on (-1 if none).
        strength: Fighters.
        cohesion: In [0, 1] (1 for agents without one).
        code: An integer label (forces: index of the actor in ``model.actors``).
        alive: False for rows of removed agents.
        agents: The agent of each row (None for removed ones).
    """

    def __init__(self, capacity: int = 64) -> None:
        self.size = 0
        self.dead = 0
        self.agents: list[Any] = []
        self._allocate(max(8, capacity))
        self._rows: np.ndarray | None = None

    def _allocate(self, capacity: int) -> None:
        old = getattr(self, "alive", None)
        n = self.size
        region = np.full(capacity, -1, dtype=np.int64)
        strength = np.zeros(capacity)
        cohesion = np.ones(capacity)
        code = np.zeros(capacity, dtype=np.int64)
        alive = np.zeros(capacity, dtype=bool)
        if old is not None:
            region[:n], strength[:n] = self.region[:n], self.strength[:n]
            cohesion[:n], code[:n], alive[:n] = self.cohesion[:n], self.code[:n], self.alive[:n]
        self.region, self.strength, self.cohesion = region, strength, cohesion
        self.code, self.alive = code, alive

    def add(self, agent: Any, strength: float, cohesion: float = 1.0, code: int = 0) -> int:
        """Append a row for ``agent`` (not yet placed); return the row."""
        if self.size == len(self.alive):
            self._allocate(2 * self.size)
        row = self.size
        self.strength[row], self.cohesion[row], self.code[row] = strength, cohesion, code
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

    def sum_by_region(self, n: int, mask: np.ndarray | None = None, effective: bool = True):
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
        for column in ("region", "strength", "cohesion", "code", "alive"):
            array = getattr(self, column)
            array[:k] = array[keep]
            array[k : self.size] = -1 if column == "region" else 0
        self.agents = [self.agents[r] for r in keep]
        for row, agent in enumerate(self.agents):
            agent._row = row
        self.size, self.dead = k, 0
