"""The observed tables (escalation_sim.observed) and the observation operator."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from escalation_sim import observed
from escalation_sim.observed import observation, tables

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "src" / "escalation_sim" / "observed" / "data"
#: Folder of the raw observed record; the reproduction test runs only where it is set.
RECORD_ENV = "ESCALATION_SIM_OBSERVED_RECORD"

_KIND_CHECKS = {
    "int": pd.api.types.is_integer_dtype,
    "float": pd.api.types.is_float_dtype,
    "date": pd.api.types.is_datetime64_any_dtype,
    "bool": pd.api.types.is_bool_dtype,
    "str": pd.api.types.is_string_dtype,
}


# --------------------------------------------------------------------------- tables


@pytest.mark.parametrize("name", sorted(tables.SCHEMAS))
def test_table_columns_and_dtypes(name: str) -> None:
    frame = observed.load(name)
    schema = tables.SCHEMAS[name]
    assert list(frame.columns) == list(schema)
    assert len(frame) > 0
    for column, kind in schema.items():
        if isinstance(kind, tuple):
            assert isinstance(frame[column].dtype, pd.CategoricalDtype), column
            assert frame[column].notna().all(), f"{name}.{column} has a value outside {kind}"
        else:
            assert _KIND_CHECKS[kind](frame[column]), f"{name}.{column} is {frame[column].dtype}"
    for column, kind in schema.items():
        if kind == "date":
            assert frame[column].notna().all(), f"{name}.{column} has an empty date"


def test_loaders_are_the_named_tables() -> None:
    assert observed.series().equals(observed.load("series"))
    assert observed.territory().equals(observed.load("territory"))
    with pytest.raises(KeyError, match="no observed table"):
        observed.load("nope")


def test_tables_are_compact() -> None:
    total = sum(p.stat().st_size for p in DATA.iterdir() if p.is_file())
    assert total < 400_000


def test_nothing_on_or_after_the_cutoff_but_the_marked_rows() -> None:
    cutoff = observed.CUTOFF
    assert cutoff == pd.Timestamp("2024-11-27")
    s = observed.series()
    late = s[s["end"] >= cutoff]
    assert late["beyond_cutoff"].all()
    assert not s.loc[s["end"] < cutoff, "beyond_cutoff"].any()
    # only 2024 totals (whole year or the year to a late-2024 date) go past the cutoff
    assert (late["start"] == pd.Timestamp("2024-01-01")).all()
    assert set(late["period"]) <= {"year", "year-to-date"}
    assert {"UCDP_CY251_ALL", "WING_IS"} <= set(late["source_key"])
    ctx = observed.context()
    late_ctx = ctx[ctx["date"] >= cutoff]
    assert late_ctx["beyond_cutoff"].all() and len(late_ctx) == 1
    assert late_ctx["date"].iloc[0] == pd.Timestamp("2024-12-08")
    assert "Damascus" in late_ctx["event"].iloc[0]
    mil = observed.militia_israel()
    late_mil = mil[mil["end"] >= cutoff]
    assert late_mil["beyond_cutoff"].all()
    assert list(late_mil["period"]) == ["2024"] and list(late_mil["kind"]) == ["count"]
    assert (observed.territory()["date"] < cutoff).all()
    assert (observed.strength()["date"] < cutoff).all()
    assert observed.ged_iraq_monthly()["year"].max() == 2018
    # the November 2024 monthly report covers days after the cutoff: left out
    nov = s[(s["start"] == pd.Timestamp("2024-11-01")) & (s["source_key"] == "RIC")]
    assert nov.empty


def test_every_source_key_is_defined_with_citation_and_licence() -> None:
    src = observed.sources()
    for name in tables.SCHEMAS:
        if "source_key" not in tables.SCHEMAS[name]:
            continue
        missing = set(observed.load(name)["source_key"]) - set(src)
        assert not missing, f"{name}: undefined source keys {missing}"
    for key, entry in src.items():
        for field in ("citation", "definition", "licence"):
            assert entry.get(field), f"{key} has no {field}"
    for key in ("UCDP_GED_HDX", "UCDP_GED_CSIF", "UCDP_CY251_SB"):
        assert src[key]["licence"].startswith("CC BY 4.0")
        assert "Sundberg" in src[key]["citation"] and "Melander (2013)" in src[key]["citation"]
        assert "Davies" in src[key]["citation"] and "(2024)" in src[key]["citation"]


def test_the_project_names_no_shared_path() -> None:
    for path in [*DATA.iterdir(), ROOT / "docs" / "observed.md"]:
        text = path.read_text(encoding="utf-8")
        assert "../shared" not in text and "shared/data" not in text, path.name
        assert "raw/" not in text, path.name


def _one(frame: pd.DataFrame, **where: object) -> float:
    mask = np.ones(len(frame), dtype=bool)
    for column, value in where.items():
        mask &= (frame[column] == value).to_numpy()
    hit = frame[mask]
    assert len(hit) == 1, f"{where}: {len(hit)} rows"
    return float(hit["value"].iloc[0])


def _year(frame: pd.DataFrame, key: str, year: int, quantity: str, country: str = "Iraq") -> float:
    return _one(
        frame,
        source_key=key,
        country=country,
        quantity=quantity,
        period="year",
        start=pd.Timestamp(year, 1, 1),
    )


def test_spot_checks_against_the_record() -> None:
    s = observed.series()
    # SOURCES.md, reliability notes: 2018 Iraq, GED 114-176 events (CSIF, HDX)
    assert _year(s, "UCDP_GED_CSIF", 2018, "incidents") == 114
    ged = observed.ged_iraq_monthly()
    by_year = ged.groupby("year")[["events", "deaths"]].sum()
    assert by_year.loc[2018, "events"] == 176
    assert tuple(by_year.loc[2014]) == (796, 15092)
    assert tuple(by_year.loc[2013]) == (495, 3985)
    jan13 = ged[(ged["year"] == 2013) & (ged["month"] == 1)]
    assert (jan13["events"].sum(), jan13["deaths"].sum()) == (26, 168)
    one_sided = jan13[jan13["violence_type"] == "one_sided"]
    assert (one_sided["events"].sum(), one_sided["deaths"].sum()) == (6, 50)
    # CTC Knights: 2018 1,470; 2019 1,669; Q1-Q3 2020 566, 808, 510; 330 a quarter
    assert _year(s, "CTC_KNIGHTS", 2018, "incidents") == 1470
    assert _year(s, "CTC_KNIGHTS", 2019, "incidents") == 1669
    quarters = s[(s["source_key"] == "CTC_KNIGHTS") & s["period"].str.startswith("2020Q")]
    assert quarters.sort_values("start")["value"].tolist() == [566, 808, 510]
    assert _one(s, source_key="CTC_KNIGHTS_QAVG") == 330
    # Antiwar.com annual tallies 2016-2022
    aw = {2016: 52369, 2017: 36898, 2018: 7201, 2019: 3092, 2020: 1942, 2021: 1625, 2022: 1681}
    for year, value in aw.items():
        assert _year(s, "AW_ALL", year, "deaths") == value
    # State Department annex: 3,370 and 2,418 attacks; IS claimed 959 and 741
    assert _year(s, "USDOS_ANNEX_ALL", 2014, "incidents") == 3370
    assert _year(s, "USDOS_ANNEX_ALL", 2015, "incidents") == 2418
    assert _year(s, "USDOS_ANNEX_ISCLAIMED", 2014, "incidents") == 959
    assert _year(s, "USDOS_ANNEX_ISCLAIMED", 2015, "incidents") == 741
    # MEI (Lister): Iraq 2023 122, H1 2024 35; Syria H1 2024 551
    assert _year(s, "MEI_LISTER", 2023, "incidents") == 122
    h1 = s[(s["source_key"] == "MEI_LISTER") & (s["end"] == pd.Timestamp("2024-06-30"))]
    assert dict(zip(h1["country"], h1["value"], strict=True)) == {"Iraq": 35, "Syria": 551}
    # CENTCOM: 153 claimed attacks in Iraq and Syria in Jan-Jun 2024
    centcom = s[(s["source_key"] == "CENTCOM_2024") & (s["country"] == "Iraq+Syria")]
    assert set(centcom["value"]) == {121, 153}
    assert _year(s, "NPA", 2022, "incidents", "Syria") == 188
    # UCDP country-year v25.1 (also in the record's yearly file)
    assert _year(s, "UCDP_CY251_SB", 2014, "deaths") == 13168
    assert _year(s, "UCDP_CY251_OS_NSG", 2024, "deaths") == 8
    assert _year(s, "UCDP_CY251_ALL", 2011, "deaths") == 1365
    # qualifiers as reported (">10,000", "~2,000")
    wing = s[(s["source_key"] == "WING_ALLINC") & (s["period"] == "year")]
    assert dict(zip(wing["start"].dt.year, wing["qualifier"], strict=True))[2014] == ">"


def test_militia_and_strength_spot_checks() -> None:
    mil = observed.militia_israel()
    winep = mil[mil["source_key"] == "WINEP_MS"].query("kind == 'count'")
    assert winep.sort_values("start")["value"].tolist() == [13, 6, 35, 47]
    alma = mil[mil["quantity"] == "IRI_claimed_attacks_on_Israel_Alma"]
    assert alma["value"].tolist() == [18]
    assert alma["end"].iloc[0] == pd.Timestamp("2024-09-25")
    # the rows that held their description in the value column are events
    lse = mil[mil["source_key"] == "LSE_MEC"]
    assert (lse["kind"] == "event").all() and lse["description"].str.len().gt(10).all()
    st = observed.strength()
    dod = st[st["source_key"] == "DOD_2018"].iloc[0]
    assert (dod["low"], dod["high"], dod["area"]) == (28600, 31600, "Iraq+Syria")
    coalition = st[st["as_reported"] == "<1000"].iloc[0]
    assert (coalition["low"], coalition["high"], coalition["qualifier"]) == (0, 1000, "<")
    ter = observed.territory()
    mosul = ter[ter["place"] == "Mosul"].set_index("event")["date"]
    assert mosul["captured"] == pd.Timestamp("2014-06-10")
    assert mosul["retaken"] == pd.Timestamp("2017-07-10")


# --------------------------------------------------------------------------- regions


def _scenario_regions() -> dict[str, str]:
    # Loaded, not read as TOML: a scenario with meta.extends takes its regions from its base.
    from escalation_sim.scenario.loader import bundled_scenarios, load_scenario

    out: dict[str, str] = {}
    for name in bundled_scenarios():
        for region in load_scenario(name).regions:
            out[region.id] = region.country
    return out


def test_every_scenario_region_in_iraq_and_syria_is_mapped() -> None:
    mapping = observed.regions()
    regions = observation.region_table()
    for rid, country in _scenario_regions().items():
        if country in ("IRQ", "SYR"):
            assert rid in regions.index, rid
            assert regions.loc[rid, "country"] == country
    # one area a region, whatever its governorates
    per_region = mapping[mapping["region"] != ""].groupby("region")["area"].nunique()
    assert (per_region == 1).all()
    # every governorate in GED is in the mapping; territory names scenario regions
    ged_govs = set(observed.ged_iraq_monthly()["governorate"])
    assert ged_govs <= set(mapping.query("country == 'IRQ'")["governorate"])
    assert set(observed.territory()["region"]) <= set(_scenario_regions())


# --------------------------------------------------------------------------- operator


def _events(rows: list[tuple[str, str, str, str, str, int]]) -> pd.DataFrame:
    """Synthetic events: (date, region, actor, kind, target, deaths)."""
    frame = pd.DataFrame(rows, columns=["date", "region", "actor", "kind", "target", "deaths"])
    frame.insert(0, "week", range(1, len(frame) + 1))
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


EVENTS = _events(
    [
        ("2014-06-03", "mosul", "isis", "attack", "iraq_army_nineveh", 3),
        ("2014-06-10", "mosul", "isis", "attack", "civilians:shia_arab", 0),  # not a GED event
        ("2014-06-17", "sinjar", "isis", "attack", "civilians:kurd", 5),
        ("2014-06-24", "ramadi", "isis", "attack", "civilians", 1),
        ("2014-07-01", "ramadi", "isis", "attack", "iraq_army_anbar", 0),  # not a GED event
        ("2014-07-08", "raqqa", "isis", "attack", "saa_raqqa", 2),  # Syria
        ("2014-07-08", "kurdistan", "israel", "strike_iraq", "kh_1", 4),  # not ISIS
        ("2015-01-06", "baghdad", "isis", "attack", "civilians:shia_arab", 7),
    ]
)


def _counts(frame: pd.DataFrame, **where: object) -> list[list[int]]:
    """``events`` and ``deaths`` of the rows matching ``where``."""
    mask = np.ones(len(frame), dtype=bool)
    for column, value in where.items():
        mask &= (frame[column] == value).to_numpy()
    return frame.loc[mask, ["events", "deaths"]].to_numpy().tolist()


def test_ged_counts_only_attacks_with_a_death() -> None:
    month = observed.ged_counts(EVENTS, "month", ["country"])
    # 3 + 5 + 1 deaths in June; the 0-death attack is no event
    assert _counts(month, country="IRQ", year=2014, month=6) == [[3, 9]]
    assert _counts(month, country="IRQ", year=2014, month=7) == []  # July's attack killed no one
    assert _counts(month, country="IRQ", year=2015, month=1) == [[1, 7]]
    assert _counts(month, country="SYR") == [[1, 2]]
    by_area = observed.ged_counts(EVENTS, "year", ["area", "violence_type"])
    assert _counts(by_area, year=2014, area="Ninewa", violence_type="armed") == [[1, 3]]
    assert _counts(by_area, year=2014, area="Ninewa", violence_type="one_sided") == [[1, 5]]
    assert _counts(by_area, year=2014, area="Anbar", violence_type="one_sided") == [[1, 1]]
    armed = observed.ged_counts(EVENTS, "year", ["country"], armed_only=True)
    assert _counts(armed, year=2014, country="IRQ") == [[1, 3]]


def test_compare_ged_zero_fills_and_sets_the_record_beside() -> None:
    cmp = observed.compare_ged(EVENTS, "month", [], start="2014-06-01", end="2014-08-31")
    assert cmp[["year", "month"]].values.tolist() == [[2014, 6], [2014, 7], [2014, 8]]
    assert cmp["model_events"].tolist() == [3, 0, 0]
    assert cmp["model_deaths"].tolist() == [9, 0, 0]
    ged = observed.ged_iraq_monthly()
    june = ged[(ged["year"] == 2014) & (ged["month"] == 6)]
    assert cmp["observed_events"].iloc[0] == june["events"].sum()
    by_area = observed.compare_ged(EVENTS, "year", ["area"], start="2014-01-01", end="2014-12-31")
    assert "Raqqa" not in set(by_area["area"])  # Iraq only
    assert by_area.set_index("area").loc["Ninewa", "model_events"] == 2


def test_incident_operators_count_every_attack() -> None:
    attacks = observed.model_attacks(EVENTS)
    assert len(attacks) == 7  # the Israeli strike is not an ISIS attack
    june = (pd.Timestamp("2014-06-01"), pd.Timestamp("2014-06-30"))
    irq = ("IRQ",)
    assert observed.operate("incidents", attacks, None, irq, *june) == 4
    assert observed.operate("ged", attacks, None, irq, *june) == 3
    assert observed.operate("ged_armed", attacks, None, irq, *june) == 1
    assert observed.operate("deaths", attacks, None, irq, *june) == 9
    assert observed.operate("armed_deaths", attacks, None, irq, *june) == 3
    assert observed.operate("civilian_deaths", attacks, None, irq, *june) == 6
    assert observed.operate("per_day", attacks, None, irq, *june) == pytest.approx(4 / 30)
    both = ("IRQ", "SYR")
    july = (pd.Timestamp("2014-07-01"), pd.Timestamp("2014-07-31"))
    assert observed.operate("incidents", attacks, None, both, *july) == 2
    assert np.isnan(observed.operate("zero_weeks", attacks, None, irq, *july))
    with pytest.raises(ValueError, match="unknown observation operator"):
        observed.operate("nope", attacks, pd.DataFrame({"week": [], "date": []}), irq, *july)


def _weekly() -> pd.DataFrame:
    dates = pd.date_range("2014-06-03", periods=5, freq="7D")
    return pd.DataFrame(
        {
            "week": range(1, 6),
            "date": dates,
            "isis_attacks_iraq": [2, 0, 1, 0, 0],
            "isis_attacks_syria": [0, 0, 0, 1, 0],
            "militia_launches": [1, 2, 0, 0, 3],
            "isis_regions_iraq": [0, 1, 2, 2, 1],
            "isis_fighters_iraq": [1000.0, 1500.0, 9000.0, 9000.0, 9000.0],
            "isis_fighters_syria": [5000.0] * 5,
        }
    )


def test_weekly_operators() -> None:
    weekly = _weekly()
    attacks = observed.model_attacks(EVENTS)
    span = (pd.Timestamp("2014-06-01"), pd.Timestamp("2014-07-01"))
    assert observed.operate("zero_weeks", attacks, weekly, ("IRQ",), *span) == 3
    assert observed.operate("zero_weeks", attacks, weekly, ("IRQ", "SYR"), *span) == 2
    assert observed.operate("launches", attacks, weekly, ("IRQ",), *span) == 6
    monthly = observed.weekly_counts(weekly, ["isis_attacks_iraq", "militia_launches"], "month")
    assert monthly.values.tolist() == [[2014, 6, 3, 3], [2014, 7, 0, 3]]


def test_counterparts_use_each_keys_operator() -> None:
    obs = pd.DataFrame(
        {
            "country": ["Iraq", "Iraq", "Iraq+Syria", "Syria", "Iraq"],
            "period": ["2014-06"] * 4 + ["year"],
            "start": pd.to_datetime(["2014-06-01"] * 4 + ["2014-01-01"]),
            "end": pd.to_datetime(["2014-06-30"] * 4 + ["2014-12-31"]),
            "source_key": ["CTC_KNIGHTS", "UCDP_GED_CSIF", "CENTCOM_2024", "RIC", "AW_MILITANTS"],
            "quantity": ["incidents", "incidents", "incidents", "deaths", "deaths"],
            "value": [1.0, 1.0, 1.0, 1.0, 1.0],
        }
    )
    out = observed.counterparts(EVENTS, observed=obs)
    assert out["operator"].tolist() == ["incidents", "ged_armed", "incidents", "deaths", ""]
    assert out["relation"].tolist() == ["match", "match", "lower_bound", "lower_bound", "none"]
    assert out["model"].iloc[:4].tolist() == [4, 1, 4, 0]
    assert np.isnan(out["model"].iloc[4])
    # a weekly series limits the rows to the weeks the run covers
    covered = observed.counterparts(EVENTS, _weekly(), observed=obs)
    assert covered["source_key"].tolist() == obs["source_key"].tolist()[:4]


def test_every_series_key_has_a_comparison() -> None:
    keys = set(observed.series()["source_key"])
    assert keys <= set(observed.COMPARISONS)
    relations = {c.relation for c in observed.COMPARISONS.values()}
    assert relations <= {"match", "lower_bound", "upper_bound", "shape", "none"}
    ops = {op for c in observed.COMPARISONS.values() for op in (c.incidents, c.deaths) if op}
    attacks = observed.model_attacks(EVENTS)
    for op in ops:  # every named operator exists
        observed.operate(
            op, attacks, _weekly(), ("IRQ",), EVENTS["date"].min(), EVENTS["date"].max()
        )


def test_regions_held_per_the_record() -> None:
    held = observed.observed_regions_held(["2013-06-01", "2014-07-01", "2016-09-01", "2018-01-01"])
    assert held["held_low"].tolist() == [0, 3, 2, 0]
    assert held["regions_low"].iloc[1] == "mosul,ramadi,salah_al_din"
    # towns whose capture the record lacks count in the upper bound only
    assert "tal_afar" in held["regions_high"].iloc[1] and held["held_high"].iloc[1] == 6
    assert held["held_high"].iloc[3] == 0
    cmp = observed.compare_regions_held(_weekly(), ["2014-06-01", "2014-06-20", "2014-09-01"])
    assert np.isnan(cmp["model"].iloc[0])  # before the run's first week
    assert cmp["model"].iloc[1] == 2  # the week of 17 June
    assert np.isnan(cmp["model"].iloc[2])  # after its last
    with pytest.raises(ValueError, match="Iraq only"):
        observed.compare_regions_held(_weekly(), ["2014-06-20"], country="SYR")


def test_strength_compares_fighters_only() -> None:
    obs = pd.DataFrame(
        {
            "date": pd.to_datetime(["2014-06-18"] * 5),
            "quantity": ["fighters", "fighters", "members", "fighters", "fighters"],
            "area": ["Iraq", "Iraq+Syria", "Iraq+Syria", "Iraq", "Iraq"],
            "low": [8000.0, 15000.0, 1.0, 7500.0, 7000.0],
            "high": [10000.0, 20000.0, 99999.0, 7500.0, 7000.0],
        }
    )
    out = observed.compare_strength(_weekly(), obs)
    assert out["model"].iloc[:2].tolist() == [9000, 14000]
    # a single figure: within 25% of it by default (9,000 vs 7,500 is; vs 7,000 is not)
    assert out["within"].tolist() == [True, False, False, True, False]
    assert np.isnan(out["model"].iloc[2])
    strict = observed.compare_strength(_weekly(), obs, point_tolerance=0.0)
    assert strict["within"].tolist() == [True, False, False, False, False]


# --------------------------------------------------------------------------- derivation


def test_derivation_reproduces_the_committed_tables(tmp_path: Path) -> None:
    record = os.environ.get(RECORD_ENV)
    if not record or not Path(record, "SOURCES.md").exists():
        pytest.skip(f"set {RECORD_ENV} to the observed record's folder to rerun the derivation")
    if importlib.util.find_spec("pyreadr") is None:
        pytest.skip("pyreadr missing: pip install -e '.[derive]'")
    script = ROOT / "scripts" / "derive_observed.py"
    done = subprocess.run(
        [sys.executable, str(script), record, "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    derived = sorted(p.name for p in tmp_path.iterdir())
    committed = sorted(p.name for p in DATA.iterdir() if p.name != "regions.csv")
    assert derived == committed
    for name in derived:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


def test_derivation_needs_the_record(tmp_path: Path) -> None:
    script = ROOT / "scripts" / "derive_observed.py"
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "no SOURCES.md" in done.stderr
    assert not (tmp_path / "out").exists()


def test_militia_claims_against_the_models_launches() -> None:
    dates = pd.date_range("2024-07-02", periods=10, freq="7D")  # Tuesdays, 2 July to 3 September
    weekly = pd.DataFrame({"week": range(1, 11), "date": dates, "militia_launches": [1] * 10})
    out = observed.compare_militia(weekly).set_index("period")
    assert out.loc["2024-07", "model"] == 5  # the weeks dated 2, 9, 16, 23 and 30 July
    assert out.loc["2024-07", "relation"] == "match"
    assert out.loc["2024-08", "model"] == 4  # 6 August to 27 August
    assert out.loc[["2024-09"], "model"].isna().all()  # the run ends on 3 September
    us = out[out["quantity"] == "attacks_on_US_forces_Iraq_Syria"]
    assert (us["relation"] == "none").all() and us["model"].isna().all()
    assert set(observed.militia_israel().query("kind == 'count'")["quantity"]) <= set(
        observed.MILITIA_COMPARISONS
    )


def test_strikes_on_iraq_count_each_strike_once() -> None:
    israel = observed.observed_strikes_iraq()
    assert israel.values.tolist() == [[2019, 3]]  # Amerli, Ashraf, al-Qaim (two sources)
    upper = observed.observed_strikes_iraq("year", ("israel", "unattributed"))
    assert upper.values.tolist() == [[2019, 5], [2024, 1]]  # with Saqr, Balad and Kalsu
    us = observed.militia_israel().query("strike_on_iraq == 'us'")
    assert sorted(us["start"].dt.strftime("%Y-%m-%d")) == ["2024-01-04", "2024-07-30"]
