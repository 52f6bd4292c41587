"""An acoustic event's id is the digest of its reports' ``source/id`` keys, and it
carries the reports' ids as given (any Unicode; the same id from two sources
stays two reports)."""

from __future__ import annotations

import hashlib

from fuse_scenes import T0, Scene

from ceasefire.fuse import fuse

OBSERVERS = [(-6_000.0, -500.0), (500.0, -6_000.0), (6_000.0, 300.0), (0.0, 6_500.0)]
SOURCES = ["спостерігач-1", "obs/2", "obs 3", "наблюдатель"]


def _expected_id(keys: list[str]) -> str:
    return "ev-" + hashlib.sha256("\n".join(sorted(keys)).encode("utf-8")).hexdigest()[:16]


def test_event_id_is_the_digest_of_its_reports_source_slash_id_keys() -> None:
    sc = Scene()
    ids = ["b-ü", "b2", "звіт-3", "b 4"]
    for oid, src, o in zip(ids, SOURCES, OBSERVERS, strict=True):
        sc.bearing(oid, src, o, (300.0, 200.0), T0)
    (ev,) = fuse(sc.arrays())
    assert ev.id == _expected_id([f"{s}/{i}" for s, i in zip(SOURCES, ids, strict=True)])
    assert ev.observation_ids == tuple(sorted(ids))
    assert all(type(i) is str for i in ev.observation_ids)
    assert ev.n_observers == 4


def test_one_report_id_from_two_sources_is_two_reports() -> None:
    # every observer numbers its own reports: "r1" from each of four sources
    sc = Scene()
    for src, o in zip(SOURCES, OBSERVERS, strict=True):
        sc.bearing("r1", src, o, (300.0, 200.0), T0)
    (ev,) = fuse(sc.arrays())
    assert ev.observation_ids == ("r1",) * 4
    assert ev.id == _expected_id([f"{s}/r1" for s in SOURCES])
    assert ev.n_observers == 4
