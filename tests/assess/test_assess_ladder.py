"""Escalation triggers: each fires once per episode and clears once."""

from __future__ import annotations

import textwrap

from ceasefire.assess import escalate, notices
from ceasefire.mandate import parse_mandate
from ceasefire.model import Event, Violation

DOC = textwrap.dedent(
    """\
    mission: {name: t, authority: {body: UNSC, resolution: x}}
    parties: [{id: UA, name: Ukraine}, {id: RU, name: Russia}]
    contact_line: {left: RU, right: UA, coordinates: [[38.0, 49.5], [38.0, 47.5]]}
    rules: [{id: ceasefire, kind: ceasefire, severity: high}]
    response:
      mode: notify
      notify: [UNSC]
      escalation:
        - line: 1
          name: first
          holder: UA
          trigger: {kind: count, threshold: 3, clear_below: 2, window_h: 1, per: party}
        - line: 2
          name: second
          holder: EU
          trigger: {kind: crossing, objects: [tank], window_h: 2}
    """
)
H = 3600.0


def v(i: int, t: float, party: str = "RU") -> Violation:
    return Violation(
        id=f"v{i}",
        rule="ceasefire",
        severity="high",
        kind="explosion",
        time_s=t,
        lat=48.5,
        lon=38.1,
        cov_m2=None,
        party=party,
        party_probability=0.99,
        probabilities={party: 0.99},
        event_ids=(f"e{i}",),
        observation_ids=(),
        distance_to_line_km=1.0,
        side="left",
        response="notify",
    )


def test_count_trigger_raises_once_and_clears_once_with_hysteresis() -> None:
    m = parse_mandate(DOC)
    # RU: 3 within an hour at t=0,10,20 min → raised at 20 min; a 4th at 30 min
    # does not raise again; window empties: count drops below 2 when the 3rd
    # oldest leaves (at 70 min the t=10 one expires leaving 2, at 80 → 1 < 2).
    times = [0, 10 * 60, 20 * 60, 30 * 60]
    vs = [v(i, t) for i, t in enumerate(times)] + [v(9, 0.0, party="UA")]
    esc = escalate(vs, m)
    assert [(x.state, x.party, x.time_s) for x in esc] == [
        ("raised", "RU", 20 * 60.0),
        ("cleared", "RU", 20 * 60.0 + H),
    ]
    assert set(esc[0].violation_ids) == {"v0", "v1", "v2"}


def test_count_trigger_second_episode_after_clearing() -> None:
    m = parse_mandate(DOC)
    first = [v(i, i * 60.0) for i in range(3)]
    later = [v(10 + i, 5 * H + i * 60.0) for i in range(3)]
    states = [x.state for x in escalate(first + later, m)]
    assert states == ["raised", "cleared", "raised", "cleared"]


def test_crossing_trigger_raises_for_marked_armour_across_the_line() -> None:
    m = parse_mandate(DOC)
    # a RU tank at 37.9 E is west of the line: on UA's side
    tank = Event(
        id="t1",
        kind="sighting",
        time_s=0.0,
        lat=48.5,
        lon=37.9,
        cov_m2=(100.0, 100.0, 0.0),
        observation_ids=("s",),
        n_observers=1,
        object="tank",
        count=1,
        party_marked="RU",
        first_seen_s=0.0,
        last_seen_s=600.0,
    )
    home = Event(
        id="t2",
        kind="sighting",
        time_s=0.0,
        lat=48.5,
        lon=38.2,
        cov_m2=(100.0, 100.0, 0.0),
        observation_ids=("s2",),
        n_observers=1,
        object="tank",
        count=1,
        party_marked="RU",
        first_seen_s=0.0,
        last_seen_s=600.0,
    )
    esc = escalate([], m, events=[tank, home])
    assert [(x.line, x.state, x.party) for x in esc] == [(2, "raised", "RU"), (2, "cleared", "RU")]
    assert esc[1].time_s == 600.0 + 2 * H


def test_notices_follow_the_response_mode() -> None:
    m = parse_mandate(DOC)
    vs = [v(0, 0.0)]
    esc = escalate([v(i, i * 60.0) for i in range(3)], m)
    out = notices(vs, esc, m)
    assert [n["type"] for n in out].count("notice") == 1
    assert any(n["type"] == "escalation" and "UA" in n["to"] for n in out)
    rec = parse_mandate(DOC.replace("mode: notify", "mode: record"))
    assert notices(vs, esc, rec) == []
