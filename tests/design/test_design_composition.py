"""CP-SAT composition on cases whose optimum is reasoned by hand."""

from __future__ import annotations

from ceasefire.design.composition import Offer, Problem, capacity_met, compose, diagnose


def test_share_cap_forces_a_third_contributor() -> None:
    # cap 50 %: A <= 75, B <= 60, C <= 30 of a 150 force; A+B = 135 < 150, so all three.
    p = Problem(
        (
            Offer("A", "X", {"troops": 100}),
            Offer("B", "Y", {"troops": 60}),
            Offer("C", "X", {"troops": 30}),
        ),
        {"troops": 150},
        max_share=0.5,
        min_regions=2,
    )
    c = compose(p)
    assert c.status == "optimal"
    assert c.meets_requirement and c.totals["troops"] == 150
    assert set(c.allocation) == {"A", "B", "C"}
    assert all(a["troops"] <= 75 for a in c.allocation.values())
    assert c.regions == ("X", "Y")


def test_two_contributors_under_a_40_percent_cap_field_nothing() -> None:
    # x_A <= 0.4 T and x_B <= 0.4 T give T <= 0.8 T, so T = 0.
    p = Problem(
        (Offer("A", "X", {"troops": 100}), Offer("B", "Y", {"troops": 100})),
        {"troops": 150},
        max_share=0.4,
    )
    c = compose(p)
    assert c.totals["troops"] == 0 and c.shortfall["troops"] == 150
    d = diagnose(p)
    assert d["without share cap"].totals["troops"] == 150
    assert not capacity_met([{"troops": 100}, {"troops": 100}], {"troops": 150}, 0.4)
    assert capacity_met([{"troops": 100}, {"troops": 100}], {"troops": 150}, 0.75)


def test_region_share_cap_bounds_the_force_by_the_small_region() -> None:
    # region X <= 50 % of T and region Y has 10: X <= Y <= 10, so T <= 20.
    p = Problem(
        (
            Offer("A", "X", {"troops": 100}),
            Offer("B", "X", {"troops": 100}),
            Offer("C", "Y", {"troops": 10}),
        ),
        {"troops": 150},
        min_regions=2,
        max_region_share=0.5,
    )
    c = compose(p)
    assert c.totals["troops"] == 20
    assert c.shortfall["troops"] == 130
    assert c.allocation["C"]["troops"] == 10
    # at equal shortfall, fewer contributors: one X contributor suffices
    assert len(c.allocation) == 2
    assert diagnose(p)["without region spread"].totals["troops"] == 150


def test_min_regions_not_reachable_gives_the_empty_force() -> None:
    p = Problem((Offer("A", "X", {"troops": 500}),), {"troops": 100}, min_regions=2)
    c = compose(p)
    assert c.allocation == {} and c.shortfall["troops"] == 100
    assert c.relative_shortfall == 1.0


def test_shortfall_is_weighted_by_the_requirement() -> None:
    # Only one of A, B may be used (cap 100 % but min 1 region each is fine): both usable;
    # A covers all troops, B all drones; drones are scarce, both are taken.
    p = Problem(
        (
            Offer("A", "X", {"troops": 1000, "drones": 0}),
            Offer("B", "Y", {"troops": 0, "drones": 5}),
        ),
        {"troops": 1000, "drones": 10},
    )
    c = compose(p)
    assert c.totals == {"troops": 1000, "monitors": 0, "drones": 5}
    assert c.shortfall["drones"] == 5
    assert abs(c.relative_shortfall - 0.25) < 1e-9  # mean of 0 and 0.5
