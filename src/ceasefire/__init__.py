"""ceasefire: monitoring of a UN-mandated ceasefire, and design of the mission.

The public Python surface is ``__all__``; everything else may change. Names are
imported on first use, so ``import ceasefire`` stays light::

    import ceasefire as cf
    m = cf.load_mandate("examples/donbas-2015/mandate.yaml")
    events = cf.fuse(observation_arrays)
    violations = cf.assess(events, m)

The exception tree is drawn in :mod:`ceasefire.model.errors`.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

from ceasefire.model.errors import (
    CeasefireError,
    DesignError,
    InputError,
    LedgerError,
    MandateError,
    ObservationError,
    PipelineError,
    StoreError,
    VerificationError,
)

__version__ = "0.1.0"

#: public name → module that defines it
_LAZY: dict[str, str] = {
    # shared types
    "Observation": "ceasefire.model",
    "BearingObservation": "ceasefire.model",
    "ArrivalObservation": "ceasefire.model",
    "SightingObservation": "ceasefire.model",
    "ObservationArrays": "ceasefire.model",
    "Event": "ceasefire.model",
    "Violation": "ceasefire.model",
    "Escalation": "ceasefire.model",
    "Ellipse": "ceasefire.model",
    # stages
    "load_mandate": "ceasefire.mandate",
    "Mandate": "ceasefire.mandate",
    "day_bounds": "ceasefire.mandate",
    "ingest_files": "ceasefire.ingest",
    "Store": "ceasefire.store",
    "fuse": "ceasefire.fuse",
    "FuseConfig": "ceasefire.fuse",
    "assess": "ceasefire.assess",
    "escalate": "ceasefire.assess",
    "Ledger": "ceasefire.ledger",
    "verify_bundle": "ceasefire.ledger",
    "render_report": "ceasefire.report",
    "ReportContext": "ceasefire.report",
    "export": "ceasefire.report",
    "run": "ceasefire.pipeline",
}

__all__ = [
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
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ceasefire' has no attribute {name!r}")
    try:
        imported = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        from ceasefire._extras import missing_extra_error

        raise missing_extra_error(exc, f"ceasefire.{name}") from exc
    value = getattr(imported, name)
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    """``ceasefire`` itself. Importing a submodule sets it as an attribute of
    its package: ``ceasefire.fuse`` (the subpackage) would then hide
    ``ceasefire.fuse`` (the function) once anything imported the subpackage. A
    submodule is not kept under a public name that ``_LAZY`` gives to a
    function or class; the submodule stays reachable in ``sys.modules``."""

    def __setattr__(self, name: str, value: Any) -> None:
        if (
            name in _LAZY
            and isinstance(value, types.ModuleType)
            and value.__name__ == f"{__name__}.{name}"
        ):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __dir__() -> list[str]:
    return list(__all__)
