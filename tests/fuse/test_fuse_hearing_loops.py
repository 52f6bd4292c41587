"""The far seeds' check and ray seeding's windows by compiled loops
(``association.hearing_loops``, ``association.seeding_loops``; numba, the
``fast`` extra): the numpy code's loss to the bit on random microphones and
sources, :class:`~ceasefire.fuse.association.seeding.FarCheck`'s decision on
random seeds, and the numpy code's seeds, array for array, on the pinned days."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pinned_days import pinned_day

from ceasefire.fuse.association import Reports, SeedConfig
from ceasefire.fuse.association import seeding as seeding_mod
from ceasefire.fuse.association.hearing import HearingConfig, Listeners, loss_nats, silent
from ceasefire.fuse.association.seeding import FarCheck, ray_seeds
from ceasefire.fuse.solve import Rows

C = 343.0


def _microphones(rng: np.random.Generator, n: int) -> Reports:
    """``n`` microphones within 60 km, each with 1-12 reports over an hour (most
    listening at any time, some not)."""
    per = rng.integers(1, 13, n)
    pos = rng.uniform(-60_000.0, 60_000.0, (n, 2))
    x, y = np.repeat(pos[:, 0], per), np.repeat(pos[:, 1], per)
    m = x.shape[0]
    t = rng.uniform(0.0, 3_600.0, m)
    sig = np.repeat(rng.uniform(0.001, 0.5, n), per)
    rows = Rows(
        x, y, np.full(m, np.nan), np.full(m, np.nan), t, sig, np.ones(m), np.full(m, np.nan),
        np.full(m, np.nan),
    )  # fmt: skip
    src = np.repeat(np.arange(n, dtype=np.intp), per)
    return Reports(rows, src, np.full(m, 2, np.int8), C, 30_000.0)


def test_the_compiled_sum_adds_as_numpy_sums_a_row() -> None:
    pytest.importorskip("numba")
    from ceasefire.fuse.association import hearing_loops

    hearing_loops.law_loss_kernel()  # binds the compiled helpers
    rng = np.random.default_rng(3)
    # one by one below 8 terms, eight running sums to 128, halves beyond (twice
    # and three times over at 300 and 1,000)
    for n in (1, 2, 7, 8, 9, 15, 16, 17, 100, 128, 129, 136, 300, 1_000):
        rows = rng.normal(-3.0, 5.0, (16, n))
        want = rows.sum(axis=1)
        got = [hearing_loops._pairwise_sum(row.copy(), n) for row in rows]
        assert np.array_equal(np.array(got), want), n
        # a one-by-one sum differs somewhere in these rows from 8 terms on: the
        # order is what is tested
        if n >= 16:
            assert any(sum(row.tolist()) != w for row, w in zip(rows, want, strict=True))


def _numpy_rounds_as_libm() -> bool:
    """Whether numpy's float64 ``log``, ``log1p`` and ``power`` give libm's bits
    here (Python's ``math`` calls libm for these three, not for ``hypot``): on
    AVX2 they do; on AVX-512 numpy has loops of its own, which may differ in the
    last bit (the compiled law calls libm's)."""
    x = np.random.default_rng(3).uniform(1e-6, 1e6, 20_000)
    return (
        np.array_equal(np.log(x), [math.log(v) for v in x])
        and np.array_equal(np.log1p(x), [math.log1p(v) for v in x])
        and np.array_equal(np.power(x, 4.0), [math.pow(v, 4.0) for v in x])
    )


def test_the_compiled_law_gives_the_numpy_loss_to_the_bit() -> None:
    """Bit for bit where numpy rounds as libm; else within a few units in the last
    place (a seed's decision could differ only for a loss that close to its limit)."""
    pytest.importorskip("numba")
    from ceasefire.fuse.association.hearing_loops import law_loss_kernel

    kernel = law_loss_kernel()
    assert kernel is not None
    cfg = HearingConfig()
    L = np.geomspace(cfg.l50_min_m, cfg.l50_max_m, cfg.l50_steps)
    rng = np.random.default_rng(21)
    exact = _numpy_rounds_as_libm()
    losses: list[float] = []
    quiet_counts: list[int] = []
    for trial in range(300):
        rep = _microphones(rng, int(rng.integers(2, 400)))
        ls = Listeners.of(rep, cfg)
        mark = np.zeros(ls.n, np.bool_)
        # the source: near the microphones, sometimes 150-300 km out (a hit beyond
        # any loudness's reach: infinite loss)
        far = trial % 10 == 0
        x, y = rng.uniform(-60_000.0, 60_000.0, 2) + (250_000.0 if far else 0.0)
        T = float(rng.uniform(-60.0, 3_600.0))
        rows = rng.choice(rep.n, int(rng.integers(0, 6)), replace=True)
        heard = np.r_[-1, ls.of_rows(rep, rows)].astype(np.intp)  # a bearing, repeats
        slack = float(rng.uniform(0.0, 30.0))
        quiet, d = silent(ls, C, x, y, T, heard, slack, cfg)
        want = loss_nats(ls, d, heard, quiet, cfg)
        got = kernel(
            ls.x, ls.y, ls.sigma_t, ls.speed, ls.key, ls.t0, ls.span, C, x, y, T, heard, slack,
            cfg.quiet_s, cfg.alive_s, L, cfg.p0, cfg.cutoff, mark,
        )  # fmt: skip
        if exact:
            assert got == want, trial
        else:
            assert got == want or math.isclose(got, want, rel_tol=1e-12), trial
        assert not mark.any()  # the scratch is left clean
        losses.append(want)
        quiet_counts.append(int(quiet.shape[0]))
    # the premise: losses of every kind, and silences summed in each of numpy's ways
    ls_ = np.array(losses)
    assert (ls_ == 0.0).any() and np.isinf(ls_).any() and ((ls_ > 0.0) & np.isfinite(ls_)).any()
    q = np.array(quiet_counts)
    assert ((q > 0) & (q < 8)).any() and ((q >= 8) & (q <= 128)).any() and (q > 128).any()


def _far_ok_args(check: FarCheck) -> tuple[object, ...]:
    """:func:`~.seeding_loops._far_ok`'s arguments after the seed's own."""
    rows = check.rep.rows
    args = seeding_mod._far_args(check)
    mark = np.zeros(check.listeners.n, np.bool_)
    return (rows.ox, rows.oy, check.rep.c, *args[1:], mark)


def test_the_compiled_far_check_decides_as_far_check() -> None:
    pytest.importorskip("numba")
    from ceasefire.fuse.association import seeding_loops

    assert seeding_loops.windows_kernel() is not None  # binds the compiled _far_ok
    rep, _ = pinned_day()
    bearings = np.flatnonzero(np.isfinite(rep.rows.az))
    arrivals = np.flatnonzero(np.isnan(rep.rows.az))
    rng = np.random.default_rng(5)
    # a tighter limit too, so that the law refuses some seeds that reach far
    for limit in (6.0, 0.5):
        check = FarCheck(rep, SeedConfig(far_loss_nats=limit))
        rest = _far_ok_args(check)
        said: list[tuple[bool, bool, bool]] = []
        for _ in range(400):
            b = int(rng.choice(bearings))
            # arrivals heard near one time: a seed's, emitted ~0-60 s before
            a0 = int(rng.choice(arrivals))
            near_t = np.flatnonzero(np.abs(rep.rows.t[arrivals] - rep.rows.t[a0]) < 60.0)
            a = np.unique(arrivals[rng.choice(near_t, int(rng.integers(1, 6)))])
            x = float(rep.rows.ox[a].mean() + rng.normal(0.0, 5_000.0))
            y = float(rep.rows.oy[a].mean() + rng.normal(0.0, 5_000.0))
            T = float(rep.rows.t[a0] - rng.uniform(0.0, 60.0))
            sd_m = float(rng.uniform(300.0, 3_000.0))
            want = check(b, a, x, y, T, sd_m)
            got = seeding_loops._far_ok(b, a, x, y, T, sd_m, *rest)
            assert got == want
            enough = check.reaches_far(b, a) and a.shape[0] >= check.cfg.far_arrivals
            said.append((want, enough, enough and not want))
        # the premise: seeds taken, seeds refused before the law and by it
        ok, enough, by_law = (np.array(s) for s in zip(*said, strict=True))
        assert ok.any() and (~enough).any() and by_law.any()


@pytest.mark.parametrize("day", ["heavy2015", "quiet2"])
def test_the_compiled_windows_give_the_numpy_seeds(
    day: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("numba")
    rep, cl = pinned_day(day)
    rng = np.random.default_rng(17)
    # every row free; the pinned labels; a third of the rows freed from them
    freed = np.where(rng.random(rep.n) < 1 / 3, -1, cl.labels)
    labelings = [np.full(rep.n, -1, np.intp), cl.labels, freed]
    configs = [
        SeedConfig(), SeedConfig(far_loss_nats=0.5), SeedConfig(far_loss_nats=math.inf),
        SeedConfig(far_arrivals=2), SeedConfig(far_m=8_000.0),
    ]  # fmt: skip
    n_far = n_law = 0
    for labels in labelings:
        counts = []
        for cfg in configs:
            fast = ray_seeds(rep, labels, cfg)
            with monkeypatch.context() as m:
                m.setattr(seeding_mod, "windows_kernel", lambda: None)
                want = ray_seeds(rep, labels, cfg)
            for got, exp in zip(fast, want, strict=True):
                assert got.dtype == exp.dtype and np.array_equal(got, exp)
            counts.append(fast[2].shape[0])
        n_far += counts[0] - counts[4]
        n_law += counts[2] - counts[1]
    # the premise: far seeds made, and some refused by the law
    assert n_far > 0 and n_law > 0
