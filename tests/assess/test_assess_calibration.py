"""Fitting the attribution allowances: the fit recovers a known error rate (the
maximum-likelihood estimate of a Bernoulli share), the log loss and threshold
figures follow from it, and a mandate's allowances reach ``assess``."""

from __future__ import annotations

import dataclasses
import math
import textwrap

import numpy as np
import pytest
import yaml

from ceasefire.assess import AttributionConfig, assess
from ceasefire.assess.calibration import (
    Outcomes,
    at_threshold,
    fit_allowances,
    log_loss,
    reliability,
)
from ceasefire.assess.table import build_table
from ceasefire.geo import forward
from ceasefire.mandate import parse_mandate
from ceasefire.model import Event
from ceasefire.model.errors import InputError

DOC = textwrap.dedent(
    """\
    mission: {name: t, authority: {body: UNSC, resolution: x}}
    parties: [{id: UA, name: Ukraine}, {id: RU, name: Russia}]
    contact_line: {left: RU, right: UA, coordinates: [[38.0, 49.5], [38.0, 47.5]]}
    rules:
      - {id: fire, kind: ceasefire, severity: high}
    """
)


def mandate(attribution: dict | None = None):  # type: ignore[no-untyped-def]
    doc = yaml.safe_load(DOC)
    if attribution is not None:
        doc["attribution"] = attribution
    return parse_mandate(yaml.safe_dump(doc))


def impact(i: int, east_km: float) -> Event:
    """A sharply located explosion ``east_km`` east of the meridian line at 48.5 N
    (the line runs south, so its left, RU, is east)."""
    la, lo = forward(48.5, 38.0, 90.0 if east_km >= 0 else 270.0, abs(east_km) * 1000.0)
    return Event(
        id=f"ev-{i}",
        kind="explosion",
        time_s=1_750_000_000.0 + i,
        lat=float(la),
        lon=float(lo),
        cov_m2=(50.0**2, 50.0**2, 0.0),
        observation_ids=(f"o{i}a", f"o{i}b"),
        n_observers=2,
        direction="incoming",
    )


def outcomes(n: int, across_share: float) -> Outcomes:
    """``n`` impacts 5 km west of the line (UA's side); of their shooters a share
    ``across_share`` is across the line (RU, the left party)."""
    m = mandate()
    evs = [impact(i, -5.0) for i in range(n)]
    k = round(n * across_share)
    return Outcomes(build_table(evs, m), np.arange(n) < k)


# the impact's side is certain, the kind names an impact and short rounds are not
# told by their distance from the line: P(across) = impact_across_p
EXACT = AttributionConfig(phase_error_p=0.0, position_error_p=0.0, short_band_m=0.0)


def test_fit_recovers_the_share_of_impacts_fired_from_across_the_line() -> None:
    o = outcomes(200, 0.7)
    fitted = fit_allowances([o], EXACT, names=("impact_across_p",))
    # the likelihood 0.7 n ln a + 0.3 n ln(1 - a) peaks at a = 0.7
    assert fitted.impact_across_p == pytest.approx(0.7, abs=0.005)
    # the other fields stay as given
    assert fitted.launch_error_p == EXACT.launch_error_p
    assert fitted.position_error_p == 0.0


def test_log_loss_threshold_and_reliability_follow_from_the_probabilities() -> None:
    o = outcomes(200, 0.7)
    cfg = dataclasses.replace(EXACT, impact_across_p=0.7)
    # every violation states 0.7 for RU; 70 % are RU's
    assert log_loss(cfg, o) == pytest.approx(-(0.7 * math.log(0.7) + 0.3 * math.log(0.3)))
    right, named = at_threshold(cfg, o, 0.65)
    assert named == 200
    assert right == pytest.approx(0.7)
    assert at_threshold(cfg, o, 0.75)[1] == 0
    (b,) = reliability(cfg, o)
    assert (b["lo"], b["n"]) == (0.7, 200)
    assert b["mean_p"] == pytest.approx(0.7)
    assert b["right"] == pytest.approx(0.7)


def test_days_weigh_alike_whatever_their_size() -> None:
    # a big day with 90 % across and a small one with 50 %: the mean of the two
    # days' mean losses peaks where 0.9/a - 0.1/(1-a) + 0.5/a - 0.5/(1-a) = 0, at
    # a = 0.7; pooling the violations would give 950/1100 = 0.86
    big, small = outcomes(1000, 0.9), outcomes(100, 0.5)
    a = fit_allowances([big, small], EXACT, names=("impact_across_p",)).impact_across_p
    assert a == pytest.approx(0.7, abs=0.005)


def test_fit_needs_outcomes() -> None:
    m = mandate()
    empty = Outcomes(build_table([], m), np.zeros(0, bool))
    with pytest.raises(ValueError, match="no violation with a known shooter"):
        fit_allowances([empty])


def test_mandate_allowances_reach_assess() -> None:
    ev = [impact(0, -5.0)]
    default = assess(ev, mandate())[0].probabilities["RU"]
    m = mandate({"threshold": 0.6, "allowances": {"impact_across_p": 0.6}})
    assert AttributionConfig.for_mandate(m).impact_across_p == 0.6
    assert AttributionConfig.for_mandate(m).launch_error_p == AttributionConfig().launch_error_p
    chosen = assess(ev, m)[0].probabilities["RU"]
    d = AttributionConfig()
    # P(RU) = blur(q s + (1 - q) a, position_error_p) with s = 0 (impact on UA's side)
    q = d.phase_error_p

    def expect(a: float) -> float:
        p = (1 - q) * a
        return p * (1 - d.position_error_p) + (1 - p) * d.position_error_p

    assert default == pytest.approx(expect(d.impact_across_p), abs=1e-3)
    assert chosen == pytest.approx(expect(0.6), abs=1e-3)


@pytest.mark.parametrize(
    ("allowances", "field"),
    [
        ({"launch_error_p": 0.6}, "launch_error_p"),
        ({"impact_across_p": 0.4}, "impact_across_p"),
        ({"ray_band_m": -5}, "ray_band_m"),
        ({"unknown_p": 0.1}, "unknown_p"),
    ],
)
def test_bad_allowances_name_the_field(allowances: dict, field: str) -> None:
    with pytest.raises(InputError, match=f"attribution.allowances.*{field}"):
        mandate({"allowances": allowances})
