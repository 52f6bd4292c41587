"""A bearing left free whose best partner another event took: the two seed an event
of their own, and the late attach and reassignment decide where each report ends.

After the late pairs, a round's launch bearing is often left alone while another
observer's bearing of the same round, which pairs with it by every gate, sits in a
neighbouring round's launch event (a battery's next round, or another battery's,
seconds apart): the lone bearing then names no launch (docs/family.md, session 32,
launches). The mutual-best seed choice only pairs two free bearings, so nothing
offers the free one its partner back. Here each free bearing's best gated pair
whose other end is in an event that keeps at least two bearings without it is
offered as a seed; the reassignment that follows (each report to the event it fits
best) gives the taken bearing back where it fits its old event better.
"""

from __future__ import annotations

import numpy as np

from ceasefire.fuse.association.pairs import Pairs
from ceasefire.fuse.association.reports import IP, B


def _first_of(key: IP, order: IP) -> IP:
    """Of ``order`` (indices, best first), those whose ``key`` is seen first."""
    _, first = np.unique(key[order], return_index=True)
    return order[np.sort(first)]


def reclaim_seeds(
    labels: IP, is_bearing: B, pairs: Pairs, keep_bearings: int = 2, max_chi2: float = np.inf
) -> IP:
    """The pairs (indices into ``pairs``) to seed anew: one end free (``labels`` <
    0), the other in an event holding more than ``keep_bearings`` bearings, the
    chi-square at most ``max_chi2``; the best (lowest chi-square) per free row, then
    per taken row, then per event (one bearing taken from an event at a time)."""
    li, lj = labels[pairs.i], labels[pairs.j]
    n = int(labels.max(initial=-1)) + 1
    if n == 0:
        return np.zeros(0, np.intp)
    held = labels >= 0
    nb = np.bincount(labels[held & is_bearing], minlength=n)
    free_i = (li < 0) & (lj >= 0)
    free_j = (lj < 0) & (li >= 0)
    taken = np.where(free_i, lj, np.where(free_j, li, -1))
    ok = (taken >= 0) & (nb[np.maximum(taken, 0)] > keep_bearings) & (pairs.chi2 <= max_chi2)
    k = np.flatnonzero(ok)
    if k.shape[0] == 0:
        return np.zeros(0, np.intp)
    free_row = np.where(free_i, pairs.i, pairs.j)
    taken_row = np.where(free_i, pairs.j, pairs.i)
    order = k[np.argsort(pairs.chi2[k], kind="stable")]
    order = _first_of(free_row, order)
    order = order[np.argsort(pairs.chi2[order], kind="stable")]
    order = _first_of(taken_row, order)
    order = order[np.argsort(pairs.chi2[order], kind="stable")]
    order = _first_of(taken, order)
    return np.sort(order).astype(np.intp)


def seed_rows(pairs: Pairs, mb: IP, labels: IP) -> IP:
    """The rows of the chosen pairs ``mb``: every free end, then every taken one."""
    i, j = pairs.i[mb], pairs.j[mb]
    free_first = labels[i] < 0
    return np.concatenate([np.where(free_first, i, j), np.where(free_first, j, i)])
