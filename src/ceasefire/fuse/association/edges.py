"""Reassignment's edges before they are scored: which bearings move this pass
and their (event, bearing) candidates (:func:`moving_kept`, from the kept pairs'
segments; :func:`moving_pairs`, the numpy code, from expanded pairs), then which
of those an event can take (:func:`open_edges`: its observer's slot free, the
phase agreeing, the event fitted). Each is one compiled pass over the pairs
with the ``fast`` extra (numba) instead of ~10 numpy calls over every
candidate pair of the pass (~150 k on a stress tile), and the numpy code
without it; both give the same pairs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.fuse.association.clusters import Clusters
from ceasefire.fuse.association.gates import (
    KeptPairs,
    event_direction,
    fitted,
    held_observers,
    same_phase,
)
from ceasefire.fuse.association.reports import DIR_UNDET, IP, B, Reports
from ceasefire.fuse.compiled import compiled, compiled_calling, getter
from ceasefire.fuse.keys import isin_keys


def _may_join_phase(fit_ok: Any, edir: Any, direction: Any, undet: int, e: int, r: int) -> bool:
    """Event ``e`` is fitted and its phase agrees with row ``r``'s (or either is
    undetermined): the open-slot test's part that does not read the slots."""
    dk, de = direction[r], edir[e]
    agree = de == dk
    return bool(fit_ok[e]) and (agree or dk == undet or de == undet)


#: the names :func:`_open_loop` calls (bound compiled by ``compiled_calling``)
_held_observers, _may_join = held_observers, _may_join_phase


#: the open-slot test's table of (event, observer) flags is made when it holds at
#: most this many entries (bytes); beyond, each event's held observers are listed
#: and scanned (:func:`~.gates.held_observers`)
TABLE_MAX = 1 << 24


def _open_loop(
    g: Any, k: Any, labels: Any, src: Any, moving: Any, edir: Any, direction: Any,
    fit_ok: Any, undet: int, table_max: int,
) -> Any:  # fmt: skip
    """:func:`open_edges` as one loop: a flag per (event, observer) slot held by a
    row not ``moving`` (arrivals, bearings not redistributed), then each pair
    checked by one look-up (on the stress row an event holds ~20 observers, which
    the list's scan read for each of ~1.5 M pairs a fuse); when the table would
    hold more than ``table_max`` flags, each event's held observers listed
    (:func:`~.gates.held_observers`) and scanned in the loop."""
    n_ev = fit_ok.shape[0]
    n_src = 0
    for r in range(labels.shape[0]):
        n_src = max(n_src, src[r] + 1)
    keep = np.empty(g.shape[0], np.bool_)
    if n_ev * n_src <= table_max:
        held = np.zeros(n_ev * n_src, np.bool_)
        for r in range(labels.shape[0]):
            if labels[r] >= 0 and not moving[r]:
                held[labels[r] * n_src + src[r]] = True
        for i in range(g.shape[0]):
            e, r = g[i], k[i]
            keep[i] = (
                _may_join(fit_ok, edir, direction, undet, e, r) and not held[e * n_src + src[r]]
            )
        return keep
    start, lst = _held_observers(labels, src, moving, n_ev)
    for i in range(g.shape[0]):
        e, r = g[i], k[i]
        # the slot scanned here: a call passed the list's arrays would cost
        # numba atomic reference counts per edge
        free = True
        for p in range(start[e], start[e + 1]):
            if lst[p] == src[r]:
                free = False
                break
        keep[i] = _may_join(fit_ok, edir, direction, undet, e, r) and free
    return keep


def _moving_kept_loop(
    events: Any, start: Any, count: Any, rows: Any, passes: Any, pstart: Any, pcount: Any,
    prows: Any, by_pass: bool, labels: Any, is_bearing: Any, mem: Any, focus_ev: Any,
    freed: Any, focused: bool,
) -> tuple[Any, Any, Any]:  # fmt: skip
    """:func:`moving_pairs` as one loop on the pairs of :class:`~.gates.KeptPairs`
    read in place (event ``events[s]`` with the rows of its segment ``s``): the
    moving rows, then the pairs written; the same pairs, in segment order, each
    once (a member's own pair is not written again after its segment's). With
    ``by_pass``, the passing pairs are read from each segment's passing rows
    (``prows[pstart[s]:pstart[s] + pcount[s]]``), not picked out of its rows
    by ``passes``: on the stress row an eighth of them."""
    n = labels.shape[0]
    moving = np.zeros(n, np.bool_)
    if focused:
        for s in range(events.shape[0]):
            if focus_ev[events[s]]:
                for p in range(start[s], start[s] + count[s]):
                    moving[rows[p]] = True
        for j in range(mem.shape[0]):
            if focus_ev[labels[mem[j]]]:
                moving[mem[j]] = True
        for r in range(n):
            if freed[r] and is_bearing[r]:
                moving[r] = True
    else:
        for r in range(n):
            moving[r] = is_bearing[r]
    total = mem.shape[0]
    for s in range(events.shape[0]):
        total += pcount[s] if by_pass else count[s]
    # written in one pass into arrays of the largest size, then cut
    out_g = np.empty(total, np.intp)
    out_k = np.empty(total, np.intp)
    # the members whose own pair was written (most pass their event's pre-gate):
    # not written again (a third of the pairs on the stress row were these repeats)
    own = np.zeros(n, np.bool_)
    m = 0
    for s in range(events.shape[0]):
        e = events[s]
        if by_pass:
            for q in range(pstart[s], pstart[s] + pcount[s]):
                r = prows[q]
                out_g[m] = e
                out_k[m] = r
                on = moving[r]
                m += on
                # without a branch: own[r] or (on and labels[r] == e)
                own[r] |= on & (labels[r] == e)
            continue
        for p in range(start[s], start[s] + count[s]):
            # most pairs fail the pre-gate: their row is not read
            if passes[p]:
                r = rows[p]
                out_g[m] = e
                out_k[m] = r
                on = moving[r]
                m += on
                own[r] |= on & (labels[r] == e)
    for j in range(mem.shape[0]):
        r = mem[j]
        if moving[r] and not own[r]:
            out_g[m] = labels[r]
            out_k[m] = r
            m += 1
    return out_g[:m], out_k[:m], moving


def pass_pool(kept: KeptPairs) -> tuple[IP, IP, IP, bool]:
    """The passing rows of ``kept``'s segments for :func:`_moving_kept_loop`:
    ``(pass_start, pass_count, pass_rows, True)`` from the compiled search,
    else empty arrays and False (the loop then picks them by ``passes``)."""
    if kept.pass_start is None or kept.pass_count is None or kept.pass_rows is None:
        none = np.zeros(0, np.intp)
        return none, none, none, False
    return kept.pass_start, kept.pass_count, kept.pass_rows, True


@getter
def moving_kept_kernel() -> Callable[..., tuple[Any, Any, Any]] | None:
    """:func:`_moving_kept_loop` compiled (on first use), or None without numba."""
    return compiled(_moving_kept_loop)


@getter
def open_kernel() -> Callable[..., Any] | None:
    """:func:`_open_loop` compiled (on first use), or None without numba."""
    return compiled_calling(
        _open_loop, ("_may_join",), _held_observers=held_observers, _may_join=_may_join_phase,
    )  # fmt: skip


def moving_pairs(
    rep: Reports, cl: Clusters, g: IP, k: IP, passes: B, focus: tuple[B, B] | None
) -> tuple[IP, IP, B]:
    """The bearings that move this pass (all of them without ``focus``; with it
    ``(events, rows)``, those with a candidate event among ``events``, their own
    included, and the bearings among ``rows``), and their candidates ``(g, k)``
    whose marginal pre-gate ``passes``, each member's own event added (a pair the
    pre-gate turns away is never kept unless it is a member's own, which this
    adds: not taken from ``(g, k)``, where ~80 % of the pairs fail the pre-gate):
    returns (events, rows, moving), the pairs in no order, repeats allowed."""
    labels = cl.labels
    b = np.flatnonzero(rep.is_bearing)
    mem = b[labels[b] >= 0]
    moving = rep.is_bearing
    if focus is not None:
        near = np.zeros(rep.n, bool)
        near[k[focus[0][g]]] = True
        near[mem[focus[0][labels[mem]]]] = True
        moving = near | (focus[1] & rep.is_bearing)
        on = moving[k] & passes
    else:
        on = passes
    mem_moving = mem[moving[mem]]
    return (
        np.concatenate([g[on], labels[mem_moving]]),
        np.concatenate([k[on], mem_moving]),
        moving,
    )


def moving_kept(
    rep: Reports, cl: Clusters, kept: KeptPairs, focus: tuple[B, B] | None
) -> tuple[IP, IP, B]:
    """:func:`moving_pairs` of the pairs ``kept`` (the same pairs, in no order),
    read from their segments without expanding them first when numba is
    installed."""
    kernel = moving_kept_kernel()
    if kernel is None:
        return moving_pairs(rep, cl, *kept.expand(), focus)
    labels = cl.labels
    b = rep.is_bearing.nonzero()[0]
    mem = b[labels[b] >= 0]
    none = np.zeros(0, bool)
    focus_ev, freed = focus if focus is not None else (none, none)
    og, ok, moving = kernel(
        kept.events, kept.start, kept.count, kept.rows, kept.passes, *pass_pool(kept), labels,
        rep.is_bearing, mem, focus_ev, freed, focus is not None,
    )  # fmt: skip
    return np.asarray(og, np.intp), np.asarray(ok, np.intp), np.asarray(moving, bool)


def open_edges(rep: Reports, cl: Clusters, g: IP, k: IP, moving: B) -> B:
    """Per (event ``g``, bearing ``k``) pair: the event is fitted, the bearing's
    phase agrees with the event's (:func:`~.gates.same_phase`), and no row that
    stays where it is (a member not ``moving``: arrivals, bearings not
    redistributed) holds the bearing's observer's slot in the event."""
    labels = cl.labels
    kernel = open_kernel()
    if kernel is not None:
        edir = event_direction(rep.direction, labels, cl.n)
        keep = kernel(
            g, k, labels, rep.src, moving, edir, rep.direction, fitted(cl), DIR_UNDET, TABLE_MAX
        )
        return np.asarray(keep, bool)
    nsrc = rep.n_src
    held = np.flatnonzero((labels >= 0) & ~moving)
    taken = labels[held].astype(np.int64) * nsrc + rep.src[held]
    keep = ~isin_keys(g.astype(np.int64) * nsrc + rep.src[k], taken, cl.n * nsrc)
    keep &= same_phase(rep.direction, labels, cl.n, g, k)
    keep &= fitted(cl)[g]
    return np.asarray(keep, bool)
