"""The public surface: exactly ``__all__``, every name resolvable, lazy imports."""

from __future__ import annotations

import subprocess
import sys

import ceasefire

EXPECTED = {
    "ArrivalObservation",
    "BearingObservation",
    "CeasefireError",
    "DesignError",
    "Ellipse",
    "Escalation",
    "Event",
    "FuseConfig",
    "InputError",
    "Ledger",
    "LedgerError",
    "Mandate",
    "MandateError",
    "Observation",
    "ObservationArrays",
    "ObservationError",
    "PipelineError",
    "ReportContext",
    "SightingObservation",
    "Store",
    "StoreError",
    "VerificationError",
    "Violation",
    "assess",
    "day_bounds",
    "escalate",
    "export",
    "fuse",
    "ingest_files",
    "load_mandate",
    "render_report",
    "run",
    "verify_bundle",
}


def test_all_is_exactly_the_public_surface() -> None:
    assert set(ceasefire.__all__) == EXPECTED
    assert sorted(ceasefire.__all__) == ceasefire.__all__


def test_every_public_name_resolves() -> None:
    for name in ceasefire.__all__:
        assert getattr(ceasefire, name) is not None, name


def test_errors_share_one_root() -> None:
    for name in ceasefire.__all__:
        obj = getattr(ceasefire, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, ceasefire.CeasefireError)


def test_import_is_light() -> None:
    heavy = "('matplotlib', 'ortools', 'weasyprint')"
    code = f"import sys, ceasefire; print(any(m in sys.modules for m in {heavy}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_lazy_names_are_all_public() -> None:
    assert set(ceasefire._LAZY) <= set(ceasefire.__all__)


def test_fuse_and_assess_stay_functions_after_their_subpackages_are_imported() -> None:
    # `cf.run` imports ceasefire.fuse and ceasefire.assess (the subpackages); the
    # import system then sets them as attributes of `ceasefire`, hiding the functions
    code = (
        "import importlib, inspect, ceasefire as cf\n"
        "importlib.import_module('ceasefire.pipeline')\n"
        "import ceasefire.fuse.engine, ceasefire.assess.judge\n"
        "print(inspect.isfunction(cf.fuse), inspect.isfunction(cf.assess))\n"
        "print(cf.fuse.__module__)\n"
        "from ceasefire.fuse import FuseConfig\n"
        "print(FuseConfig.__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:3] == ["True True", "ceasefire.fuse.engine", "FuseConfig"]
