"""A lone bearing the slot rule refused is a burst's leftover when its observer
heard no more of the burst than the burst's located events count, in time order;
an observer that heard more rounds than the events keeps its bearing counted."""

from __future__ import annotations

from dataclasses import replace

from fuse_scenes import T0, Scene, latlon

from ceasefire.fuse.explain import ExplainConfig, explain, explained_by
from ceasefire.fuse.sequence import SequenceConfig
from ceasefire.model.results import Event

OFF = ExplainConfig()
ON = replace(OFF, sequence=SequenceConfig(enabled=True))
SPOT = (0.0, 6_000.0)
#: the burst's second round, seconds after the first
SECOND_S = 9.0
POST = (8_000.0, 0.0)


def _located(eid: str, t: float, ids: tuple[str, ...]) -> Event:
    la, lo = latlon(*SPOT)
    return Event(
        id=eid,
        kind="explosion",
        time_s=t,
        lat=la,
        lon=lo,
        cov_m2=(100.0**2, 100.0**2, 0.0),
        observation_ids=ids,
        n_observers=len(ids),
    )


def _lone(sc: Scene, oid: str) -> Event:
    r = next(r for r in sc.rows if r["id"] == oid)
    return Event(
        id=f"lone-{oid}",
        kind=str(r["event"]),
        time_s=float(r["time_s"]),  # type: ignore[arg-type]
        lat=None,
        lon=None,
        cov_m2=None,
        observation_ids=(oid,),
        n_observers=1,
        observer_lat=float(r["lat"]),  # type: ignore[arg-type]
        observer_lon=float(r["lon"]),  # type: ignore[arg-type]
        bearing_deg=float(r["bearing_deg"]),  # type: ignore[arg-type]
        flags=("no_position", "single_observer"),
    )


def _burst(extra_post_report: bool) -> tuple[Scene, list[Event]]:
    """Two rounds at one spot SECOND_S apart, each located by two observers; a post
    in the first round's event, and its second report 3 s late (its clock): within
    the first round's gate (held by its own report there), outside the second's.
    ``extra_post_report``: the post also reported the second round (in its event)."""
    sc = Scene()
    t2 = T0 + SECOND_S
    sc.bearing("a1", "obs-a", (-5_000.0, 0.0), SPOT, T0)
    sc.bearing("b1", "obs-b", (5_000.0, 0.0), SPOT, T0)
    sc.bearing("a2", "obs-a", (-5_000.0, 0.0), SPOT, t2)
    sc.bearing("b2", "obs-b", (5_000.0, 0.0), SPOT, t2)
    sc.bearing("c1", "post-c", POST, SPOT, T0, time_sigma_s=1.5)
    sc.bearing("c2", "post-c", POST, SPOT, T0, time_sigma_s=1.5, noise_t_s=3.0)
    second = ("a2", "b2")
    if extra_post_report:
        sc.bearing("c3", "post-c", POST, SPOT, t2, time_sigma_s=1.5)
        second = ("a2", "b2", "c3")
    events = [
        _located("round-1", T0, ("a1", "b1", "c1")),
        _located("round-2", t2, second),
        _lone(sc, "c2"),
    ]
    return sc, events


def _by(sc: Scene, events: list[Event], cfg: ExplainConfig) -> str | None:
    out = explain(events, cfg, sc.arrays())
    assert [e.id for e in out] == [e.id for e in events]  # nothing deleted
    return explained_by(out[-1])


def test_the_slot_rule_alone_keeps_the_posts_second_report_counted() -> None:
    sc, events = _burst(extra_post_report=False)
    assert _by(sc, events, OFF) is None


def test_a_post_that_heard_no_more_rounds_than_the_burst_holds_gives_it_a_leftover() -> None:
    # the post's two reports go to the two rounds in order: the second to round 2,
    # whose slot the post left empty
    sc, events = _burst(extra_post_report=False)
    assert _by(sc, events, ON) == "round-2"


def test_a_post_that_heard_more_rounds_than_the_burst_holds_keeps_it_counted() -> None:
    # three reports of the spot against two events: a round the events do not count
    sc, events = _burst(extra_post_report=True)
    assert _by(sc, events, ON) is None


def test_a_report_out_of_every_rounds_time_stays_counted() -> None:
    # the second round far later than the post's report can fit: no order works
    sc, events = _burst(extra_post_report=False)
    narrow = replace(ON, sequence=SequenceConfig(enabled=True, time_sd=0.5))
    assert _by(sc, events, narrow) is None
