"""A battery's burst, round by round, in the fused events of the ``varied`` family
(issue 21).

A burst (by the truth, :func:`bursts_of`) is a run of rounds launched from one spot
(each within ``NEAR_M`` of the one before it) seconds apart (within ``GAP_S``). Each
draw is fused once (as shipped, or with ``--fuse-set``); each event's round is the
round most of its reports of the phase read (``--phase launch|impact``) belong to.
Per round of a burst of two or more, where its reports of that phase went
(:func:`placement`):

- **own**: in an event whose round is this one;
- **sibling**: in an event whose round is another of the burst (two rounds'
  reports in one event, or one observer's report in the neighbour's event);
- **elsewhere**: in an event of a round outside the burst, or of clutter;
- **free**: in no event;

by the observer's kind (the source's prefix: post, patrol, cam, array, mic), and
per round whether it has an event of its own, and how many (:func:`events_per_round`:
a second one is a surplus). **Crossings** (:func:`crossings`,
launch phase only): two reports of one observer of a burst in two events whose
rounds were launched in the other order (its earlier report in the later round's
event): the swaps an order rule (each observer hears a burst's launches in firing
order, all from one spot) would undo. A burst's impacts fall up to kilometres
apart, so their order at an observer need not be the firing order: not counted.
**Split rounds** (:func:`split_rounds`, launch phase only): a round with two or more
events by its launch reports, by what those events carry on the impact side: each a
different round's impact (the launch reports went to other rounds' pairs: no event
too many) or a surplus (two of them one round's impact, or one none).

Usage: ``PYTHONPATH=src:benchmarks python benchmarks/family_burst_rounds.py --draws
1006 1000 --procs 2 [--phase impact] [--fuse-set FIELD=JSON ...] [--json out.json]``.
Tune on the tuning draws (1000-1039) only.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from family_cli import Sets, drawn, map_draws, parser
from oracle import overridden

from ceasefire.fuse import engine
from ceasefire.model import Event
from ceasefire.pipeline import fuse_config

#: two rounds of one burst are launched at most this far apart (the family's bursts
#: share their first round's spot within a few metres), m
NEAR_M = 60.0
#: ... and at most this long apart (the family's spacing is 3-30 s x U(0.5, 1.5)), s
GAP_S = 40.0
#: metres per degree of latitude
M_PER_DEG = 111_195.0
#: an open burst is compared with at most this many of the latest bursts
OPEN_BURSTS = 30


def _apart_m(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Distance between two truth points (``lat``, ``lon``, deg), m (flat earth)."""
    k = math.cos(math.radians(0.5 * (a["lat"] + b["lat"])))
    return math.hypot((a["lat"] - b["lat"]) * M_PER_DEG, (a["lon"] - b["lon"]) * M_PER_DEG * k)


def bursts_of(rounds: Sequence[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """The truth's rounds in bursts: in launch order, a round joins the latest burst
    whose last round was launched within ``NEAR_M`` and ``GAP_S`` of it, else starts
    one. Each burst in launch order."""
    out: list[list[Mapping[str, Any]]] = []
    for r in sorted(rounds, key=lambda r: r["launch"]["time"]):
        for b in reversed(out[-OPEN_BURSTS:]):
            last = b[-1]["launch"]
            soon = r["launch"]["time"] - last["time"] <= GAP_S
            if soon and _apart_m(r["launch"], last) <= NEAR_M:
                b.append(r)
                break
        else:
            out.append([r])
    return out


def event_rounds(events: Sequence[Event], round_of: Mapping[str, str]) -> dict[str, str]:
    """Per event id, the round most of its reports in ``round_of`` (observation id ->
    round id, one phase) belong to; events with none of them are left out."""
    out: dict[str, str] = {}
    for e in events:
        c = Counter(round_of[o] for o in e.observation_ids if o in round_of)
        if c:
            out[e.id] = c.most_common(1)[0][0]
    return out


def placement(
    burst: Sequence[Mapping[str, Any]],
    key: str,
    event_of: Mapping[str, str],
    round_of_event: Mapping[str, str],
    kind_of: Mapping[str, str],
) -> Counter[str]:
    """Where the burst's reports (the rounds' ``key`` lists of observation ids) went:
    per report ``own``, ``sibling``, ``elsewhere`` or ``free`` (module docstring),
    also by the observer's kind (``"sibling: cam"``); per round ``rounds with an
    event``, ``rounds without, in a sibling`` (some report in a sibling's event),
    ``rounds without``, ``rounds unheard``."""
    ids = {r["id"] for r in burst}
    out: Counter[str] = Counter()
    for r in burst:
        obs = r[key]
        if not obs:
            out["rounds unheard"] += 1
            continue
        where = []
        for o in obs:
            e = event_of.get(o)
            got = round_of_event.get(e, "") if e is not None else None
            if got is None:
                w = "free"
            else:
                w = "own" if got == r["id"] else "sibling" if got in ids else "elsewhere"
            where.append(w)
            out[w] += 1
            out[f"{w}: {kind_of[o]}"] += 1
        if "own" in where:
            out["rounds with an event"] += 1
        elif "sibling" in where:
            out["rounds without, in a sibling"] += 1
        else:
            out["rounds without"] += 1
    return out


def events_per_round(
    burst: Sequence[Mapping[str, Any]], round_of_event: Mapping[str, str]
) -> Counter[str]:
    """How many of the burst's heard rounds have no event of their own, one, or two
    or more (``rounds with 0 / 1 / 2+ events``): a round's second event is a surplus
    (a double count unless pairing joins it to the other phase)."""
    n = Counter(round_of_event.values())
    out: Counter[str] = Counter()
    for r in burst:
        k = n[r["id"]]
        out[f"rounds with {min(k, 2)}{'+' if k >= 2 else ''} events"] += 1
    return out


def split_rounds(
    burst: Sequence[Mapping[str, Any]],
    events: Sequence[Event],
    launch_round: Mapping[str, str],
    impact_round: Mapping[str, str],
) -> Counter[str]:
    """The burst's rounds with two or more events by their launch reports (``events``:
    the draw's; ``launch_round``/``impact_round``: each event id's round by its
    launch / impact reports, :func:`event_rounds`), by what the round's events carry
    on the impact side: ``split: impacts of other rounds`` (every event holds an
    impact, each of a different round, none of them this one: the launch reports
    went to other rounds' pairs, no event too many), ``split: own impact and
    others'`` (likewise, one of them this round's own impact), ``split: a surplus``
    (two of the events hold one round's impact, or one holds none: an event more
    than the rounds it carries). Also ``split rounds``."""
    ids = {r["id"] for r in burst}
    by: dict[str, list[str | None]] = {}
    for e in events:
        r = launch_round.get(e.id)
        if r in ids:
            by.setdefault(r, []).append(impact_round.get(e.id))
    out: Counter[str] = Counter()
    for r, imp in by.items():
        if len(imp) < 2:
            continue
        out["split rounds"] += 1
        if None in imp or len(set(imp)) < len(imp):
            out["split: a surplus"] += 1
        elif r in imp:
            out["split: own impact and others'"] += 1
        else:
            out["split: impacts of other rounds"] += 1
    return out


def crossings(
    burst: Sequence[Mapping[str, Any]],
    key: str,
    event_of: Mapping[str, str],
    round_of_event: Mapping[str, str],
    source_of: Mapping[str, str],
    time_of: Mapping[str, float],
) -> Counter[str]:
    """Pairs of one observer's reports of the burst in two events whose rounds are
    both of the burst: ``pairs``, and ``crossed``: the earlier report's event is of
    the round launched later."""
    place = {r["id"]: i for i, r in enumerate(burst)}
    by: dict[str, list[tuple[float, int]]] = {}
    for r in burst:
        for o in r[key]:
            e = event_of.get(o)
            got = round_of_event.get(e, "") if e is not None else ""
            if got in place:
                by.setdefault(source_of[o], []).append((time_of[o], place[got]))
    out: Counter[str] = Counter(pairs=0, crossed=0)
    for xs in by.values():
        xs.sort()
        for i, (_, a) in enumerate(xs):
            for _, b in xs[i + 1 :]:
                if a != b:
                    out["pairs"] += 1
                    out["crossed"] += a > b
    return out


def run_draw(k: int, phase: str = "launch", sets: Sets = ()) -> dict[str, Any]:
    """Draw ``k``'s counts (fused in this process, ``sets`` applied)."""
    m, _, sc, _, _ = drawn(k)
    cfg = overridden(replace(fuse_config(m), workers=1), sets)
    events = engine.fuse(sc.observations, cfg)
    key = f"{phase}_observations"
    rounds = sc.truth["rounds"]
    round_of = {o: r["id"] for r in rounds for o in r[key]}
    event_of = {o: e.id for e in events for o in e.observation_ids}
    of_event = event_rounds(events, round_of)
    # each event's round by its other phase's reports (split rounds, launch phase)
    other = "impact" if phase == "launch" else "launch"
    other_of = {o: r["id"] for r in rounds for o in r[f"{other}_observations"]}
    of_other = event_rounds(events, other_of)
    o = sc.observations
    ids = o.id.astype(str).tolist()
    source_of = dict(zip(ids, o.source.astype(str).tolist(), strict=True))
    time_of = dict(zip(ids, o.time_s.tolist(), strict=True))
    kind_of = {i: s.split("-")[0] for i, s in source_of.items()}
    place: Counter[str] = Counter()
    cross: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    for b in bursts_of(rounds):
        if len(b) < 2:
            continue
        sizes["bursts"] += 1
        sizes["rounds"] += len(b)
        place.update(placement(b, key, event_of, of_event, kind_of))
        sizes.update(events_per_round([r for r in b if r[key]], of_event))
        if phase == "launch":
            cross.update(crossings(b, key, event_of, of_event, source_of, time_of))
            sizes.update(split_rounds(b, events, of_event, of_other))
    return {"draw": k, "phase": phase, "bursts": dict(sizes), "placement": dict(place),
            "crossings": dict(cross)}  # fmt: skip


def _run(job: tuple[int, str, Sets]) -> dict[str, Any]:
    return run_draw(*job)


def main() -> int:
    ap = parser(__doc__, draws=None, procs=1, report=False)
    ap.add_argument("--phase", choices=("launch", "impact"), default="launch")
    a = ap.parse_args()
    jobs = [(k, a.phase, tuple(a.fuse_set)) for k in a.draws]
    got = map_draws(_run, jobs, a.procs, start="spawn")
    total: Counter[str] = Counter()
    for g in got:
        print(g["draw"], json.dumps({**g["bursts"], **g["crossings"]}), json.dumps(g["placement"]))
        for part in ("bursts", "placement", "crossings"):
            total.update(g[part])
    print("all", json.dumps(dict(sorted(total.items()))))
    if a.json:
        a.json.write_text(json.dumps(got, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
