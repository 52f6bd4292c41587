"""Two observers' lone bearings of one emission count once (``ExplainConfig.lone_pairs``,
``fuse/explain_lone.py``): their rays cross in front of both and the emission times
the crossing implies agree; the sharper bearing explains the other."""

from __future__ import annotations

import pytest
from fuse_scenes import T0, Scene
from test_fuse_explain import IMPACT, _lone

from ceasefire.fuse.explain import ExplainConfig, explain, explained_by

ON = ExplainConfig(lone_pairs=True)


def _by(sc: Scene, cfg: ExplainConfig = ON) -> dict[str, str | None]:
    events = [_lone(sc, str(r["id"])) for r in sc.rows]
    out = explain(events, cfg, sc.arrays())
    assert [e.observation_ids for e in out] == [e.observation_ids for e in events]
    return {e.id: explained_by(e) for e in out}


def test_two_lone_bearings_of_one_impact_count_once_the_sharper_kept() -> None:
    sc = Scene()
    sc.bearing("a", "post-a", (-5_000.0, 0.0), IMPACT, T0, sigma_deg=3.0, noise_t_s=1.0)
    sc.bearing("b", "post-b", (5_000.0, 0.0), IMPACT, T0, sigma_deg=1.0)
    assert _by(sc) == {"lone-a": "lone-b", "lone-b": None}
    # off (the default), both count
    assert _by(sc, ExplainConfig()) == {"lone-a": None, "lone-b": None}


def test_a_third_bearing_of_the_round_is_explained_by_the_same_report() -> None:
    sc = Scene()
    sc.bearing("a", "post-a", (-5_000.0, 0.0), IMPACT, T0, sigma_deg=3.0)
    sc.bearing("b", "post-b", (5_000.0, 0.0), IMPACT, T0, sigma_deg=1.0)
    sc.bearing("c", "post-c", (0.0, -4_000.0), IMPACT, T0, sigma_deg=3.0)
    got = _by(sc)
    # one of the three stands, and nothing is explained by an explained report
    assert sum(v is None for v in got.values()) == 1
    assert all(got[v] is None for v in got.values() if v is not None)


@pytest.mark.parametrize(
    ("second", "why"),
    [
        # the same crossing 30 s later: the emission times differ by 30 s
        (dict(obs=(5_000.0, 0.0), ev=IMPACT, dt=30.0, direction="incoming"), "time"),
        # a ray pointing away from the first's: they do not cross in front of both
        (dict(obs=(5_000.0, 0.0), ev=(10_000.0, -6_000.0), dt=0.0, direction="incoming"), "rays"),
        # an outgoing report against an incoming one: another phase
        (dict(obs=(5_000.0, 0.0), ev=IMPACT, dt=0.0, direction="outgoing"), "phase"),
    ],
)
def test_another_emission_is_not_explained(second: dict[str, object], why: str) -> None:
    sc = Scene()
    sc.bearing("a", "post-a", (-5_000.0, 0.0), IMPACT, T0)
    sc.bearing(
        "b", "post-b", second["obs"], second["ev"], T0 + float(second["dt"]),  # type: ignore[arg-type]
        direction=str(second["direction"]),
    )  # fmt: skip
    assert _by(sc) == {"lone-a": None, "lone-b": None}, why


def test_one_observers_two_reports_do_not_explain_each_other() -> None:
    sc = Scene()
    sc.bearing("a", "post-a", (-5_000.0, 0.0), IMPACT, T0)
    sc.bearing("b", "post-a", (-5_000.0, 0.0), IMPACT, T0 + 0.5)
    assert _by(sc) == {"lone-a": None, "lone-b": None}
