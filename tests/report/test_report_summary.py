"""The report's numbers against the hand-built day in conftest."""

from __future__ import annotations

from ceasefire.report import ReportContext
from ceasefire.report.summary import summarize
from conftest import AVERAGE_7D, EXPLOSIONS, TOTAL, UNDETERMINED, WEAPONS


def test_totals(day_ctx: ReportContext) -> None:
    s = summarize(day_ctx)
    assert s.total == TOTAL
    assert s.explosions == EXPLOSIONS
    assert s.undetermined == UNDETERMINED
    assert s.weapons_total == WEAPONS
    assert s.previous_total == 4
    assert abs(s.average_7d - AVERAGE_7D) < 1e-9
    assert s.average_days == 7


def test_rule_party_table_adds_up(day_ctx: ReportContext) -> None:
    t = summarize(day_ctx).rule_party
    assert t.cols == ["UA", "RU", "undetermined", "other"]
    assert t.cell("ceasefire", "UA") == 5
    assert t.cell("ceasefire", "RU") == 3
    assert t.cell("ceasefire", "undetermined") == 2
    assert t.cell("withdrawal-artillery", "RU") == 2
    assert t.cell("withdrawal-artillery", "undetermined") == 1
    assert t.cell("drones", "other") == 1
    assert t.row_totals["ceasefire"] == 10
    assert t.col_totals == {"UA": 6, "RU": 5, "undetermined": 3, "other": 1}
    assert sum(t.row_totals.values()) == sum(t.col_totals.values()) == t.total == TOTAL
    # every mandate rule has a row, with or without violations
    assert t.row_totals["withdrawal-mlrs"] == 0


def test_per_category_comparison(day_ctx: ReportContext) -> None:
    s = summarize(day_ctx)
    by_party = {c.key: (c.today, c.previous, c.delta) for c in s.by_party}
    assert by_party["UA"] == (6, 3, 3)
    assert by_party["RU"] == (5, 1, 4)
    assert by_party["undetermined"] == (3, 0, 3)
    by_sector = {c.key: c.today for c in s.by_sector}
    assert by_sector == {"luhansk": 7, "donetsk-north": 5, "donetsk-south": 2, "none": 1}
    assert sum(c.today for c in s.by_rule) == TOTAL


def test_hours_in_mission_time_and_trend(day_ctx: ReportContext) -> None:
    s = summarize(day_ctx)
    assert sum(s.per_hour) == TOTAL
    assert s.per_hour[2] == 8 and s.per_hour[23] == 2 and s.per_hour[10] == 3
    assert len(s.trend) == 31
    assert s.trend[-1] == (day_ctx.day, TOTAL)
    assert dict(s.trend)[day_ctx.day.replace(day=11)] == 100


def test_escalations_and_weapons(day_ctx: ReportContext) -> None:
    s = summarize(day_ctx)
    assert [x.id for x in s.raised] == ["esc-1"] and [x.id for x in s.cleared] == ["esc-2"]
    assert s.raised[0].n_violations == 5
    assert {w.party for w in s.weapons} == {"RU", "undetermined"}
    assert s.weapons[0].first_seen == "23 Aug 10:10"  # 10:00 local + 10 min (plan index 10)


def test_paragraph_states_the_numbers(day_ctx: ReportContext) -> None:
    text = summarize(day_ctx).paragraph
    assert "15 violations" in text
    assert "7 explosions and 8 other violations" in text
    assert "11 more than the previous day (4)" in text
    assert "could not be determined for 3 violations (20 %)" in text


def test_empty_day(day_ctx: ReportContext) -> None:
    from dataclasses import replace

    s = summarize(replace(day_ctx, violations=[], previous=None, history={}))
    assert s.total == 0 and s.previous_total is None and s.average_7d is None
    assert "no ceasefire violations" in s.paragraph


def test_uncorroborated_reports_are_told_apart_from_violations(day_ctx: ReportContext) -> None:
    from dataclasses import replace

    from ceasefire.model import Event

    def lone(i: int) -> Event:
        return Event(
            id=f"lone-{i}",
            kind="explosion",
            time_s=day_ctx.violations[0].time_s,
            lat=None,
            lon=None,
            cov_m2=None,
            observation_ids=(f"o-{i}",),
            n_observers=1,
            observer_lat=48.5,
            observer_lon=38.6,
            bearing_deg=90.0,
            flags=("no_position", "single_observer", "uncorroborated"),
        )

    s = summarize(replace(day_ctx, events=[*day_ctx.events, lone(1), lone(2)]))
    assert s.events_uncorroborated == 2 and s.total == TOTAL
    said = "2 single reports that nothing else heard nearby corroborated were recorded"
    assert said in s.paragraph
    assert "single report" not in summarize(day_ctx).paragraph
    # one a located event explained (fuse/explain.py) is told apart again
    explained = replace(lone(3), flags=("explained", "explained_by:x", "no_position"))
    s = summarize(replace(day_ctx, events=[*day_ctx.events, lone(1), explained]))
    assert s.events_uncorroborated == 1 and s.events_explained == 1 and s.total == TOTAL
    assert "1 single report of a round already located was recorded with that round" in s.paragraph
    assert "second fix" not in s.paragraph
    # a located fix a stronger event explained (a round located twice) is told apart too
    fix = replace(
        explained,
        id="fix",
        lat=48.6,
        lon=38.7,
        cov_m2=(1e4, 1e4, 0.0),
        flags=("explained", "explained_by:x"),
    )
    s = summarize(replace(day_ctx, events=[*day_ctx.events, explained, fix]))
    assert s.events_explained == 1 and s.fixes_explained == 1 and s.total == TOTAL
    assert "1 second fix of a round already located was recorded with that round" in s.paragraph


def test_a_day_with_no_observations_is_not_a_quiet_day(day_ctx: ReportContext) -> None:
    from dataclasses import replace

    s = summarize(replace(day_ctx, violations=[], events=[], observers=[], observations=0))
    assert "received no observations" in s.paragraph
    assert "no ceasefire violations" not in s.paragraph
    assert "cannot say whether the ceasefire was observed" in s.paragraph
