"""The map's layers: what the map draws of the day, as arrays."""

from __future__ import annotations

import pickle
from dataclasses import fields, replace

import numpy as np
import pytest
from matplotlib.colors import to_rgba

from ceasefire.mandate import Mandate
from ceasefire.model import Event
from ceasefire.report.context import ReportContext
from ceasefire.report.geometry import ELLIPSE_VERTICES, ellipse_rings
from ceasefire.report.layers import MapLayers, Marks, map_layers, named_events
from ceasefire.report.render import PARALLEL_MIN_ITEMS, map_processes
from ceasefire.report.style import OTHER_COLOUR, UNDETERMINED_COLOUR, party_colours
from conftest import PLAN, TOTAL, build_day_ctx


def _day(donbas: Mandate) -> ReportContext:
    """The hand-built day with one violation without a position, one without an
    ellipse, an event no violation names and an event without a position."""
    ctx = build_day_ctx(donbas)
    vs = list(ctx.violations)
    vs[3] = replace(vs[3], lat=None, lon=None, cov_m2=None)  # a UA explosion
    vs[6] = replace(vs[6], cov_m2=None)  # an RU firing
    t = vs[0].time_s
    lone = Event("e-lone", "explosion", t, 48.7, 38.1, None, ("o-lone",), 1)
    blind = Event("e-blind", "explosion", t, None, None, None, ("o-blind",), 1)
    return replace(ctx, violations=vs, events=[*ctx.events, lone, blind])


def test_layers_of_the_day(donbas: Mandate) -> None:
    ctx = _day(donbas)
    layers = map_layers(donbas, ctx.events, ctx.violations)
    located = [v for v in ctx.violations if v.lat is not None]
    assert layers.unlocated == 1 and len(layers.violation_lat) == TOTAL - 1
    assert list(layers.violation_lat) == [v.lat for v in located]
    # every violation's event is named, so the grey dots are the lone event only
    assert layers.others == 1
    assert (layers.other_lat[0], layers.other_lon[0]) == (48.7, 38.1)
    # an ellipse for each located violation with a covariance, closed, about it
    assert layers.rings.shape == (TOTAL - 2, ELLIPSE_VERTICES, 2)
    assert np.array_equal(layers.rings[:, 0], layers.rings[:, -1])
    centres = [(v.lon, v.lat) for v in located if v.cov_m2 is not None]
    assert np.allclose(layers.rings[:, :-1].mean(axis=1), centres, atol=1e-4)


def test_marker_groups_and_colours(donbas: Mandate) -> None:
    ctx = _day(donbas)
    layers = map_layers(donbas, ctx.events, ctx.violations)
    ua, ru = (np.array(to_rgba(party_colours(donbas.party_ids)[p])) for p in ("UA", "RU"))
    grey, other = np.array(to_rgba(UNDETERMINED_COLOUR)), np.array(to_rgba(OTHER_COLOUR))
    # the plan's explosions: 5 UA (one without a position), 2 undetermined
    assert np.array_equal(layers.marks["explosion"].rgba, [ua] * 4 + [grey] * 2)
    # the withdrawal rule's sightings are drawn as weapons whatever their kind:
    # 2 RU, 1 undetermined
    assert np.array_equal(layers.marks["withdrawal"].rgba, [ru, ru, grey])
    # the rest: 3 RU firings, a UA drone and a drone of a party the mandate
    # does not know (the "other" colour)
    assert np.array_equal(layers.marks["other"].rgba, [ru, ru, ru, ua, other])
    kinds = [k for k, *_ in PLAN]
    assert sum(len(m.lat) for m in layers.marks.values()) == len(kinds) - 1


def test_a_group_nobody_is_in_is_left_out(donbas: Mandate) -> None:
    ctx = build_day_ctx(donbas)
    only = [v for v in ctx.violations if v.kind == "explosion"]
    layers = map_layers(donbas, ctx.events, only)
    assert sorted(layers.marks) == ["explosion"]
    # the events of the other violations are now grey dots
    assert layers.others == len(ctx.events) - len(only)


def test_layers_hold_arrays_only(donbas: Mandate) -> None:
    """What a forked process reads to draw a map: arrays and counts, nothing
    of the day's objects (reading those would copy their pages into it)."""
    ctx = _day(donbas)
    layers = map_layers(donbas, ctx.events, ctx.violations)

    def plain(x: object) -> bool:
        if isinstance(x, np.ndarray):
            return x.dtype == np.float64
        if isinstance(x, Marks):
            return all(plain(getattr(x, f.name)) for f in fields(x))
        if isinstance(x, dict):
            return all(isinstance(k, str) and plain(v) for k, v in x.items())
        return type(x) is int

    assert all(plain(getattr(layers, f.name)) for f in fields(MapLayers))
    assert pickle.loads(pickle.dumps(layers)).marks.keys() == layers.marks.keys()


@pytest.mark.parametrize(("extra", "expected"), [(0, 1), (PARALLEL_MIN_ITEMS, 2)])
def test_large_days_draw_their_maps_in_two_processes(
    donbas: Mandate, extra: int, expected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = build_day_ctx(donbas)
    big = replace(ctx, events=ctx.events + [ctx.events[0]] * extra)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert map_processes(big) == expected
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert map_processes(big) == 1


def test_layers_of_slices_are_the_layers_of_the_day(donbas: Mandate) -> None:
    """How ``pipeline.MapsAhead`` reads a day: violations a slice at a time,
    then events with the whole day's named ids; the same arrays, in order."""
    ctx = _day(donbas)
    whole = map_layers(donbas, ctx.events, ctx.violations)
    vs, es = ctx.violations, ctx.events
    cuts = [(0, 4), (4, 5), (5, 5), (5, len(vs))]
    named = named_events(vs)
    parts = [map_layers(donbas, [], vs[a:b]) for a, b in cuts]
    parts += [map_layers(donbas, es[a:b], [], named=named) for a, b in ((0, 9), (9, len(es)))]
    joined = MapLayers.concat(parts)
    for f in fields(MapLayers):
        got, want = getattr(joined, f.name), getattr(whole, f.name)
        if f.name == "marks":
            assert got.keys() == want.keys()
            for k in got:
                for g in fields(Marks):
                    assert np.array_equal(getattr(got[k], g.name), getattr(want[k], g.name))
        else:
            assert np.array_equal(got, want), f.name
    # without the day's named ids, a slice's events would all be grey dots
    assert map_layers(donbas, es, []).others == len([e for e in es if e.has_position])


def test_layers_carry_ellipse_parameters_and_draw_the_exports_rings(donbas: Mandate) -> None:
    """The layers hold 5 numbers an ellipse (what travels between processes);
    the rings are made where the map is drawn, the same as the exports' rings."""
    ctx = _day(donbas)
    layers = map_layers(donbas, ctx.events, ctx.violations)
    assert "rings" not in vars(layers)  # not made until drawn
    params = ("ellipse_lat", "ellipse_lon", "semi_major_m", "semi_minor_m", "orientation_deg")
    assert {getattr(layers, p).shape for p in params} == {(TOTAL - 2,)}
    with_ell = [v for v in ctx.violations if v.lat is not None and v.cov_m2 is not None]
    want = ellipse_rings(
        [v.lat for v in with_ell],
        [v.lon for v in with_ell],
        [e for v in with_ell if (e := v.ellipse) is not None],
    )
    assert np.array_equal(layers.rings, want)
    # a layer's rings of a slice of the violations are the day's rings of that slice
    parts = [map_layers(donbas, [], ctx.violations[a:b]) for a, b in ((0, 5), (5, TOTAL))]
    assert np.array_equal(MapLayers.concat(parts).rings, want)


def test_no_ellipse_no_rings(donbas: Mandate) -> None:
    ctx = build_day_ctx(donbas)
    flat = [replace(v, cov_m2=None) for v in ctx.violations]
    layers = map_layers(donbas, ctx.events, flat)
    assert layers.rings.shape == (0, ELLIPSE_VERTICES, 2)
    assert len(layers.ring_rgba) == 0 and len(layers.violation_lat) == TOTAL
