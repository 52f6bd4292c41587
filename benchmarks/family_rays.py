"""Where ray pairing left each lone double count of its own round, on a scenario family.

    .venv/bin/python benchmarks/family_rays.py [--draws K ...] [--procs 2]

A lone bearing counted beside an event of its own round is, most often, the round's
other phase (``family_doubles.py``'s cause table): a launch bearing beside its located
impact, or one observer's launch and impact bearings both lone. Those are ray
pairing's (``fuse/raypairs.py``). Each draw (default: the TUNING draws 1000-1039) is
fused as ``family_doubles.py`` does, with ``engine._acoustic_events``,
``engine._ray_pairs`` and ``raypairs.min_cost_matching`` wrapped to record, per fused
window, the groups offered as launch and impact rays and points, the candidates' costs
and the assignment. Each lone double count's bearing is then followed into every
window that held it (one that left it unpaired first, as it ended) and read against
its round's reports of the other phase (``FATES``, the first that holds):
its role, its partner's, whether the pair was a candidate and its cost, and what the
assignment did instead. Also printed: the true pair's costs where it was a candidate.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from family_cli import Sets, drawn, draws_main
from family_doubles import CLUTTER, _fused

from ceasefire.fuse import engine, raypairs
from ceasefire.simulate import scoring

IP = npt.NDArray[np.intp]
B = npt.NDArray[np.bool_]
#: a pair is taken when its cost is below twice this (``RayPairConfig.unpaired_cost``)
UNPAIRED = raypairs.RayPairConfig().unpaired_cost
FATES = (
    "the bearing not lone in the window",
    "the bearing not offered: its kind names no phase or the other",
    "the partner not offered: taken by located pairing",
    "the partner not offered: no role",
    "the pair not a candidate, or no sample in the gate",
    f"the pair's cost >= {2 * UNPAIRED:g}",
    "cheap; the bearing paired with another",
    "cheap; the partner paired with another",
    "cheap; both left unpaired",
    "the round's other phase in no group of the window",
)


@dataclass
class Window:
    """One fused window's ray pairing: each group's members (observation id ->
    group), which groups are lone bearings, located, taken by located pairing, and
    the launch / impact rays and points offered (group indices, in ray pairing's
    order), then the candidates (launch index, impact index, cost) and ``edge``
    (per launch index, its candidate, -1 unpaired)."""

    group: dict[str, int]
    lone: B
    located: B
    taken: B
    lr: IP
    ir: IP
    lp: IP
    ip: IP
    r: IP | None = None
    co: IP | None = None
    w: npt.NDArray[np.float64] | None = None
    edge: IP | None = None


def fate(win: Window, g: int, phase: str, partners: set[int]) -> tuple[int, float | None]:
    """Where window ``win`` left group ``g`` (a lone bearing of ``phase``, "L" or
    "I") against ``partners`` (the groups holding its round's other phase): an
    index into ``FATES``, and the true pair's least cost when it was a candidate."""
    if not partners:
        return len(FATES) - 1, None
    if not win.lone[g]:
        return 0, None
    mine, l_side = (win.lr, True) if phase == "L" else (win.ir, False)
    at = np.flatnonzero(mine == g)
    if at.shape[0] == 0:
        return 1, None
    me = int(at[0])
    # the partners' indices on the other side: rays first, then points
    rays, pts = (win.ir, win.ip) if l_side else (win.lr, win.lp)
    idx = [int(np.flatnonzero(rays == h)[0]) for h in partners if (rays == h).any()]
    idx += [rays.shape[0] + int(np.flatnonzero(pts == h)[0]) for h in partners if (pts == h).any()]
    if not idx:
        return (2 if any(win.located[h] and win.taken[h] for h in partners) else 3), None
    if win.r is None or win.co is None or win.w is None or win.edge is None:
        return 4, None
    mine_c, theirs_c = (win.r, win.co) if l_side else (win.co, win.r)
    sel = (mine_c == me) & np.isin(theirs_c, idx)
    if not sel.any():
        return 4, None
    cost = float(win.w[sel].min())
    if cost >= 2 * UNPAIRED:
        return 5, cost
    chosen = win.edge >= 0
    pairs_l = np.flatnonzero(chosen)
    pairs_i = win.co[win.edge[chosen]]
    mine_p, theirs_p = (pairs_l, pairs_i) if l_side else (pairs_i, pairs_l)
    if (mine_p == me).any():
        return 6, cost
    if np.isin(theirs_p, idx).any():
        return 7, cost
    return 8, cost


_REC: list[Window] = []
_IDS: list[Any] = []


def _recording() -> tuple[Any, Any, Any]:
    """Wrap engine's window, ray pairing and its assignment to fill ``_REC``;
    returns the originals."""
    orig = engine._acoustic_events, engine._ray_pairs, raypairs.min_cost_matching

    def acoustic(obs: Any, rows: Any, ac: Any, grid: Any, cfg: Any) -> Any:
        _IDS[:] = [obs.id]
        return orig[0](obs, rows, ac, grid, cfg)

    def ray_pairs(
        rows: Any, ac: Any, has_pos: B, taken: B, weapon: Any, grid: Any, cfg: Any, side: Any = None
    ) -> Any:
        # ray pairing's own choice of rays and points (engine._ray_pairs)
        first = np.array([int(m[0]) if m.shape[0] else -1 for m in ac.members], np.intp)
        lone = ~has_pos & (ac.n_obs == 1) & (first >= 0)
        lone[lone] &= np.isfinite(rows.az[first[lone]])
        is_l, is_i = engine._roles(ac)
        ids = _IDS[0]
        _REC.append(
            Window(
                group={str(ids[m]): g for g, mm in enumerate(ac.members) for m in mm.tolist()},
                lone=lone,
                located=has_pos,
                taken=taken,
                lr=np.flatnonzero(lone & is_l),
                ir=np.flatnonzero(lone & is_i),
                lp=np.flatnonzero(has_pos & ~taken & is_l),
                ip=np.flatnonzero(has_pos & ~taken & is_i),
            )
        )
        return orig[1](rows, ac, has_pos, taken, weapon, grid, cfg, side)

    def matching(r: IP, co: IP, w: Any, n_l: int, n_i: int, unpaired: float) -> IP:
        edge: IP = orig[2](r, co, w, n_l, n_i, unpaired)
        win = _REC[-1]
        win.r, win.co, win.w, win.edge = r.copy(), co.copy(), np.asarray(w).copy(), edge.copy()
        return edge

    engine._acoustic_events, engine._ray_pairs = acoustic, ray_pairs
    raypairs.min_cost_matching = matching
    return orig


def run_draw(job: tuple[int, Sets]) -> dict[str, Any]:
    """The fates of draw ``k``'s lone double counts of their own round, ``job = (k, sets)``."""
    k, sets = job
    _REC.clear()
    m, _, sc, t0, t1 = drawn(k)
    orig = _recording()
    try:
        _, system = _fused(sc, m, t0, t1, sets)
    finally:
        engine._acoustic_events, engine._ray_pairs, raypairs.min_cost_matching = orig
    of: dict[str, tuple[str, str]] = {}
    for r in sc.truth["rounds"]:
        of.update(dict.fromkeys(r["launch_observations"], (r["id"], "L")))
        of.update(dict.fromkeys(r["impact_observations"], (r["id"], "I")))
    fates: collections.Counter[str] = collections.Counter()
    costs: list[float] = []
    for dc in scoring.double_counts(sc.truth, system):
        ex = system[dc.extra]
        if dc.kind != scoring.DOUBLE_KINDS[0] or not ex.obs:
            continue
        rnd, phase = of.get(ex.obs[0], CLUTTER)
        if rnd != dc.truth.get("round", ""):
            continue
        other = {o for o, v in of.items() if v == (rnd, "I" if phase == "L" else "L")}
        if not other:
            fates["the round's other phase never reported"] += 1
            continue
        seen = []
        for win in _REC:
            g = win.group.get(ex.obs[0])
            if g is not None:
                seen.append(fate(win, g, phase, {win.group[o] for o in other if o in win.group}))
        if not seen:
            continue
        # a window that left the bearing unpaired, as it ended, when there is one
        left = [s for s in seen if s[0] != 6]
        i, cost = min(left or seen, key=lambda s: s[0])
        fates[FATES[i]] += 1
        if cost is not None:
            costs.append(cost)
    return {"draw": k, "fates": dict(fates), "costs": costs}


def report(rows: list[dict[str, Any]]) -> None:
    """The fates pooled over the draws, and the true pairs' least costs."""
    tot: collections.Counter[str] = collections.Counter()
    for r in rows:
        tot.update(r["fates"])
    print(f"\n| lone double counts of their own round, in ray pairing: {sum(tot.values())} | n |")
    print("|---|---|")
    for f, n in sorted(tot.items(), key=lambda kv: -kv[1]):
        print(f"| {f} | {n} |")
    c = np.sort([x for r in rows for x in r["costs"]])
    if c.shape[0]:
        print(
            f"\nthe true pair's least cost where a candidate: {c.shape[0]} pairs, median "
            f"{np.median(c):.1f}, {int((c < 2 * UNPAIRED).sum())} below {2 * UNPAIRED:g}"
        )


def main() -> int:
    return draws_main(__doc__, run_draw, report)


if __name__ == "__main__":
    raise SystemExit(main())
