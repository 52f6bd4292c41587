"""The side probability against a Monte Carlo estimate."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from ceasefire.assess import AttributionConfig, assess
from ceasefire.geo import GeoLine, LocalFrame, forward
from ceasefire.mandate import parse_mandate
from ceasefire.model import Event

DOC = """\
mission: {name: t, authority: {body: UNSC, resolution: x}}
parties: [{id: UA, name: Ukraine}, {id: RU, name: Russia}]
contact_line: {left: RU, right: UA, coordinates: [[37.0, 49.0], [38.0, 48.6], [38.2, 47.8]]}
rules: [{id: ceasefire, kind: ceasefire}]
attribution: {threshold: 0.9}
"""


def _middle(line: GeoLine) -> tuple[float, float, float]:
    """The point of ``line`` nearest (48.2, 38.1), the middle of the second
    segment: its latitude and longitude, and the azimuth of its left normal
    (degrees from north)."""
    mid = line.nearest(48.2, 38.1)
    left = float(np.degrees(np.arctan2(mid.normal_e[0], mid.normal_n[0])))
    return float(mid.lat[0]), float(mid.lon[0]), left


@pytest.mark.parametrize("dof", [0.0, 4.0])
@pytest.mark.parametrize(
    ("off_m", "cov"),
    [
        (150.0, (400.0**2, 100.0**2, 0.0)),
        (-300.0, (250.0**2, 250.0**2, 3e4)),
        (40.0, (80.0**2, 600.0**2, -2e4)),
    ],
)
def test_side_probability_matches_monte_carlo(
    off_m: float, cov: tuple[float, float, float], dof: float
) -> None:
    """A located launch's side: a Gaussian of the stated covariance (``dof`` 0), or
    the bivariate Student t of that scale matrix, sampled."""
    m = parse_mandate(DOC)
    line: GeoLine = m.contact
    # a launch point off the middle of the second segment, towards the left normal
    lat0, lon0, left = _middle(line)
    la, lo = forward(lat0, lon0, left, off_m)
    e = Event(
        id="f",
        kind="firing",
        time_s=0.0,
        lat=float(la),
        lon=float(lo),
        cov_m2=cov,
        observation_ids=("o",),
        n_observers=3,
        direction="outgoing",
    )
    # the geometry alone: no allowance for misread kinds or association errors
    cfg = AttributionConfig(phase_error_p=0.0, position_error_p=0.0, position_dof=dof)
    p_ru = assess([e], m, cfg)[0].probabilities["RU"]
    # Monte Carlo: sample the Gaussian in a local frame at the point (for the t, each
    # sample scaled by sqrt(dof / chi2(dof))), count the left side
    rng = np.random.default_rng(11)
    f = LocalFrame(float(la), float(lo))
    c = np.array([[cov[0], cov[2]], [cov[2], cov[1]]])
    xy = rng.multivariate_normal([0.0, 0.0], c, size=100_000)
    if dof:
        xy *= np.sqrt(dof / rng.chisquare(dof, size=len(xy)))[:, None]
    slat, slon = f.to_latlon(xy[:, 0], xy[:, 1])
    mc = float(np.mean(line.nearest(slat, slon).side == 1))
    assert p_ru == pytest.approx(mc, abs=0.01)


def test_a_paired_launch_bearing_decides_an_impact_on_the_line() -> None:
    """An impact on the line says nothing of the shooter; a launch bearing that
    stays on the left (RU) side names RU, weighed as a paired launch."""
    m = parse_mandate(DOC)
    line: GeoLine = m.contact
    lat0, lon0, left = _middle(line)
    # an observer 3 km left of the line looks further left, away from it
    olat, olon = forward(lat0, lon0, left, 3_000.0)
    common = dict(time_s=0.0, lat=lat0, lon=lon0,
                  cov_m2=(200.0**2, 200.0**2, 0.0), n_observers=3)  # fmt: skip
    alone = Event(id="i", kind="explosion", observation_ids=("a",), **common)  # type: ignore[arg-type]
    joined = Event(
        id="j", kind="explosion", observation_ids=("a", "b"), observer_lat=float(olat),
        observer_lon=float(olon), bearing_deg=left, flags=("launch_ray", "paired"),
        **common,  # type: ignore[arg-type]
    )  # fmt: skip
    cfg = AttributionConfig()
    by_event = {v.event_ids[0]: v for v in assess([alone, joined], m, cfg)}
    v_alone, v_joined = by_event["i"], by_event["j"]
    assert v_alone.probabilities["RU"] == pytest.approx(0.5, abs=0.01)
    # every point of the ray is left: the launch evidence alone is 1 - launch_ray_error_p
    assert v_joined.probabilities["RU"] == pytest.approx(1.0 - cfg.launch_ray_error_p, abs=0.01)
    assert "attributed from the launch bearing and the impact" in v_joined.notes
    # a rival launch across the line (fusion's side doubt) blurs the bearing further,
    # as it does a launch point: a fifth of the likelihood across ...
    err = cfg.launch_ray_error_p
    doubted = assess([replace(joined, id="d", flags=(*joined.flags, "pair_side_doubt:0.20"))], m)
    blurred = (1 - err) * 0.8 + err * 0.2
    assert doubted[0].probabilities["RU"] == pytest.approx(blurred, abs=0.01)
    # ... and at most a coin toss (the impact on the line says nothing either)
    most = assess([replace(joined, id="m", flags=(*joined.flags, "pair_side_doubt:0.90"))], m)
    assert most[0].probabilities["RU"] == pytest.approx(0.5, abs=0.01)
    # an impact on the bearing's own side (left, 300 m from the line: a short round if
    # the join is right): a rival launch across would name the other party through
    # the impact, so the doubt is not weighed; the odds are the bearing's and the
    # impact's alone, as for a join without a doubt
    ila, ilo = forward(lat0, lon0, left, 300.0)
    short = replace(joined, id="s", lat=float(ila), lon=float(ilo))
    plain, doubted_short = assess(
        [short, replace(short, id="sd", flags=(*short.flags, "pair_side_doubt:0.90"))], m
    )
    assert plain.probabilities["RU"] > 0.5  # the bearing outweighs the impact across
    assert doubted_short.probabilities["RU"] == pytest.approx(plain.probabilities["RU"], abs=1e-12)


def test_a_launch_bearing_joined_to_an_impact_bearing_weighs_the_join() -> None:
    """A lone launch bearing that stays left names RU up to ``ray_error_p``; joined
    to an impact bearing (fusion's ray pairing: flag ``paired``, no position) the
    join may have taken another round's impact, so it is blurred by
    ``launch_ray_error_p`` and, with the defaults, no longer named at 0.9."""
    m = parse_mandate(DOC)
    line: GeoLine = m.contact
    lat0, lon0, left = _middle(line)
    olat, olon = forward(lat0, lon0, left, 3_000.0)
    common = dict(kind="firing", time_s=0.0, lat=None, lon=None, cov_m2=None, n_observers=1,
                  direction="outgoing",
                  observer_lat=float(olat), observer_lon=float(olon), bearing_deg=left)  # fmt: skip
    lone = Event(id="l", observation_ids=("a",), flags=("no_position",), **common)  # type: ignore[arg-type]
    joined = Event(
        id="j", observation_ids=("a", "b"), flags=("paired", "no_position"),
        **common,  # type: ignore[arg-type]
    )  # fmt: skip
    cfg = AttributionConfig(phase_error_p=0.0)
    assert cfg.launch_ray_error_p > cfg.ray_error_p
    by_event = {v.event_ids[0]: v for v in assess([lone, joined], m, cfg)}
    v_lone, v_joined = by_event["l"], by_event["j"]
    # every point of the ray is left: the launch evidence alone, blurred
    assert v_lone.probabilities["RU"] == pytest.approx(1.0 - cfg.ray_error_p, abs=0.005)
    assert v_joined.probabilities["RU"] == pytest.approx(1.0 - cfg.launch_ray_error_p, abs=0.005)
    assert v_lone.party == "RU"
    assert v_joined.party == "undetermined"
    assert "attributed from the bearing ray" in v_lone.notes
    assert "attributed from the launch and impact bearings" in v_joined.notes


@pytest.mark.parametrize(
    ("off_m", "cov"),
    [
        (150.0, (400.0**2, 100.0**2, 0.0)),
        (-300.0, (250.0**2, 250.0**2, 3e4)),
        (900.0, (80.0**2, 600.0**2, -2e4)),
    ],
)
def test_an_impact_near_the_line_weighs_short_rounds_as_monte_carlo(
    off_m: float, cov: tuple[float, float, float]
) -> None:
    """An impact's shooter is across the line with ``a - (a - 1/2) exp(-s / L)`` at
    ``s`` m from it: the closed form over a Gaussian position against sampling."""
    m = parse_mandate(DOC)
    line: GeoLine = m.contact
    lat0, lon0, left = _middle(line)
    la, lo = forward(lat0, lon0, left, off_m)
    e = Event(
        id="x", kind="explosion", time_s=0.0, lat=float(la), lon=float(lo), cov_m2=cov,
        observation_ids=("o",), n_observers=3, direction="incoming",
    )  # fmt: skip
    cfg = AttributionConfig(
        phase_error_p=0.0, position_error_p=0.0, impact_across_p=0.9, short_band_m=500.0
    )
    p_ru = assess([e], m, cfg)[0].probabilities["RU"]
    rng = np.random.default_rng(12)
    f = LocalFrame(float(la), float(lo))
    c = np.array([[cov[0], cov[2]], [cov[2], cov[1]]])
    xy = rng.multivariate_normal([0.0, 0.0], c, size=100_000)
    near = line.nearest(*f.to_latlon(xy[:, 0], xy[:, 1]))
    across = 0.9 - 0.4 * np.exp(-near.distance_m / 500.0)
    mc = float(np.mean(np.where(near.side == 1, 1.0 - across, across)))
    assert p_ru == pytest.approx(mc, abs=0.01)
    # without the band: the far value at every distance, further from a coin toss
    flat = AttributionConfig(
        phase_error_p=0.0, position_error_p=0.0, impact_across_p=0.9, short_band_m=0.0
    )
    assert abs(assess([e], m, flat)[0].probabilities["RU"] - 0.5) > abs(p_ru - 0.5)


def test_a_kind_taken_from_the_direction_class_weighs_as_that_class() -> None:
    """A launch located far on the left (RU) side: named RU when a report named it a
    firing; when fusion took ``firing`` from the outgoing direction class alone (flag
    ``kind_by_direction``), the source is the launch with 1 - direction_error_p only,
    else the impact of a round fired from across the line."""
    m = parse_mandate(DOC)
    line: GeoLine = m.contact
    lat0, lon0, left = _middle(line)
    la, lo = forward(lat0, lon0, left, 20_000.0)  # 20 km left
    named = Event(
        id="f",
        kind="firing",
        time_s=0.0,
        lat=float(la),
        lon=float(lo),
        cov_m2=(100.0**2, 100.0**2, 0.0),
        observation_ids=("o",),
        n_observers=3,
        direction="outgoing",
    )
    by_direction = replace(named, flags=("kind_by_direction",))
    cfg = AttributionConfig(position_error_p=0.0, impact_across_p=0.9)
    q_kind, q_dir = 1.0 - cfg.phase_error_p, 1.0 - cfg.direction_error_p
    # 200 sigma from the line: the launch is RU's (1); an impact there came from
    # across the line (UA) with impact_across_p, far beyond short_band_m
    p_named = assess([named], m, cfg)[0].probabilities["RU"]
    p_dir = assess([by_direction], m, cfg)[0].probabilities["RU"]
    assert p_named == pytest.approx(q_kind * 1.0 + (1.0 - q_kind) * 0.1, abs=1e-6)
    assert p_dir == pytest.approx(q_dir * 1.0 + (1.0 - q_dir) * 0.1, abs=1e-6)
    v_named, v_dir = assess([named], m, cfg)[0], assess([by_direction], m, cfg)[0]
    assert v_named.party == "RU" and v_dir.party == "undetermined"  # 0.982 and 0.865
