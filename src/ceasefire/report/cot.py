"""Cursor-on-Target events for TAK clients (ATAK, WinTAK, iTAK).

One ``event`` per located violation (and, with ``include_events``, per other
located event), ``how="m-f"`` (machine, fused). Types:

- explosions and other firing: ``b-m-p-s-m`` (a spot-map marker: every TAK
  client draws it, with the ``remarks`` saying what it is);
- a weapon or vehicle sighting: a MIL-STD-2525 ground-equipment atom with
  affiliation ``u`` (unknown): ``a-u-G-E-W-H`` artillery (howitzer),
  ``a-u-G-E-W-R`` rocket launcher (MLRS), ``a-u-G-E-W-M`` missile launcher,
  ``a-u-G-E-W-O`` mortar, ``a-u-G-E-V-A-T`` tank, ``a-u-G-E-V-A-A`` APC,
  ``a-u-G-E-W`` other weapons; a drone ``a-u-A-M-F-Q``; troops ``a-u-G-U-C``.

The mission is impartial: no party is marked friend or hostile; the party is
in ``detail``. ``time``/``start`` are the violation's time (first seen).
TAK clients hide an event once its ``stale`` time has passed, so ``stale`` is
the later of its last seen plus :data:`STALE_S` and the time of export plus
``visible_s`` (:data:`VISIBLE_S`): a report exported the next morning still
shows its markers. ``ce`` is the 1-sigma circular error (the 95 % semi-major
axis / 2.448).

A file for TAK tools is a TAK data package (:func:`write_cot`): a zip holding
``MANIFEST/manifest.xml`` and one CoT event per ``.cot`` file, which ATAK,
WinTAK and iTAK import as they are.
"""

from __future__ import annotations

import hashlib
import math
import time
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from ceasefire.mandate import Mandate
from ceasefire.model import Event, Violation

#: How long a marker stays current on a TAK client after it was last seen, s.
STALE_S = 6 * 3600.0
#: How long after an export its markers stay visible at least, s.
VISIBLE_S = 7 * 86400.0
#: Zip entries' timestamp: the same inputs give the same package bytes.
_ZIP_DATE = (2000, 1, 1, 0, 0, 0)
_XML_DECL = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
UNKNOWN = "9999999.0"
#: sqrt of the chi-square 95 % quantile with 2 degrees of freedom.
K95 = math.sqrt(5.991464547107979)
OBJECT_TYPES = {
    "artillery_ge_100mm": "a-u-G-E-W-H",
    "mlrs": "a-u-G-E-W-R",
    "mlrs_heavy": "a-u-G-E-W-R",
    "tactical_missile": "a-u-G-E-W-M",
    "mortar": "a-u-G-E-W-O",
    "tank": "a-u-G-E-V-A-T",
    "apc": "a-u-G-E-V-A-A",
    "air_defence": "a-u-G-E-W",
    "uav": "a-u-A-M-F-Q",
    "troops": "a-u-G-U-C",
    "other": "a-u-G-E",
}
MARKER = "b-m-p-s-m"


def schema_path() -> Path:
    """The XSD shipped with the package (``data/cot-event.xsd``)."""
    return Path(str(resources.files("ceasefire.report").joinpath("data/cot-event.xsd")))


def cot_type(kind: str, obj: str | None) -> str:
    """The CoT type of a violation or event of ``kind`` about object ``obj``."""
    if obj:
        return OBJECT_TYPES.get(obj, "a-u-G-E")
    return MARKER


def _t(time_s: float) -> str:
    return datetime.fromtimestamp(time_s, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _event(
    uid: str,
    typ: str,
    time_s: float,
    last_s: float,
    lat: float,
    lon: float,
    semi_major_m: float | None,
    callsign: str,
    remarks: str,
    attrs: dict[str, str],
    stale_until_s: float,
) -> ET.Element:
    ev = ET.Element(
        "event",
        {
            "version": "2.0",
            "uid": uid,
            "type": typ,
            "time": _t(time_s),
            "start": _t(time_s),
            "stale": _t(max(last_s + STALE_S, stale_until_s)),
            "how": "m-f",
        },
    )
    ce = f"{semi_major_m / K95:.1f}" if semi_major_m is not None else UNKNOWN
    ET.SubElement(
        ev,
        "point",
        {"lat": f"{lat:.7f}", "lon": f"{lon:.7f}", "hae": UNKNOWN, "ce": ce, "le": UNKNOWN},
    )
    det = ET.SubElement(ev, "detail")
    ET.SubElement(det, "contact", {"callsign": callsign})
    ET.SubElement(det, "remarks").text = remarks
    ET.SubElement(det, "ceasefire", {k: v for k, v in attrs.items() if v})
    return ev


def violation_event(v: Violation, stale_until_s: float = 0.0) -> ET.Element | None:
    """The CoT ``event`` of a violation (None without a position); stale not
    before ``stale_until_s``."""
    if v.lat is None or v.lon is None:
        return None
    ell = v.ellipse
    first = v.first_seen_s if v.first_seen_s is not None else v.time_s
    last = v.last_seen_s if v.last_seen_s is not None else v.time_s
    what = (v.object or v.kind).replace("_", " ")
    return _event(
        f"ceasefire-violation-{v.id}",
        cot_type(v.kind, v.object),
        first,
        last,
        v.lat,
        v.lon,
        ell.semi_major_m if ell else None,
        f"{v.rule} {v.party}",
        f"Violation of {v.rule}: {what}; party {v.party} (p={v.party_probability:.2f}); "
        f"sector {v.sector or 'none'}",
        {
            "id": v.id,
            "rule": v.rule,
            "severity": v.severity,
            "kind": v.kind,
            "party": v.party,
            "party_probability": f"{v.party_probability:.4f}",
            "sector": v.sector or "",
            "object": v.object or "",
            "semi_major_m": f"{ell.semi_major_m:.1f}" if ell else "",
            "semi_minor_m": f"{ell.semi_minor_m:.1f}" if ell else "",
            "orientation_deg": f"{ell.orientation_deg:.1f}" if ell else "",
        },
        stale_until_s,
    )


def event_event(e: Event, stale_until_s: float = 0.0) -> ET.Element | None:
    """The CoT ``event`` of a fused event (None without a position); stale not
    before ``stale_until_s``."""
    if e.lat is None or e.lon is None:
        return None
    ell = e.ellipse
    first = e.first_seen_s if e.first_seen_s is not None else e.time_s
    last = e.last_seen_s if e.last_seen_s is not None else e.time_s
    return _event(
        f"ceasefire-event-{e.id}",
        cot_type(e.kind, e.object),
        first,
        last,
        e.lat,
        e.lon,
        ell.semi_major_m if ell else None,
        f"{e.kind} event",
        f"{e.kind} ({e.weapon}, {e.direction}); {e.n_observers} observer(s)",
        {"id": e.id, "kind": e.kind, "object": e.object or "", "weapon": e.weapon},
        stale_until_s,
    )


def cot_messages(
    events: Sequence[Event],
    violations: Sequence[Violation],
    *,
    include_events: bool = True,
    stale_until_s: float = 0.0,
) -> list[bytes]:
    """Each located violation (then event) as one CoT message (UTF-8 XML), each
    stale not before ``stale_until_s`` (s since the epoch; 0: last seen + 6 h)."""
    els = [
        violation_event(v, stale_until_s)
        for v in sorted(violations, key=lambda v: (v.time_s, v.id))
    ]
    if include_events:
        els += [
            event_event(e, stale_until_s) for e in sorted(events, key=lambda e: (e.time_s, e.id))
        ]
    return [_XML_DECL + ET.tostring(el) for el in els if el is not None]


def _manifest(name: str, uids: Sequence[str], entries: Sequence[str]) -> bytes:
    """The data package's ``MANIFEST/manifest.xml`` (MissionPackageManifest v2)."""
    digest = hashlib.sha256("\n".join(entries).encode()).hexdigest()
    root = ET.Element("MissionPackageManifest", {"version": "2"})
    conf = ET.SubElement(root, "Configuration")
    for key, value in (
        ("uid", f"ceasefire-{digest[:32]}"),
        ("name", name),
        ("onReceiveDelete", "false"),
    ):
        ET.SubElement(conf, "Parameter", {"name": key, "value": value})
    contents = ET.SubElement(root, "Contents")
    for uid, entry in zip(uids, entries, strict=True):
        c = ET.SubElement(contents, "Content", {"ignore": "false", "zipEntry": entry})
        ET.SubElement(c, "Parameter", {"name": "uid", "value": uid})
    ET.indent(root)
    return _XML_DECL + b"\n" + ET.tostring(root) + b"\n"


def write_cot(
    events: Sequence[Event],
    violations: Sequence[Violation],
    path: Path,
    mandate: Mandate | None = None,
    *,
    now_s: float | None = None,
    visible_s: float = VISIBLE_S,
) -> Path:
    """Write a TAK data package (zip) to ``path``: one ``.cot`` event per
    located violation and event, and its manifest. Markers stay visible until
    ``visible_s`` after ``now_s`` (the export time; default the clock)."""
    now = time.time() if now_s is None else now_s
    msgs = cot_messages(events, violations, stale_until_s=now + visible_s)
    uids = [str(ET.fromstring(m).get("uid")) for m in msgs]
    entries = [f"{uid}/{uid}.cot" for uid in uids]
    name = f"ceasefire: {mandate.doc.mission.name}" if mandate else "ceasefire export"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            zipfile.ZipInfo("MANIFEST/manifest.xml", _ZIP_DATE), _manifest(name, uids, entries)
        )
        for entry, msg in zip(entries, msgs, strict=True):
            z.writestr(zipfile.ZipInfo(entry, _ZIP_DATE), msg + b"\n")
    return path
