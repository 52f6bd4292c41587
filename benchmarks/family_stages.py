"""Association's decisions against the likelihood oracle's, by the stage that made them
(issue 21; tuning draws only).

    PYTHONPATH=src:benchmarks python benchmarks/family_stages.py [--draws K ...]
        [--procs 2] [--fuse-set FIELD=JSON ...] [--json out.json] [--report out.json]

Each draw (default: the TUNING draws 1000-1039) is fused as shipped in this process
with association's stages recorded (:class:`Recorder`): after each step that
``fuse/association/rounds.py`` runs (seeding, attachment, merging, reassignment,
the upkeep, the late pairs) and after the late offer, each report's event label.
For every window whose events fusion keeps (a tile, the association its events
come from: the first one, or the one after registration), the reports of the true
phases emitted in the tile's core are held against the truth and against the
likelihood oracle (``oracle_likely.assign``: each report to its most probable true
phase, given the true rounds and noise). Where the oracle is right (its phase is
the report's true one) and the system's final association differs, the report's
outcome (:func:`classify`) is one of

- **joined**: in an event most of whose reports are another phase's (a sibling of
  its burst, another round, clutter);
- **split half**: in an event of its own phase, but not the phase's largest one
  (the phase is in two or more events);
- **left alone**: in no event (its phase located elsewhere, or nowhere);

and the decision's stage (:func:`decided_by`) is the step after which the report
was last put in that situation: for joined, the step that put it with most of the
event's majority rows; for left alone, the step that last freed it (never in an
event: ``never joined``); for a split half, the step that first put two of its
phase's rows together in that event apart from the largest (its origin), with
whether the two events could merge at the end of association (:func:`merge_block`).

A report left alone is also read by its phase: located (an event holds most of
it), or not, and then whether its oracle-right reports could fix it (two bearings,
or one and two arrivals) and whether any of them sits in another event.

The scorer's double counts (the unmatched violation) and the misses the oracle of
``oracle.py`` matched are then traced to their reports' outcomes (:func:`blame`,
:func:`miss_blame`), so each class's share of the double counts and of the F1/oracle
gap is read off (``--report`` reads them again from ``--json``). Rounds are in a
burst by ``family_burst_rounds.bursts_of`` (two or more rounds from one spot
seconds apart).
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
from family_burst_rounds import bursts_of
from family_cli import Sets, drawn, draws_main
from oracle import Oracle, overridden, patched
from oracle_likely import World, assign

from ceasefire.assess import assess
from ceasefire.fuse import engine, tiles
from ceasefire.fuse.association import rounds
from ceasefire.fuse.association.clusters import Clusters
from ceasefire.fuse.association.gates import quantile
from ceasefire.fuse.association.merging import shares_observer
from ceasefire.pipeline import fuse_config
from ceasefire.report.geojson import violation_feature
from ceasefire.simulate import scoring

IP = npt.NDArray[np.intp]
#: the steps of ``rounds.py`` recorded (module names patched there)
STEPS = (
    "seed_pairs", "attach_rounds", "merge", "reassign_passes", "release_shared_arrivals",
    "add_ray_seeds", "drop_ambiguous",
)  # fmt: skip
#: the clusters' upkeep recorded when ``rounds.py`` calls it (not inside a step)
UPKEEP = ("settle", "refit", "prune", "compact", "polish")
#: each recorded step's role, for the tables
ROLE = {
    "seed_pairs": "seeding",
    "add_ray_seeds": "seeding",
    "attach_rounds": "attachment",
    "merge": "merging",
    "reassign_passes": "reassignment",
    "release_shared_arrivals": "reassignment",
    "drop_ambiguous": "upkeep",
    "late offer": "late offer",
    "never joined": "never joined",
    **dict.fromkeys(UPKEEP, "upkeep"),
}
OUTCOMES = ("joined", "split half", "left alone")


@dataclass
class Trace:
    """One association call: each recorded step's name (``late pairs:`` prefixed
    inside :func:`rounds.final_pairs`; ``late:`` after the rounds) and the labels
    after it (the first entry: every row free)."""

    steps: list[str] = field(default_factory=list)
    labels: list[IP] = field(default_factory=list)
    src: IP | None = None
    n_src: int = 0
    clusters: Clusters | None = None
    #: the speed of sound, m/s
    c: float = 343.0


@dataclass
class Window:
    """A window whose events fusion keeps: its reports' ids, the tile's core
    ``[lo, hi)`` (s), which association its events come from, and its trace (the
    late offer's labels last)."""

    ids: list[str]
    lo: float
    hi: float
    which: str
    trace: Trace


class Recorder:
    """Patches ``rounds.py``'s steps, ``Clusters``' upkeep, the engine's association
    call, its acoustic fusion and late offer, and ``tiles.fuse_tile`` to record
    every kept window's :class:`Trace` (``install`` returns the undo)."""

    def __init__(self) -> None:
        self.windows: list[Window] = []
        self.trace: Trace | None = None
        self.depth = 0
        self.prefix = ""
        self.core = (-np.inf, np.inf)
        self.calls: list[Any] = []
        self.traces: dict[int, Trace] = {}
        self.late: tuple[IP, IP] | None = None

    def _snap(self, name: str, labels: IP) -> None:
        if self.trace is not None and self.depth == 0:
            self.trace.steps.append(self.prefix + name)
            self.trace.labels.append(labels.copy())

    def install(self) -> Callable[[], None]:
        undo: list[tuple[Any, str, Any]] = []

        def put(owner: Any, name: str, new: Any) -> None:
            undo.append((owner, name, getattr(owner, name)))
            setattr(owner, name, new)

        for name in STEPS:
            put(rounds, name, self._step(name, getattr(rounds, name)))
        for name in UPKEEP:
            put(Clusters, name, self._upkeep(name, getattr(Clusters, name)))
        put(rounds, "final_pairs", self._prefixed("late pairs: ", rounds.final_pairs))
        put(rounds, "late_steps", self._prefixed("late: ", rounds.late_steps))
        put(engine, "_associate", self._associate(engine._associate))
        put(engine, "_fuse_acoustic", self._fuse_acoustic(engine._fuse_acoustic))
        put(engine, "late_attach", self._late_attach(engine.late_attach))
        put(tiles, "fuse_tile", self._fuse_tile(tiles.fuse_tile))

        def restore() -> None:
            for owner, name, old in reversed(undo):
                setattr(owner, name, old)

        return restore

    def _step(self, name: str, f: Callable[..., Any]) -> Callable[..., Any]:
        def run(*a: Any, **kw: Any) -> Any:
            self.depth += 1
            try:
                out = f(*a, **kw)
            finally:
                self.depth -= 1
            cl = next(x for x in a if isinstance(x, Clusters))
            self._snap(name, cl.labels)
            return out

        return run

    def _upkeep(self, name: str, f: Callable[..., Any]) -> Callable[..., Any]:
        def run(cl: Clusters, *a: Any, **kw: Any) -> Any:
            self.depth += 1
            try:
                out = f(cl, *a, **kw)
            finally:
                self.depth -= 1
            self._snap(name, cl.labels)
            return out

        return run

    def _prefixed(self, prefix: str, f: Callable[..., Any]) -> Callable[..., Any]:
        def run(*a: Any, **kw: Any) -> Any:
            old = self.prefix
            self.prefix = old + prefix
            try:
                return f(*a, **kw)
            finally:
                self.prefix = old

        return run

    def _associate(self, f: Callable[..., Any]) -> Callable[..., Any]:
        def run(rep: Any, cfg: Any) -> Any:
            t = Trace(["start"], [np.full(rep.n, -1, np.intp)], rep.src, rep.n_src, c=rep.c)
            old, self.trace = self.trace, t
            try:
                got = f(rep, cfg)
            finally:
                self.trace = old
            t.clusters = got.clusters
            self.traces[id(got)] = t
            self.calls.append(got)
            return got

        return run

    def _late_attach(self, f: Callable[..., Any]) -> Callable[..., Any]:
        def run(rep: Any, labels: IP, *a: Any, **kw: Any) -> Any:
            before = labels.copy()
            out = f(rep, labels, *a, **kw)
            self.late = (before, labels.copy())
            return out

        return run

    def _fuse_acoustic(self, f: Callable[..., Any]) -> Callable[..., Any]:
        def run(obs: Any, rows: Any, cfg: Any, registration: Any = None, first: Any = None) -> Any:
            n0 = len(self.calls)
            self.late = None
            out = f(obs, rows, cfg, registration, first)
            made = self.calls[n0:]
            used = made[-1] if made else first
            which = ("registered" if len(made) > 1 or (made and registration is not None)
                     else "first" if made else "first, reused")  # fmt: skip
            t = self.traces.get(id(used)) if used is not None else None
            if t is not None:
                t = Trace(list(t.steps), list(t.labels), t.src, t.n_src, t.clusters, t.c)
                if self.late is not None:
                    t.steps.append("late offer")
                    n = t.labels[-1].shape[0]
                    t.labels.append(self.late[1][:n].copy())
                self.windows.append(Window(obs.id.astype(str).tolist(), *self.core, which, t))
            return out

        return run

    def _fuse_tile(self, f: Callable[..., Any]) -> Callable[..., Any]:
        def run(obs: Any, tile: Any, cfg: Any, *a: Any, **kw: Any) -> Any:
            self.core = tiles.bounds(tile.k, cfg)
            try:
                return f(obs, tile, cfg, *a, **kw)
            finally:
                self.core = (-np.inf, np.inf)

        return run


def majority(labels: IP, phase: IP, G: int) -> IP:
    """Per event label ``0 .. G-1``, the phase most of its rows hold (clutter: -1;
    ties: the lowest; no rows: -2)."""
    out = np.full(G, -2, np.intp)
    m = (labels >= 0) & (labels < G)
    if not m.any():
        return out
    keys, n = np.unique(np.column_stack([labels[m], phase[m]]), axis=0, return_counts=True)
    order = np.lexsort((keys[:, 1], -n, keys[:, 0]))
    first = np.r_[True, keys[order][1:, 0] != keys[order][:-1, 0]]
    best = keys[order][first]
    out[best[:, 0]] = best[:, 1]
    return out


def classify(labels: IP, truth: IP, likely: IP) -> tuple[list[str], IP]:
    """Per row of a final association (``labels``, -1 free; ``truth``/``likely``: each
    row's true phase and the likelihood oracle's, -1 clutter): ``own``, one of
    :data:`OUTCOMES` (where the oracle is right and the system differs), ``oracle
    wrong`` or ``clutter``; and per row the label of its phase's largest event
    (-1: none)."""
    G = int(labels.max(initial=-1)) + 1
    maj = majority(labels, truth, G)
    # per phase, its largest event (the most rows of the phase; ties: the lowest)
    own_n: dict[int, tuple[int, int]] = {}
    for e in range(G):
        if maj[e] >= 0:
            k = int(np.count_nonzero((labels == e) & (truth == maj[e])))
            best = own_n.get(int(maj[e]))
            if best is None or k > best[0]:
                own_n[int(maj[e])] = (k, e)
    primary = np.array([own_n.get(int(p), (0, -1))[1] for p in truth], np.intp)
    out: list[str] = []
    for r in range(labels.shape[0]):
        p, e = int(truth[r]), int(labels[r])
        if p < 0:
            out.append("clutter")
        elif likely[r] != p:
            out.append("oracle wrong")
        elif e < 0:
            out.append("left alone")
        elif maj[e] != p:
            out.append("joined")
        elif primary[r] != e:
            out.append("split half")
        else:
            out.append("own")
    return out, primary


def _with(labels: IP, r: int, partners: IP) -> bool:
    """Whether row ``r`` shares its label with most of ``partners`` (rows)."""
    if labels[r] < 0 or partners.shape[0] == 0:
        return False
    return 2 * int(np.count_nonzero(labels[partners] == labels[r])) > partners.shape[0]


def decided_by(trace: Trace, r: int, outcome: str, truth: IP, primary: IP) -> str:
    """The step after which row ``r`` was last put in its final ``outcome`` (module
    docstring): the name in ``trace.steps``, or ``never joined``."""
    final = trace.labels[-1]
    e = int(final[r])
    if outcome == "left alone":
        ever = [lab[r] >= 0 for lab in trace.labels]
        if not any(ever):
            return "never joined"
        last_in = max(i for i, x in enumerate(ever) if x)
        return trace.steps[last_in + 1]
    if outcome == "joined":
        maj = majority(final, truth, int(final.max()) + 1)[e]
        partners = np.flatnonzero((final == e) & (truth == maj))
        ok = [_with(lab, r, partners) for lab in trace.labels]
    else:  # split half: the first step that put two of its phase's rows of this event together
        mine = np.flatnonzero((final == e) & (truth == truth[r]))
        big = np.flatnonzero((final == primary[r]) & (truth == truth[r]))
        ok = []
        for lab in trace.labels:
            lm = lab[mine]
            lm = lm[lm >= 0]
            together = lm.shape[0] >= 2 and int(np.bincount(lm).max()) >= 2
            ok.append(together and not _with(lab, r, big))
        if not any(ok):
            ok = [lab[r] >= 0 and not _with(lab, r, big) for lab in trace.labels]
    if not ok[-1]:
        return "never joined"
    i = len(ok) - 1
    while i > 0 and ok[i - 1]:
        i -= 1
    return trace.steps[i] if i > 0 else "start"


def merge_block(trace: Trace, a: int, b: int, gate_p: float, window_m: float) -> str:
    """Why events ``a`` and ``b`` of the association's final clusters did not merge:
    ``shares an observer``, ``over the gate``, ``outside the box``, ``not fitted``
    or ``would merge`` (the merge step did not run after they came to be)."""
    cl = trace.clusters
    if cl is None or max(a, b) >= cl.n:
        return "not an association event"
    pa = np.array([cl.x[a], cl.y[a], cl.T[a]])
    pb = np.array([cl.x[b], cl.y[b], cl.T[b]])
    S = cl.cov[a] + cl.cov[b]
    if not (np.all(np.isfinite(pa)) and np.all(np.isfinite(pb)) and np.all(np.isfinite(S))):
        return "not fitted"
    assert trace.src is not None
    if shares_observer(cl.labels, trace.src, trace.n_src, np.array([a]), np.array([b]))[0]:
        return "shares an observer"
    d = pa - pb
    if max(abs(d[0]), abs(d[1]), abs(d[2]) * trace.c) > window_m:
        return "outside the box"
    try:
        m2 = float(d @ np.linalg.solve(S, d))
    except np.linalg.LinAlgError:
        return "not fitted"
    return "over the gate" if m2 > quantile(gate_p, 3) else "would merge"


@dataclass
class Found:
    """Per report id (kept windows, true phases in their tile's core): its outcome,
    the step that decided it, whether its round is in a burst, and the detail."""

    outcome: dict[str, str] = field(default_factory=dict)
    step: dict[str, str] = field(default_factory=dict)
    burst: dict[str, bool] = field(default_factory=dict)
    detail: dict[str, str] = field(default_factory=dict)
    counts: collections.Counter[str] = field(default_factory=collections.Counter)


def read_windows(
    windows: Sequence[Window], phase_of: dict[str, int], likely_of: dict[str, int],
    phase_t: dict[int, float], in_burst: set[int], gate_p: float, window_m: float,
    bearing: Collection[str] = frozenset(),
) -> Found:  # fmt: skip
    """Every kept window's reports of phases emitted in its core, classified and
    their decisions traced (module docstring)."""
    out = Found()
    for w in windows:
        tp = np.array([phase_of.get(i, -1) for i in w.ids], np.intp)
        lp = np.array([likely_of.get(i, -1) for i in w.ids], np.intp)
        final = w.trace.labels[-1]
        cls, primary = classify(final, tp, lp)
        maj = majority(final, tp, int(final.max(initial=-1)) + 1)
        right = (tp >= 0) & (lp == tp)
        is_b = np.array([i in bearing for i in w.ids], bool)
        # per phase not located: could its reports (where the oracle is right) fix
        # it alone (two bearings; a bearing and two arrivals), and how many of them
        # went to another phase's event
        nb = collections.Counter(tp[right & is_b].tolist())
        na = collections.Counter(tp[right & ~is_b].tolist())
        nj = collections.Counter(tp[right & (final >= 0)].tolist())
        core = np.array([p >= 0 and w.lo <= phase_t[p] < w.hi for p in tp.tolist()])
        seen_split: set[int] = set()
        for p in sorted(set(tp[right].tolist())):
            rr = np.flatnonzero(right & (tp == p))
            if not (w.lo <= phase_t[p] < w.hi) or primary[rr[0]] >= 0:
                continue
            if nb[p] >= 2 or (nb[p] >= 1 and na[p] >= 2):
                burst = "burst" if p // 2 in in_burst else "alone"
                ever = np.zeros(rr.shape[0], bool)
                for lab in w.trace.labels:
                    ever |= lab[rr] >= 0
                out.counts[
                    f"{burst}: phases not located, fixable: {min(nb[p], 3)} bearings, "
                    f"{min(na[p], 3)} arrivals{', some ever joined' if ever.any() else ''}"
                ] += 1
        for r in np.flatnonzero(core).tolist():
            c = cls[r]
            burst = "burst" if int(tp[r]) // 2 in in_burst else "alone"
            out.counts[f"{burst}: {c}"] += 1
            if c not in OUTCOMES:
                out.outcome[w.ids[r]] = c
                continue
            step = decided_by(w.trace, r, c, tp, primary)
            out.outcome[w.ids[r]] = c
            out.step[w.ids[r]] = step
            out.burst[w.ids[r]] = burst == "burst"
            role = ROLE.get(step.split(": ")[-1], step)
            late = "late pairs" if step.startswith("late pairs") else ""
            out.counts[f"{burst}: {c}: {late or role}"] += 1
            out.counts[f"{burst}: {c}: step {step}"] += 1
            out.counts[f"{burst}: {c}: in the {w.which} association"] += 1
            if c == "left alone":
                p = int(tp[r])
                fixes = nb[p] >= 2 or (nb[p] >= 1 and na[p] >= 2)
                where = ("its phase located" if primary[r] >= 0 else
                         f"its phase not located, {'fixable' if fixes else 'not fixable'}"
                         f"{', some in other events' if nj[p] else ''}")  # fmt: skip
                out.detail[w.ids[r]] = where
                out.counts[f"{burst}: left alone: {where}: {late or role}"] += 1
            if c == "joined":
                e = int(final[r])
                m = maj[e]
                sib = m >= 0 and m // 2 in in_burst and _same_burst(int(m), int(tp[r]), phase_t)
                what = ("clutter" if m < 0 else "its round's other phase" if m // 2 == tp[r] // 2
                        else "a sibling of its burst" if sib else "another round")  # fmt: skip
                out.counts[f"{burst}: joined: to {what}"] += 1
                out.detail[w.ids[r]] = what
            if c == "split half" and int(final[r]) not in seen_split:
                seen_split.add(int(final[r]))
                out.counts[f"{burst}: split events"] += 1
                out.counts[f"{burst}: split events: origin {late or role}"] += 1
                blk = merge_block(w.trace, int(primary[r]), int(final[r]), gate_p, window_m)
                out.counts[f"{burst}: split events: {blk}"] += 1
                out.counts[f"{burst}: split events: origin {late or role}: {blk}"] += 1
            if c == "split half":
                out.detail[w.ids[r]] = merge_block(
                    w.trace, int(primary[r]), int(final[r]), gate_p, window_m
                )
    return out


def _same_burst(a: int, b: int, phase_t: dict[int, float]) -> bool:
    """Two phases' rounds launched within 40 s of each other (the burst's spacing)."""
    return abs(phase_t.get(2 * (a // 2), np.inf) - phase_t.get(2 * (b // 2), -np.inf)) <= 40.0


def _fused(sc: Any, m: Any, t0: float, t1: float, sets: Sets) -> tuple[list[Any], list[Any]]:
    cfg = replace(overridden(fuse_config(m), sets), workers=1)
    events = [e for e in engine.fuse(sc.observations, cfg) if t0 <= e.time_s < t1]
    vs = assess(events, m)
    return events, scoring.system_from_features([violation_feature(v) for v in vs])


def reading(ids: Sequence[str], found: Found, phase_of: dict[str, int]) -> list[list[Any]]:
    """Each of ``ids``'s reports: its outcome, deciding step, true phase, whether its
    round is in a burst, and the detail (what it joined, whether its phase was
    located, why a split half did not merge)."""
    return [[found.outcome.get(i, "outside the kept cores"), found.step.get(i, ""),
             phase_of.get(i, -1), found.burst.get(i, False), found.detail.get(i, "")]
            for i in ids]  # fmt: skip


def _role(step: str) -> str:
    """A recorded step's role (the late pairs as one)."""
    if step.startswith("late: late pairs"):
        return "late pairs"
    return ROLE.get(step.split(": ")[-1], step)


def _top(reports: Sequence[Sequence[Any]], outcome: str) -> str:
    """``outcome`` with the burst, role and detail most of its reports share."""
    got = collections.Counter(
        f"{outcome}: {'burst' if r[3] else 'alone'}: {_role(str(r[1]))} ({r[4]})"
        for r in reports if r[0] == outcome
    )  # fmt: skip
    return max(got, key=lambda k: (got[k], k))


def blame(reports: Sequence[Sequence[Any]]) -> str:
    """What made a double count's extra violation, from its reports (:func:`reading`):
    ``left alone`` when every real report of it is (a lone report), else a split
    half when it holds one, else reports ``joined`` to another phase's event when
    it holds one, each with the role that decided most of them; else what its
    reports are (``own``: each in its phase's largest event, so the cause is
    downstream of association)."""
    real = [r for r in reports if r[0] not in ("clutter", "oracle wrong")]
    if real and all(r[0] == "left alone" for r in real):
        return _top(real, "left alone")
    for outcome in ("split half", "joined"):
        if any(r[0] == outcome for r in real):
            return _top(real, outcome)
    got = collections.Counter(str(r[0]) for r in reports)
    return max(got, key=lambda k: (got[k], k)) if got else "no reports"


def miss_blame(reports: Sequence[Sequence[Any]]) -> str:
    """Why a round the oracle matched is missed, from its reports: ``own`` when some
    report is in its phase's largest event (the round was located: the miss is
    downstream), else the outcome most of its real reports have, with its role."""
    real = [r for r in reports if r[0] not in ("clutter", "oracle wrong")]
    if any(r[0] == "own" for r in real):
        return "own"
    got = collections.Counter(str(r[0]) for r in real if r[0] in OUTCOMES)
    if not got:
        return "no report the oracle places right"
    return _top(real, max(got, key=lambda k: (got[k], k)))


def run_draw(job: tuple[int, Sets]) -> dict[str, Any]:
    """Draw ``k``'s decisions, and its double counts and extra misses by them."""
    k, sets = job
    m, d, sc, t0, t1 = drawn(k)
    rec = Recorder()
    undo = rec.install()
    try:
        _, system = _fused(sc, m, t0, t1, sets)
    finally:
        undo()
    oracle = Oracle(sc.truth)
    undo = patched(oracle)
    try:
        _, o_system = _fused(sc, m, t0, t1, sets)
    finally:
        undo()
    truth_rounds = sc.truth["rounds"]
    phase_of: dict[str, int] = {}
    phase_t: dict[int, float] = {}
    for i, r in enumerate(truth_rounds):
        for p, ph in enumerate(("launch", "impact")):
            phase_t[2 * i + p] = float(r[ph]["time"])
            phase_of.update(dict.fromkeys(r[f"{ph}_observations"], 2 * i + p))
    obs = sc.observations
    a = assign(obs, World.of(sc, d, m.tz))
    likely_of = {str(obs.id[i]): int(a.phase[i]) for i in np.flatnonzero(a.phase >= 0)}
    index = {r["id"]: i for i, r in enumerate(truth_rounds)}
    in_burst = {index[r["id"]] for b in bursts_of(truth_rounds) if len(b) >= 2 for r in b}
    mcfg = overridden(fuse_config(m), sets).association.merge
    bearing = {str(x) for x in obs.id[np.isfinite(obs.bearing_deg)]}
    found = read_windows(rec.windows, phase_of, likely_of, phase_t, in_burst, mcfg.gate_p,
                         mcfg.window_m, bearing)  # fmt: skip
    counts = found.counts
    doubles: list[dict[str, Any]] = []
    for dc in scoring.double_counts(sc.truth, system):
        ex = reading(system[dc.extra].obs, found, phase_of)
        doubles.append({"kind": dc.kind, "extra": ex,
                        "kept": reading(system[dc.kept].obs, found, phase_of)})  # fmt: skip
        counts[f"doubles: {blame(ex)}"] += 1
        counts["doubles"] += 1
    misses: list[list[list[Any]]] = []
    matched = {v["id"] for _, v in scoring.matched_truth(sc.truth, system)}
    o_matched = {v["id"] for _, v in scoring.matched_truth(sc.truth, o_system)}
    for v in sc.truth["violations"]:
        if not v.get("perceived", True) or v["id"] in matched or v["id"] not in o_matched:
            continue
        r = truth_rounds[index[v["round"]]] if v.get("round") in index else None
        ids = [] if r is None else r["launch_observations"] + r["impact_observations"]
        misses.append(reading(ids, found, phase_of))
        counts[f"misses: {miss_blame(misses[-1])}"] += 1
        counts["misses"] += 1
    counts["matched"] = len(matched)
    counts["oracle matched"] = len(o_matched)
    counts["violations"] = len(system)
    return {"draw": k, "counts": dict(counts), "doubles": doubles, "misses": misses}


def report(rows: Sequence[dict[str, Any]]) -> None:
    """The pooled counts, grouped by their first words."""
    total: collections.Counter[str] = collections.Counter()
    for r in rows:
        kept = {k: v for k, v in r["counts"].items() if not k.startswith(("doubles:", "misses:"))}
        total.update(kept)
        total.update(f"doubles: {blame(d['extra'])}" for d in r["doubles"])
        total.update(f"misses: {miss_blame(m)}" for m in r["misses"])
    for key in sorted(total):
        print(f"{total[key]:7d}  {key}")


def main() -> int:
    return draws_main(__doc__, run_draw, report, procs=1, start="spawn", tuning_only=True)


if __name__ == "__main__":
    raise SystemExit(main())
