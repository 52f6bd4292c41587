"""``time_candidates`` for some events or some rows only (reassignment's
incremental passes) gives the whole answer's pairs that hold them, in its order,
each position's window still sized by all its rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from ceasefire.fuse.association import Reports
from ceasefire.fuse.association.gates import time_candidates
from ceasefire.fuse.solve import Rows

C = 343.0


@dataclass
class _Events:
    x: np.ndarray
    y: np.ndarray
    T: np.ndarray
    cov: np.ndarray


def _scene(seed: int) -> tuple[Reports, _Events]:
    """25 posts, 4,000 reports over an hour (time sd 3 ms or 0.2 s, and 2 s for
    each post's first report), 400 events over 60 x 60 km (a few unfitted)."""
    rng = np.random.default_rng(seed)
    n = 4_000
    post = rng.integers(0, 25, n)
    px, py = rng.uniform(0, 60e3, 25), rng.uniform(0, 60e3, 25)
    rows = Rows(
        px[post], py[post], rng.uniform(-np.pi, np.pi, n), np.full(n, 0.02),
        np.sort(rng.uniform(0, 3_600, n)), rng.choice([0.003, 0.2], n),
        rng.choice([0.0, 1.0], n, p=[0.1, 0.9]), np.full(n, np.nan), np.full(n, np.nan),
    )  # fmt: skip
    rows.sigma_t[np.unique(post, return_index=True)[1]] = 2.0
    rep = Reports(rows, post.astype(np.intp), np.full(n, 2, np.int8), C, 20_000.0)
    G = 400
    cov = np.zeros((G, 3, 3))
    cov[:, 0, 0] = cov[:, 1, 1] = rng.uniform(1e2, 1e6, G)
    cov[:, 2, 2] = rng.uniform(0.01, 4.0, G)
    cov[:5] = np.nan
    ev = _Events(rng.uniform(0, 60e3, G), rng.uniform(0, 60e3, G), rng.uniform(0, 3_600, G), cov)
    return rep, ev


@pytest.mark.parametrize("seed", [1, 2])
def test_candidates_of_some_events_or_rows_are_the_whole_answers_pairs(seed: int) -> None:
    rep, ev = _scene(seed)
    rng = np.random.default_rng(seed + 100)
    loose = np.flatnonzero(rep.rows.sigma_t == 2.0)
    free = np.union1d(rng.choice(rep.n, 3_000, replace=False), loose)
    g, k = time_candidates(rep, free, ev)
    assert g.shape[0] > 1_000  # the premise: a busy answer
    events = rng.random(400) < 0.2
    got = time_candidates(rep, free, ev, events=events)
    sel = events[g]
    assert np.array_equal(got[0], g[sel]) and np.array_equal(got[1], k[sel])
    kept = (rng.random(free.shape[0]) < 0.3) & (rep.rows.sigma_t[free] < 2.0)
    kept[rep.src[free] == 3] = False  # a position with no row kept
    got = time_candidates(rep, free, ev, rows_kept=kept)
    on = np.zeros(rep.n, bool)
    on[free[kept]] = True
    sel = on[k]
    assert np.array_equal(got[0], g[sel]) and np.array_equal(got[1], k[sel])
    # the premise of sizing windows by all rows: the kept rows alone (narrower
    # windows where the loudest-timed rows are not kept) give fewer pairs
    alone = time_candidates(rep, free[kept], ev)
    assert alone[0].shape[0] < int(sel.sum())
