"""``ObservationArrays.take``: a run of consecutive rows (copied as slices) gives
the columns a gather gives, as new arrays; other indices gather as before."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from ceasefire.model.arrays import ObservationArrays


def _obs(n: int) -> ObservationArrays:
    rng = np.random.default_rng(7)
    f = rng.normal(size=n)
    i8 = rng.integers(0, 3, n).astype(np.int8)
    return ObservationArrays(
        id=np.array([f"o{i}" for i in range(n)], dtype=object),
        source=np.array([f"s{i % 5}" for i in range(n)], dtype=object), kind=i8,
        time_s=np.arange(n, dtype=float), time_sigma_s=f, lat=f + 48, lon=f + 37,
        bearing_deg=f * 90, bearing_sigma_deg=f, range_m=f, range_sigma_m=f, event=i8,
        direction=i8, weapon=i8, position_sigma_m=f, object=i8,
        count=np.arange(n, dtype=np.int32), party=np.full(n, None, dtype=object), sense=i8,
    )  # fmt: skip


def _same(a: ObservationArrays, b: ObservationArrays) -> bool:
    return all(
        getattr(a, f.name).dtype == getattr(b, f.name).dtype
        and np.array_equal(getattr(a, f.name), getattr(b, f.name))
        for f in fields(a)
    )


@pytest.mark.parametrize(
    "index",
    [
        np.arange(3, 17),  # a run: slices
        np.arange(0, 20),
        np.array([2, 3, 5, 6]),  # not consecutive
        np.array([5, 4, 3]),  # decreasing
        np.array([-2, -1]),  # negative: from the end
        np.array([4]),
        np.zeros(0, np.intp),
        np.arange(20) % 3 == 0,  # a mask
    ],
)
def test_take_gives_the_gathered_columns(index: np.ndarray) -> None:
    obs = _obs(20)
    got = obs.take(index)
    want = ObservationArrays(**{f.name: getattr(obs, f.name)[index] for f in fields(obs)})
    assert _same(got, want)


def test_a_run_is_copied_not_a_view_and_past_the_end_still_raises() -> None:
    obs = _obs(20)
    got = obs.take(np.arange(5, 10))
    got.time_s[0] = -1.0
    got.id[0] = "changed"
    assert obs.time_s[5] == 5.0 and obs.id[5] == "o5"
    assert not np.shares_memory(got.lat, obs.lat)
    with pytest.raises(IndexError):
        obs.take(np.arange(15, 21))
