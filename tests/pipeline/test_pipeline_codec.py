"""Writing a day's results (store, ledger) turns each event, violation and
escalation into a dict with ``codec.to_dict``: it must be ``dataclasses.asdict``."""

from __future__ import annotations

import json
from collections import namedtuple
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from ceasefire.assess import assess
from ceasefire.fuse import fuse
from ceasefire.mandate import load_mandate
from ceasefire.model import codec
from ceasefire.pipeline import fuse_config
from ceasefire.simulate import get_profile, simulate

ROOT = Path(__file__).resolve().parents[2]


def test_to_dict_is_asdict_on_a_days_results() -> None:
    m = load_mandate(ROOT / "examples" / "donbas-2015" / "mandate.yaml")
    t0 = datetime(2025, 6, 1, 11, tzinfo=m.tz).timestamp()
    sc = simulate(m, get_profile("heavy"), t0, 2.0, 2015)
    events = fuse(sc.observations, fuse_config(m))
    violations = assess(events, m)
    assert len(events) > 50 and len(violations) > 10
    for x in [*events, *violations]:
        got, want = codec.to_dict(x), asdict(x)
        assert got == want
        # the same JSON, key order and value types included (tuples stay tuples)
        assert json.dumps(got) == json.dumps(want)
        assert [type(v) for v in got.values()] == [type(v) for v in want.values()]


Pair = namedtuple("Pair", "a b")


@dataclass
class Inner:
    v: tuple[float, ...] = (1.0, 2.0)


@dataclass
class Odd:
    pair: Pair = field(default_factory=lambda: Pair(1, [2, 3]))
    inner: Inner = field(default_factory=Inner)
    nested: dict[str, list[tuple[int, ...]]] = field(default_factory=lambda: {"k": [(1, 2)]})
    other: object = field(default_factory=lambda: {1.5})


def test_to_dict_treats_unusual_values_as_asdict_does() -> None:
    x = Odd()
    got = codec.to_dict(x)  # type: ignore[arg-type]
    assert got == asdict(x) and type(got["pair"]) is Pair
    assert got["nested"]["k"][0] == (1, 2) and got["other"] is not x.other


@dataclass
class Flat:
    names: list[str] = field(default_factory=lambda: ["a", "b"])
    ids: tuple[str, ...] = ("o1", "o2")
    mixed: tuple[object, ...] = ("o1", ["a"], None)


def test_to_dict_copies_a_list_of_atoms_and_a_tuple_holding_a_container() -> None:
    x = Flat()
    got = codec.to_dict(x)  # type: ignore[arg-type]
    assert got == asdict(x)
    # a list is a new list (asdict's copy): changing it leaves the result alone
    assert got["names"] is not x.names
    got["names"].append("c")
    assert x.names == ["a", "b"]
    # a tuple holding a list is rebuilt around a copy of the list
    assert got["mixed"][1] is not x.mixed[1] and got["mixed"] == ("o1", ["a"], None)
