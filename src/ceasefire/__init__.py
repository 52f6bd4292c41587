"""ceasefire: monitoring of a UN-mandated ceasefire, and design of the mission."""

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

__all__ = [
    "CeasefireError",
    "DesignError",
    "InputError",
    "LedgerError",
    "MandateError",
    "ObservationError",
    "PipelineError",
    "StoreError",
    "VerificationError",
]
__version__ = "0.1.0"
