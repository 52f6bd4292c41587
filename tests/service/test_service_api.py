"""The mission service over a real uvicorn on loopback, against SQLite and the local
PostgreSQL + PostGIS: the authorization matrix, compartments, the audit, ingest."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from served import DAY, USERS, Served, served_world, simulated_lines

from ceasefire.ledger import Ledger, verify_bundle
from ceasefire.model.errors import VerificationError

pytestmark = pytest.mark.xdist_group("service")

ROLES_OF = {name: role for name, (role, _, _) in USERS.items()}


@pytest.fixture(scope="module")
def lines(donbas_mandate_path: Path) -> list[str]:
    return simulated_lines(donbas_mandate_path)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    donbas_mandate_path: Path,
    lines: list[str],
    pg_databases: Callable[[], AbstractContextManager[str]],
) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "sqlite":
        with served_world(str(tmp / "store.db"), tmp, donbas_mandate_path, lines) as w:
            yield w
    else:
        with pg_databases() as url, served_world(url, tmp, donbas_mandate_path, lines) as w:
            yield w


def _sector_counts(w: Served, path: str) -> dict[str | None, int]:
    with w.client("chief") as c:
        feats = c.get(path, params={"limit": 10000}).json()["features"]
    out: dict[str | None, int] = {}
    for f in feats:
        s = f["properties"]["sector"]
        out[s] = out.get(s, 0) + 1
    return out


def _a_violation(w: Served, sector: str) -> str:
    with w.client("chief") as c:
        feats = c.get("/violations", params={"sector": sector, "limit": 1}).json()["features"]
    assert feats, f"the scene has no violation in {sector}"
    return str(feats[0]["id"])


# role × endpoint × own/other sector → expected status
def _matrix(w: Served) -> list[tuple[str, str, str, dict[str, Any], dict[str, int]]]:
    own, other = _a_violation(w, "luhansk"), _a_violation(w, "donetsk-south")
    everyone = dict.fromkeys(USERS, 200)

    def only(*allowed: str, deny: int = 403) -> dict[str, int]:
        return {u: 200 if ROLES_OF[u] in allowed else deny for u in USERS}

    readers = only("analyst", "chief")
    return [
        ("GET", "/me", "", {}, everyone),
        ("GET", "/observations", "", {}, only("monitor", "analyst", "chief")),
        (
            "GET",
            "/observations",
            "own sector",
            {"sector": "luhansk"},
            {
                **only("monitor", "chief"),
                "ana_luhansk": 200,
                "ana_south": 403,
            },
        ),
        ("GET", "/events", "", {}, readers),
        (
            "GET",
            "/events",
            "other sector",
            {"sector": "donetsk-south"},
            {
                **readers,
                "ana_luhansk": 403,
            },
        ),
        ("GET", "/violations", "", {}, only("analyst", "chief", "party")),
        (
            "GET",
            "/violations",
            "other sector",
            {"sector": "luhansk"},
            {
                **only("analyst", "chief", "party"),
                "ana_south": 403,
            },
        ),
        ("GET", "/escalations", "", {}, only("analyst", "chief", "party")),
        ("GET", f"/days/{DAY}/report", "", {}, everyone),
        ("GET", f"/days/{DAY}/report", "with observers", {"format": "internal"}, only("chief")),
        ("GET", "/ledger/head", "", {}, only("analyst", "chief", "party")),
        (
            "GET",
            f"/ledger/proof/{own}",
            "own sector",
            {},
            {
                **only("analyst", "chief", "party"),
                "ana_south": 404,
            },
        ),
        (
            "GET",
            f"/ledger/proof/{other}",
            "other sector",
            {},
            {
                **only("analyst", "chief", "party"),
                "ana_luhansk": 404,
            },
        ),
        ("POST", f"/days/{DAY}/publish", "", {}, only("chief")),
        # the chief's processing is exercised by the fixture and the stream test
        ("POST", f"/days/{DAY}/process", "", {}, {u: 403 for u in USERS if ROLES_OF[u] != "chief"}),
        ("POST", "/observations", "", {}, only("monitor", "chief")),
    ]


def test_authorization_matrix_every_role_and_endpoint(world: Served) -> None:
    wrong = []
    cases = 0
    for method, path, note, params, expected in _matrix(world):
        for user, want in expected.items():
            with world.client(user) as c:
                if method == "POST" and path == "/observations":
                    r = c.post(path, json=[])
                else:
                    r = c.request(method, path, params=params)
            cases += 1
            if r.status_code != want:
                wrong.append((user, method, path, note, want, r.status_code, r.text[:120]))
        with world.client(None) as anon:
            r = anon.request(method, path, params=params)
            cases += 1
            if r.status_code != 401:
                wrong.append(("<no token>", method, path, note, 401, r.status_code, r.text[:120]))
    assert wrong == []
    assert cases == sum(len(row[4]) + 1 for row in _matrix(world))


def test_stream_is_for_analysts_and_the_chief_only(world: Served) -> None:
    for user in USERS:
        with world.client(user) as c:
            if ROLES_OF[user] in ("analyst", "chief"):
                continue
            assert c.get("/stream").status_code == 403, user


def test_no_read_crosses_a_compartment(world: Served) -> None:
    by_sector = _sector_counts(world, "/violations")
    assert by_sector.get("luhansk", 0) > 0 and by_sector.get("donetsk-south", 0) > 0
    events_by_sector = _sector_counts(world, "/events")
    obs_by_sector = _sector_counts(world, "/observations")
    for analyst, sector in (("ana_luhansk", "luhansk"), ("ana_south", "donetsk-south")):
        with world.client(analyst) as c:
            for path, want in (
                ("/violations", by_sector),
                ("/events", events_by_sector),
                ("/observations", obs_by_sector),
            ):
                feats = c.get(path, params={"limit": 10000}).json()["features"]
                assert {f["properties"]["sector"] for f in feats} <= {sector}, (analyst, path)
                assert len(feats) == want.get(sector, 0), (analyst, path)
    # monitors read their own submissions: the two halves of the posted lines
    half = len(world.lines) // 2
    for monitor, n in (("mon1", half), ("mon2", len(world.lines) - half)):
        with world.client(monitor) as c:
            feats = c.get("/observations", params={"limit": 10000}).json()["features"]
        assert len(feats) == n
        assert {f["properties"]["submitted_by"] for f in feats} == {monitor}
    # the party: nothing before publication; after it every sector, no observation ids
    assert world.before_publish == {"violations": 0, "report": 404}
    with world.client("liaison_ru") as c:
        feats = c.get("/violations", params={"limit": 10000}).json()["features"]
        assert len(feats) == sum(by_sector.values())
        assert all(f["properties"]["observations"] is None for f in feats)
        assert c.get("/observations").status_code == 403


def test_bbox_and_filters_are_applied(world: Served) -> None:
    with world.client("chief") as c:
        all_v = c.get("/violations", params={"limit": 10000}).json()["features"]
        located = [f for f in all_v if f["geometry"] is not None]
        lon, lat = located[0]["geometry"]["coordinates"]
        box = f"{lon - 0.05},{lat - 0.05},{lon + 0.05},{lat + 0.05}"
        boxed = c.get("/violations", params={"bbox": box, "limit": 10000}).json()["features"]
        inside = [
            f["id"]
            for f in located
            if abs(f["geometry"]["coordinates"][0] - lon) <= 0.05
            and abs(f["geometry"]["coordinates"][1] - lat) <= 0.05
        ]
        assert sorted(f["id"] for f in boxed) == sorted(inside)
        rule = all_v[0]["properties"]["rule"]
        by_rule = c.get("/violations", params={"rule": rule, "limit": 10000}).json()
        assert by_rule["numberReturned"] == sum(1 for f in all_v if f["properties"]["rule"] == rule)
        # paging: two pages of 5 are the first ten
        p1 = c.get("/violations", params={"limit": 5}).json()
        p2 = c.get("/violations", params={"limit": 5, "offset": p1["next_offset"]}).json()
        assert [f["id"] for f in p1["features"] + p2["features"]] == [f["id"] for f in all_v[:10]]
        assert c.get("/violations", params={"day": "2025-06-02"}).json()["numberReturned"] == 0


def test_bad_requests_name_the_field(world: Served) -> None:
    with world.client("chief") as c:
        r = c.get("/violations", params={"bbox": "38,48,37"})
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "query.bbox"
        assert "lon_min,lat_min,lon_max,lat_max" in r.json()["errors"][0]["message"]
        r = c.get("/violations", params={"limit": 0})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.limit"
        r = c.get("/events", params={"day": "2025-13-01"})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.day"
        r = c.post(
            "/observations", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 400 and "not JSON" in r.json()["detail"]
        r = c.post("/observations", content=b"a,b", headers={"Content-Type": "text/plain"})
        assert r.status_code == 415 and "text/csv" in r.json()["detail"]


def test_post_formats_share_the_ingest_contract(world: Served) -> None:
    rec = json.loads(world.lines[0])
    new = dict(rec, id="api-new-1")
    bad = dict(rec, id="api-bad-1", time="yesterday")
    with world.client("mon1") as c:
        r = c.post("/observations", json=[new, bad, rec, 7]).json()
        assert (r["input"], r["accepted"], r["rejected"], r["duplicate"]) == (4, 1, 2, 1)
        assert [x["line"] for x in r["rejections"]] == [2, 4]
        assert "time" in r["rejections"][0]["reason"]
        assert r["duplicates"] == [
            {"line": 3, "source": rec["source"], "id": rec["id"], "conflicting": False}
        ]
        # the same record as CSV and as GeoJSON: stored once, then duplicates
        csv_new = dict(new, id="api-csv-1")
        header = "id,source,time,kind,observer_lat,observer_lon"
        row = (
            f"{csv_new['id']},{csv_new['source']},{csv_new['time']},{csv_new['kind']},"
            f"{csv_new['observer']['lat']},{csv_new['observer']['lon']}"
        )
        r = c.post(
            "/observations", content=f"{header}\n{row}\n", headers={"Content-Type": "text/csv"}
        ).json()
        assert (r["accepted"], r["duplicate"]) == (1, 0)
        props = {k: v for k, v in csv_new.items() if k not in ("observer",)}
        fc = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "Point",
                        "coordinates": [csv_new["observer"]["lon"], csv_new["observer"]["lat"]],
                    },
                    "properties": props,
                }
            ],
        }
        r = c.post(
            "/observations", json=fc, headers={"Content-Type": "application/geo+json"}
        ).json()
        assert (r["accepted"], r["duplicate"]) == (0, 1)


def test_audit_holds_one_entry_per_request_and_no_token(world: Served) -> None:
    before = len(world.audit_entries())
    calls = [
        ("chief", "GET", "/violations", {"rule": "ceasefire"}, 200, "allowed"),
        ("ana_luhansk", "GET", "/events", {"sector": "donetsk-south"}, 403, "denied"),
        (None, "GET", "/violations", {}, 401, "unauthenticated"),
        ("chief", "GET", "/violations", {"bbox": "x"}, 422, "invalid"),
        ("press", "GET", f"/days/{DAY}/report", {}, 200, "allowed"),
    ]
    returned = []
    for user, method, path, params, status, _ in calls:
        with world.client(user) as c:
            r = c.request(method, path, params=params)
        assert r.status_code == status
        returned.append(
            r.json()["numberReturned"] if path == "/violations" and status == 200 else None
        )
    entries = world.audit_entries()
    assert len(entries) == before + len(calls)
    for e, (user, method, path, params, status, outcome), n in zip(
        entries[before:], calls, returned, strict=True
    ):
        assert (e["user"], e["method"], e["resource"], e["status"], e["outcome"]) == (
            user,
            method,
            "/api/v1" + path,
            status,
            outcome,
        )
        assert e["filters"] == params
        if n is not None:
            assert e["returned"] == n
    text = json.dumps(entries)
    assert not any(tok in text for tok in world.tokens.values())


def test_proof_of_a_violation_verifies_with_the_mission_key(world: Served) -> None:
    vid = _a_violation(world, "luhansk")
    pub = (world.ledger_dir / "mission.pub.pem").read_bytes()
    for user in ("chief", "ana_luhansk", "liaison_ru"):
        with world.client(user) as c:
            bundle = c.get(f"/ledger/proof/{vid}").json()
        assert bundle["record"]["id"] == vid
        check = verify_bundle(bundle, pub)
        assert (check.kind, check.record_id) == ("inclusion", vid)
    bundle["record"]["party"] = "someone else"
    with pytest.raises(VerificationError):
        verify_bundle(bundle, pub)


def test_a_partys_proof_names_no_observer_and_still_binds_the_observations(
    world: Served,
) -> None:
    vid = _a_violation(world, "luhansk")
    with world.client("chief") as c:
        feats = c.get("/violations", params={"sector": "luhansk", "limit": 1}).json()
    (feat,) = feats["features"]
    assert feat["id"] == vid
    oids = set(feat["properties"]["observations"])
    assert oids
    sources = {json.loads(line)["source"] for line in world.lines}
    with world.client("liaison_ru") as c:
        bundle = c.get(f"/ledger/proof/{vid}").json()
    record = bundle["record"]
    # the party learns neither the observations' ids nor the observers' names
    assert "observation_ids" not in record
    text = json.dumps(bundle)
    assert not [s for s in sources if f'"{s}' in text or f"{s}/" in text]
    assert not [o for o in oids if f'"{o}"' in text]
    # yet the record binds its observations: their digests, as the day's signed
    # observations records hold them under `source/id` for the mission
    day_digests: dict[str, str] = {}
    ledger = Ledger.open(world.ledger_dir, readonly=True)
    try:
        for i in range(ledger.size):
            r = ledger.record(i)
            if r["type"] == "observations":
                day_digests.update(r["digests"])
    finally:
        ledger.close()
    mine = {d for key, d in day_digests.items() if key.split("/", 1)[1] in oids}
    assert record["observation_digests"] == sorted(mine)


def test_stream_sends_an_analyst_only_its_sectors_violations(world: Served) -> None:
    want = _sector_counts(world, "/violations")["luhansk"]
    got: list[dict[str, Any]] = []
    ready = threading.Event()

    def listen() -> None:
        with world.client("ana_luhansk") as c, c.stream("GET", "/stream") as r:
            kind = None
            for line in r.iter_lines():
                if line.startswith(": connected"):
                    ready.set()
                elif line.startswith("event: "):
                    kind = line.removeprefix("event: ")
                elif line.startswith("data: ") and kind == "violation":
                    got.append(json.loads(line.removeprefix("data: ")))
                    if len(got) >= want:
                        return

    t = threading.Thread(target=listen, daemon=True)
    t.start()
    assert ready.wait(60)
    with world.client("chief") as c:
        assert c.post(f"/days/{DAY}/process").status_code == 200
    t.join(60)
    assert len(got) == want
    assert {f["properties"]["sector"] for f in got} == {"luhansk"}
