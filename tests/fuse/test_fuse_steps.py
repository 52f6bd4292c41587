"""Event finality's step (fuse/steps.py), the one the live workers and the batch
take: a skipped step changes nothing, a sector consumes each report once, and a
chain restored from the events it emitted goes on as if never stopped."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from ceasefire.fuse import steps, tiles
from ceasefire.mandate import load_mandate
from ceasefire.model import Event
from ceasefire.model.arrays import ObservationArrays
from ceasefire.pipeline import fuse_config
from ceasefire.simulate import get_profile, simulate

# every test of the module on one worker: its module fixtures are made once, not
# once a worker
pytestmark = pytest.mark.xdist_group("fuse-steps")

#: a heavy simulated slice, h (seed 2015, from midnight)
HOURS = 2.0


@pytest.fixture(scope="module")
def slice_(donbas_mandate_path: Path) -> tuple[ObservationArrays, steps.StepPlan]:
    m = load_mandate(donbas_mandate_path)
    t0 = datetime(2025, 6, 1, tzinfo=m.tz).timestamp()
    sc = simulate(m, get_profile("heavy"), t0, HOURS, 2015)
    obs = sc.observations.take(sc.observations.kind != tiles.K_SIGHTING)
    cfg = fuse_config(m)
    return obs, steps.StepPlan(cfg, steps.bounds_of(cfg), 60.0)


@pytest.fixture(scope="module")
def whole(
    slice_: tuple[ObservationArrays, steps.StepPlan],
) -> tuple[list[Event], dict[str, steps.SectorChain]]:
    """The slice's events from one unbroken chain per sector, and the chains."""
    obs, plan = slice_
    chains = steps.chains_of(plan.cfg)
    return steps.run_steps(obs, chains, plan, *_span(obs, plan)), chains


def _span(obs: ObservationArrays, plan: steps.StepPlan) -> tuple[float, float]:
    first = plan.first_step(float(obs.time_s.min()))
    return first, plan.first_step(float(obs.time_s.max()) + plan.open_s)


def test_skipping_a_step_whose_open_set_is_unchanged_changes_no_event(
    slice_: tuple[ObservationArrays, steps.StepPlan],
    whole: tuple[list[Event], dict[str, steps.SectorChain]],
) -> None:
    obs, plan = slice_
    first, last = _span(obs, plan)
    every = steps.chains_of(plan.cfg)
    for c in every.values():
        c.remember = False
    fused_all = steps.run_steps(obs, every, plan, first, last)
    fused, skipping = whole
    assert len(fused_all) > 50
    assert [e.id for e in fused] == [e.id for e in fused_all]
    assert fused == fused_all  # the same events, fields and all
    skipped = sum(c.skipped for c in skipping.values())
    assert skipped > 0 and all(c.skipped == 0 for c in every.values())
    # a skipped step is one not fused
    assert sum(c.fused for c in skipping.values()) + skipped == sum(c.fused for c in every.values())


def test_a_sector_emits_each_report_once_and_forgets_what_left_its_window(
    slice_: tuple[ObservationArrays, steps.StepPlan],
    whole: tuple[list[Event], dict[str, steps.SectorChain]],
) -> None:
    obs, plan = slice_
    first, last = _span(obs, plan)
    events, chains = whole
    assert len({e.id for e in events}) == len(events)
    owners = tiles.Sectors.of(plan.cfg).owners(events)
    for s in chains:
        held = [
            oid for e, o in zip(events, owners, strict=True) if o == s for oid in e.observation_ids
        ]
        assert held and len(held) == len(set(held)), f"{s}: a report in two events"
    # every event waited its bound; none is emitted after the span
    at = steps.final_at_s(events, plan.bounds)
    assert (at <= last).all()
    # once a step is committed, nothing consumed is older than its open window
    mid = first + round((last - first) / 2.0 / plan.step_s) * plan.step_s
    half = steps.chains_of(plan.cfg)
    steps.run_steps(obs, half, plan, first, mid)
    held = {s: dict(c.consumed) for s, c in half.items()}
    assert any(held.values())
    for s, c in half.items():
        c.advance(plan, mid + plan.step_s)
        lo = plan.open_from(mid + plan.step_s)
        assert c.consumed == {k: t for k, t in held[s].items() if t >= lo}
        assert all(e.time_s >= plan.emitted_since(mid + plan.step_s) for e in c.emitted)


def _emitted_before(events: list[Event], plan: steps.StepPlan, w: float) -> list[Event]:
    done = plan.emitted_at(events) < w
    return [e for e, d in zip(events, done.tolist(), strict=True) if d]


@pytest.mark.parametrize("which", [1 / 3, 2 / 3])
def test_a_chain_restored_from_its_events_goes_on_as_if_never_stopped(
    slice_: tuple[ObservationArrays, steps.StepPlan],
    whole: tuple[list[Event], dict[str, steps.SectorChain]],
    which: float,
) -> None:
    """As the batch's next day starts (pipeline_steps): the unbroken chain's events
    emitted before the cut (by their bound's step; a launch fired just before the
    cut is emitted after it, waiting for its impact) given to fresh chains with
    the reports, run from the cut, emit what the unbroken chain emitted from there."""
    obs, plan = slice_
    last = _span(obs, plan)[1]
    events = whole[0]
    firing = [e for e in events if e.kind == "firing"]
    e = firing[int(which * len(firing))]
    cut = plan.first_step(e.time_s)
    early = _emitted_before(events, plan, cut)
    assert e not in early, "the launch waits past the cut"
    chains = steps.chains_of(plan.cfg)
    steps.restore_chains(chains, plan.cfg, early, steps.keys_by_id(obs, steps.keys_of(obs)))
    after = steps.run_steps(obs, chains, plan, cut, last)
    assert sorted(x.id for x in early + after) == sorted(x.id for x in events)
    # restoring every event up to the cut instead (the launch as if emitted) loses it
    wrong = steps.chains_of(plan.cfg)
    up_to = [x for x in events if x.time_s < cut]
    steps.restore_chains(wrong, plan.cfg, up_to, steps.keys_by_id(obs, steps.keys_of(obs)))
    assert e.id not in {x.id for x in steps.run_steps(obs, wrong, plan, cut, last)}
