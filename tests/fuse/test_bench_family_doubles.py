"""``benchmarks/family_doubles.py``'s reading of why explanation left a lone
double count: its round never located, the slot rule, or the gate (bearing or
time), each read against the truth's round."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import pytest
from fuse_scenes import T0, Scene, latlon

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from family_doubles import _cause, _why_lone

from ceasefire.fuse.explain import ExplainConfig
from ceasefire.model.results import Event
from ceasefire.model.vocab import SPEED_OF_SOUND_M_S

IMPACT = (0.0, 6_000.0)
CFG = ExplainConfig()


def _round(rid: str, xy: tuple[float, float], t: float) -> dict[str, Any]:
    la, lo = latlon(*xy)
    point = {"lat": la, "lon": lo, "time": t}
    return {"id": rid, "impact": point, "launch": point}


def _located(ids: tuple[str, ...]) -> Event:
    la, lo = latlon(*IMPACT)
    return Event(
        id="located-1",
        kind="explosion",
        time_s=T0,
        lat=la,
        lon=lo,
        cov_m2=(100.0**2, 100.0**2, 0.0),
        observation_ids=ids,
        n_observers=len(ids),
    )


def _why(sc: Scene, row_id: str, events: list[Event], of: dict[str, tuple[str, str]]) -> Any:
    obs = sc.arrays()
    row = int(list(obs.id).index(row_id))
    return _why_lone(row, _round("r1", IMPACT, T0), "I", events, obs, of, CFG, SPEED_OF_SOUND_M_S)


def _scene() -> Scene:
    """Round r1's impact located by obs-a and obs-b."""
    sc = Scene()
    sc.bearing("a", "obs-a", (-5_000.0, 0.0), IMPACT, T0)
    sc.bearing("b", "obs-b", (5_000.0, 0.0), IMPACT, T0)
    return sc


OF = {"a": ("r1", "I"), "b": ("r1", "I"), "c": ("r1", "I")}


def test_a_report_late_beyond_the_slack_is_refused_by_the_time_gate() -> None:
    sc = _scene()
    # 5 s late: 3 s beyond the heard slack at a stated 1 s
    sc.bearing("c", "post-c", (8_000.0, 0.0), IMPACT, T0, noise_t_s=5.0)
    why, info = _why(sc, "c", [_located(("a", "b"))], OF)
    assert why == "over the gate: time"
    assert info["zt"] == pytest.approx(3.0, abs=0.05)
    assert info["miss_s"] == pytest.approx(5.0, abs=0.05)
    # against the truth: 5 stated sigma late, on its bearing; home's point on the truth's
    assert info["true_zt"] == pytest.approx(5.0, abs=0.05)
    assert abs(info["true_zb"]) < 0.05 and info["point_off_m"] < 1.0


def test_a_bearing_off_is_refused_by_the_bearing_gate() -> None:
    sc = _scene()
    sc.bearing("c", "post-c", (8_000.0, 0.0), IMPACT, T0, noise_deg=6.0)
    why, info = _why(sc, "c", [_located(("a", "b"))], OF)
    assert why == "over the gate: bearing"
    # over the stated 2 deg and the fix's 100 m across the ray at 10 km, in quadrature
    sd = math.hypot(2.0, math.degrees(100.0 / 10_000.0))
    assert info["zb"] == pytest.approx(6.0 / sd, rel=0.01)
    assert info["true_zb"] == pytest.approx(3.0, abs=0.01)


def test_the_observers_report_of_another_round_holds_the_point() -> None:
    sc = _scene()
    sc.bearing("c0", "post-c", (8_000.0, 0.0), IMPACT, T0)
    sc.bearing("c", "post-c", (8_000.0, 0.0), IMPACT, T0)
    of = OF | {"c0": ("r2", "I")}
    why, _ = _why(sc, "c", [_located(("a", "b", "c0"))], of)
    assert why == "slot: its observer holds the point, with another round / clutter"


def test_a_round_no_located_event_holds_was_never_located() -> None:
    sc = _scene()
    sc.bearing("c", "post-c", (8_000.0, 0.0), IMPACT, T0)
    # the located event is another round's
    of = {"a": ("r2", "I"), "b": ("r2", "I"), "c": ("r1", "I")}
    why, info = _why(sc, "c", [_located(("a", "b"))], of)
    assert (why, info) == ("its round never located", {})


def _lone(ids: tuple[str, ...], kind: str) -> Event:
    return Event(
        id="lone-1", kind=kind, time_s=T0, lat=None, lon=None, cov_m2=None,
        observation_ids=ids, n_observers=1,
    )  # fmt: skip


def test_a_launch_bearing_beside_its_rounds_unpaired_impact_is_the_other_phase() -> None:
    # round r1's impact located (a, b); c is r1's launch bearing, a firing
    of = OF | {"c": ("r1", "L")}
    why = "its phase never located; the other phase located (unpaired)"
    rnd = _round("r1", IMPACT, T0)
    located = _located(("a", "b"))
    got = _cause(rnd, "L", why, {}, _lone(("c",), "firing"), None, [located], of)
    assert got == "other phase: bearing L, its round's located unpaired; lone role right"
    # named an explosion, ray pairing would not offer it as a launch
    got = _cause(rnd, "L", why, {}, _lone(("c",), "explosion"), None, [located], of)
    assert got.endswith("lone role wrong")
    # the same when the kept violation has no position: never located
    got = _cause(rnd, "L", why, {}, _lone(("c",), "firing"), {"I"}, [located], of)
    assert got == "never located (kept lone too): bearing L, kept holds the other phase"


def test_a_gate_refusal_says_whether_the_report_misses_its_truth() -> None:
    rnd = _round("r1", IMPACT, T0)
    ev = _lone(("c",), "explosion")
    within = {"true_zb": 1.0, "true_zt": -1.5}
    off = {"true_zb": 0.5, "true_zt": 3.0}
    why = "over the gate: time"
    assert _cause(rnd, "I", why, within, ev, None, [], OF).endswith("within 2σ of its truth")
    assert _cause(rnd, "I", why, off, ev, None, [], OF).endswith("off its truth")
