"""``benchmarks/oracle.py``'s ``overridden``: the fusion config fields a benchmark
run changes (``bench_family.py --fuse-set``) by their dotted path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ceasefire.fuse.config import FuseConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from oracle import overridden


def test_a_nested_field_is_changed_and_nothing_else() -> None:
    cfg = FuseConfig()
    got = overridden(
        cfg,
        [("association.registration.mixture", True), ("association.registration.free_gate_sd", 8.0),
         ("tile_s", None)],
    )  # fmt: skip
    assert got.association.registration.mixture is True
    assert got.association.registration.free_gate_sd == 8.0
    assert got.tile_s is None
    assert cfg.association.registration.mixture is False  # the original is untouched
    assert got.association.attach == cfg.association.attach
    assert got.association.registration.min_reports == cfg.association.registration.min_reports


def test_an_unknown_field_is_named_in_the_error() -> None:
    with pytest.raises(ValueError, match="RegistrationConfig has no field 'mixtur'"):
        overridden(FuseConfig(), [("association.registration.mixtur", True)])
    with pytest.raises(ValueError, match="has no field 'x'"):
        overridden(FuseConfig(), [("association.registration.mixture.x", True)])
