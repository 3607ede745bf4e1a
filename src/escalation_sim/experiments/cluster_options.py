"""The Dask options of ``escalation-sim sweep`` (``cluster.py`` runs them), importing nothing heavy.

``escalation-sim --help`` registers every sub-command; this module lets ``sweep`` register its
``--scheduler`` and ``--dask-local`` without importing the executors (multiprocessing,
concurrent.futures) or Dask. ``cluster.add_cluster_options`` and ``cluster.INSTALL`` are these.
"""

from __future__ import annotations

import argparse

#: What to install when Dask is missing.
INSTALL = "pip install 'escalation-sim[cluster]'"


def add_cluster_options(parser: argparse.ArgumentParser) -> None:
    """``--scheduler`` and ``--dask-local`` for ``escalation-sim sweep``."""
    from escalation_sim.cli import positive_int

    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="run on the Dask cluster whose scheduler is at ADDRESS (e.g. tcp://host:8786); "
        f"needs the cluster extra ({INSTALL})",
    )
    group.add_argument(
        "--dask-local",
        metavar="N",
        type=positive_int,
        default=None,
        help="start a Dask LocalCluster of N worker processes on 127.0.0.1 (no dashboard) and "
        "run on it",
    )
