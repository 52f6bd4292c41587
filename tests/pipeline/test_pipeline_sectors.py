"""``pipeline.sectors_of``: each position's sector, places looked up once."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ceasefire.mandate import parse_mandate
from ceasefire.pipeline import sectors_of

MANDATE = Path(__file__).resolve().parents[2] / "examples" / "frontline-2025" / "mandate.yaml"


def test_sectors_of_is_each_place_looked_up_alone() -> None:
    m = parse_mandate(MANDATE.read_text(), source=str(MANDATE))
    rng = np.random.default_rng(3)
    lat = rng.uniform(46.5, 50.5, 300)
    lon = rng.uniform(35.0, 39.5, 300)
    # repeated places (fixed observers), a place whose lat and lon are swapped,
    # and no place at all
    lat = np.concatenate([lat, lat[:50], lon[:5], [np.nan, 48.0, np.inf]])
    lon = np.concatenate([lon, lon[:50], lat[:5], [37.0, np.nan, 37.0]])
    got = sectors_of(m, lat.tolist(), lon.tolist())
    want: list[str | None] = []
    for la, lo in zip(lat, lon, strict=True):
        if not (np.isfinite(la) and np.isfinite(lo)):
            want.append(None)
            continue
        near = m.contact.nearest(np.array([la]), np.array([lo]))
        want.append(m.sector_of_chainage(near.chainage_m)[0])
    assert got == want
    assert len({s for s in got if s is not None}) > 1  # several sectors met
    finite = np.isfinite(lat) & np.isfinite(lon)
    assert sectors_of(m, lat[finite], lon[finite]) == [
        w for w, f in zip(want, finite, strict=True) if f
    ]
