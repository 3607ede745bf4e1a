"""Imported by multiprocessing's fork server only (``executors.PRELOAD``), never elsewhere.

Importing it ties the importing process to its parent (``lifeline.die_with_parent``): the fork
server of a sweep then dies with the sweep, and its workers with it.
"""

from escalation_sim.experiments.lifeline import die_with_parent

die_with_parent()
