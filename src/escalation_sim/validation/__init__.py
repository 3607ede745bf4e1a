"""Validation of the model: docking with Epstein (2002), the 2013-2019 hindcast, heavy tails.

``docs/VALIDATION.md`` lists each check with the command that reproduces it.

* ``epstein``: Epstein's civil violence Model I on a 40x40 torus, run through the kernel the
  escalation model uses (``escalation_sim.kernels.civil_violence``).
* ``hindcast``: the ``hindcast_2013`` scenario against observed yearly figures
  (``validation/data/*.csv``, shipped with their citations).
* ``tails``: the size distribution of ISIS attacks, fitted by maximum likelihood (Clauset,
  Shalizi and Newman 2009) with the ``powerlaw`` package.
"""
