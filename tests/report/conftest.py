"""A reporting day built by hand (Donbas mandate, 23 Aug 2015, Europe/Kyiv):
the counts the report must show are the ones written here."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from ceasefire.mandate import Mandate, day_bounds, load_mandate
from ceasefire.model import Escalation, Event, Violation
from ceasefire.report import ReportContext

DAY = date(2015, 8, 23)

#: (rule, party, kind, local hour, sector, object) of each violation of the day.
PLAN = (
    [("ceasefire", "UA", "explosion", 2, "luhansk", None)] * 5
    + [("ceasefire", "RU", "firing", 2, "donetsk-north", None)] * 3
    + [("ceasefire", "undetermined", "explosion", 23, "donetsk-south", None)] * 2
    + [("withdrawal-artillery", "RU", "sighting", 10, "donetsk-north", "artillery_ge_100mm")] * 2
    + [("withdrawal-artillery", "undetermined", "sighting", 10, None, "artillery_ge_100mm")]
    + [("drones", "UA", "sighting", 14, "luhansk", "uav")]
    + [("drones", "XX", "sighting", 14, "luhansk", "uav")]
)
#: What the plan adds up to.
TOTAL = 15
EXPLOSIONS = 7
UNDETERMINED = 3
WEAPONS = 3
#: The previous day: 4 violations (3 ceasefire UA, 1 drones RU).
PREVIOUS = [("ceasefire", "UA", "explosion", 5, "luhansk", None)] * 3 + [
    ("drones", "RU", "sighting", 6, "luhansk", "uav")
]
#: Violations on the seven days before: 10, 0 (absent), 20, 0, 5, 0, 4 -> mean 39 / 7.
HISTORY = {
    DAY - timedelta(days=1): 4,
    DAY - timedelta(days=3): 20,
    DAY - timedelta(days=5): 5,
    DAY - timedelta(days=7): 10,
    DAY - timedelta(days=12): 100,
}
AVERAGE_7D = (4 + 20 + 5 + 10) / 7


@pytest.fixture(scope="session")
def donbas(donbas_mandate_path: Path) -> Mandate:
    return load_mandate(donbas_mandate_path)


def violations_of(mandate: Mandate, day: date, plan: list[tuple], prefix: str) -> list[Violation]:
    start, _ = day_bounds(mandate, day)
    out = []
    for i, (rule, party, kind, hour, sector, obj) in enumerate(plan):
        t = start + hour * 3600.0 + 60.0 * i
        lat = 48.0 + 0.01 * i
        lon = 37.9 + 0.01 * i
        out.append(
            Violation(
                id=f"{prefix}{i:03d}",
                rule=rule,
                severity="high",
                kind=kind,
                time_s=t,
                lat=lat,
                lon=lon,
                cov_m2=(250_000.0, 40_000.0, 0.0),
                party=party,
                party_probability=0.9 if party != "undetermined" else 0.55,
                probabilities={"UA": 0.5, "RU": 0.5},
                event_ids=(f"e-{prefix}{i:03d}",),
                observation_ids=(f"o-{prefix}{i:03d}",),
                distance_to_line_km=4.2,
                side="left",
                response="record",
                object=obj,
                weapon="artillery" if obj else None,
                sector=sector,
                first_seen_s=t if obj else None,
                last_seen_s=t + 1800.0 if obj else None,
            )
        )
    return out


def events_for(violations: list[Violation]) -> list[Event]:
    return [
        Event(
            id=v.event_ids[0],
            kind=v.kind if v.kind != "sighting" else "undetermined",
            time_s=v.time_s,
            lat=v.lat,
            lon=v.lon,
            cov_m2=v.cov_m2,
            observation_ids=v.observation_ids,
            n_observers=2,
            object=v.object,
        )
        for v in violations
    ]


@pytest.fixture
def day_ctx(donbas: Mandate) -> ReportContext:
    return build_day_ctx(donbas)


def build_day_ctx(donbas: Mandate) -> ReportContext:
    """The hand-built day as a report context."""
    vs = violations_of(donbas, DAY, PLAN, "v")
    start, _ = day_bounds(donbas, DAY)
    esc = [
        Escalation(
            id="esc-1",
            state="raised",
            line=1,
            line_name="Joint Centre for Control and Coordination",
            holder="JCCC",
            trigger="count",
            time_s=start + 3 * 3600.0,
            party="UA",
            sector="luhansk",
            violation_ids=tuple(v.id for v in vs[:5]),
            message="5 violations by UA in luhansk within 24 h",
        ),
        Escalation(
            id="esc-2",
            state="cleared",
            line=1,
            line_name="Joint Centre for Control and Coordination",
            holder="JCCC",
            trigger="count",
            time_s=start + 20 * 3600.0,
            party="RU",
            sector="donetsk-north",
            violation_ids=(),
            message="",
        ),
    ]
    return ReportContext(
        mandate=donbas,
        day=DAY,
        events=events_for(vs),
        violations=vs,
        escalations=esc,
        observers=[("op-1", 48.5, 38.6), ("op-2", 47.9, 37.7)],
        history=dict(HISTORY),
        previous=violations_of(donbas, DAY - timedelta(days=1), PREVIOUS, "p"),
        ledger_head={
            "size": 42,
            "root_hash": "9f" * 32,
            "time": "2015-08-23T21:00:00Z",
            "key_id": "mission-key-1",
            "signature": "ab" * 64,
        },
        counts={"accepted": 120, "rejected": 2, "duplicate": 1},
    )
