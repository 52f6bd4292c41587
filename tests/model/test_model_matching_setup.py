"""``min_cost_matching`` up to the solver by one compiled loop
(``model.matching_setup``, numba, the ``fast`` extra): the matching the numpy code
and the solver give, on random sparse problems with lone edges, small and large
components, ties (left to the solver) and infinite costs; the loop settles the
problems that need no solver and hands back those that do."""

from __future__ import annotations

import numpy as np
import pytest

from ceasefire.model import assignment
from ceasefire.model.matching_setup import LEFT, SETTLED, setup_kernel


def _problem(rng: np.random.Generator, n: int, m: int, whole: bool) -> tuple[np.ndarray, ...]:
    """``m`` distinct edges among ``n`` rows and columns (some lone, most in
    components of a few edges), costs in whole units (many ties) or not, a few
    infinite."""
    pairs = np.unique(rng.integers(0, n, size=(m, 2)), axis=0)
    rows, cols = pairs[:, 0], pairs[:, 1]
    m_ = rows.shape[0]
    cost = rng.integers(-2, 12, m_) * 1.0 if whole else rng.uniform(-1, 12, m_)
    cost[rng.random(rows.shape[0]) < 0.02] = np.inf
    return rows, cols, cost


def _numpy_code(monkeypatch: pytest.MonkeyPatch, *args: object) -> np.ndarray:
    with monkeypatch.context() as m:
        m.setattr(assignment, "setup_kernel", lambda: None)
        return assignment.min_cost_matching(*args)  # type: ignore[arg-type]


@pytest.mark.parametrize("whole", [False, True])
def test_the_compiled_setup_gives_the_numpy_codes_matching(
    monkeypatch: pytest.MonkeyPatch, whole: bool
) -> None:
    kernel = setup_kernel()
    if kernel is None:  # pragma: no cover - depends on the install
        pytest.skip("numba not installed")
    rng = np.random.default_rng(5 + whole)
    settled = left = 0
    for n, m in ((6, 4), (40, 30), (300, 280), (300, 700), (2_000, 2_400)):
        for _ in range(6):
            rows, cols, cost = _problem(rng, n, m, whole)
            got = assignment.min_cost_matching(rows, cols, cost, n, n, 5.0)
            assert got.tolist() == _numpy_code(monkeypatch, rows, cols, cost, n, n, 5.0).tolist()
            out = np.empty(n, np.intp)
            status, _ = kernel(rows, cols, cost, n, n, 5.0, 1e6, 2.0**40, 64, out)
            if status == SETTLED:
                settled += 1
                assert np.array_equal(out, got)
            else:
                assert status == LEFT
                left += 1
    # the premise: costs with fractions mostly settled; whole units tie often (left
    # to the solver), yet some are settled
    assert settled > 15 if not whole else (settled > 0 and left > 10)


def test_a_tie_is_left_to_the_solver_and_a_lone_edge_is_settled() -> None:
    kernel = setup_kernel()
    if kernel is None:  # pragma: no cover - depends on the install
        pytest.skip("numba not installed")
    out = np.empty(3, np.intp)
    # r0-c0 and r0-c1 cost alike: two best matchings, the solver picks
    rows, cols, cost = np.array([0, 0, 2]), np.array([0, 1, 2]), np.array([1.0, 1.0, 3.0])
    assert kernel(rows, cols, cost, 3, 3, 5.0, 1e6, 2.0**40, 64, out)[0] == LEFT
    # without the tie: r0-c1, and the lone r2-c2 (3 < 2 x 5), r1 alone
    cost[0] = 2.0
    status, scale = kernel(rows, cols, cost, 3, 3, 5.0, 1e6, 2.0**40, 64, out)
    assert (status, scale) == (SETTLED, 1e6)
    assert out.tolist() == [1, -1, 2]
