"""A simulated day (or several): observations with their ground truth.

``simulate`` returns the observations as :class:`ObservationArrays` (for
benchmarks: no JSON) and the truth as a JSON-able dict; :mod:`files` writes
them. Same mandate, profile, start, hours and seed → the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ceasefire.geo import LocalFrame
from ceasefire.mandate import Mandate
from ceasefire.model.arrays import ObservationArrays
from ceasefire.model.vocab import KINDS, OBJECTS, SENSES
from ceasefire.patrol import Plan
from ceasefire.simulate.additions import Addition, concat_rounds, merge_sightings
from ceasefire.simulate.assumptions import NEUTRAL, Assumptions
from ceasefire.simulate.family_effects import ObserverFaults, drop_out, observer_faults
from ceasefire.simulate.ground import Sighting, Thing, place_things, sight
from ceasefire.simulate.groundtruth import truth_violations
from ceasefire.simulate.hearing import CLUTTER, IMPACT, LAUNCH, Perceived, perceive
from ceasefire.simulate.observers import SENSOR_INDEX, Observers, SensorSpec, place_observers
from ceasefire.simulate.patrolled import caught
from ceasefire.simulate.profiles import Profile
from ceasefire.simulate.rounds import Rounds, fire_rounds
from ceasefire.simulate.weapons import SPEC_BY_CODE


def round_bearing_deg(bearing_deg: np.ndarray) -> np.ndarray:
    """Bearings rounded to 0.01° and kept in [0, 360): 359.996 becomes 0.0, not 360.0."""
    return np.round(bearing_deg, 2) % 360.0


@dataclass(frozen=True)
class Scenario:
    """Observations (time-ordered) and the truth behind them; ``faults``: each
    observer row's true / stated σ and clock error as drawn (None: none drawn)."""

    observations: ObservationArrays
    truth: dict[str, Any]
    rounds: Rounds
    observers: Observers
    things: list[Thing]
    faults: ObserverFaults | None = None


def _arrays(
    p: Perceived,
    obs: Observers,
    sightings: list[Sighting],
    ids: np.ndarray,
    sensors: tuple[SensorSpec, ...],
) -> ObservationArrays:
    n, k = len(p), len(sightings)
    sens = obs.sensor[p.observer].astype(np.int64)
    sees = np.array([x.sees for x in sensors], dtype=bool)[sens]
    is_mic = sens == SENSOR_INDEX["mic"]
    nan = np.full(n + k, np.nan)

    def cat(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.concatenate([a, b])

    s_lat = np.array([s.lat for s in sightings], dtype=np.float64)
    s_lon = np.array([s.lon for s in sightings], dtype=np.float64)
    s_t = np.array([s.time_s for s in sightings], dtype=np.float64)
    arr = ObservationArrays(
        id=ids,
        source=cat(obs.source[p.observer], np.array([s.source for s in sightings], dtype=object)),
        kind=cat(
            np.where(is_mic, KINDS.index("arrival"), KINDS.index("bearing")).astype(np.int8),
            np.full(k, KINDS.index("sighting"), dtype=np.int8),
        ),
        time_s=cat(p.time_s, s_t),
        time_sigma_s=cat(np.array([x.time_sigma_s for x in sensors])[sens], np.full(k, 5.0)),
        lat=cat(obs.lat[p.observer], s_lat),
        lon=cat(obs.lon[p.observer], s_lon),
        bearing_deg=cat(
            np.where(is_mic, np.nan, round_bearing_deg(p.bearing_deg)), np.full(k, np.nan)
        ),
        bearing_sigma_deg=cat(
            np.where(is_mic, np.nan, np.array([x.bearing_sigma_deg for x in sensors])[sens]),
            np.full(k, np.nan),
        ),
        range_m=cat(np.round(p.range_m), np.full(k, np.nan)),
        range_sigma_m=cat(np.round(p.range_sigma_m), np.full(k, np.nan)),
        event=cat(p.event, np.full(k, 5, dtype=np.int8)),
        direction=cat(p.direction, np.full(k, 2, dtype=np.int8)),
        weapon=cat(p.weapon, np.full(k, 6, dtype=np.int8)),
        position_sigma_m=cat(
            np.full(n, np.nan), np.array([s.sigma_m for s in sightings], dtype=np.float64)
        ),
        object=cat(
            np.full(n, -1, dtype=np.int8),
            np.array([OBJECTS.index(s.cls) for s in sightings], dtype=np.int8),
        ),
        count=cat(np.zeros(n, dtype=np.int32), np.ones(k, dtype=np.int32)),
        party=cat(
            np.full(n, None, dtype=object), np.array([s.marked for s in sightings], dtype=object)
        ),
        sense=cat(
            np.where(sees, SENSES.index("seen"), SENSES.index("heard")).astype(np.int8),
            np.full(k, SENSES.index("seen"), dtype=np.int8),
        ),
    )
    _ = nan
    order = np.lexsort((arr.id, arr.time_s))
    return arr.take(order)


def simulate(
    m: Mandate,
    profile: Profile,
    start_s: float,
    hours: float,
    seed: int,
    assume: Assumptions = NEUTRAL,
    *,
    addition: Addition | None = None,
    patrol: Plan | None = None,
) -> Scenario:
    """Simulate ``hours`` from ``start_s`` (UTC epoch s) on ``m`` with ``profile``,
    in a world that behaves as ``assume`` says (default: the base simulator's),
    with a scenario's ``addition`` (drawn from a generator of its own);
    ``patrol``: fly that plan's sorties instead of random ones."""
    rng = np.random.default_rng(seed)
    add_rng = np.random.default_rng([seed, 1])

    def rng_x(k: int) -> np.random.Generator:
        # one generator per departure from NEUTRAL: turning one on moves no other draw
        return np.random.default_rng([seed, 21, k])

    end_s = start_s + hours * 3600.0
    rounds = fire_rounds(m, profile, start_s, end_s, rng, assume, rng_x(1))
    if addition is not None:
        rounds = concat_rounds(rounds, addition.rounds(m, start_s, end_s, add_rng))
    observers = place_observers(m, profile, start_s, end_s, rng, assume.span_m)
    if assume.dropout_share > 0.0:
        observers = drop_out(observers, assume.dropout_share, rng_x(2))
    faulty = (
        assume.sigma_true_mult != 1.0
        or assume.sigma_observer_spread > 0.0
        or assume.clock_offset_s > 0.0
        or assume.clock_drift_ppm > 0.0
        or assume.gps_offset_s > 0.0
    )
    faults = observer_faults(observers, assume, start_s, rng_x(3)) if faulty else None
    frame = LocalFrame.about(m.contact.lats, m.contact.lons)
    p = perceive(
        rounds,
        observers,
        frame,
        m.tz,
        rng,
        profile.clutter_mult,
        start_s,
        end_s,
        sensors=assume.sensors,
        faults=faults,
        clutter_burst_mean=assume.clutter_burst_mean,
        rng_x=rng_x(4),
    )
    things = place_things(m, profile, start_s, end_s, rng)
    if addition is not None:
        things += addition.things(m, start_s, end_s, add_rng)
    sightings = sight(m, profile, things, observers, start_s, end_s, rng, patrol)
    if addition is not None:
        more = addition.sightings(m, things, start_s, end_s, add_rng)
        sightings = merge_sightings(things, sightings, more)
    n, k = len(p), len(sightings)
    ids = np.array([f"o{i + 1:07d}" for i in range(n + k)], dtype=object)
    arrays = _arrays(p, observers, sightings, ids, assume.sensors)
    # truth: which observations perceived each round's launch and impact
    seen = np.zeros(len(rounds), dtype=bool)
    seen[p.round[p.round >= 0]] = True
    order = np.lexsort((p.phase, p.round))
    r_sorted, ph_sorted, id_sorted = p.round[order], p.phase[order], ids[:n][order]
    bounds = np.searchsorted(r_sorted, np.arange(len(rounds) + 1))
    rounds_json = []
    for i in range(len(rounds)):
        a, b = bounds[i], bounds[i + 1]
        ph = ph_sorted[a:b]
        spec = SPEC_BY_CODE[int(rounds.weapon[i])]
        rounds_json.append(
            {
                "id": f"r{i + 1:07d}",
                "weapon": spec.name,
                "party": m.side_party(int(rounds.side[i])),
                "launch": {
                    "lat": float(rounds.launch_lat[i]),
                    "lon": float(rounds.launch_lon[i]),
                    "time": float(rounds.launch_s[i]),
                },
                "impact": {
                    "lat": float(rounds.impact_lat[i]),
                    "lon": float(rounds.impact_lon[i]),
                    "time": float(rounds.impact_s[i]),
                },
                "flight_time_s": float(rounds.impact_s[i] - rounds.launch_s[i]),
                "launch_observations": [str(x) for x in id_sorted[a:b][ph == LAUNCH]],
                "impact_observations": [str(x) for x in id_sorted[a:b][ph == IMPACT]],
            }
        )
    truth: dict[str, Any] = {
        "profile": profile.name,
        "seed": seed,
        "start": start_s,
        "hours": hours,
        "mandate": m.doc.mission.name,
        "rounds": rounds_json,
        "things": [
            {
                "id": t.id,
                "class": t.cls,
                "party": t.party,
                "positions": [{"from": a, "lat": la, "lon": lo} for a, la, lo in t.track],
                "until": t.t_end_s,
                "sightings": [str(ids[n + s]) for s in t.sightings],
            }
            for t in things
        ],
        "clutter": [str(x) for x in ids[:n][p.phase == CLUTTER]],
        "observers": [
            {
                "source": str(observers.source[i]),
                "sensor": assume.sensors[int(observers.sensor[i])].name,
                "lat": float(observers.lat[i]),
                "lon": float(observers.lon[i]),
                "from": float(observers.t0_s[i]),
                "until": float(observers.t1_s[i]),
            }
            for i in range(len(observers))
        ],
        "violations": truth_violations(m, rounds, seen, things, sightings),
    }
    if addition is not None:
        truth.update(addition.truth(m, start_s, end_s))
    if patrol is not None:
        truth["patrol"] = {"planner": patrol.planner, "sorties": len(patrol.sorties)}
        truth["patrol"].update(caught(truth["violations"]))
    return Scenario(arrays, truth, rounds, observers, things, faults)
