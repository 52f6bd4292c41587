"""The API's GeoJSON writer (``service.features``) and the view-limited reads the
dashboard makes: the bytes written straight from the store rows parse to what the
pydantic response models gave before, and a box and time window return exactly
the features inside them, with the server's counts and cells agreeing."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from served import DAY, Served, served_world

from ceasefire.mandate import load_mandate
from ceasefire.service import models as m
from ceasefire.service.features import (
    collection_bytes,
    event_row_feature,
    observation_row_feature,
    violation_row_feature,
)
from ceasefire.simulate import get_profile, observation_lines, simulate
from ceasefire.store import Selection, Store

pytestmark = pytest.mark.xdist_group("service-features")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    donbas_mandate_path: Path,
    pg_databases: Callable[[], AbstractContextManager[str]],
) -> Iterator[tuple[Served, str]]:
    tmp = tmp_path_factory.mktemp(f"features-{request.param}")
    # two hours of the heavy profile: enough violations to cut a box and a window in
    m = load_mandate(donbas_mandate_path)
    t0 = datetime(2025, 6, 1, 8, tzinfo=m.tz).timestamp()
    lines = observation_lines(simulate(m, get_profile("heavy"), t0, 2.0, 4).observations)
    if request.param == "sqlite":
        target = str(tmp / "store.db")
        with served_world(target, tmp, donbas_mandate_path, lines) as w:
            yield w, target
    else:
        with pg_databases() as url, served_world(url, tmp, donbas_mandate_path, lines) as w:
            yield w, url


def _pydantic(model: type[Any], feats: list[dict[str, Any]], nxt: int | None) -> Any:
    """What the routes answered before: every feature validated by its model, the
    collection dumped as FastAPI's response_model did (JSON mode)."""
    item = model.model_fields["features"].annotation.__args__[0]
    validated = [item.model_validate(f) for f in feats]
    body = model(features=validated, numberReturned=len(validated), next_offset=nxt)
    return json.loads(body.model_dump_json())


def test_the_bytes_parse_to_what_the_response_models_gave(world: tuple[Served, str]) -> None:
    _, target = world
    store = Store.open(target)
    try:
        sel = Selection(limit=100_000)
        vrows = store.select_violations(sel)
        erows = store.select_events(sel)
        orows = store.select_observations(Selection(limit=200))
    finally:
        store.close()
    assert len(vrows) > 30 and len(erows) > 30 and len(orows) == 200
    # the same parsed objects, for a reader who sees observers and one who does not
    for see in (True, False):
        feats = [violation_row_feature(r, see) for r in vrows]
        got = json.loads(collection_bytes(feats, 7))
        assert got == _pydantic(m.ViolationCollection, feats, 7)
        assert all((f["properties"]["observations"] is None) != see for f in got["features"])
    feats = [event_row_feature(r) for r in erows]
    assert json.loads(collection_bytes(feats, None)) == _pydantic(m.EventCollection, feats, None)
    feats = [observation_row_feature(r) for r in orows]
    got = json.loads(collection_bytes(feats, None))
    assert got == _pydantic(m.ObservationCollection, feats, None)
    assert got["numberReturned"] == 200 and got["next_offset"] is None


def test_a_non_finite_float_is_written_null_as_the_models_wrote_it(
    world: tuple[Served, str],
) -> None:
    _, target = world
    store = Store.open(target)
    try:
        row = store.select_violations(Selection(limit=1))[0]
    finally:
        store.close()
    f = violation_row_feature(row, True)
    f["properties"]["distance_to_line_km"] = math.nan
    f["properties"]["party_probability"] = math.inf
    got = json.loads(collection_bytes([f], None))  # strict JSON: no NaN token
    assert got == _pydantic(m.ViolationCollection, [f], None)
    p = got["features"][0]["properties"]
    assert p["distance_to_line_km"] is None and p["party_probability"] is None


def _all(c: Any, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    offset = 0
    while True:
        body = c.get(path, params={**params, "limit": 10000, "offset": offset}).json()
        out += body["features"]
        if body["next_offset"] is None:
            return out
        offset = body["next_offset"]


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def _cut(values: list[float], frac: float, gap: float) -> float:
    """A boundary between two of ``values`` near the ``frac`` quantile, in the middle
    of a gap wider than ``gap``: no record sits on it, whatever the rounding of the
    GeoJSON (6 decimals, milliseconds) against the store's full precision."""
    v = sorted(values)
    for i in range(int(frac * len(v)), len(v) - 1):
        if v[i + 1] - v[i] > gap:
            return (v[i] + v[i + 1]) / 2
    raise AssertionError(f"no gap of {gap} after the {frac} quantile")


def test_a_box_and_time_window_return_only_what_is_inside(world: tuple[Served, str]) -> None:
    w, _ = world
    with w.client("chief") as c:
        day = _all(c, "/violations", {"day": DAY})
        located = [f for f in day if f["geometry"] is not None]
        assert len(located) > 30
        # a box around the middle half of the day's violations, and the middle of its hours
        lons = [f["geometry"]["coordinates"][0] for f in located]
        lats = [f["geometry"]["coordinates"][1] for f in located]
        box = tuple(_cut(v, q, 1e-5) for q in (0.25,) for v in (lons, lats)) + tuple(
            _cut(v, 0.75, 1e-5) for v in (lons, lats)
        )
        times = [_epoch(f["properties"]["time"]) for f in located]
        t0, t1 = _cut(times, 0.25, 0.01), _cut(times, 0.75, 0.01)
        params = {
            "day": DAY,
            "bbox": ",".join(f"{x:.7f}" for x in box),
            "since": datetime.fromtimestamp(t0).astimezone().isoformat(),
            "until": datetime.fromtimestamp(t1).astimezone().isoformat(),
        }
        got = _all(c, "/violations", params)

        def inside(f: dict[str, Any]) -> bool:
            x, y = f["geometry"]["coordinates"]
            t = _epoch(f["properties"]["time"])
            return box[0] < x < box[2] and box[1] < y < box[3] and t0 < t < t1

        expected = {f["id"] for f in located if inside(f)}
        assert 0 < len(expected) < len(located)
        assert all(f["geometry"] is not None and inside(f) for f in got)
        assert {f["id"] for f in got} == expected
        # the server's counts of the same filters are those of the features
        s = c.get("/violations/summary", params={**params, "cell_deg": "0.05"}).json()
        assert s["total"] == s["located"] == len(got)
        assert s["rule"] == dict(Counter(f["properties"]["rule"] for f in got))
        assert s["party"] == dict(Counter(f["properties"]["party"] for f in got))
        assert sum(cell["n"] for cell in s["cells"]) == len(got)
        assert all(sum(cell["party"].values()) == cell["n"] for cell in s["cells"])
        # a cell sits at the mean of its violations, so inside the box
        assert all(
            box[0] < cell["lon"] < box[2] and box[1] < cell["lat"] < box[3] for cell in s["cells"]
        )
        # a severity filter narrows both alike
        sev = got[0]["properties"]["severity"]
        narrowed = _all(c, "/violations", {**params, "severity": sev})
        assert {f["properties"]["severity"] for f in narrowed} == {sev}
        assert len(narrowed) == sum(1 for f in got if f["properties"]["severity"] == sev)
        s2 = c.get("/violations/summary", params={**params, "severity": sev}).json()
        assert s2["total"] == len(narrowed) and s2["cells"] == [] and s2["cell_deg"] is None


def test_the_summary_keeps_the_compartments(world: tuple[Served, str]) -> None:
    w, _ = world
    with w.client("ana_luhansk") as c:
        mine = c.get("/violations/summary", params={"day": DAY}).json()
        feats = _all(c, "/violations", {"day": DAY})
    with w.client("chief") as c:
        everyone = c.get("/violations/summary", params={"day": DAY}).json()
        luhansk = c.get("/violations/summary", params={"day": DAY, "sector": "luhansk"}).json()
    assert mine == luhansk and 0 < mine["total"] == len(feats) < everyone["total"]
    with w.client("mon1") as c:
        assert c.get("/violations/summary").status_code == 403
