"""Fusion of reports seen by their light: no sound delay in their times."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import numpy as np
from fuse_scenes import T0, Scene, latlon

from ceasefire.fuse import fuse
from ceasefire.geo import inverse
from ceasefire.model.arrays import ObservationArrays
from ceasefire.model.observation import OBSERVATION_ADAPTER
from ceasefire.model.vocab import SENSES

BURST = (0.0, 0.0)
#: three cameras 2, 6 and 12 km from the burst
CAMERAS = {"cam-a": (2_000.0, 500.0), "cam-b": (-5_000.0, 3_000.0), "cam-c": (1_000.0, -12_000.0)}


def _reports(sense: str | None) -> ObservationArrays:
    """Each camera's report of the burst at its emission time (light: no delay)."""
    ela, elo = latlon(*BURST)
    out = []
    for i, (name, xy) in enumerate(CAMERAS.items()):
        la, lo = latlon(*xy)
        az, _ = inverse(la, lo, ela, elo)
        rec: dict[str, Any] = {
            "id": f"o{i}",
            "source": name,
            "kind": "bearing",
            "time": datetime.fromtimestamp(T0, UTC).isoformat(),
            "time_sigma_s": 0.2,
            "observer": {"lat": la, "lon": lo},
            "bearing_deg": float(az) % 360.0,
            "bearing_sigma_deg": 1.0,
            "event": "explosion",
            "direction": "incoming",
            "weapon": "artillery",
        }
        if sense is not None:
            rec["sense"] = sense
        out.append(OBSERVATION_ADAPTER.validate_python(rec))
    return ObservationArrays.from_observations(out)


def test_a_seen_burst_is_located_at_its_time() -> None:
    events = fuse(_reports("seen"))
    assert len(events) == 1
    e = events[0]
    assert e.observation_ids == ("o0", "o1", "o2")
    assert e.lat is not None and e.lon is not None
    ela, elo = latlon(*BURST)
    assert float(inverse(ela, elo, e.lat, e.lon)[1]) < 50.0
    # the emission time is the reports' time: no 6-35 s of sound delay taken off
    assert abs(e.time_s - T0) < 0.5


def test_the_same_reports_taken_as_heard_do_not_meet() -> None:
    # read as sound, simultaneous reports from 2, 6 and 12 km contradict each other
    # by up to 29 s (their σ is 0.2 s): fusion cannot put them in one event
    events = fuse(_reports(None))
    assert len(events) == 3
    assert all(len(e.observation_ids) == 1 and e.lat is None for e in events)


def _with_sense(sc: Scene, seen: set[str]) -> ObservationArrays:
    """The scene's columns, rows whose id is in ``seen`` marked seen."""
    arr = sc.arrays()
    code = [SENSES.index("seen" if str(i) in seen else "heard") for i in arr.id]
    return dataclasses.replace(arr, sense=np.array(code, dtype=np.int8))


def test_a_camera_and_a_post_meet_though_the_post_hears_late() -> None:
    # the camera sees the burst at once; the post, 11.7 km away, hears it 34 s
    # later, more than the sound's way between the two observers (6.3 km, 18 s)
    sc = Scene()
    sc.bearing("cam", "cam-1", (8_000.0, 0.0), BURST, T0, sigma_deg=1.0, time_sigma_s=0.2,
               light=True)  # fmt: skip
    sc.bearing("post", "post-1", (10_000.0, 6_000.0), BURST, T0, sigma_deg=3.0,
               time_sigma_s=1.0)  # fmt: skip
    events = fuse(_with_sense(sc, {"cam"}))
    assert len(events) == 1
    e = events[0]
    assert set(e.observation_ids) == {"cam", "post"} and e.lat is not None and e.lon is not None
    ela, elo = latlon(*BURST)
    assert float(inverse(ela, elo, e.lat, e.lon)[1]) < 300.0
    assert abs(e.time_s - T0) < 1.0
