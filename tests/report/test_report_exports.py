"""Each export read back by a real reader: json + shapely, fastkml, GDAL
(pyogrio), csv, xmlschema against the shipped CoT schema."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import shapely

from ceasefire.mandate import Mandate, day_bounds
from ceasefire.model.errors import InputError
from ceasefire.report import ReportContext, export
from conftest import DAY, TOTAL, build_day_ctx


@pytest.fixture
def ctx(donbas: Mandate) -> ReportContext:
    return build_day_ctx(donbas)


def test_geojson_round_trip(ctx: ReportContext, tmp_path: Path) -> None:
    p = export("geojson", ctx.events, ctx.violations, tmp_path / "d.geojson", mandate=ctx.mandate)
    fc = json.loads(p.read_text(encoding="utf-8"))
    assert fc["type"] == "FeatureCollection"
    layers = [f["properties"]["layer"] for f in fc["features"]]
    assert layers.count("violation") == TOTAL and layers.count("event") == len(ctx.events)
    by_id = {f["properties"].get("id"): f for f in fc["features"] if f["properties"].get("id")}
    v = ctx.violations[3]
    g = shapely.geometry.shape(by_id[v.id]["geometry"])
    assert (g.x, g.y) == (pytest.approx(v.lon), pytest.approx(v.lat))  # RFC 7946: lon, lat
    cl = next(f for f in fc["features"] if f["properties"].get("kind") == "contact_line")
    line = shapely.geometry.shape(cl["geometry"])
    assert line.geom_type == "LineString"
    assert line.coords[0] == (ctx.mandate.contact.lons[0], ctx.mandate.contact.lats[0])
    zones = [f for f in fc["features"] if f["properties"].get("kind") == "polygon_zone"]
    assert len(zones) == 3 and all(shapely.geometry.shape(z["geometry"]).is_valid for z in zones)


def test_csv_round_trip(ctx: ReportContext, tmp_path: Path) -> None:
    p = export("csv", ctx.events, ctx.violations, tmp_path / "d.csv")
    with p.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    vs = [r for r in rows if r["layer"] == "violation"]
    assert len(vs) == TOTAL and len(rows) == TOTAL + len(ctx.events)
    assert sum(r["party"] == "undetermined" for r in vs) == 3
    r = next(r for r in vs if r["id"] == "v000")
    assert float(r["lat"]) == 48.0 and float(r["lon"]) == 37.9
    # cov (250000, 40000, 0): sigma_e 500 m, sigma_n 200 m; 95 % semi-major 500*2.4477
    assert float(r["semi_major_m"]) == pytest.approx(500 * 2.4477, abs=0.2)
    assert float(r["orientation_deg"]) == 90.0
    start, _ = day_bounds(ctx.mandate, DAY)
    # planned at 02:00 local time of the day
    assert datetime.fromisoformat(r["time"]) == datetime.fromtimestamp(start + 7200, tz=UTC)


def test_csv_carries_a_paired_rounds_launch_point(ctx: ReportContext, tmp_path: Path) -> None:
    paired = replace(ctx.violations[0], launch_lat=48.1, launch_lon=38.05)
    p = export("csv", [], [paired, *ctx.violations[1:]], tmp_path / "p.csv")
    with p.open(encoding="utf-8", newline="") as fh:
        by_id = {r["id"]: r for r in csv.DictReader(fh)}
    r = by_id[paired.id]
    assert (float(r["launch_lat"]), float(r["launch_lon"])) == (48.1, 38.05)
    assert float(r["lat"]) == paired.lat  # the position stays the impact
    other = by_id[ctx.violations[1].id]
    assert other["launch_lat"] == "" and other["launch_lon"] == ""


def test_kml_valid_against_the_ogc_kml_22_schema(ctx: ReportContext, tmp_path: Path) -> None:
    import fastkml
    from lxml import etree

    xsd = Path(fastkml.__file__).parent / "schema" / "ogckml22.xsd"
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    p = export("kml", ctx.events, ctx.violations, tmp_path / "d.kml", mandate=ctx.mandate)
    doc = etree.parse(str(p))
    assert schema.validate(doc), schema.error_log
    # the schema is strict about order: a style written IconStyle-last fails it
    style = doc.find(".//{http://www.opengis.net/kml/2.2}Style")
    assert style is not None
    style.append(style[0])
    assert not schema.validate(doc)


def _no_address_off_the_machine(root: object) -> None:
    """No attribute or text of the document is an http(s) address (namespaces are
    element names, not fetched)."""
    for el in root.iter():  # type: ignore[attr-defined]
        values = [el.text or "", *el.attrib.values()]
        assert not [v for v in values if "http" in v.lower()], el.tag


def test_kml_names_no_icon_so_nothing_is_fetched(ctx: ReportContext, tmp_path: Path) -> None:
    from lxml import etree

    p = export("kml", ctx.events, ctx.violations, tmp_path / "d.kml", mandate=ctx.mandate)
    root = etree.parse(str(p)).getroot()
    _no_address_off_the_machine(root)
    assert not root.findall(".//{http://www.opengis.net/kml/2.2}Icon")


def test_kmz_carries_its_marker_and_a_valid_document(ctx: ReportContext, tmp_path: Path) -> None:
    import zipfile

    import fastkml
    from lxml import etree

    p = export("kmz", ctx.events, ctx.violations, tmp_path / "d.kmz", mandate=ctx.mandate)
    with zipfile.ZipFile(p) as z:
        assert z.namelist()[0] == "doc.kml"  # viewers take the first .kml entry
        root = etree.fromstring(z.read("doc.kml"))
        hrefs = {h.text for h in root.iter("{http://www.opengis.net/kml/2.2}href")}
        assert hrefs == {"files/marker.png"}
        assert z.read("files/marker.png")[:8] == b"\x89PNG\r\n\x1a\n"
    xsd = Path(fastkml.__file__).parent / "schema" / "ogckml22.xsd"
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    assert schema.validate(root.getroottree()), schema.error_log
    _no_address_off_the_machine(root)
    # the same violations as the plain KML
    names = root.findall(
        ".//{http://www.opengis.net/kml/2.2}Folder/{http://www.opengis.net/kml/2.2}name"
    )
    assert f"Violations ({TOTAL})" in {n.text for n in names}


def test_kml_round_trip(ctx: ReportContext, tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastkml import KML
    p = export("kml", ctx.events, ctx.violations, tmp_path / "d.kml", mandate=ctx.mandate)
    k = KML.parse(str(p), validate=True)
    doc = next(iter(k.features))
    folders = {f.name: f for f in doc.features}
    assert set(folders) == {f"Violations ({TOTAL})", f"Events ({len(ctx.events)})", "Mandate"}
    pms = list(folders[f"Violations ({TOTAL})"].features)
    assert len(pms) == TOTAL
    pm = next(x for x in pms if x.id == "v000")
    geoms = list(pm.geometry.geoms)
    point = next(g for g in geoms if g.geom_type == "Point")
    assert (point.x, point.y) == (pytest.approx(37.9), pytest.approx(48.0))
    ring = next(g for g in geoms if g.geom_type == "Polygon")
    ell = shapely.geometry.shape(ring.__geo_interface__)
    assert ell.contains(shapely.Point(37.9, 48.0))
    data = {d.name: d.value for d in pm.extended_data.elements}
    assert data["party"] == "UA" and data["rule"] == "ceasefire"


def test_gpkg_read_by_gdal(ctx: ReportContext, tmp_path: Path) -> None:
    from pyogrio import list_layers
    from pyogrio.raw import read

    p = export("gpkg", ctx.events, ctx.violations, tmp_path / "d.gpkg", mandate=ctx.mandate)
    layers = {name: gtype for name, gtype in list_layers(p)}
    assert layers == {
        "violations": "Point",
        "events": "Point",
        "violation_ellipses": "Polygon",
        "mandate_lines": "LineString",
        "mandate_zones": "Polygon",
    }
    meta, _, geoms, fields = read(p, layer="violations")
    assert meta["crs"] == "EPSG:4326"
    cols = dict(zip(meta["fields"], fields, strict=True))
    assert len(geoms) == TOTAL
    assert list(cols["party"]).count("undetermined") == 3
    i = list(cols["id"]).index("v002")
    pt = shapely.from_wkb(geoms[i])
    assert (pt.x, pt.y) == (pytest.approx(37.92), pytest.approx(48.02))
    _, _, zgeoms, _ = read(p, layer="mandate_zones")
    # 4 buffer zones x 2 parties + 3 disengagement areas
    assert len(zgeoms) == 11


def _ogrinfo(path: Path, *args: str, layer: str = "") -> subprocess.CompletedProcess[str]:
    """GDAL's own reader (Debian's ogrinfo), as a GIS user opens the file."""
    cmd = ["ogrinfo", "-ro", *args, str(path)] + ([layer] if layer else [])
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_gpkg_is_version_12_read_by_debians_ogrinfo_without_warnings(
    ctx: ReportContext, tmp_path: Path
) -> None:
    import sqlite3

    p = export("gpkg", ctx.events, ctx.violations, tmp_path / "d.gpkg", mandate=ctx.mandate)
    with sqlite3.connect(p) as c:
        assert c.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # "GPKG"
        assert c.execute("PRAGMA user_version").fetchone()[0] == 10200
    r = _ogrinfo(p, "-so")
    assert r.returncode == 0, r.stderr
    assert "Warning" not in r.stderr and "ERROR" not in r.stderr
    for layer in ("violations (Point)", "events (Point)", "mandate_zones (Polygon)"):
        assert layer in r.stdout
    r = _ogrinfo(p, "-where", "n_observers IS NULL", "-so", layer="violations")
    assert r.returncode == 0, r.stderr
    assert f"Feature Count: {TOTAL}" in r.stdout


def test_gpkg_missing_numbers_are_null_not_minus_one(ctx: ReportContext, tmp_path: Path) -> None:
    import sqlite3

    p = export("gpkg", ctx.events, ctx.violations, tmp_path / "d.gpkg")
    with sqlite3.connect(p) as c:
        # a violation has no observer count of its own; an event has one (2 in the scene)
        assert c.execute("SELECT DISTINCT n_observers FROM violations").fetchall() == [(None,)]
        assert c.execute("SELECT DISTINCT n_observers FROM events").fetchall() == [(2,)]
        nulls = c.execute("SELECT count(*) FROM violations WHERE launch_lat IS NULL").fetchone()
        assert nulls[0] == TOTAL


def test_geojson_read_by_ogrinfo_with_counter_clockwise_exterior_rings(
    ctx: ReportContext, tmp_path: Path
) -> None:
    p = export("geojson", ctx.events, ctx.violations, tmp_path / "d.geojson", mandate=ctx.mandate)
    fc = json.loads(p.read_text())
    polys = [f for f in fc["features"] if (f["geometry"] or {}).get("type") == "Polygon"]
    assert len(polys) == 11  # 4 buffer zones x 2 parties + 3 disengagement areas
    for f in polys:
        ring = f["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1], f["properties"]["name"]
        assert shapely.LinearRing(ring).is_ccw, f["properties"]["name"]  # RFC 7946 3.1.6
    r = _ogrinfo(p, "-al", "-so")
    assert r.returncode == 0, r.stderr
    assert "Warning" not in r.stderr and "ERROR" not in r.stderr
    assert f"Feature Count: {len(fc['features'])}" in r.stdout


def test_ellipse_rings_wind_counter_clockwise(ctx: ReportContext) -> None:
    from ceasefire.report.geometry import ellipse_rings

    vs = [v for v in ctx.violations if v.ellipse is not None and v.lat is not None]
    rings = ellipse_rings(
        [v.lat for v in vs],  # type: ignore[misc]
        [v.lon for v in vs],  # type: ignore[misc]
        [v.ellipse for v in vs],  # type: ignore[misc]
    )
    assert len(rings) == len(vs) > 0
    assert all(shapely.LinearRing(r).is_ccw for r in rings)


def test_gpkg_is_deterministic(ctx: ReportContext, tmp_path: Path) -> None:
    a = export("gpkg", ctx.events, ctx.violations, tmp_path / "a.gpkg")
    b = export("gpkg", ctx.events, ctx.violations, tmp_path / "b.gpkg")
    assert a.read_bytes() == b.read_bytes()


def test_cot_is_a_tak_data_package_of_events_a_tak_library_reads(
    ctx: ReportContext, tmp_path: Path
) -> None:
    import zipfile

    import takproto
    import xmlschema

    from ceasefire.report.cot import STALE_S, VISIBLE_S, cot_messages, schema_path, write_cot

    exported = datetime(2015, 8, 25, 7, 30, tzinfo=UTC).timestamp()  # two days after
    p = write_cot(ctx.events, ctx.violations, tmp_path / "d.zip", ctx.mandate, now_s=exported)
    schema = xmlschema.XMLSchema(schema_path())
    with zipfile.ZipFile(p) as z:
        manifest = ET.fromstring(z.read("MANIFEST/manifest.xml"))
        assert manifest.tag == "MissionPackageManifest" and manifest.get("version") == "2"
        entries = [c.get("zipEntry") for c in manifest.iter("Content")]
        assert len(entries) == TOTAL + len(ctx.events)
        assert sorted(entries) == sorted(n for n in z.namelist() if n.endswith(".cot"))
        messages = {str(e): z.read(str(e)) for e in entries}
    parsed = {}
    for entry, xml in messages.items():
        schema.validate(xml.decode())
        # TAK's own protocol: the XML event becomes a TAK protobuf message and back
        msg = takproto.parse_proto(takproto.xml2proto(xml.decode()))
        assert msg is not None
        parsed[msg.cotEvent.uid] = msg.cotEvent
        assert entry.startswith(msg.cotEvent.uid + "/")
    v = parsed["ceasefire-violation-v010"]  # an artillery sighting
    assert v.type == "a-u-G-E-W-H" and v.how == "m-f"
    assert (v.lat, v.lon) == (pytest.approx(48.1), pytest.approx(38.0))
    assert v.ce == pytest.approx(500.0, abs=0.1)
    # every marker is still current when the package is opened: stale after export
    assert all(e.staleTime / 1000.0 >= exported + VISIBLE_S - 1 for e in parsed.values())
    assert parsed["ceasefire-violation-v000"].type == "b-m-p-s-m"
    # exported while fresh, a marker goes stale 6 h after it was last seen
    fresh = cot_messages(ctx.events, ctx.violations)
    first = ET.fromstring(fresh[0])
    start = datetime.fromisoformat(str(first.get("start")).replace("Z", "+00:00"))
    stale = datetime.fromisoformat(str(first.get("stale")).replace("Z", "+00:00"))
    assert (stale - start).total_seconds() == STALE_S
    # an invalid message is caught by the schema
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        schema.validate(fresh[0].decode().replace('how="m-f"', 'how="M F"'))
    # the same inputs and export time give the same bytes
    again = write_cot(ctx.events, ctx.violations, tmp_path / "e.zip", ctx.mandate, now_s=exported)
    assert again.read_bytes() == p.read_bytes()


def test_unknown_format(ctx: ReportContext, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="shapefile"):
        export("shapefile", ctx.events, ctx.violations, tmp_path / "x.shp")


def test_cli_export_from_store(ctx: ReportContext, tmp_path: Path, donbas_mandate_path) -> None:
    from ceasefire.store import Store

    db = tmp_path / "s.db"
    st = Store.create(db)
    st.set_meta("mandate", donbas_mandate_path.read_text(encoding="utf-8"))
    start, end = day_bounds(ctx.mandate, DAY)
    st.replace_events(start, end, ctx.events)
    st.replace_violations(start, end, ctx.violations)
    st.close()
    out = tmp_path / "day.csv"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from ceasefire.cli import main; main()",
            "export",
            "--store",
            str(db),
            "--day",
            DAY.isoformat(),
            "--format",
            "csv",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert sum(r["layer"] == "violation" for r in rows) == TOTAL
    bad = subprocess.run(
        [
            sys.executable,
            "-c",
            "from ceasefire.cli import main; main()",
            "export",
            "--store",
            str(db),
            "--day",
            DAY.isoformat(),
            "--format",
            "shp",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode != 0 and "shp" in bad.stderr
