"""Derive the compact observed tables of ``escalation_sim.observed`` from the observed record.

Usage::

    python scripts/derive_observed.py INPUT_DIR [--out DIR]

``INPUT_DIR`` is the folder of the observed record to November 2024: its ``SOURCES.md``, the
transcribed CSVs (``iraq_isis_monthly.csv``, ``iraq_isis_yearly.csv``, ``syria_isis.csv``,
``territory_and_strength.csv``, ``context_timeline.csv``, ``militia_israel.csv``) and ``raw/``
with the UCDP files (GED events in Iraq to 2018, the GED extract for Iraq and Syria to 2019, the
organized violence country-year file v25.1). ``--out`` defaults to the package's
``src/escalation_sim/observed/data``. The raw files are read, never copied.

What it does (docs/observed.md has the definitions):

- ``ged_iraq_monthly.csv``: GED events in Iraq with IS as side A or B, all three types of
  violence, counted by month of ``date_start``, governorate (``adm_1``) and type.
- ``series.csv``: every other count, one number a row, by source key: the UCDP country-year
  totals and the GED extract's yearly counts recomputed from the raw files, and the transcribed
  monthly, quarterly and yearly counts, each with its period as dates.
- ``territory.csv``, ``strength.csv``, ``context.csv``, ``militia_israel.csv``: the dated
  events and estimates, with typed dates and numbers; strikes on Iraqi territory are marked
  with who the source says struck.
- ``sources.toml``: citation, definition and licence of every source key the tables use, from
  ``SOURCES.md``.

Only the record before 27 November 2024 goes in, except yearly 2024 totals and the fall of
Damascus on 8 December 2024, which carry ``beyond_cutoff = true``. The figures recomputed from raw
files are checked against the transcribed ones; a mismatch stops the script (exit 1).

Needs the ``derive`` extra (``pip install -e ".[derive]"``) for ``pyreadr``.
"""

from __future__ import annotations

import argparse
import calendar
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

CUTOFF = pd.Timestamp("2024-11-27")
DEFAULT_OUT = (
    Path(__file__).resolve().parent.parent / "src" / "escalation_sim" / "observed" / "data"
)

#: GED ``type_of_violence`` codes.
VIOLENCE_TYPES = {1: "state_based", 2: "non_state", 3: "one_sided"}

#: GED ``adm_1`` names (with their diacritics) -> governorate names used in the tables.
GOVERNORATES = {
    "Nīnawá province": "Ninewa",
    "Al Anbār province": "Anbar",
    "Baghdād province": "Baghdad",
    "Şalāḩ ad Dīn province": "Salah al-Din",
    "Diyālá province": "Diyala",
    "Kirkūk province": "Kirkuk",
    "At-Ta'mim province": "Kirkuk",  # Kirkuk's former name
    "Bābil province": "Babil",
    "Arbīl province": "Erbil",
    "Wāsiţ province": "Wasit",
    "Karbalā’ province": "Karbala",
    "Al Başrah  province": "Basra",
    "Dhī Qār province": "Dhi Qar",
    "An Najaf province": "Najaf",
    "As Sulaymānīyah province": "Sulaymaniyah",
    "Al Qādisīyah province": "Qadisiyah",
    "Maysān  province": "Maysan",
    "Al Muthanná province": "Muthanna",
    "Dahūk province": "Duhok",
}
UNKNOWN_GOVERNORATE = "unknown"  # GED located the event only to a part of Iraq or the country

#: territory_and_strength.csv: the description of each taken/retaken row -> the places it names
#: (place, country, governorate, model region of the bundled scenarios, event).
PLACES: dict[str, list[tuple[str, str, str, str, str]]] = {
    "ISIL and allies capture Fallujah and parts of Ramadi": [
        ("Fallujah", "IRQ", "Anbar", "ramadi", "captured"),
        ("Ramadi", "IRQ", "Anbar", "ramadi", "partly captured"),
    ],
    "IS captures Tikrit during June offensive": [
        ("Tikrit", "IRQ", "Salah al-Din", "salah_al_din", "captured")
    ],
    "ISIL seizes Mosul (lightning offensive)": [("Mosul", "IRQ", "Ninewa", "mosul", "captured")],
    "IS captures Sinjar; Yazidi massacre": [("Sinjar", "IRQ", "Ninewa", "sinjar", "captured")],
    "IS driven out of Kobane (Syria)": [("Kobane", "SYR", "Aleppo", "aleppo", "retaken")],
    "Iraq announces liberation of Tikrit": [
        ("Tikrit", "IRQ", "Salah al-Din", "salah_al_din", "retaken")
    ],
    "IS takes full control of Ramadi (Iraqi forces flee)": [
        ("Ramadi", "IRQ", "Anbar", "ramadi", "captured")
    ],
    "Iraqi troops close in on last Ramadi districts (govt announced recapture of centre late "
    "Dec 2015)": [("Ramadi", "IRQ", "Anbar", "ramadi", "partly retaken")],
    "Ramadi recaptured (AFP date)": [("Ramadi", "IRQ", "Anbar", "ramadi", "retaken")],
    "Iraqi forces retake Fallujah": [("Fallujah", "IRQ", "Anbar", "ramadi", "retaken")],
    "Abadi declares Mosul liberated (victory speech)": [
        ("Mosul", "IRQ", "Ninewa", "mosul", "retaken")
    ],
    "Abadi declares Tal Afar and Nineveh province liberated": [
        ("Tal Afar", "IRQ", "Ninewa", "tal_afar", "retaken"),
        # the province declared liberated: Sinjar is not held after this date either (the
        # record has no earlier retaking of Sinjar)
        ("Sinjar", "IRQ", "Ninewa", "sinjar", "retaken"),
    ],
    "SDF announces full recapture of Raqqa (Syria)": [
        ("Raqqa", "SYR", "Raqqa", "raqqa", "retaken")
    ],
    "Iraqi forces seize Hawija": [("Hawija", "IRQ", "Kirkuk", "kirkuk", "retaken")],
    "Al-Qaim district taken by army and Hashd": [("Al-Qaim", "IRQ", "Anbar", "al_qaim", "retaken")],
    "Rawa, last IS-held town in Iraq, retaken": [("Rawa", "IRQ", "Anbar", "al_qaim", "retaken")],
}

#: territory_and_strength.csv: description of each strength row -> (quantity, area).
STRENGTH: dict[str, tuple[str, str]] = {
    "IS fighters Iraq+Syria (CIA)": ("fighters", "Iraq+Syria"),
    "IS fighters at peak per US intelligence (VOA)": ("fighters", "Iraq+Syria"),
    "IS members Iraq+Syria (DoD/OIR Col. Warren)": ("members", "Iraq+Syria"),
    "IS fighters Iraq+Syria (US est., per AP)": ("fighters", "Iraq+Syria"),
    "IS fighters remaining (Pentagon, summer 2016)": ("fighters", "Iraq+Syria"),
    "IS militants in Iraq (Iraqi officials via AP)": ("fighters", "Iraq"),
    "IS fighters Iraq+Syria (coalition)": ("fighters", "Iraq+Syria"),
    "IS fighters in coalition AO (E Syria, W Iraq; excl. regime areas)": (
        "fighters",
        "coalition area (eastern Syria, western Iraq)",
    ),
    "Active IS fighters Iraq+Syria (US officials to NBC)": ("fighters", "Iraq+Syria"),
    "IS fighters in Iraq (DoD Lead IG)": ("fighters", "Iraq"),
    "IS fighters Iraq+Syria (DoD)": ("fighters", "Iraq+Syria"),
    "IS members Iraq+Syria (UN Monitoring Team, member states)": ("members", "Iraq+Syria"),
    "IS militants Iraq+Syria (UN sanctions Monitoring Team)": ("fighters", "Iraq+Syria"),
    "IS members Iraq+Syria (CJTF-OIR via DoD LIG 18th report)": ("members", "Iraq+Syria"),
    "IS fighters Iraq+Syria (US envoy Jeffrey)": ("fighters", "Iraq+Syria"),
    "IS militants active Iraq+Syria (UN report early 2021)": ("fighters", "Iraq+Syria"),
    "IS members and supporters Iraq+Syria (UN, about half fighters)": (
        "members and supporters",
        "Iraq+Syria",
    ),
    "IS fighters in Iraq (Iraqi Joint Operations Command deputy)": ("fighters", "Iraq"),
    "IS members Iraq+Syria (UN Monitoring Team)": ("members", "Iraq+Syria"),
    "Suspected IS fighters held in SDF detention (UN MT)": ("detained", "Syria (SDF)"),
    "IS fighters Iraq+Syria (UN report January 2024)": ("fighters", "Iraq+Syria"),
    "IS fighters at large across Iraq+Syria (CENTCOM)": ("fighters", "Iraq+Syria"),
}

#: Periods given in words in the record -> (start, end) read from the row's note.
PERIOD_OVERRIDES: dict[tuple[str, int, str], tuple[str, str]] = {
    # (source_key, year, quantity): SOHR cumulative "year-to-date" counts, ended at article date
    ("SOHR_SDF", 2021, "incidents"): ("2021-01-01", "2021-12-25"),
    ("SOHR_SDF_PARTIAL", 2022, "incidents"): ("2022-01-01", "2022-11-30"),
    ("SOHR_BADIA_PARTIAL", 2023, "deaths"): ("2023-01-01", "2023-03-11"),  # "in 70 days"
    ("SOHR_BADIA_PARTIAL", 2024, "incidents"): ("2024-01-01", "2024-05-31"),  # "~Apr-May 2024"
    ("SOHR_SDF_PARTIAL", 2024, "incidents"): ("2024-01-01", "2024-12-31"),  # "late 2024"
}

#: militia_israel.csv labels that are not plain dates or ranges -> (start, end).
MILITIA_PERIODS = {
    "2023": ("2023-10-01", "2023-12-31"),  # "IAMG attacks on OIR Oct-Dec"
    "2024-09 (to ~25th)": ("2024-09-01", "2024-09-25"),
    "2024-10": ("2024-10-01", "2024-10-15"),  # WINEP: "47 attacks claimed so far", mid-October
    "2019-07-28/30": ("2019-07-28", "2019-07-30"),
}

#: militia_israel.csv events that are strikes on Iraqi territory, by (start, source key) -> who
#: the source says struck: "israel" (attributed to Israel, even if unconfirmed), "unattributed"
#: (attribution unknown or disputed) or "us". Other events get "".
STRIKES_ON_IRAQ = {
    ("2019-07-19", "IRANWATCH_NYT"): "israel",  # Amerli, later attributed by US officials
    ("2019-07-28", "JPOST_2019"): "israel",  # Camp Ashraf, attributed by Asharq al-Awsat
    ("2019-08-12", "EXFORCES_BBC"): "unattributed",  # Camp Saqr: the PMF blamed the US and Israel
    ("2019-08-20", "EXFORCES_BBC"): "unattributed",  # Balad depot blast
    ("2019-08-25", "K24_2019"): "israel",  # al-Qaim drone strike, "Israeli, per source"
    ("2019-08-25", "URDUPOINT_SPUTNIK"): "unattributed",  # the same strike, attribution unconfirmed
    ("2024-01-04", "LSE_MEC"): "us",  # Baghdad, Nujaba commander
    ("2024-04-19", "SHAFAQ_2024"): "unattributed",  # Kalsu: attribution uncertain
    ("2024-07-30", "REUTERS_VIA_SPN"): "us",  # Musayyib
}

NEWS_LICENCE = (
    "Facts (numbers and dates) transcribed from published reporting, with attribution; the "
    "text is the outlet's copyright. Cite the outlet."
)
UCDP_LICENCE = "CC BY 4.0 (UCDP data licence)"
UCDP_CITATION = (
    "Cite Sundberg, Ralph and Erik Melander (2013), "
    '"Introducing the UCDP Georeferenced Event Dataset", Journal of Peace Research 50(4), and '
    'Davies, Shawn, Therese Pettersson and Magnus Oberg (2024), "Organized violence '
    '1989-2023, and the prevalence of organized crime groups", Journal of Peace Research 61(4).'
)


#: Citations and definitions SOURCES.md leaves out for some keys, taken from the record's own
#: notes on those rows (titles, sites, counting rules); nothing here is from elsewhere.
SUPPLEMENT: dict[str, dict[str, str]] = {
    "ALMA_VIA_JPOST": {
        "definition": "Attacks on Israel claimed by the Islamic Resistance in Iraq, as counted by "
        "the Alma Research and Education Center (counting rules differ from WINEP's: Sept 2024 "
        "18 against 35)."
    },
    "BABEL_2025": {
        "citation": "Babel (news), report of 8 December 2024.",
        "definition": "2024-12-08: HTS enters Damascus; the Assad regime falls (public record).",
    },
    "UNN_2024": {
        "definition": "2024-09-27: US-Iraq joint statement: the coalition's military mission in "
        "Iraq ends no later than the end of September 2025; the Syria mission continues to "
        "September 2026."
    },
    "CIA_2014": {"definition": "CIA estimate of IS fighters in Iraq and Syria (Sep 2014)."},
    "GTD_SUBSET": {
        "citation": "Global Terrorism Database (START, University of Maryland), a third-party "
        "cleaned subset of 2,900 rows for 2012-2017 in a public repository."
    },
    "JTIC": {
        "definition": "IHS/Janes Terrorism and Insurgency Centre counts: IS attacks and deaths "
        "in Q4 2015 (NBC, Jan 2016); attacks by non-state armed groups and fatalities in Iraq, "
        "Oct 2017 (AFP/Diyaruna)."
    },
    "RIC": {
        "citation": "Rojava Information Center (rojavainformationcenter.com), monthly "
        "sleeper-cell reports and the 2023 annual report (some via ANF and Kurdistan24).",
        "definition": "Confirmed ISIS (sleeper-cell) attacks in the SDF-held northeast of Syria "
        "(AANES areas), by month or year; deaths = military and civilians killed. The 2019 "
        "months count ISIS-claimed attacks (a different method).",
    },
    "RIC_CASUALTIES": {
        "citation": "Rojava Information Center, 2023 annual sleeper-cell report (via ANF).",
        "definition": "Casualties (killed plus injured) in ISIS attacks in the SDF-held northeast "
        "of Syria, by year.",
    },
    "SOHR_2019_2024": {
        "definition": "ISIS operations in regime- and SDF-held areas since the end of the "
        "caliphate (Mar 2019) to Jun 2024, and people killed in them (SOHR, 29 Jun 2024)."
    },
    "SOHR_ALL_SYRIA": {
        "definition": "People killed by ISIS in Syria in 2024 (SOHR year report of 29 Dec 2024, "
        "via a secondary report)."
    },
    "SOHR_BADIA_PARTIAL": {
        "definition": "Cumulative ISIS operations (or regime soldiers killed) in the Syrian "
        "desert (Badia) since 1 January, as of the article's date: partial years."
    },
    "SOHR_SDF": {
        "definition": "ISIS attacks (operations) in SDF-held areas (Deir ez-Zor, Hasakah, Raqqa, "
        "Aleppo) and people killed in them, by year or month."
    },
    "SOHR_SDF_PARTIAL": {
        "definition": "Cumulative ISIS operations in SDF-held areas since 1 January, as of the "
        "article's date: partial years."
    },
}
for _key in ("WING", "WING_ALLINC", "WING_ALLINC_ALT", "WING_ALLINC_EXGRAVES", "WING_IS",
             "WING_PERDAY", "WING_PROIRAN", "WING_RESISTANCE", "WING_TABLE2022_DEAD",
             "WING_ZEROWEEKS"):  # fmt: skip
    SUPPLEMENT[_key] = {
        "citation": "Joel Wing, Musings on Iraq (musingsoniraq.blogspot.com): weekly and "
        'monthly security posts and yearly reviews, e.g. "2023 The Death Of The Islamic State '
        'In Iraq?" (10 Jan 2024) and "Review of Security in Iraq 2024" (Jan 2025); counts of '
        "security incidents reported in the media."
    }


class DerivationError(Exception):
    """The record is not as this script expects (a new row, a mismatch with the raw files)."""


# --------------------------------------------------------------------------- dates and values


@dataclass(frozen=True)
class Period:
    """A span of days, both ends included, and the precision of its label."""

    start: pd.Timestamp
    end: pd.Timestamp
    precision: str  # day, month, quarter, year or range


def _month_end(year: int, month: int) -> pd.Timestamp:
    return pd.Timestamp(year, month, calendar.monthrange(year, month)[1])


def parse_date(label: str) -> Period:
    """``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, ``YYYYQn`` or ``A..B`` of those."""
    label = label.strip()
    if ".." in label:
        a, b = label.split("..")
        return Period(parse_date(a).start, parse_date(b).end, "range")
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", label):
        day = pd.Timestamp(label)
        return Period(day, day, "day")
    if m := re.fullmatch(r"(\d{4})-(\d{2})", label):
        y, mo = int(m[1]), int(m[2])
        return Period(pd.Timestamp(y, mo, 1), _month_end(y, mo), "month")
    if m := re.fullmatch(r"(\d{4})Q([1-4])", label):
        y, q = int(m[1]), int(m[2])
        return Period(pd.Timestamp(y, 3 * q - 2, 1), _month_end(y, 3 * q), "quarter")
    if m := re.fullmatch(r"(\d{4})", label):
        y = int(m[1])
        return Period(pd.Timestamp(y, 1, 1), pd.Timestamp(y, 12, 31), "year")
    raise DerivationError(f"unreadable date or period {label!r}")


def parse_value(text: str) -> tuple[float, float, str]:
    """A reported number -> (low, high, qualifier); qualifier is '', '~', '<' or '>'."""
    text = text.strip().replace(",", "")
    text = re.sub(r"\s*\(.*\)$", "", text)  # "4000 (+3000 supporters)": the note keeps the rest
    if m := re.fullmatch(r"(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)", text):
        return float(m[1]), float(m[2]), ""
    if m := re.fullmatch(r"([~<>]?)(\d+(?:\.\d+)?)", text):
        value = float(m[2])
        return value, value, m[1]
    raise DerivationError(f"unreadable number {text!r}")


def _iso(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%d")


# --------------------------------------------------------------------------- SOURCES.md


def parse_sources(text: str) -> dict[str, dict[str, Any]]:
    """The ``## Source keys`` sections of SOURCES.md, by source key."""
    body = text.split("## Source keys", 1)[1].split("## Reliability notes", 1)[0]
    keys: dict[str, dict[str, Any]] = {}
    for section in re.split(r"^### ", body, flags=re.M)[1:]:
        head, *lines = section.strip().splitlines()
        m = re.fullmatch(r"(\S+)(?:\s+\(keys: ([^)]*)\))?", head.strip())
        if not m:
            raise DerivationError(f"SOURCES.md: unreadable heading {head!r}")
        group, members = m[1], [k.strip() for k in (m[2] or m[1]).split(",")]
        entry: dict[str, Any] = {"group": group, "outlets": []}
        for line in lines:
            if line.startswith("  - "):
                entry["outlets"].append(line[4:].strip())
                continue
            if f := re.match(
                r"- (Type|Citation|Licence|Extraction/definition|Supports|"
                r"Caveats|URL\(s\)): (.*)",
                line,
            ):
                entry[f[1]] = f[2].strip()
        for key in members:
            keys[key] = entry
    return keys


def source_entry(key: str, e: dict[str, Any], urls: Iterable[str]) -> dict[str, Any]:
    """One key's citation, definition and licence for sources.toml."""
    ucdp = key.startswith("UCDP_")
    extra = SUPPLEMENT.get(key, {})
    citation = e.get("Citation") or "; ".join(e["outlets"]) or extra.get("citation", "")
    if ucdp:
        citation = f"{citation} {UCDP_CITATION}".strip()
    definition = extra.get("definition") or e.get("Extraction/definition") or e.get("Supports")
    # a note on how the record was compiled, not on the source
    definition = (definition or "").replace('Read from excerpts in the "pages" search corpus. ', "")
    definition = re.sub(r"\s*Local copy:? raw/\S+", "", definition)  # files not in the project
    licence = e.get("Licence") or NEWS_LICENCE
    if ucdp:
        licence = UCDP_LICENCE
    out: dict[str, Any] = {
        "group": e["group"],
        "citation": citation,
        "definition": definition,
        "licence": licence,
    }
    if not citation or not definition:
        raise DerivationError(f"source key {key}: no citation or definition; add a SUPPLEMENT")
    if "Caveats" in e:
        out["caveats"] = e["Caveats"]
    listed = [u.strip() for u in e.get("URL(s)", "").split("; ") if u.strip()]
    every = list(dict.fromkeys([*listed, *sorted(set(urls) - set(listed))]))
    if every:
        out["urls"] = every
    return out


def write_sources_toml(
    path: Path, urls: dict[str, set[str]], parsed: dict[str, dict[str, Any]]
) -> None:
    """sources.toml: one table per source key used (JSON string escapes are valid TOML)."""
    lines = [
        "# Source keys of the observed tables: citation, definition, licence. Written by",
        "# scripts/derive_observed.py from the observed record's SOURCES.md; do not edit.",
        "",
    ]
    for key in sorted(urls):
        if key not in parsed:
            raise DerivationError(f"source key {key} is used but not defined in SOURCES.md")
        lines.append(f"[{key}]")
        for field, value in source_entry(key, parsed[key], urls[key]).items():
            if isinstance(value, list):
                items = ", ".join(json.dumps(v, ensure_ascii=False) for v in value)
                lines.append(f"{field} = [{items}]")
            else:
                lines.append(f"{field} = {json.dumps(value, ensure_ascii=False)}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


# --------------------------------------------------------------------------- GED events


def ged_iraq_monthly(raw: Path) -> pd.DataFrame:
    """GED events in Iraq with IS as a side, by month of date_start, governorate and type."""
    ged = pd.read_csv(raw / "hdx_ucdp_conflict_data_irq.csv", skiprows=[1], low_memory=False)
    ged = ged[(ged["side_a"] == "IS") | (ged["side_b"] == "IS")].copy()
    unknown = set(ged["adm_1"].dropna()) - set(GOVERNORATES)
    if unknown:
        raise DerivationError(f"GED adm_1 names without a governorate: {sorted(unknown)}")
    ged["governorate"] = ged["adm_1"].map(GOVERNORATES).fillna(UNKNOWN_GOVERNORATE)
    start = pd.to_datetime(ged["date_start"])
    ged["year"], ged["month"] = start.dt.year, start.dt.month
    ged["violence_type"] = ged["type_of_violence"].astype(int).map(VIOLENCE_TYPES)
    ged["imprecise"] = (ged["date_prec"].astype(int) > 1).astype(int)  # dated to a range
    out = (
        ged.groupby(["year", "month", "governorate", "violence_type"])
        .agg(
            events=("id", "size"),
            deaths=("best", "sum"),
            deaths_low=("low", "sum"),
            deaths_high=("high", "sum"),
            events_imprecise=("imprecise", "sum"),
        )
        .reset_index()
        .astype(
            {
                "events": int,
                "deaths": int,
                "deaths_low": int,
                "deaths_high": int,
                "events_imprecise": int,
            }
        )
    )
    return out.assign(source_key="UCDP_GED_HDX")


def csif_yearly(raw: Path) -> pd.DataFrame:
    """The GED extract (state-based and non-state): IS events and deaths by country and year."""
    import pyreadr  # the derive extra; only this script needs it

    frame = next(iter(pyreadr.read_r(str(raw / "csif_syria-iraq.rds")).values()))
    frame = frame[(frame["side_a"] == "IS") | (frame["side_b"] == "IS")]
    frame = frame[frame["country"].isin(["Iraq", "Syria"])]
    deaths = frame[["deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown"]].sum(axis=1)
    out = (
        frame.assign(deaths=deaths)
        .groupby(["country", "year"])
        .agg(incidents=("id", "size"), deaths=("deaths", "sum"))
        .reset_index()
    )
    rows = []
    for r in out.itertuples():
        for quantity in ("incidents", "deaths"):
            rows.append(
                {
                    "country": str(r.country),
                    "period": str(r.year),
                    "source_key": "UCDP_GED_CSIF",
                    "quantity": quantity,
                    "measure": "IS_events" if quantity == "incidents" else "IS_event_deaths",
                    "value": float(getattr(r, quantity)),
                    "qualifier": "",
                    "note": "GED events with IS as side A or B, state-based and non-state only "
                    "(no one-sided), by year; deaths = deaths_a + deaths_b + civilians + unknown",
                }
            )
    return pd.DataFrame(rows)


def ucdp_cy(raw: Path) -> pd.DataFrame:
    """UCDP organized violence country-year v25.1, Iraq and Syria 2011-2024."""
    cy = pd.read_csv(raw / "ucdp_organizedviolencecy_v25_1.csv")
    cy = cy[cy["country_cy"].isin(["Iraq", "Syria"]) & cy["year_cy"].between(2011, 2024)]
    rows = []
    for r in cy.to_dict("records"):
        total = (
            r["sb_total_deaths_best_cy"]
            + r["ns_total_deaths_best_cy"]
            + r["os_total_deaths_best_cy"]
        )
        sb_dyads = "; ".join(sorted(str(r["sb_dyad_names_cy"]).split("; ")))
        os_dyads = "; ".join(sorted(str(r["os_dyad_names_cy"]).split("; ")))
        for key, measure, value, note in (
            (
                "UCDP_CY251_SB",
                "state_based_deaths",
                r["sb_total_deaths_best_cy"],
                f"sb_total_deaths_best_cy, all dyads: {sb_dyads}",
            ),
            (
                "UCDP_CY251_OS_NSG",
                "one_sided_killings_by_non_state_groups",
                r["os_nsgroup_killings_best_cy"],
                f"os_nsgroup_killings_best_cy; one-sided dyads: {os_dyads}",
            ),
            (
                "UCDP_CY251_ALL",
                "organized_violence_deaths",
                total,
                "sb + ns + os total deaths (best), all actors; not IS only",
            ),
        ):
            rows.append(
                {
                    "country": str(r["country_cy"]),
                    "period": str(r["year_cy"]),
                    "source_key": key,
                    "quantity": "deaths",
                    "measure": measure,
                    "value": float(value),
                    "qualifier": "",
                    "note": note,
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- transcribed series


def _measure(note: str, quantity: str) -> str:
    """The measure name a transcribed note gives, e.g. 'incidents: IS_attacks; ...'."""
    for part in note.split(" | "):
        if m := re.match(rf"{quantity}: (\w+)", part.strip()):
            return m[1]
    return ""


def transcribed_series(root: Path) -> pd.DataFrame:
    """The transcribed rows of the three count files, one number a row (UCDP rows excluded)."""
    monthly = pd.read_csv(root / "iraq_isis_monthly.csv", dtype=str, keep_default_na=False)
    monthly["period"] = monthly["year"] + "-" + monthly["month"].str.zfill(2)
    yearly = pd.read_csv(root / "iraq_isis_yearly.csv", dtype=str, keep_default_na=False)
    syria = pd.read_csv(root / "syria_isis.csv", dtype=str, keep_default_na=False)
    rows = []
    for frame in (monthly, yearly, syria):
        for r in frame.to_dict("records"):
            if r["source_key"].startswith("UCDP_"):
                continue  # recomputed from the raw files
            for quantity in ("incidents", "deaths"):
                if not r[quantity]:
                    continue
                low, _high, qualifier = parse_value(r[quantity])
                label = r["period"]
                if label == "month":
                    label = f"{r['year']}-{r['month'].zfill(2)}"
                rows.append(
                    {
                        "country": r["country"],
                        "period": label,
                        "year": int(r["year"]),
                        "source_key": r["source_key"],
                        "quantity": quantity,
                        "measure": _measure(r["note"], quantity),
                        "value": low,
                        "qualifier": qualifier,
                        "note": r["note"],
                    }
                )
    return pd.DataFrame(rows)


def period_of(row: dict[str, Any]) -> Period:
    """The dates a series row covers."""
    override = PERIOD_OVERRIDES.get((row["source_key"], row.get("year", 0), row["quantity"]))
    if override:
        return Period(pd.Timestamp(override[0]), pd.Timestamp(override[1]), "range")
    label = row["period"]
    if label == "year":
        return parse_date(str(row["year"]))
    if label == "2018Jan-Oct":
        return Period(pd.Timestamp("2018-01-01"), pd.Timestamp("2018-10-31"), "range")
    if label.startswith("year-to-date"):
        raise DerivationError(f"no period for {row['source_key']} {row.get('year')}: add one")
    return parse_date(label)


#: Measures of the transcribed rows whose note names none.
DEFAULT_MEASURES = {
    ("GTD_SUBSET", "incidents"): "ISIL_attacks",
    ("GTD_SUBSET", "deaths"): "ISIL_attack_deaths",
}


def series_table(root: Path, raw: Path, excluded: list[str]) -> pd.DataFrame:
    """series.csv: UCDP totals from raw files and the transcribed counts, with their dates."""
    frame = pd.concat([ucdp_cy(raw), csif_yearly(raw), transcribed_series(root)])
    records = []
    for rec in frame.to_dict("records"):
        r: dict[str, Any] = {str(k): v for k, v in rec.items()}
        r["year"] = int(r["period"][:4]) if pd.isna(r.get("year")) else int(r["year"])
        if r["period"] == str(r["year"]):
            r["period"] = "year"
        p = period_of(r)
        if not r["measure"]:
            r["measure"] = DEFAULT_MEASURES.get((r["source_key"], r["quantity"]), r["quantity"])
        r["start"], r["end"] = _iso(p.start), _iso(p.end)
        beyond = p.end >= CUTOFF
        if beyond and not (
            p.start.year == 2024 and r["period"] in ("year", "year-to-date (see note)")
        ):
            excluded.append(
                f"series: {r['source_key']} {r['country']} {r['period']} {r['quantity']}"
            )
            continue
        r["beyond_cutoff"] = bool(beyond)
        if r["period"] == "year-to-date (see note)":
            r["period"] = "year-to-date"
        records.append(r)
    out = pd.DataFrame(records)
    cols = [
        "country", "period", "start", "end", "source_key", "quantity", "measure", "value",
        "qualifier", "beyond_cutoff", "note",
    ]  # fmt: skip
    return out[cols].sort_values(["country", "start", "end", "source_key", "quantity"])


def check_ucdp(root: Path, series: pd.DataFrame, ged: pd.DataFrame) -> list[str]:
    """Recomputed UCDP figures against the record's transcribed ones; returns what was checked."""
    checked = []
    trans = pd.concat(
        [
            pd.read_csv(root / "iraq_isis_yearly.csv", dtype=str, keep_default_na=False),
            pd.read_csv(root / "syria_isis.csv", dtype=str, keep_default_na=False),
        ]
    )
    trans = trans[
        trans["source_key"].isin(
            ["UCDP_CY251_SB", "UCDP_CY251_OS_NSG", "UCDP_CY251_ALL", "UCDP_GED_CSIF"]
        )
    ]
    ours = series.assign(year=series["start"].str[:4])
    for r in trans.to_dict("records"):
        for quantity in ("incidents", "deaths"):
            if not r[quantity]:
                continue
            hit = ours[
                (ours["source_key"] == r["source_key"])
                & (ours["country"] == r["country"])
                & (ours["year"] == r["year"])
                & (ours["quantity"] == quantity)
            ]
            if len(hit) != 1 or hit["value"].iloc[0] != float(r[quantity]):
                got = hit["value"].tolist()
                raise DerivationError(
                    f"{r['source_key']} {r['country']} {r['year']} {quantity}: record says "
                    f"{r[quantity]}, the raw file gives {got}"
                )
            checked.append(f"{r['source_key']} {r['country']} {r['year']} {quantity}")
    monthly = pd.read_csv(root / "iraq_isis_monthly.csv")
    monthly = monthly[monthly["source_key"] == "UCDP_GED_HDX"]
    grouped = ged.groupby(["year", "month"])[["events", "deaths"]].sum().reset_index()
    sums = {
        (int(y), int(mo)): (int(e), int(d))
        for y, mo, e, d in grouped[["year", "month", "events", "deaths"]].itertuples(index=False)
    }
    for y, mo, inc, dead in monthly[["year", "month", "incidents", "deaths"]].itertuples(
        index=False
    ):
        got = sums.get((int(y), int(mo)))
        if got != (int(inc), int(dead)):
            raise DerivationError(
                f"UCDP_GED_HDX {y}-{mo}: record says {inc} events, {dead} deaths; the raw "
                f"file gives {got}"
            )
        checked.append(f"UCDP_GED_HDX {y}-{int(mo):02d}")
    return checked


# --------------------------------------------------------------------------- dated tables


def _date_columns(label: str) -> dict[str, str]:
    p = parse_date(label)
    return {"date": _iso(p.start), "date_precision": p.precision}


def territory_strength_context(root: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """territory.csv, strength.csv and context.csv."""
    ts = pd.read_csv(root / "territory_and_strength.csv", dtype=str, keep_default_na=False)
    territory, strength, events = [], [], []
    for r in ts.to_dict("records"):
        desc, value = r["event_or_quantity"], r["value"]
        base = {**_date_columns(r["date"]), "source_key": r["source_key"], "note": r["note"]}
        if value in ("captured", "retaken", "partly retaken"):
            if desc not in PLACES:
                raise DerivationError(f"territory row without places: {desc!r}")
            for place, country, gov, region, event in PLACES[desc]:
                territory.append(
                    {
                        **base,
                        "place": place,
                        "country": country,
                        "governorate": gov,
                        "region": region,
                        "event": event,
                        "description": desc,
                    }
                )
        elif value == "event":
            events.append({**base, "event": desc})
        else:
            if desc not in STRENGTH:
                raise DerivationError(f"strength row without a quantity: {desc!r}")
            low, high, qualifier = parse_value(value)
            if qualifier == "<":
                low = 0.0
            quantity, area = STRENGTH[desc]
            strength.append(
                {
                    **base,
                    "quantity": quantity,
                    "area": area,
                    "low": low,
                    "high": high,
                    "qualifier": qualifier,
                    "as_reported": value,
                    "description": desc,
                }
            )
    ctx = pd.read_csv(root / "context_timeline.csv", dtype=str, keep_default_na=False)
    for r in ctx.to_dict("records"):
        events.append(
            {
                **_date_columns(r["date"]),
                "source_key": r["source_key"],
                "note": r["note"],
                "event": r["event"],
            }
        )
    context = pd.DataFrame(events).drop_duplicates(["date", "source_key"], keep="last")
    context["beyond_cutoff"] = pd.to_datetime(context["date"]) >= CUTOFF
    bad = context[context["beyond_cutoff"] & ~context["event"].str.contains("Damascus")]
    if len(bad):
        raise DerivationError(f"context after the cutoff: {bad['event'].tolist()}")
    t_cols = ["date", "date_precision", "place", "country", "governorate", "region", "event",
              "description", "source_key", "note"]  # fmt: skip
    s_cols = ["date", "date_precision", "quantity", "area", "low", "high", "qualifier",
              "as_reported", "description", "source_key", "note"]  # fmt: skip
    c_cols = ["date", "date_precision", "event", "source_key", "beyond_cutoff", "note"]
    return (
        pd.DataFrame(territory)[t_cols].sort_values(["date", "place"], kind="stable"),
        pd.DataFrame(strength)[s_cols].sort_values(["date", "source_key"], kind="stable"),
        context[c_cols].sort_values(["date", "source_key"], kind="stable"),
    )


def militia_israel(root: Path) -> pd.DataFrame:
    """militia_israel.csv: militia launches and attacks (counts) and strikes (dated events)."""
    src = pd.read_csv(root / "militia_israel.csv", dtype=str, keep_default_na=False)
    rows = []
    for r in src.to_dict("records"):
        label, quantity, value = r["date_or_month"], r["quantity"], r["value"]
        if quantity == "event":  # a few rows hold the description in the value column
            quantity, value = value, "event"
        if label in MILITIA_PERIODS:
            a, b = MILITIA_PERIODS[label]
            start, end = pd.Timestamp(a), pd.Timestamp(b)
        else:
            p = parse_date(label)
            start, end = p.start, p.end
        row: dict[str, Any] = {
            "period": label,
            "start": _iso(start),
            "end": _iso(end),
            "source_key": r["source_key"],
            "note": r["note"],
        }
        if value == "event":
            row.update(kind="event", quantity="", value=float("nan"), qualifier="",
                       description=quantity)  # fmt: skip
        else:
            low, _high, qualifier = parse_value(value)
            row.update(kind="count", quantity=quantity, value=low, qualifier=qualifier,
                       description="")  # fmt: skip
        row["strike_on_iraq"] = STRIKES_ON_IRAQ.get((_iso(start), r["source_key"]), "")
        beyond = end >= CUTOFF
        if beyond and not (label == "2024" and row["kind"] == "count"):
            raise DerivationError(f"militia row after the cutoff: {label} {quantity}")
        row["beyond_cutoff"] = bool(beyond)
        rows.append(row)
    cols = ["period", "start", "end", "kind", "quantity", "value", "qualifier", "description",
            "strike_on_iraq", "source_key", "beyond_cutoff", "note"]  # fmt: skip
    out = pd.DataFrame(rows)[cols]
    found = set(zip(out["start"], out["source_key"], strict=True))
    if missing := set(STRIKES_ON_IRAQ) - found:
        raise DerivationError(f"strikes on Iraq not in the record: {sorted(missing)}")
    return out.sort_values(["start", "end", "source_key"], kind="stable")


# --------------------------------------------------------------------------- main


def derive(root: Path, out: Path) -> dict[str, Any]:
    """Write every table into ``out``; return a summary (rows per table, checks, exclusions)."""
    raw = root / "raw"
    for need in ("SOURCES.md", "raw/hdx_ucdp_conflict_data_irq.csv"):
        if not (root / need).exists():
            raise DerivationError(f"{root}: no {need}; INPUT_DIR is the observed record's folder")
    excluded: list[str] = []
    ged = ged_iraq_monthly(raw)
    series = series_table(root, raw, excluded)
    checked = check_ucdp(root, series, ged)
    territory, strength, context = territory_strength_context(root)
    militia = militia_israel(root)
    tables = {
        "ged_iraq_monthly": ged,
        "series": series,
        "territory": territory,
        "strength": strength,
        "context": context,
        "militia_israel": militia,
    }
    out.mkdir(parents=True, exist_ok=True)
    urls: dict[str, set[str]] = {}
    for name, frame in tables.items():
        frame.to_csv(out / f"{name}.csv", index=False, lineterminator="\n", float_format="%.10g")
        notes = frame["note"] if "note" in frame else pd.Series("", index=frame.index)
        for key, note in zip(frame["source_key"], notes, strict=True):
            urls.setdefault(key, set()).update(re.findall(r"\[(https?://[^\]\s]+)", str(note)))
    parsed = parse_sources((root / "SOURCES.md").read_text(encoding="utf-8"))
    write_sources_toml(out / "sources.toml", urls, parsed)
    return {
        "rows": {name: len(frame) for name, frame in tables.items()},
        "bytes": sum(p.stat().st_size for p in out.iterdir() if p.is_file()),
        "checked_against_record": len(checked),
        "excluded_after_cutoff": excluded,
        "source_keys": len(urls),
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: ``derive_observed.py INPUT_DIR [--out DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input_dir", type=Path, help="folder of the observed record")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the tables go")
    args = parser.parse_args(argv)
    try:
        summary = derive(args.input_dir, args.out)
    except DerivationError as exc:
        print(f"derive_observed: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
