"""Ellipses from covariances, and the codec round trip."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ceasefire.model import Event, ellipse_from_cov
from ceasefire.model.codec import event_from_dict, to_dict
from ceasefire.model.results import CHI2_2DOF_95


def test_axis_aligned_ellipse() -> None:
    e = ellipse_from_cov((100.0**2, 400.0**2, 0.0))
    k = math.sqrt(CHI2_2DOF_95)  # 2.4477: the 95 % radius of a 2-D Gaussian in sigmas
    assert e.semi_major_m == pytest.approx(400.0 * k)
    assert e.semi_minor_m == pytest.approx(100.0 * k)
    assert e.orientation_deg == pytest.approx(0.0)  # major axis north-south
    assert ellipse_from_cov((900.0, 100.0, 0.0)).orientation_deg == pytest.approx(90.0)


def test_rotated_ellipse_matches_eigen_decomposition() -> None:
    # major axis toward azimuth 30° (clockwise from north)
    az = math.radians(30.0)
    u = np.array([math.sin(az), math.cos(az)])  # (east, north)
    v = np.array([math.cos(az), -math.sin(az)])
    cov = 500.0**2 * np.outer(u, u) + 80.0**2 * np.outer(v, v)
    e = ellipse_from_cov((cov[0, 0], cov[1, 1], cov[0, 1]))
    assert e.orientation_deg == pytest.approx(30.0, abs=1e-6)
    assert e.semi_major_m == pytest.approx(500.0 * math.sqrt(CHI2_2DOF_95))
    assert e.semi_minor_m == pytest.approx(80.0 * math.sqrt(CHI2_2DOF_95))


def test_95_percent_ellipse_holds_95_percent_of_samples() -> None:
    rng = np.random.default_rng(7)
    cov = np.array([[300.0**2, 2e4], [2e4, 120.0**2]])
    pts = rng.multivariate_normal([0, 0], cov, size=200_000)
    e = ellipse_from_cov((cov[0, 0], cov[1, 1], cov[0, 1]))
    th = math.radians(e.orientation_deg)
    major = np.array([math.sin(th), math.cos(th)])
    minor = np.array([math.cos(th), -math.sin(th)])
    inside = (pts @ major / e.semi_major_m) ** 2 + (pts @ minor / e.semi_minor_m) ** 2 <= 1
    assert inside.mean() == pytest.approx(0.95, abs=0.003)


def test_event_codec_round_trip() -> None:
    ev = Event(
        id="x",
        kind="sighting",
        time_s=1.5,
        lat=None,
        lon=None,
        cov_m2=None,
        observation_ids=("a", "b"),
        n_observers=1,
        object="tank",
        flags=("no_position",),
    )
    assert event_from_dict(to_dict(ev)) == ev


def _event(cov: object) -> Event:
    return Event("e", "explosion", 0.0, 48.0, 37.0, cov, ("o",), 1)  # type: ignore[arg-type]


def test_an_events_ellipse_is_its_covariances_remembered_or_not() -> None:
    from ceasefire.model.results import Violation, _remembered_95

    _remembered_95.cache_clear()
    cov = (2500.0, 400.0, -300.0)
    want = ellipse_from_cov(cov)
    assert _event(cov).ellipse == want
    # asked again (a violation's, its row's, its feature's): the remembered one
    assert _event((2500.0, 400.0, -300.0)).ellipse is _event(cov).ellipse
    assert _remembered_95.cache_info().hits >= 2
    v = Violation(
        "v", "r", "high", "explosion", 0.0, 48.0, 37.0, cov, "A", 0.9, {"A": 0.9}, ("e",),
        ("o",), 1.0, "left", "notify",
    )  # fmt: skip
    assert v.ellipse == want
    # another covariance is not the first one's
    assert _event((400.0, 2500.0, 300.0)).ellipse == ellipse_from_cov((400.0, 2500.0, 300.0))
    assert _event((400.0, 2500.0, 300.0)).ellipse != want
    # one that is not remembered (a list, integers, a zero) is computed all the same
    assert _event([2500.0, 400.0, -300.0]).ellipse == want
    assert _event((2500, 400, -300)).ellipse == ellipse_from_cov((2500, 400, -300))
    assert _event(None).ellipse is None
    # -0.0 equals 0.0, but its ellipse's minor axis is -0.0: not the remembered one
    zero, negative_zero = _event((0.0, 0.0, 0.0)).ellipse, _event((-0.0, -0.0, 0.0)).ellipse
    assert negative_zero == ellipse_from_cov((-0.0, -0.0, 0.0))
    assert zero is not None and negative_zero is not None
    assert math.copysign(1.0, zero.semi_minor_m) != math.copysign(1.0, negative_zero.semi_minor_m)


def test_events_and_violations_pickle_as_their_fields() -> None:
    """The pool hands parts over as pickles: every field comes back, defaults
    and all, and the pickle calls the constructor (not a field-by-field state)."""
    import copy
    import pickle

    from ceasefire.model import Violation

    event = Event(
        id="e1",
        kind="impact",
        time_s=12.5,
        lat=48.1,
        lon=37.2,
        cov_m2=(400.0, 900.0, -12.0),
        observation_ids=("o1", "o2"),
        n_observers=2,
        weapon="mortar",
        launch_lat=48.0,
        flags=("launch_ray", "pair_side_doubt:0.25"),
    )
    violation = Violation(
        id="v1",
        rule="no_fire",
        severity="high",
        kind="impact",
        time_s=12.5,
        lat=None,
        lon=None,
        cov_m2=None,
        party="red",
        party_probability=0.8,
        probabilities={"red": 0.8, "blue": 0.2},
        event_ids=("e1",),
        observation_ids=("o1", "o2"),
        distance_to_line_km=None,
        side=None,
        response="notify",
        notes=("a",),
        launch_lon=37.0,
    )
    for x in (event, violation):
        for back in (pickle.loads(pickle.dumps(x, protocol=p)) for p in (2, 5)):
            assert back == x and type(back) is type(x)
            assert [getattr(back, f) for f in back.__slots__] == [
                getattr(x, f) for f in x.__slots__
            ]
        assert copy.copy(x) == x and copy.deepcopy(x) == x
        reduced = x.__reduce__()
        assert reduced[0] is type(x) and reduced[0](*reduced[1]) == x


def test_events_and_violations_construct_as_plain_frozen_dataclasses() -> None:
    """Their constructors (set by slots) take the arguments and defaults a
    plain frozen dataclass of the same fields would, and stay frozen."""
    import dataclasses
    import inspect

    from ceasefire.model import Violation

    for cls in (Event, Violation):
        fs = dataclasses.fields(cls)
        plain = dataclasses.make_dataclass(
            "Plain", [(f.name, f.type, f) for f in fs], frozen=True, slots=True
        )
        assert inspect.signature(cls) == inspect.signature(plain)
        required = [f.name for f in fs if f.default is dataclasses.MISSING]
        with pytest.raises(TypeError):
            cls(*range(len(required) - 1))
        with pytest.raises(TypeError):
            cls(*range(len(required)), no_such_field=1)
    e = Event("e1", "impact", 1.0, None, None, None, ("o1",), 1, flags=("x",))
    assert (e.direction, e.weapon, e.count, e.flags, e.bearing_deg) == (
        "undetermined",
        "undetermined",
        0,
        ("x",),
        None,
    )
    assert e == Event(
        id="e1",
        kind="impact",
        time_s=1.0,
        lat=None,
        lon=None,
        cov_m2=None,
        observation_ids=("o1",),
        n_observers=1,
        flags=("x",),
    )
    assert e != dataclasses.replace(e, count=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.lat = 2.0  # type: ignore[misc]


def test_setting_by_slots_refuses_what_it_cannot_copy() -> None:
    import dataclasses

    from ceasefire.model.results import _set_by_slots

    @dataclasses.dataclass(frozen=True, slots=True)
    class WithFactory:
        a: int
        b: list[int] = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True, slots=True)
    class WithPostInit:
        a: int

        def __post_init__(self) -> None:  # would be skipped by a slot-set __init__
            raise AssertionError

    @dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
    class KeywordsOnly:
        a: int

    for cls in (WithFactory, WithPostInit, KeywordsOnly):
        with pytest.raises(TypeError):
            _set_by_slots(cls)
