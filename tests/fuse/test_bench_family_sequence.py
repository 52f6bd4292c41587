"""``benchmarks/family_sequence.py``'s count over a burst: a report is a leftover
of a counted round when its observer's reports of the spot go to the burst's
located events one each in time order; more reports than events, or no order
that fits the times, is a round more."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fuse_scenes import T0, Scene, latlon

from ceasefire.fuse import explain as ex_mod
from ceasefire.fuse.obsindex import EventRows, RowIds, source_codes
from ceasefire.model.results import Event
from ceasefire.model.vocab import SPEED_OF_SOUND_M_S

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import family_sequence as fs

CFG = ex_mod.ExplainConfig()
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


def _answer(post_heard_round_2: bool) -> int:
    """Two rounds at one spot SECOND_S apart, each located by two observers; a post
    in the first round's event, and its second report 3 s late (its clock);
    ``post_heard_round_2``: the post also reported the second round (in its
    event). The count for the post's second report at the first round's fix."""
    sc = Scene()
    t2 = T0 + SECOND_S
    sc.bearing("a1", "obs-a", (-5_000.0, 0.0), SPOT, T0)
    sc.bearing("b1", "obs-b", (5_000.0, 0.0), SPOT, T0)
    sc.bearing("a2", "obs-a", (-5_000.0, 0.0), SPOT, t2)
    sc.bearing("b2", "obs-b", (5_000.0, 0.0), SPOT, t2)
    sc.bearing("c1", "post-c", POST, SPOT, T0, time_sigma_s=1.5)
    sc.bearing("c2", "post-c", POST, SPOT, T0, time_sigma_s=1.5, noise_t_s=3.0)
    second = ("a2", "b2")
    if post_heard_round_2:
        sc.bearing("c3", "post-c", POST, SPOT, t2, time_sigma_s=1.5)
        second = ("a2", "b2", "c3")
    located = [_located("round-1", T0, ("a1", "b1", "c1")), _located("round-2", t2, second)]
    obs = sc.arrays()
    ids = RowIds.of(obs)
    pts = ex_mod._points(located, obs, EventRows.of(ids, located), CFG, SPEED_OF_SOUND_M_S)
    row = int(ids.rows(["c2"])[0])
    return fs.burst_answer(row, 0, pts, obs, source_codes(obs), CFG, SPEED_OF_SOUND_M_S)


def test_a_post_that_heard_no_more_rounds_than_the_burst_holds_gives_it_a_leftover() -> None:
    # the post's two reports go to the two rounds in order: the second to round 2
    # (index 1), whose slot the post left empty
    assert _answer(post_heard_round_2=False) == 1


def test_a_post_that_heard_more_rounds_than_the_burst_holds_reports_a_round_more() -> None:
    assert _answer(post_heard_round_2=True) == fs.MORE_REPORTS


def test_a_report_out_of_every_rounds_time_is_a_round_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a narrow window: the post's second report fits neither round after the first
    monkeypatch.setattr(fs, "TIME_SD", 0.5)
    assert _answer(post_heard_round_2=False) == fs.OUT_OF_ORDER


def test_one_violations_answer_takes_any_report_that_says_a_round_more() -> None:
    assert fs.answer([]) == "no spot"
    assert fs.answer([0, 3]) == "no more rounds"
    assert fs.answer([0, fs.OUT_OF_ORDER]).startswith("a round more")
    assert fs.answer([fs.OUT_OF_ORDER, fs.MORE_REPORTS]) == (
        "a round more (more reports than events)"
    )
