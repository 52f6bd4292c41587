"""Registration (``association.registration``): an observer's clock offset and
noise scale read from its residuals in events several observers fixed."""

from __future__ import annotations

import numpy as np
from grid_rows import bearing_rows, fitted, reports

from ceasefire.fuse.association import Clusters, RegistrationConfig, Reports, register
from ceasefire.fuse.association.registration import Residuals, residuals
from ceasefire.fuse.solve import Rows

#: eight posts on a ring of 8.5 km (the last one is the odd one out)
POSTS = [(8_500.0 * np.sin(a), 8_500.0 * np.cos(a)) for a in np.arange(8) * np.pi / 4]
#: twenty sounds a minute apart, scattered within a few km of the origin
SOURCES = [(1_000.0 * np.cos(k), 1_500.0 * np.sin(2 * k), 1_000.0 + 60.0 * k) for k in range(20)]
LAST = len(POSTS) - 1


def _day(clock_s: float = 0.0, noise_sd: float = 0.0) -> tuple[Rows, list[int], list[int]]:
    """Every post hears every sound (exact, 1° and 0.2 s stated); the last post's
    clock is ``clock_s`` fast, and its times carry ``noise_sd`` s of noise."""
    said = [(p, s) for s in SOURCES for p in POSTS]
    rows = bearing_rows(said)
    src = [i % len(POSTS) for i in range(len(said))]
    last = np.array(src) == LAST
    noise = np.random.default_rng(7).normal(0.0, 1.0, last.sum()) * noise_sd
    t = rows.t.copy()
    t[last] += clock_s + noise
    rows = Rows(rows.ox, rows.oy, rows.az, rows.sigma_az, t, rows.sigma_t, rows.speed_factor,
                rows.rng, rows.sigma_rng)  # fmt: skip
    labels = [i // len(POSTS) for i in range(len(said))]
    return rows, src, labels


def _events(rep: Reports, labels: list[int]) -> Clusters:
    """The sounds fitted to their reports (as association leaves them)."""
    cl = fitted(SOURCES, labels)
    cl.refit(rep)
    return cl


def test_an_observer_whose_clock_is_off_is_found_and_the_others_are_not() -> None:
    rows, src, labels = _day(clock_s=0.6)
    rep = reports(rows, src)
    reg = register(rep, _events(rep, labels), RegistrationConfig())
    # the fits took an eighth of it (the others then look early by that much); what
    # is left, scaled back by each report's own share of its fit, is shrunk toward 0
    # by 5 pseudo-reports
    assert 0.35 < reg.offset_s[LAST] < 0.6
    assert np.all(np.abs(reg.offset_s[:LAST]) < 0.5 * reg.offset_s[LAST])
    assert reg.matters(rep, RegistrationConfig())
    # applied, the last post's times move back by its offset
    moved = reg.apply(rep).rows.t - rows.t
    assert np.allclose(moved[np.array(src) == LAST], -reg.offset_s[LAST])


def test_an_observer_noisier_than_it_says_gets_a_wider_sigma() -> None:
    # 0.8 s of noise on a stated 0.2 s: four times what it says (the estimate is
    # shrunk toward 1 and rests on 20 reports: well above 1, below 4)
    rows, src, labels = _day(noise_sd=0.8)
    rep = reports(rows, src)
    reg = register(rep, _events(rep, labels), RegistrationConfig())
    assert reg.scale_t[LAST] > 1.8 and reg.scale_t[LAST] < 4.0
    assert np.all(reg.scale_t[:LAST] < 1.2) and np.all(reg.scale_az < 1.2)


def test_observers_as_good_as_they_say_are_left_alone() -> None:
    rows, src, labels = _day()
    rep = reports(rows, src)
    reg = register(rep, _events(rep, labels), RegistrationConfig())
    assert np.all(np.abs(reg.offset_s) < 0.01)
    assert np.all(reg.scale_t == 1.0) and np.all(reg.scale_az == 1.0)
    assert not reg.matters(rep, RegistrationConfig())


def _understated_day(noise_sd: float, kept: int) -> tuple[Reports, Clusters]:
    """Every post's times carry ``noise_sd`` s of noise on a stated 0.2 s; the last
    post's reports joined their events only ``kept`` times (its others left free)."""
    rows, src, labels = _day()
    noise = np.random.default_rng(5).normal(0.0, noise_sd, rows.t.shape[0])
    rows = Rows(rows.ox, rows.oy, rows.az, rows.sigma_az, rows.t + noise, rows.sigma_t,
                rows.speed_factor, rows.rng, rows.sigma_rng)  # fmt: skip
    rep = reports(rows, src)
    cl = _events(rep, labels)
    last = np.flatnonzero(np.array(src) == LAST)
    cl.labels[last[kept:]] = -1
    cl.refit(rep)
    return rep, cl


def test_pooled_scales_give_an_observer_with_few_members_the_runs_understatement() -> None:
    """Every post 1.6 × noisier in time than it states; the last one joined three
    events. Shrunk toward "as stated", three members are too few to register it (1);
    shrunk toward the run's pooled scale, it takes about the run's factor. The
    others (20 members each: ~0.25 of sampling spread each) are pulled up toward the
    run's factor rather than down toward 1."""
    rep, cl = _understated_day(0.32, kept=3)
    alone = register(rep, cl, RegistrationConfig(clock_gate_s=0.0))
    assert alone.scale_t[LAST] == 1.0
    cfg = RegistrationConfig(clock_gate_s=0.0, pool_scales=True)
    pooled = register(rep, cl, cfg)
    assert 1.3 < pooled.scale_t[LAST] < 1.9
    assert 1.3 < np.median(pooled.scale_t[:LAST]) < 1.9
    assert np.all(pooled.scale_t[:LAST] > alone.scale_t[:LAST])
    # bearings are as stated: their pooled scale stays at the floor
    assert np.all(pooled.scale_az == 1.0)
    assert pooled.matters(rep, cfg)


def test_pooled_scales_leave_a_run_as_good_as_it_says_alone() -> None:
    rows, src, labels = _day()
    rep = reports(rows, src)
    cfg = RegistrationConfig(pool_scales=True)
    reg = register(rep, _events(rep, labels), cfg)
    assert np.all(reg.scale_t == 1.0) and np.all(reg.scale_az == 1.0)
    assert not reg.matters(rep, cfg)


def test_events_of_two_observers_say_nothing_about_either() -> None:
    # in a two-observer event each report's error is the other's: not used
    rows, src, labels = _day(clock_s=0.6)
    keep = np.array(src) < 2
    sub = Rows(*(getattr(rows, f)[keep] for f in rows.__dataclass_fields__))
    reg = register(
        reports(sub, list(np.array(src)[keep])), fitted(SOURCES, list(np.array(labels)[keep])),
        RegistrationConfig(),
    )  # fmt: skip
    assert np.all(reg.offset_s == 0.0) and np.all(reg.scale_t == 1.0)


def test_a_seen_report_is_trusted_to_no_better_than_its_floor_once_applied() -> None:
    """Once registration applies, a seen report (no sound delay) has a time sigma of
    at least the floor, whatever it states; a heard report keeps its own (registered)
    sigma. A camera's clock offset cannot be read from fits its sharp time sets."""
    rows, src, labels = _day(clock_s=0.6)
    seen = np.arange(rows.t.shape[0]) % 2 == 0  # every other report seen
    rows = Rows(rows.ox, rows.oy, rows.az, rows.sigma_az, rows.t, rows.sigma_t,
                np.where(seen, 0.0, 1.0), rows.rng, rows.sigma_rng)  # fmt: skip
    rep = reports(rows, src)
    reg = register(rep, _events(rep, labels), RegistrationConfig())
    floor = RegistrationConfig().seen_time_sigma_min_s
    assert floor == 1.0 and np.all(rows.sigma_t == 0.2)  # stated: 0.2 s, below the floor
    got = reg.apply(rep, floor).rows.sigma_t
    assert np.all(got[seen] == floor)
    assert np.allclose(got[~seen], 0.2 * reg.scale_t[np.asarray(src)[~seen]])
    # without a floor (the default), seen reports keep their registered sigma
    assert np.allclose(reg.apply(rep).rows.sigma_t, 0.2 * reg.scale_t[np.asarray(src)])


def _unjoined_day(noise_deg: float) -> tuple[Reports, Clusters]:
    """Every post hears every sound; the last post's bearings carry ``noise_deg`` of
    noise on a stated 1° and joined no event (association refused them)."""
    rows, src, labels = _day()
    last = np.array(src) == LAST
    noise = np.random.default_rng(11).normal(0.0, np.radians(noise_deg), last.sum())
    az = rows.az.copy()
    az[last] += noise
    rows = Rows(rows.ox, rows.oy, az, rows.sigma_az, rows.t, rows.sigma_t, rows.speed_factor,
                rows.rng, rows.sigma_rng)  # fmt: skip
    rep = reports(rows, src)
    cl = _events(rep, labels)
    cl.labels[last] = -1
    cl.refit(rep)
    return rep, cl


def test_an_understated_observer_that_joined_nothing_is_read_from_its_free_reports() -> None:
    """Bearings 2.5 × noisier than stated that joined no event: its members say
    nothing of it; its free reports, read against the events the others fixed, do."""
    rep, cl = _unjoined_day(2.5)
    members_only = register(rep, cl, RegistrationConfig(clock_gate_s=0.0))
    assert members_only.scale_az[LAST] == 1.0 and members_only.informed[LAST] == 0
    cfg = RegistrationConfig(mixture=True, free_gate_sd=8.0)
    reg = register(rep, cl, cfg)
    assert cfg.scale_change < reg.scale_az[LAST] < 3.0  # enough for a second association
    assert reg.informed[LAST] == len(SOURCES)
    assert np.all(reg.scale_az[:LAST] < 1.2)
    assert reg.matters(rep, cfg)


def test_free_reports_beyond_the_gate_or_of_an_observer_already_in_the_event_are_not_read() -> None:
    rep, cl = _unjoined_day(2.5)
    # 1 stated sigma of gate: only the few free bearings within 1° of their sound
    narrow = register(rep, cl, RegistrationConfig(mixture=True, free_gate_sd=1.0))
    assert narrow.informed[LAST] < len(SOURCES) // 2
    # the last post's reports back in their events: nothing is free, members only
    cl.labels[:] = np.arange(cl.labels.shape[0]) // len(POSTS)
    cl.refit(rep)
    both = register(rep, cl, RegistrationConfig(mixture=True, free_gate_sd=8.0))
    assert both.informed[LAST] == len(SOURCES)


def test_in_the_mixture_clutter_among_the_residuals_does_not_read_as_noise() -> None:
    """A post as good as it says, 6 of whose 20 free reports are clutter (bearings
    5-7 sigma off): clipped, the clutter makes it look noisy; in the mixture it
    stays near as stated."""
    rep, cl = _unjoined_day(1.0)
    r = rep.rows
    last = np.flatnonzero(np.array(rep.src) == LAST)
    off = np.radians(np.array([5.0, -6.0, 7.0, -5.5, 6.5, -7.0]))
    az = r.az.copy()
    az[last[: off.shape[0]]] += off
    rows = Rows(r.ox, r.oy, az, r.sigma_az, r.t, r.sigma_t, r.speed_factor, r.rng, r.sigma_rng)
    rep2 = reports(rows, rep.src)
    clipped = register(rep2, cl, RegistrationConfig(free_gate_sd=8.0, clock_gate_s=0.0))
    mixed = register(rep2, cl, RegistrationConfig(mixture=True, free_gate_sd=8.0))
    assert clipped.informed[LAST] == mixed.informed[LAST] >= len(SOURCES) - 1
    assert clipped.scale_az[LAST] > 1.5
    assert mixed.scale_az[LAST] < 1.2


def _camera_day(clock_s: float) -> tuple[Reports, Clusters]:
    """Every post hears every sound (exact; stated 2 s, a post's), the last one is
    a camera that sees them (no sound delay; stated 0.2 s) with its clock
    ``clock_s`` fast; every report in its sound's event, fitted."""
    rows, src, labels = _day()
    last = np.array(src) == LAST
    t = np.where(last, np.repeat([s[2] for s in SOURCES], len(POSTS)) + clock_s, rows.t)
    rows = Rows(rows.ox, rows.oy, rows.az, rows.sigma_az, t, np.where(last, 0.2, 2.0),
                np.where(last, 0.0, 1.0), rows.rng, rows.sigma_rng)  # fmt: skip
    rep = reports(rows, src)
    return rep, _events(rep, labels)


def test_a_sharp_seen_clock_is_read_against_events_refitted_with_its_time_blunted() -> None:
    """A camera (0.2 s) sets the emission time of every fit it joins beside seven
    posts (2 s; weights 25 against 7 × 0.25): its own residual is small whatever
    its clock, and the posts look early. Refitted with its seen time at 1 s
    (weight 1 against 1.75), the posts set most of the time and most of its 1.5 s
    shows as its own."""
    rep, cl = _camera_day(1.5)
    as_fitted = register(rep, cl, RegistrationConfig(read_seen_sigma_s=0.0, clock_gate_s=0.0))
    assert as_fitted.offset_s[LAST] < 0.4 and np.all(as_fitted.offset_s[:LAST] < -1.0)
    read = register(rep, cl, RegistrationConfig(read_seen_sigma_s=1.0, clock_gate_s=0.0))
    assert 0.9 < read.offset_s[LAST] < 1.5
    assert np.all(np.abs(read.offset_s[:LAST]) < 0.5 * np.abs(as_fitted.offset_s[:LAST]))
    # the mode of its members' residuals over their 1 - h (each the residual of an
    # event fitted without it, here exact) says 1.5 s, not shrunk toward 0. As
    # shipped it is not taken: its members read at 1 s are not sharp (above
    # clock_mode_sigma_s) and it lies 0.42 s from the mean (under
    # clock_mode_margin_s); the posts' own clocks are read from their means
    mode = register(rep, cl, RegistrationConfig(clock_mode_margin_s=0.0, clock_mode_sigma_s=1.0))
    assert abs(mode.offset_s[LAST] - 1.5) < 0.05
    assert np.allclose(mode.offset_s[:LAST], read.offset_s[:LAST])
    shipped = register(rep, cl, RegistrationConfig())
    assert shipped.offset_s[LAST] == read.offset_s[LAST]


def test_a_sharp_clock_association_left_out_is_read_from_its_free_reports() -> None:
    """A camera whose clock is 2 s off joined no event (each of its reports 10 of
    its σ off): its members say nothing; its free reports, each against the event
    whose bearing it fits, say 2 s, and the mode of them is taken; beyond the gate
    they are not read."""
    rep, cl = _camera_day(2.0)
    cl.labels[np.array(rep.src) == LAST] = -1
    cl.refit(rep)
    assert register(rep, cl, RegistrationConfig(clock_gate_s=0.0)).informed[LAST] == 0
    reg = register(rep, cl, RegistrationConfig(clock_gate_s=4.0))
    assert reg.informed[LAST] == len(SOURCES)
    assert abs(reg.offset_s[LAST] - 2.0) < 0.05
    assert np.all(np.abs(reg.offset_s[:LAST]) < 0.05)
    assert register(rep, cl, RegistrationConfig(clock_gate_s=1.5)).offset_s[LAST] == 0.0


def test_residuals_of_windows_concatenate_with_their_events_apart() -> None:
    rep, cl = _camera_day(0.0)
    res = residuals(rep, cl, RegistrationConfig())
    assert set(res.event.tolist()) == set(range(len(SOURCES)))
    both = Residuals.concat([res, res])
    # the second window's events are others, numbered after the first's
    assert np.array_equal(both.event[: res.event.shape[0]], res.event)
    assert np.array_equal(both.event[res.event.shape[0] :], res.event + len(SOURCES))
    assert np.array_equal(Residuals.concat([res, res], apart=False).event[res.event.shape[0] :],
                          res.event)  # fmt: skip
