"""Typed columns, selections in SQL and clear errors for bad store paths."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text

from ceasefire.mandate import load_mandate
from ceasefire.model.arrays import ObservationArrays
from ceasefire.model.errors import StoreError
from ceasefire.model.vocab import SENSES
from ceasefire.pipeline import ingest_into, init_store
from ceasefire.simulate import get_profile, simulate, write_scenario
from ceasefire.store import Selection, Store

# every test of the module on one worker: its module fixtures are made once, not
# once a worker
pytestmark = pytest.mark.xdist_group("store-schema")


@pytest.fixture(scope="module")
def quiet_file(tmp_path_factory: pytest.TempPathFactory, donbas_mandate_path: Path) -> Path:
    m = load_mandate(donbas_mandate_path)
    sc = simulate(m, get_profile("quiet"), datetime(2025, 6, 1, tzinfo=m.tz).timestamp(), 3.0, 5)
    out = tmp_path_factory.mktemp("quiet")
    return write_scenario(out, sc.observations, sc.truth)["observations"]


@pytest.fixture(params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, donbas_mandate_path: Path
) -> Iterator[Store]:
    target = (
        str(tmp_path / "s.db") if request.param == "sqlite" else request.getfixturevalue("pg_url")
    )
    st = init_store(target, donbas_mandate_path)
    yield st
    st.close()


def test_columns_give_the_arrays_the_models_give(store: Store, quiet_file: Path) -> None:
    r = ingest_into(store, [quiet_file])
    assert r.counts["accepted"] > 50
    span = store.observation_span()
    assert span is not None
    models = store.observation_models(span[0], span[1] + 1)
    want = ObservationArrays.from_observations(models)
    got = store.observations(span[0], span[1] + 1)
    assert len(got) == len(want) == r.counts["accepted"]
    # cameras see: a column the models default otherwise must come from the store
    assert (want.sense == SENSES.index("seen")).sum() > 5
    for name in want.__dataclass_fields__:
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype, name
        if a.dtype == np.float64:
            np.testing.assert_array_equal(a, b, err_msg=name)
        else:
            assert a.tolist() == b.tolist(), name


def test_sector_is_that_of_the_nearest_line_point(
    store: Store, donbas_mandate_path: Path, tmp_path: Path
) -> None:
    m = load_mandate(donbas_mandate_path)
    # points 2 km off the contact line at chainage 50 km (luhansk) and 200 km (donetsk-south)
    pts = []
    for km in (50.0, 200.0):
        p = m.contact.local.interpolate(km * 1000.0)
        lat, lon = m.contact.frame.to_latlon(p.x, p.y + 2000.0)
        pts.append((float(lat), float(lon)))
    lines = [
        '{"id":"a","source":"s","time":"2025-06-01T07:00:00Z","kind":"arrival",'
        f'"observer":{{"lat":{pts[0][0]},"lon":{pts[0][1]}}}}}',
        '{"id":"b","source":"s","time":"2025-06-01T07:00:01Z","kind":"arrival",'
        f'"observer":{{"lat":{pts[1][0]},"lon":{pts[1][1]}}}}}',
    ]
    p = tmp_path / "o.ndjson"
    p.write_text("\n".join(lines) + "\n")
    ingest_into(store, [p])
    rows = store.select_observations(Selection())
    assert {r["id"]: r["sector"] for r in rows} == {"a": "luhansk", "b": "donetsk-south"}
    only = store.select_observations(Selection(sectors=("donetsk-south",)))
    assert [r["id"] for r in only] == ["b"]
    assert store.select_observations(Selection(sectors=())) == []
    # a box around the first point only
    la, lo = pts[0]
    boxed = store.select_observations(Selection(bbox=(lo - 0.01, la - 0.01, lo + 0.01, la + 0.01)))
    assert [r["id"] for r in boxed] == ["a"]


def test_postgis_keeps_points_and_ellipses_as_geometry(pg_url: str) -> None:
    from ceasefire.model import Event

    st = Store.create(pg_url)
    ev = Event(
        id="e1",
        kind="explosion",
        time_s=100.0,
        lat=48.0,
        lon=38.0,
        cov_m2=(400.0**2, 100.0**2, 0.0),
        observation_ids=("a",),
        n_observers=2,
    )
    st.replace_events(0, 200, [ev], day="2025-06-01", sectors=["luhansk"])
    with st.engine.connect() as c:
        x, y, srid = c.execute(
            text("select ST_X(geom), ST_Y(geom), ST_SRID(geom) from events")
        ).one()
        # the 95 % ellipse of sigma_e 400 m, sigma_n 100 m: semi-axes 979 m east-west, 245 m
        w, h = c.execute(
            text(
                "select ST_Distance(ST_PointN(ST_ExteriorRing(ellipse), 1)::geography,"
                " geom::geography), ST_Area(ellipse::geography) from events"
            )
        ).one()
    assert (x, y, srid) == (38.0, 48.0, 4326)
    a = 400.0 * 5.991464547107979**0.5
    b = 100.0 * 5.991464547107979**0.5
    assert w == pytest.approx(a, rel=2e-3)
    assert h == pytest.approx(np.pi * a * b, rel=0.01)
    st.close()


def test_store_in_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"the folder .*nowhere does not exist"):
        Store.create(tmp_path / "nowhere" / "s.db")
    with pytest.raises(StoreError, match=r"the folder .*nowhere does not exist"):
        Store.open(tmp_path / "nowhere" / "s.db")


def test_store_path_that_is_not_a_database(tmp_path: Path) -> None:
    p = tmp_path / "notes.txt"
    p.write_text("these are my notes, not a database\n" * 50)
    for call in (Store.open, Store.create):
        with pytest.raises(StoreError, match=r"is not a ceasefire store .*file is not a database"):
            call(p)
    assert p.read_text().startswith("these are my notes")
    with pytest.raises(StoreError, match="is a folder"):
        Store.create(tmp_path)


def test_password_never_in_a_store_error(pg_url: str) -> None:
    url = pg_url.replace("postgres@", "postgres:hunter2secret@").replace("/cf_test_", "/nodb_")
    with pytest.raises(StoreError) as info:
        Store.open(url)
    assert "hunter2secret" not in str(info.value) and "***" in str(info.value)


def test_rows_of_equal_times_are_read_by_source_then_id(store: Store, tmp_path: Path) -> None:
    # the database reads by time alone; rows of one time must still come back
    # by source, then id (fusion's canonical order), whatever the file's order
    recs = [("s2", "b", 5), ("s1", "z", 5), ("s1", "a", 5), ("s2", "a", 3), ("s0", "m", 9)]
    lines = [
        json.dumps(
            {
                "id": i,
                "source": s,
                "time": f"2025-06-01T07:00:0{sec}Z",
                "kind": "arrival",
                "observer": {"lat": 48.0, "lon": 38.0},
            }
        )
        for s, i, sec in recs
    ]
    p = tmp_path / "ties.ndjson"
    p.write_text("\n".join(lines) + "\n")
    assert ingest_into(store, [p]).counts["accepted"] == 5
    got = store.observations(1748761200.0, 1748761210.0)
    # 07:00:03 s2/a; 07:00:05 s1/a, s1/z, s2/b; 07:00:09 s0/m
    assert list(zip(got.source.tolist(), got.id.tolist(), strict=True)) == [
        ("s2", "a"),
        ("s1", "a"),
        ("s1", "z"),
        ("s2", "b"),
        ("s0", "m"),
    ]
    assert np.all(np.diff(got.time_s) >= 0)
