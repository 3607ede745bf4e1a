"""The endogenous hindcast's must-holds (issue 12 item 2) over seeds 0..n-1.

Runs ``hindcast_2013`` with ``run(seed=s)`` for s = 0..n-1 (not the spawned seeds of
``escalation-sim validate``) and prints: the runs in which ISIS holds Iraqi territory (a region
or a town) in mid-2014 (15 June - 31 July 2014) and those in which it holds none on 1 December
2018; the towns ISIS holds at most in the second quarter of 2014, by run; the mean yearly attacks
and deaths in Iraq with Pearson's r and the model/observed ratio against the GTD years of
``validation/data/observed_yearly.csv`` (all perpetrators), and of the attacks against each
ISIS-attributed yearly series of the record (``observed/data/series.csv``, before the cutoff).
The runs go on past the scenario's 2019 horizon to 19 November 2024. Usage::

    PYTHONPATH=src python scripts/hindcast_must_hold.py [n_seeds] [name=value ...]
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from escalation_sim.observed import tables
from escalation_sim.run import run
from escalation_sim.validation.hindcast import observed

#: Run on to the last full week before the record's cutoff (27 November 2024).
WEEKS = 620

#: ISIS-attributed yearly attacks in Iraq in the record (observed/data/series.csv): source key
#: and measure, the years each covers before the cutoff.
ISIS_ATTACKS = (
    ("GTD_SUBSET", "ISIL_attacks"),
    ("UCDP_GED_CSIF", "IS_events"),
    ("CTC_KNIGHTS", "IS_attacks"),
    ("BBCM", "IS_claimed_attacks"),
    ("WING_IS", "IS_incidents"),
    ("MEI_LISTER", "Lister_ISIS_attacks_Iraq"),
)


def main(argv: list[str]) -> None:
    """Run the seeds and print the must-holds (module docstring)."""
    n = int(argv[0]) if argv else 20
    overrides = {k: float(v) for k, v in (a.split("=", 1) for a in argv[1:])}
    mid, none_2018, q2_towns, attacks, deaths = [], [], [], [], []
    for s in range(n):
        ts = run("hindcast_2013", overrides=overrides, seed=s, weeks=WEEKS, events=False).timeseries
        date = pd.to_datetime(ts["date"])
        held = ts["isis_towns_iraq"] + ts["isis_regions_iraq"]
        mid.append(bool((held[(date >= "2014-06-15") & (date <= "2014-07-31")] > 0).any()))
        none_2018.append(bool(held[date >= "2018-12-01"].iloc[0] == 0))
        towns = ts.set_index(date)["isis_towns_iraq"].resample("QE").max()
        q2_towns.append(int(towns.loc["2014-06-30"]))
        flows = ts[ts["week"] > 0]
        yearly = flows.groupby(date.dt.year)[["isis_attacks_iraq", "isis_deaths_iraq"]].sum()
        attacks.append(yearly["isis_attacks_iraq"])
        deaths.append(yearly["isis_deaths_iraq"])
    print(f"ISIS holds Iraqi territory in mid-2014: {sum(mid)} of {n} runs")
    print(f"ISIS holds no Iraqi territory on 1 December 2018: {sum(none_2018)} of {n} runs")
    print(f"towns ISIS holds at most in 2014 Q2, by run: {q2_towns}")
    obs = observed()
    for name, runs, series in (
        ("attacks", attacks, "terrorism_attacks"),
        ("deaths", deaths, "terrorism_deaths"),
    ):
        mean = pd.concat(runs, axis=1).mean(axis=1)
        o = obs[(obs.country == "IRQ") & (obs.series == series)].set_index("year")["value"]
        years = [y for y in o.index if y in mean.index]
        r = np.corrcoef(mean[years], o[years])[0, 1]
        ratios = ", ".join(f"{y} {mean[y] / o[y]:.2f}" for y in years)
        print(
            f"{name} in Iraq by year (mean; 2024 to 19 Nov): {mean.round(0).astype(int).to_dict()}"
        )
        print(f"  against GTD (all perpetrators): r = {r:.2f}; model/observed: {ratios}")
    mean = pd.concat(attacks, axis=1).mean(axis=1)
    series = tables.series()
    iraq = series[(series.country == "Iraq") & (series.period == "year") & ~series.beyond_cutoff]
    for key, measure in ISIS_ATTACKS:
        o = iraq[(iraq.source_key == key) & (iraq.measure == measure)]
        o = o.set_index(pd.to_datetime(o.start).dt.year)["value"]
        years = [y for y in o.index if y in mean.index and y >= 2013]
        r = np.corrcoef(mean[years], o[years])[0, 1] if len(years) >= 3 else float("nan")
        ratios = ", ".join(f"{y} {mean[y] / o[y]:.2f}" for y in years)
        print(f"  against {key} {measure}: r = {r:.2f}; model/observed: {ratios}")


if __name__ == "__main__":
    main(sys.argv[1:])
