"""A burst round's second half (fuse/pairing.py ``split_halves``): a hand-made burst
of 4 rounds 4 s apart from one spot, heard by cam-1, post-1 and post-2; post-2
missed round 2, and post-1's report of round 2 took the empty slot in a second
event of round 3 with post-2's report of it. That loose event sits at round 3's
spot and time: it joins round 3's pair, not a neighbour round's 4 s away."""

from __future__ import annotations

import numpy as np

from ceasefire.fuse.pairing import split_halves

#: emission times are known to 0.5 s, positions to 100 m (1 sd each axis)
SD_T, SD_M = 0.5, 100.0
GATE = 16.27


def _scene(
    loose_T: float, loose_xy: tuple[float, float] = (30.0, -20.0), loose_src: str = "post-1"
) -> tuple[np.ndarray, ...]:
    """Events 0-3: the four rounds' paired launches at (0, 0) m, 0/4/8/12 s;
    event 4: the loose launch at ``loose_xy`` and ``loose_T`` s, held by
    ``loose_src`` and post-2."""
    x = np.array([0.0, 10.0, -15.0, 5.0, loose_xy[0]])
    y = np.array([0.0, -5.0, 10.0, 0.0, loose_xy[1]])
    T = np.array([0.0, 4.0, 8.0, 12.0, loose_T])
    cov = np.tile(np.eye(2) * SD_M**2, (5, 1, 1))
    sd = np.full(5, SD_T)
    return x, y, T, cov, sd


SOURCES = [
    frozenset({"cam-1", "post-1", "post-2"}),
    frozenset({"cam-1"}),  # round 2: post-2 missed it, post-1's report went astray
    frozenset({"cam-1", "post-1"}),
    frozenset({"cam-1", "post-1", "post-2"}),
]
PAIRED = np.array([0, 1, 2, 3])
LOOSE = np.array([4])


def _join(
    loose_T: float,
    loose_xy: tuple[float, float] = (30.0, -20.0),
    loose_src: str = "post-1",
    shared: bool = True,
) -> list[tuple[int, int]]:
    x, y, T, cov, sd = _scene(loose_T, loose_xy)
    sources = [*SOURCES, frozenset({loose_src, "post-2"})]
    hu, hp = split_halves(x, y, T, cov, sd, sources, LOOSE, PAIRED, GATE, shared)
    return list(zip(hu.tolist(), hp.tolist(), strict=True))


def test_a_round_s_second_half_joins_its_own_round_not_a_neighbour() -> None:
    # 0.3 s after round 3 (8 s), 36 m off: chi-square ~0.2 + 0.1; rounds 2 and 4
    # are 3.7 and 4.3 s away, 27 and 37 in time alone: over the gate
    assert _join(8.3) == [(4, 2)]
    # between rounds 2 and 3, with no observer rule: 2.2 s from round 2 (9.7 in
    # time), 1.8 s from round 3 (6.5): both within the gate, the nearer wins
    assert _join(6.2, shared=False) == [(4, 2)]
    # ... 1.8 s from round 2, 2.2 s from round 3: round 2 (index 1)
    assert _join(5.8, shared=False) == [(4, 1)]


def test_a_loose_launch_seconds_after_the_burst_is_another_round() -> None:
    # a fifth round 4 s after the last: 32 in time alone, not round 4's half
    assert _join(16.0) == []


def test_a_loose_launch_elsewhere_at_the_same_time_is_not_a_half() -> None:
    # 600 m off round 3's spot under 141 m of joint sd: 18 in position alone
    assert _join(8.0, loose_xy=(600.0, 0.0)) == []


def test_a_half_must_share_an_observer_with_the_pair_unless_told_otherwise() -> None:
    # held by cam-9 and post-2 (round 3's pair holds cam-1 and post-1): the merge
    # gate could have joined these; no split half
    assert _join(8.3, loose_src="cam-9") == []
    assert _join(8.3, loose_src="cam-9", shared=False) == [(4, 2)]


def test_nothing_to_join_without_loose_or_paired_launches() -> None:
    x, y, T, cov, sd = _scene(8.3)
    none = np.zeros(0, np.intp)
    sources = [*SOURCES, frozenset({"post-1"})]
    for loose, paired in ((none, PAIRED), (LOOSE, none)):
        hu, hp = split_halves(x, y, T, cov, sd, sources, loose, paired, GATE)
        assert hu.shape == hp.shape == (0,)
