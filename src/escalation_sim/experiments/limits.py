"""Upper bounds on every size a user can ask for, checked before anything is allocated or written.

Each bound is far above what a study needs (the bundled experiments stay below a hundredth of
it) and low enough that the request fits in memory and finishes: a mistyped ``--seeds
1000000000`` is refused at once, naming the bound, instead of growing for minutes. The same
numbers are stated in ``docs/experiments.md`` and the README.
"""

from __future__ import annotations

#: Seeds (runs) per design point: ``[seeds] per_point`` and ``sweep --seeds``.
MAX_SEEDS = 100_000
#: Runs of one sweep: design points x seeds per point.
MAX_RUNS = 1_000_000
#: Rows a design may have (grid combinations, LHS samples, Sobol or Morris rows).
MAX_DESIGN_ROWS = 100_000
#: Levels of one grid parameter.
MAX_LEVELS = 1_000
#: Morris trajectories (``trajectories``, ``screening``).
MAX_TRAJECTORIES = 10_000
#: Morris grid levels.
MAX_MORRIS_LEVELS = 100
#: Bootstrap resamples of ``[analysis]``.
MAX_RESAMPLES = 100_000
#: Weeks of one run (``weeks``, ``--weeks``): the scenario schema's cap
#: (``scenario.schema.MAX_WEEKS``), one number for both; written out rather than imported, so
#: that the command line's ``--help`` does not import pydantic (tests/test_cli_help.py keeps
#: the two equal).
MAX_WEEKS = 2000
#: Largest seed (``--seed``, ``[seeds] root``): a signed 64-bit integer.
MAX_SEED = 2**63 - 1
#: Runs of ``validate hindcast`` and ``validate tails`` (``--seeds``).
MAX_VALIDATION_SEEDS = 10_000
#: Side of Epstein's torus (``validate epstein --set width=/height=``).
MAX_EPSTEIN_SIDE = 1_000
#: Vision radius in Epstein's model (``vision``, ``cop_vision``).
MAX_EPSTEIN_VISION = 50
#: Cells x cells in vision of Epstein's neighbour tables (memory: 8 bytes each).
MAX_EPSTEIN_NEIGHBOURS = 20_000_000
#: Ticks of ``validate epstein``.
MAX_EPSTEIN_TICKS = 100_000
#: Runs per Parquet chunk (``--chunk-runs``).
MAX_CHUNK_RUNS = 100_000


def grouped(n: int) -> str:
    """``1,000,000``: how bounds are printed in errors."""
    return f"{n:,}"
