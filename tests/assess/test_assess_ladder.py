"""The lines of defence: whose violations engage each line, in what order, with
what probability; each trigger engages once per episode and clears once."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
import yaml

from ceasefire.assess import escalate, notices
from ceasefire.mandate import parse_mandate
from ceasefire.model import Escalation, Event, Violation

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
          trigger: {kind: count, by: [RU], threshold: 3, clear_below: 2, window_h: 1, per: party}
        - line: 2
          name: second
          holder: EU
          defends: UA
          trigger: {kind: crossing, by: [RU], objects: [tank], window_h: 2}
    """
)
H = 3600.0


def v(i: int, t: float, party: str = "RU", p: float = 0.99, sector: str | None = None) -> Violation:
    """A high-severity ceasefire violation of ``party`` with probability ``p``
    (``undetermined``: the likeliest party RU at ``p``)."""
    likeliest = "RU" if party == "undetermined" else party
    other = "UA" if likeliest == "RU" else "RU"
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
        party_probability=p,
        probabilities={likeliest: p, other: 1 - p},
        event_ids=(f"e{i}",),
        observation_ids=(),
        distance_to_line_km=1.0,
        side="left",
        response="notify",
        sector=sector,
    )


def burst(start: int, t0: float, n: int, **kw: Any) -> list[Violation]:
    """``n`` violations a minute apart from ``t0``."""
    return [v(start + k, t0 + 60.0 * k, **kw) for k in range(n)]


def tank(eid: str, t: float, lon: float, party: str | None = "RU") -> Event:
    """A sighting of a tank marked as ``party``; 37.9 E is west of the line (UA's side)."""
    return Event(
        id=eid,
        kind="sighting",
        time_s=t,
        lat=48.5,
        lon=lon,
        cov_m2=(100.0, 100.0, 0.0),
        observation_ids=(eid + "-o",),
        n_observers=1,
        object="tank",
        count=1,
        party_marked=party,
        first_seen_s=t,
        last_seen_s=t + 600.0,
    )


def ladder(*lines: dict[str, Any], extra: dict[str, Any] | None = None) -> Any:
    """DOC with another escalation ladder (and other top-level changes)."""
    doc = yaml.safe_load(DOC)
    doc["response"]["escalation"] = list(lines)
    doc.update(extra or {})
    return parse_mandate(yaml.safe_dump(doc), source="m.yaml")


def states(esc: list[Escalation]) -> list[tuple[int, str, str | None, float]]:
    return [(x.line, x.state, x.party, x.time_s) for x in esc]


# ── each trigger engaging and clearing ───────────────────────────────────────


def test_count_trigger_raises_once_and_clears_once_with_hysteresis() -> None:
    m = parse_mandate(DOC)
    # RU: 3 within an hour at t=0,10,20 min → raised at 20 min; a 4th at 30 min
    # does not raise again; the count drops below 2 when the t=10 one leaves
    # the hour (70 min: 2 left), then the t=20 one (80 min: 1 left) → cleared.
    times = [0, 10 * 60, 20 * 60, 30 * 60]
    vs = [v(i, t) for i, t in enumerate(times)]
    esc = escalate(vs, m)
    assert states(esc) == [(1, "raised", "RU", 20 * 60.0), (1, "cleared", "RU", 20 * 60.0 + H)]
    assert set(esc[0].violation_ids) == {"v0", "v1", "v2"}


def test_count_trigger_second_episode_after_clearing() -> None:
    m = parse_mandate(DOC)
    first = [v(i, i * 60.0) for i in range(3)]
    later = [v(10 + i, 5 * H + i * 60.0) for i in range(3)]
    assert [x.state for x in escalate(first + later, m)] == [
        "raised",
        "cleared",
        "raised",
        "cleared",
    ]


def test_crossing_trigger_engages_for_armour_of_a_listed_party_across_the_line() -> None:
    m = parse_mandate(DOC)
    # a RU tank west of the line (UA's side) engages line 2 at once; a RU tank at
    # home and a UA tank on UA's side do not; clears 2 h after the last sighting
    esc = escalate(
        [], m, events=[tank("t1", 0.0, 37.9), tank("t2", 0.0, 38.2), tank("t3", 0.0, 37.9, "UA")]
    )
    assert states(esc) == [(2, "raised", "RU", 0.0), (2, "cleared", "RU", 600.0 + 2 * H)]
    assert esc[0].violation_ids == ("t1",)


def test_crossing_by_a_party_not_in_by_engages_nothing() -> None:
    m = ladder(
        {
            "line": 1,
            "name": "force",
            "holder": "EU",
            "defends": "UA",
            "trigger": {"kind": "crossing", "by": ["RU"], "objects": ["tank"]},
        }
    )
    # a UA tank east of the line (RU's side) is a crossing, but UA is not in 'by'
    assert escalate([], m, events=[tank("t1", 0.0, 38.2, "UA")]) == []


def test_a_sighting_seen_again_within_the_hold_extends_the_episode() -> None:
    m = parse_mandate(DOC)
    esc = escalate([], m, events=[tank("t1", 0.0, 37.9), tank("t2", H, 37.9)])
    assert states(esc) == [(2, "raised", "RU", 0.0), (2, "cleared", "RU", H + 600.0 + 2 * H)]


# ── whose violations count, and with what probability ────────────────────────


def test_the_holders_own_violations_never_engage_its_line() -> None:
    m = parse_mandate(DOC)
    assert escalate(burst(0, 0.0, 10, party="UA"), m) == []


def test_undetermined_violations_do_not_engage_an_armed_line_but_are_notified() -> None:
    m = parse_mandate(DOC)
    vs = burst(0, 0.0, 10, party="undetermined", p=0.7)
    assert escalate(vs, m) == []
    sent = notices(vs, [], m)
    assert len(sent) == 10 and all("undetermined" in n["text"] for n in sent)


def test_undetermined_engages_an_armed_line_only_when_listed_explicitly() -> None:
    line = {
        "line": 1,
        "name": "first",
        "holder": "UA",
        "trigger": {"kind": "count", "by": ["RU", "undetermined"], "threshold": 3, "window_h": 1},
    }
    esc = escalate(burst(0, 0.0, 3, party="undetermined", p=0.7), ladder(line))
    assert [(x.state, x.party) for x in esc] == [
        ("raised", "undetermined"),
        ("cleared", "undetermined"),
    ]


def test_an_unarmed_line_counts_every_party_and_undetermined_by_default() -> None:
    line = {
        "line": 1,
        "name": "JCCC",
        "holder": "JCCC",
        "armed": False,
        "trigger": {"kind": "count", "threshold": 3, "window_h": 1, "per": "all"},
    }
    vs = [v(0, 0.0, "UA"), v(1, 60.0, "undetermined", p=0.6), v(2, 120.0, "RU")]
    esc = escalate(vs, ladder(line))
    assert states(esc)[0] == (1, "raised", None, 120.0)
    assert set(esc[0].violation_ids) == {"v0", "v1", "v2"}


def test_min_probability_counts_only_violations_attributed_that_surely() -> None:
    line = {
        "line": 1,
        "name": "first",
        "holder": "UA",
        "trigger": {
            "kind": "count",
            "by": ["RU"],
            "threshold": 3,
            "window_h": 1,
            "min_probability": 0.95,
        },
    }
    m = ladder(line)
    # named RU at 0.92: above the mandate's attribution threshold (0.8), below 0.95
    assert escalate(burst(0, 0.0, 5, p=0.92), m) == []
    vs = burst(0, 0.0, 2, p=0.92) + burst(10, 300.0, 3, p=0.97)
    esc = escalate(vs, m)
    assert states(esc)[0] == (1, "raised", "RU", 300.0 + 120.0)
    assert set(esc[0].violation_ids) == {"v10", "v11", "v12"}


def test_an_unarmed_line_with_a_low_min_probability_counts_undetermined_for_the_likeliest() -> None:
    line = {
        "line": 1,
        "name": "JCCC",
        "holder": "JCCC",
        "armed": False,
        "trigger": {
            "kind": "count",
            "by": ["RU"],
            "threshold": 3,
            "window_h": 1,
            "min_probability": 0.6,
        },
    }
    m = ladder(line)
    # undetermined with P(RU) = 0.7 count for RU here; at 0.55 they do not
    assert states(escalate(burst(0, 0.0, 3, party="undetermined", p=0.7), m))[0][:3] == (
        1,
        "raised",
        "RU",
    )
    assert escalate(burst(0, 0.0, 3, party="undetermined", p=0.55), m) == []


# ── order and persistence ────────────────────────────────────────────────────

LINE1 = {
    "line": 1,
    "name": "first",
    "holder": "UA",
    "trigger": {
        "kind": "count",
        "by": ["RU"],
        "threshold": 3,
        "window_h": 4,
        "per": "party_sector",
    },
}


def line2(after_h: float | None, per: str = "party", threshold: int = 5) -> dict[str, Any]:
    tr: dict[str, Any] = {
        "kind": "count",
        "by": ["RU"],
        "threshold": threshold,
        "window_h": 6,
        "per": per,
    }
    if after_h is not None:
        tr["after_below_h"] = after_h
    return {"line": 2, "name": "second", "holder": "EU", "defends": "UA", "trigger": tr}


SECTORS = {
    "sectors": [
        {"id": "north", "from_km": 0, "to_km": 100},
        {"id": "south", "from_km": 100, "to_km": 222},
    ]
}


def test_a_line_waits_for_the_line_below_to_be_engaged_long_enough() -> None:
    m = ladder(LINE1, line2(after_h=1.0), extra=SECTORS)
    # 6 RU violations in north within 5 minutes: line 1's condition (3) and line 2's
    # (5) both hold from minute 2 and 4; line 2 engages 1 h after line 1 did
    esc = escalate(burst(0, 0.0, 6, sector="north"), m)
    raised = [(x.line, x.time_s) for x in esc if x.state == "raised"]
    assert raised == [(1, 120.0), (2, 120.0 + H)]
    assert esc[1].details["after_line"] == 1
    # without the wait it engages on its own condition
    esc0 = escalate(burst(0, 0.0, 6, sector="north"), ladder(LINE1, line2(None), extra=SECTORS))
    assert [(x.line, x.time_s) for x in esc0 if x.state == "raised"] == [(1, 120.0), (2, 240.0)]


def test_a_line_whose_condition_ends_before_the_wait_does_not_engage() -> None:
    # line 2 counts 5 in 6 h → its condition holds 6 h; a wait of 7 h is never met
    m = ladder(LINE1, line2(after_h=7.0), extra=SECTORS)
    esc = escalate(burst(0, 0.0, 6, sector="north"), m)
    assert {x.line for x in esc} == {1}


def test_the_line_below_must_be_engaged_for_the_same_sector() -> None:
    # line 1 needs 4 in a sector, line 2 (per sector too) 3: north gets 4, south 3;
    # line 1 engages in north only, so line 2 may follow in north but not in south
    line1_high = {**LINE1, "trigger": {**LINE1["trigger"], "threshold": 4}}
    m = ladder(line1_high, line2(after_h=0.0, per="party_sector", threshold=3), extra=SECTORS)
    vs = burst(0, 0.0, 4, sector="north") + burst(10, 600.0, 3, sector="south")
    got = [(x.line, x.sector, x.time_s) for x in escalate(vs, m) if x.state == "raised"]
    assert got == [(1, "north", 180.0), (2, "north", 180.0)]


def test_the_line_below_must_be_engaged_for_the_same_party() -> None:
    jccc = {
        "line": 1,
        "name": "JCCC",
        "holder": "JCCC",
        "armed": False,
        "trigger": {"kind": "count", "by": ["UA", "RU"], "threshold": 3, "window_h": 4},
    }
    force = {
        "line": 2,
        "name": "UN force",
        "holder": "UN",
        "trigger": {
            "kind": "count",
            "by": ["UA", "RU"],
            "threshold": 2,
            "window_h": 4,
            "after_below_h": 0.5,
        },
    }
    m = ladder(jccc, force)
    # UA: 3 (line 1 at 2 min, line 2 half an hour later); RU: 2 at 10 min, enough
    # for line 2's own count but line 1 is never engaged for RU
    vs = burst(0, 0.0, 3, party="UA") + burst(10, 600.0, 2)
    raised = [(x.line, x.party, x.time_s) for x in escalate(vs, m) if x.state == "raised"]
    assert raised == [(1, "UA", 120.0), (2, "UA", 120.0 + 0.5 * H)]
    # a third RU violation engages line 1 for RU, and line 2 follows 30 min later
    vs.append(v(20, 2 * H, "RU"))
    raised = [(x.line, x.party, x.time_s) for x in escalate(vs, m) if x.state == "raised"]
    assert raised[2:] == [(1, "RU", 2 * H), (2, "RU", 2.5 * H)]


def test_clearing_runs_down_the_ladder_in_reverse() -> None:
    m = ladder(LINE1, line2(after_h=0.0, threshold=3), extra=SECTORS)
    # line 1 (4 h window) and line 2 (6 h window) engage together at 2 min; line 1's
    # own condition ends at 4 h (the first of the 3 leaves its window) but it
    # supports line 2 until line 2 clears at 6 h; line 2 stands down first, then
    # line 1 at the same moment
    esc = escalate(burst(0, 0.0, 3, sector="north"), m)
    assert states(esc) == [
        (1, "raised", "RU", 120.0),
        (2, "raised", "RU", 120.0),
        (2, "cleared", "RU", 6 * H),
        (1, "cleared", "RU", 6 * H),
    ]
    # without line 2, line 1 stands down at 4 h
    alone = escalate(burst(0, 0.0, 3, sector="north"), ladder(LINE1, extra=SECTORS))
    assert states(alone)[-1] == (1, "cleared", "RU", 4 * H)


def test_an_armour_crossing_engages_its_line_at_once_without_the_lines_below() -> None:
    m = parse_mandate(DOC)
    esc = escalate(burst(0, 0.0, 2), m, events=[tank("t1", 0.0, 37.9)])
    assert [(x.line, x.state) for x in esc] == [(2, "raised"), (2, "cleared")]


# ── the validator's refusals ─────────────────────────────────────────────────


def refused(*lines: dict[str, Any], extra: dict[str, Any] | None = None) -> str:
    from ceasefire.model.errors import MandateError

    with pytest.raises(MandateError) as exc:
        ladder(*lines, extra=extra)
    return str(exc.value)


def armed(trigger: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {"line": 1, "name": "first", "holder": "UA", "trigger": trigger, **kw}


def test_an_armed_line_must_say_whose_violations_engage_it() -> None:
    msg = refused(armed({"kind": "count", "threshold": 3}))
    assert "m.yaml:" in msg
    assert "response.escalation[0].trigger" in msg and "by: [RU]" in msg


def test_a_line_engaged_by_its_holders_own_violations_is_refused() -> None:
    msg = refused(armed({"kind": "count", "by": ["RU", "UA"]}))
    assert "response.escalation[0].trigger.by" in msg and "own side: UA" in msg


def test_a_line_engaged_by_the_party_it_defends_is_refused() -> None:
    line = {
        "line": 1,
        "name": "f",
        "holder": "EU",
        "defends": "UA",
        "trigger": {"kind": "crossing", "by": ["UA"], "objects": ["tank"]},
    }
    assert "own side: UA" in refused(line)


def test_an_unarmed_line_held_by_a_party_still_needs_by_without_it() -> None:
    line = {"line": 1, "name": "f", "holder": "UA", "armed": False, "trigger": {"kind": "count"}}
    msg = refused(line)
    assert "response.escalation[0].holder" in msg and "own side: UA" in msg


def test_unknown_parties_in_by_are_refused() -> None:
    assert "unknown party 'XX'" in refused(armed({"kind": "count", "by": ["XX"]}))


def test_a_low_min_probability_on_an_armed_line_is_refused() -> None:
    msg = refused(armed({"kind": "count", "by": ["RU"], "min_probability": 0.7}))
    assert "trigger.min_probability" in msg and "below the attribution threshold (0.8)" in msg


def test_ladders_that_can_never_engage_are_refused() -> None:
    assert "can never engage" in refused(armed({"kind": "count", "by": ["RU"], "after_below_h": 1}))
    assert "severity critical or more" in refused(
        armed({"kind": "count", "by": ["RU"], "min_severity": "critical"})
    )
    assert "only marked objects" in refused(
        armed({"kind": "crossing", "by": ["undetermined"], "objects": ["tank"]})
    )
    assert "'by' is empty" in refused(armed({"kind": "count", "by": []}))
    jccc = {
        "line": 1,
        "name": "JCCC",
        "holder": "JCCC",
        "armed": False,
        "trigger": {"kind": "count", "by": ["UA"]},
    }
    force = {
        "line": 2,
        "name": "f",
        "holder": "EU",
        "defends": "UA",
        "trigger": {"kind": "count", "by": ["RU"], "after_below_h": 1},
    }
    msg = refused(jccc, force)
    assert "response.escalation[1].trigger.after_below_h" in msg and "line 1 counts ['UA']" in msg
    # the rules it counts concern only the holder
    rules = {
        "rules": [{"id": "ceasefire", "kind": "ceasefire", "severity": "high", "parties": ["UA"]}]
    }
    assert "concern other parties" in refused(armed({"kind": "count", "by": ["RU"]}), extra=rules)


def test_the_refusal_names_the_yaml_line_of_the_trigger() -> None:
    from ceasefire.model.errors import MandateError

    text = DOC.replace("by: [RU], threshold: 3", "by: [UA], threshold: 3")
    with pytest.raises(MandateError) as exc:
        parse_mandate(text, source="m.yaml")
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "by: [UA]" in s)
    assert f"m.yaml:{line}" in str(exc.value)


def test_notices_follow_the_response_mode() -> None:
    m = parse_mandate(DOC)
    vs = [v(0, 0.0)]
    esc = escalate([v(i, i * 60.0) for i in range(3)], m)
    out = notices(vs, esc, m)
    assert [n["type"] for n in out].count("notice") == 1
    assert any(n["type"] == "escalation" and "UA" in n["to"] for n in out)
    rec = parse_mandate(DOC.replace("mode: notify", "mode: record"))
    assert notices(vs, esc, rec) == []
