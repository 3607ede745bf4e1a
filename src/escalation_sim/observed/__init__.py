"""The observed record to November 2024 and the observation operator.

Tables (typed pandas DataFrames, each row with a ``source_key`` cited in :func:`sources`):
:func:`ged_iraq_monthly`, :func:`series`, :func:`territory`, :func:`strength`,
:func:`context`, :func:`militia_israel` and :func:`regions` (the scenarios' region ids against
governorates). The observation operator (:mod:`escalation_sim.observed.observation`) maps a
model run's events and weekly series onto each series' definition. ``docs/observed.md`` defines
every series, its caveats and how it is compared with the model.

Example:
    >>> from escalation_sim import observed
    >>> ged = observed.ged_iraq_monthly()
    >>> int(ged.query("year == 2014")["events"].sum())
    796
"""

from escalation_sim.observed.observation import (
    COMPARISONS,
    MILITIA_COMPARISONS,
    Comparison,
    compare_ged,
    compare_militia,
    compare_regions_held,
    compare_strength,
    counterparts,
    ged_counts,
    model_at,
    model_attacks,
    observed_ged,
    observed_regions_held,
    observed_strikes_iraq,
    operate,
    weekly_counts,
)
from escalation_sim.observed.tables import (
    CUTOFF,
    SCHEMAS,
    context,
    ged_iraq_monthly,
    load,
    militia_israel,
    regions,
    series,
    sources,
    strength,
    territory,
)

__all__ = [
    "COMPARISONS",
    "CUTOFF",
    "MILITIA_COMPARISONS",
    "SCHEMAS",
    "Comparison",
    "compare_ged",
    "compare_militia",
    "compare_regions_held",
    "compare_strength",
    "context",
    "counterparts",
    "ged_counts",
    "ged_iraq_monthly",
    "load",
    "militia_israel",
    "model_at",
    "model_attacks",
    "observed_ged",
    "observed_regions_held",
    "observed_strikes_iraq",
    "operate",
    "regions",
    "series",
    "sources",
    "strength",
    "territory",
    "weekly_counts",
]
