"""Docking with Epstein (2002): civil violence Model I on a torus, through the shared kernel.

Epstein, J. M. (2002). Modeling civil violence: An agent-based computational approach. PNAS 99
(suppl. 3), 7243-7250. https://doi.org/10.1073/pnas.092080199

Docking (Axtell, Axelrod, Epstein and Cohen 1996) asks whether a model's rule, run in the
original's setting, reproduces the original's behaviour. Here the rule is the one the escalation
model's recruitment phase uses (``escalation_sim.kernels.civil_violence``: ``grievance``,
``arrest_probability``, ``is_active``, ``jail_term``), run on Epstein's 40x40 torus.

**Agents** (density ``agent_density``) have hardship H ~ U(0, 1) and risk aversion R ~ U(0, 1),
fixed for the run. **Cops** (density ``cop_density``) are all alike. Each tick:

1. jail terms run down; agents whose term has ended return to a random empty cell;
2. every free agent and cop, in a random order, moves to a random empty cell within its vision
   (claims on the same cell go to the first mover in that order; the others stay put);
3. free agents decide, in ``batches`` random groups (each group sees the choices of the groups
   before it, an approximation of Epstein's random asynchronous updating that keeps the step
   vectorised): active iff G - R P > T with G = H (1 - L) and P = 1 - exp(-k C / A), C the cops
   and A the active agents within vision (A counts the agent itself), C / A taken as printed
   (``rule="literal"``) or floored as in NetLogo's Rebellion (``rule="floor"``);
4. cops, in a random order, each arrest one active agent within their vision, drawn at random,
   and step onto its cell; the agent goes to jail for ``jail_term(rng, j_max)`` ticks (uniform on
   0..J_max) and leaves the grid.

Vision is the set of cells an agent inspects: ``cross`` (v cells north, south, east and west, the
literal reading of Epstein's text), ``diamond`` (the von Neumann neighbourhood of radius v, as in
Mesa's example) or ``disk`` (Euclidean radius v, as in NetLogo's Rebellion).

Only Run 2 of Epstein's Table 2 is given here; see ``TABLE2``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from mesa import Model

from escalation_sim.errors import ConfigError
from escalation_sim.kernels.civil_violence import (
    EPSTEIN_K,
    ArrestRule,
    arrest_probability,
    grievance,
    is_active,
    jail_term,
)

VisionShape = Literal["cross", "diamond", "disk"]

#: Actives above which a tick belongs to an outburst.
OUTBURST_LEVEL = 50


@dataclass(frozen=True)
class EpsteinParams:
    """Inputs of Epstein's Model I (defaults: Run 2 of his Table 2)."""

    width: int = 40
    height: int = 40
    agent_density: float = 0.7
    cop_density: float = 0.04
    vision: int = 7
    cop_vision: int = 7
    legitimacy: float = 0.82
    j_max: int = 30
    threshold: float = 0.1
    k: float = EPSTEIN_K
    rule: ArrestRule = "literal"
    shape: VisionShape = "diamond"
    batches: int = 16
    movement: bool = True

    def __post_init__(self) -> None:
        checks = {
            "width": self.width >= 3,
            "height": self.height >= 3,
            "agent_density": 0.0 <= self.agent_density <= 1.0,
            "cop_density": 0.0 <= self.cop_density <= 1.0,
            "vision": self.vision >= 1,
            "cop_vision": self.cop_vision >= 1,
            "legitimacy": 0.0 <= self.legitimacy <= 1.0,
            "j_max": self.j_max >= 0,
            "threshold": 0.0 <= self.threshold <= 1.0,
            "k": self.k >= 0.0,
            "rule": self.rule in ("literal", "floor"),
            "shape": self.shape in ("cross", "diamond", "disk"),
            "batches": self.batches >= 1,
        }
        for name, ok in checks.items():
            if not ok:
                raise ConfigError("epstein", name, f"invalid value {getattr(self, name)!r}")
        if self.agent_density + self.cop_density > 1.0:
            raise ConfigError(
                "epstein", "agent_density", "agent_density + cop_density must not exceed 1"
            )


#: Epstein (2002), Table 2: the inputs of each run that could be checked. Run 2 is given in the
#: issue and matches the defaults of NetLogo's Rebellion model (Wilensky 2004): vision 7,
#: legitimacy 0.82, J_max 30, cop density 0.04, agent density 0.7, threshold 0.1. The inputs of
#: the other runs could not be found in a source we could read, so they are not offered.
TABLE2: dict[int, dict[str, Any]] = {
    2: {
        "vision": 7,
        "cop_vision": 7,
        "legitimacy": 0.82,
        "j_max": 30,
        "cop_density": 0.04,
        "agent_density": 0.7,
        "threshold": 0.1,
    },
}


def table2_params(run: int, **changes: Any) -> EpsteinParams:
    """The inputs of a Table 2 run, with ``changes`` applied (e.g. ``rule="floor"``).

    Raises:
        ConfigError: the run's inputs are not known here.
    """
    if run not in TABLE2:
        allowed = ", ".join(str(r) for r in sorted(TABLE2))
        raise ConfigError(
            "--run",
            None,
            f"run {run} of Epstein's Table 2 is not available (its inputs could not be "
            f"verified); allowed: {allowed}",
        )
    return EpsteinParams(**{**TABLE2[run], **changes})


def param_names() -> list[str]:
    """Names accepted as ``--set NAME=VALUE`` by ``escalation-sim validate epstein``."""
    return [f.name for f in fields(EpsteinParams)]


def vision_offsets(radius: int, shape: VisionShape) -> np.ndarray:
    """(dx, dy) offsets of the cells within vision, the agent's own cell excluded."""
    r = np.arange(-radius, radius + 1)
    dx, dy = (a.ravel() for a in np.meshgrid(r, r, indexing="ij"))
    if shape == "cross":
        keep = (dx == 0) | (dy == 0)
    elif shape == "diamond":
        keep = np.abs(dx) + np.abs(dy) <= radius
    else:
        keep = dx**2 + dy**2 <= radius**2
    keep &= (dx != 0) | (dy != 0)
    return np.column_stack([dx[keep], dy[keep]])


def neighbour_table(width: int, height: int, radius: int, shape: VisionShape) -> np.ndarray:
    """For each cell (flat index y * width + x), the flat indices of the cells within vision."""
    off = vision_offsets(radius, shape)
    cells = np.arange(width * height)
    x, y = cells % width, cells // width
    nx = (x[:, None] + off[None, :, 0]) % width
    ny = (y[:, None] + off[None, :, 1]) % height
    return ny * width + nx


class EpsteinModel(Model):
    """Epstein's Model I with agents and cops held as numpy arrays (module docstring).

    Args:
        params: The inputs (``table2_params(2)`` for Run 2).
        legitimacy: Optional schedule ``tick -> legitimacy`` overriding ``params.legitimacy``
            (tick 1 is the first step); see ``gradual_decline`` and ``sudden_drop``.
        rng: Seed for every random draw.
    """

    def __init__(
        self,
        params: EpsteinParams | None = None,
        legitimacy: Callable[[int], float] | None = None,
        *,
        rng: Any = None,
    ) -> None:
        super().__init__(rng=rng)
        self.params = p = params or EpsteinParams()
        self.schedule_legitimacy = legitimacy
        self.legitimacy = float(legitimacy(0) if legitimacy else p.legitimacy)
        n_cells = p.width * p.height
        self.n_agents = round(p.agent_density * n_cells)
        self.n_cops = round(p.cop_density * n_cells)
        self.agent_nbrs = neighbour_table(p.width, p.height, p.vision, p.shape)
        self.cop_nbrs = neighbour_table(p.width, p.height, p.cop_vision, p.shape)
        start = self.rng.permutation(n_cells)
        self.pos = start[: self.n_agents].copy()
        self.cop_pos = start[self.n_agents : self.n_agents + self.n_cops].copy()
        self.hardship = self.rng.random(self.n_agents)
        self.risk = self.rng.random(self.n_agents)
        self.active = np.zeros(self.n_agents, dtype=bool)
        self.jailed = np.zeros(self.n_agents, dtype=bool)
        self.jail_left = np.zeros(self.n_agents, dtype=int)
        # Occupancy: the free agent or cop on each cell (-1 for none).
        self.agent_at = np.full(n_cells, -1, dtype=int)
        self.agent_at[self.pos] = np.arange(self.n_agents)
        self.cop_at = np.full(n_cells, -1, dtype=int)
        self.cop_at[self.cop_pos] = np.arange(self.n_cops)
        self.history: list[tuple[int, int, int, int, float]] = []
        self._record()

    # ------------------------------------------------------------------ the step

    def step(self) -> None:
        """One tick: releases, moves, decisions, arrests (module docstring)."""
        if self.schedule_legitimacy is not None:
            self.legitimacy = float(self.schedule_legitimacy(self.steps))
        self._release()
        if self.params.movement:
            self._move()
        self._decide()
        self._arrest()
        self._record()

    def _release(self) -> None:
        self.jail_left[self.jailed] -= 1
        out = np.flatnonzero(self.jailed & (self.jail_left <= 0))
        if len(out) == 0:
            return
        empty = np.flatnonzero((self.agent_at < 0) & (self.cop_at < 0))
        cells = self.rng.choice(empty, size=len(out), replace=False)
        self.jailed[out] = False
        self.pos[out] = cells
        self.agent_at[cells] = out

    def _move(self) -> None:
        free = np.flatnonzero(~self.jailed)
        n_free = len(free)
        # Movers: free agents (ids 0..n_free-1 here) then cops, in one random order.
        start = np.concatenate([self.pos[free], self.cop_pos])
        options = np.concatenate([self.agent_nbrs[self.pos[free]], self.cop_nbrs[self.cop_pos]])
        empty = (self.agent_at < 0) & (self.cop_at < 0)
        # A uniformly random empty cell within vision: the empty option with the largest key.
        keys = np.where(empty[options], self.rng.random(options.shape), -1.0)
        pick = keys.argmax(axis=1)
        can = keys[np.arange(len(options)), pick] >= 0.0
        target = np.where(can, options[np.arange(len(options)), pick], start)
        order = self.rng.permutation(len(start))
        claimed = target[order]
        _, first = np.unique(claimed, return_index=True)
        wins = np.zeros(len(start), dtype=bool)
        wins[order[first]] = True
        wins &= can
        dest = np.where(wins, target, start)
        agent_dest, cop_dest = dest[:n_free], dest[n_free:]
        self.agent_at[self.pos[free]] = -1
        self.cop_at[self.cop_pos] = -1
        self.pos[free] = agent_dest
        self.cop_pos = cop_dest
        self.agent_at[agent_dest] = free
        self.cop_at[cop_dest] = np.arange(self.n_cops)

    def _decide(self) -> None:
        p = self.params
        free = np.flatnonzero(~self.jailed)
        g = grievance(self.hardship[free], self.legitimacy)
        groups = np.array_split(self.rng.permutation(len(free)), p.batches)
        cop_here = (self.cop_at >= 0).astype(int)
        for group in groups:
            if len(group) == 0:
                continue
            who = free[group]
            nbrs = self.agent_nbrs[self.pos[who]]
            cops = cop_here[nbrs].sum(axis=1)
            occupant = self.agent_at[nbrs]
            actives = np.where(occupant >= 0, self.active[np.maximum(occupant, 0)], False)
            prob = arrest_probability(cops, 1 + actives.sum(axis=1), k=p.k, rule=p.rule)
            self.active[who] = is_active(g[group], self.risk[who], prob, p.threshold)

    def _arrest(self) -> None:
        p = self.params
        for c in self.rng.permutation(self.n_cops):
            nbrs = self.cop_nbrs[self.cop_pos[c]]
            occupant = self.agent_at[nbrs]
            suspects = occupant[occupant >= 0]
            suspects = suspects[self.active[suspects]]
            if len(suspects) == 0:
                continue
            a = int(suspects[self.rng.integers(len(suspects))])
            cell = self.pos[a]
            self.agent_at[cell] = -1
            self.active[a] = False
            self.jailed[a] = True
            self.jail_left[a] = int(jail_term(self.rng, p.j_max))
            self.cop_at[self.cop_pos[c]] = -1
            self.cop_pos[c] = cell
            self.cop_at[cell] = c

    def _record(self) -> None:
        active = int((self.active & ~self.jailed).sum())
        jailed = int(self.jailed.sum())
        self.history.append(
            (self.steps, active, jailed, self.n_agents - active - jailed, self.legitimacy)
        )

    # ------------------------------------------------------------------ results

    def counts(self) -> pd.DataFrame:
        """Per tick: ``tick``, ``active``, ``jailed``, ``quiet``, ``legitimacy``."""
        return pd.DataFrame(
            self.history, columns=["tick", "active", "jailed", "quiet", "legitimacy"]
        )


def run_epstein(
    params: EpsteinParams,
    ticks: int,
    seed: int = 0,
    legitimacy: Callable[[int], float] | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Run Model I for ``ticks`` ticks and return the per-tick counts (tick 0 = the start)."""
    model = EpsteinModel(params, legitimacy, rng=seed)
    steps: Iterable[int] = range(ticks)
    if progress:
        from tqdm import tqdm

        steps = tqdm(steps, desc="ticks", unit="tick", leave=False)
    for _ in steps:
        model.step()
    return model.counts()


# ---------------------------------------------------------------------------------------------
# Legitimacy schedules (Epstein's Figs. 9 and 10)


def gradual_decline(start: float, end: float, first: int, last: int) -> Callable[[int], float]:
    """Legitimacy falling linearly from ``start`` (to tick ``first``) to ``end`` (from ``last``)."""

    def schedule(tick: int) -> float:
        if tick <= first:
            return start
        if tick >= last:
            return end
        return start + (end - start) * (tick - first) / (last - first)

    return schedule


def sudden_drop(start: float, end: float, at: int) -> Callable[[int], float]:
    """Legitimacy ``start`` before tick ``at`` and ``end`` from it on."""
    return lambda tick: start if tick < at else end


# ---------------------------------------------------------------------------------------------
# Outbursts


def outbursts(counts: pd.DataFrame, level: int = OUTBURST_LEVEL) -> pd.DataFrame:
    """Maximal runs of ticks with more than ``level`` actives.

    Returns one row per outburst: ``start`` and ``end`` (ticks, inclusive), ``duration``,
    ``peak`` (most actives in one tick), ``activation`` (actives summed over the outburst) and
    ``wait`` (quiet ticks since the previous outburst ended; missing for the first).
    """
    active = counts["active"].to_numpy()
    ticks = counts["tick"].to_numpy()
    above = active > level
    edges = np.diff(np.concatenate([[0], above.astype(int), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    rows = []
    for i, (s, e) in enumerate(zip(starts, ends, strict=True)):
        rows.append(
            {
                "start": int(ticks[s]),
                "end": int(ticks[e]),
                "duration": int(e - s + 1),
                "peak": int(active[s : e + 1].max()),
                "activation": int(active[s : e + 1].sum()),
                "wait": int(ticks[s] - ticks[ends[i - 1]] - 1) if i > 0 else None,
            }
        )
    cols = ["start", "end", "duration", "peak", "activation", "wait"]
    return pd.DataFrame(rows, columns=cols).astype({"wait": "Int64"})


def outburst_summary(counts: pd.DataFrame, level: int = OUTBURST_LEVEL) -> dict[str, Any]:
    """Number of outbursts, waiting times and sizes, and the quiet level between them."""
    table = outbursts(counts, level)
    waits = table["wait"].dropna().to_numpy(dtype=float)
    quiet = counts["active"].to_numpy()[counts["active"].to_numpy() <= level]

    def stats(x: np.ndarray) -> dict[str, float | None]:
        if len(x) == 0:
            return {"mean": None, "median": None, "min": None, "max": None}
        return {
            "mean": float(np.mean(x)),
            "median": float(np.median(x)),
            "min": float(np.min(x)),
            "max": float(np.max(x)),
        }

    return {
        "level": level,
        "ticks": int(counts["tick"].iloc[-1]),
        "outbursts": len(table),
        "waiting_time": stats(waits),
        "peak_actives": stats(table["peak"].to_numpy(dtype=float)),
        "total_activation": stats(table["activation"].to_numpy(dtype=float)),
        "duration": stats(table["duration"].to_numpy(dtype=float)),
        "actives_between_outbursts_mean": float(quiet.mean()) if len(quiet) else None,
        "max_actives": int(counts["active"].max()),
    }


def params_dict(params: EpsteinParams) -> dict[str, Any]:
    """The inputs as a plain dict (for JSON summaries)."""
    return asdict(params)


def with_changes(params: EpsteinParams, changes: dict[str, str]) -> EpsteinParams:
    """Apply ``--set NAME=VALUE`` strings, each parsed to the field's type.

    Raises:
        ConfigError: unknown name or a value of the wrong type.
    """
    types = {f.name: f.type for f in fields(EpsteinParams)}
    parsed: dict[str, Any] = {}
    for name, raw in changes.items():
        if name not in types:
            raise ConfigError(
                "--set", name, f"unknown Epstein input; allowed: {', '.join(param_names())}"
            )
        default = getattr(EpsteinParams(), name)
        try:
            if isinstance(default, bool):
                if raw.lower() not in ("true", "false"):
                    raise ValueError(raw)
                parsed[name] = raw.lower() == "true"
            elif isinstance(default, int):
                parsed[name] = int(raw)
            elif isinstance(default, float):
                parsed[name] = float(raw)
            else:
                parsed[name] = raw
        except ValueError:
            kind = type(default).__name__
            raise ConfigError("--set", name, f"{raw!r} is not a valid {kind}") from None
    return replace(params, **parsed)
