"""The one exception family of ceasefire.

::

    CeasefireError                 every error the package raises on purpose
    ├── InputError                 a file, line or field a person must fix
    │   ├── MandateError           the mandate document is invalid
    │   ├── ObservationError       one observation record is invalid (kept in quarantine)
    │   ├── DesignError            a mission design file or condition is invalid
    │   └── FleetError             a drone fleet document or patrol plan is invalid
    ├── StoreError                 the store cannot be opened, is of another schema version ...
    ├── LedgerError                the evidence ledger cannot be used
    │   └── VerificationError      a log, head, key or proof does not verify
    └── PipelineError              a stage was given what it cannot work on

Every message names where (file, line, field path), what was found and what was
expected, so that a person can act on it.
"""

from __future__ import annotations


class CeasefireError(Exception):
    """Base of every error ceasefire raises on purpose."""


class InputError(CeasefireError):
    """Invalid input; ``where`` names the file, line or field path."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.reason = message
        parts = []
        if file:
            parts.append(str(file) + (f":{line}" if line is not None else ""))
        elif line is not None:
            parts.append(f"line {line}")
        if field:
            parts.append(f"field '{field}'")
        where = ", ".join(parts)
        super().__init__(f"{where}: {message}" if where else message)


class MandateError(InputError):
    """The mandate document is invalid."""


class ObservationError(InputError):
    """One observation record is invalid; it goes to quarantine with this reason."""


class DesignError(InputError):
    """A mission design file or a condition expression is invalid."""


class FleetError(InputError):
    """A drone fleet document (or a patrol plan read back) is invalid."""


class StoreError(CeasefireError):
    """The store cannot be used (missing, wrong schema version, locked ...)."""


class LedgerError(CeasefireError):
    """The evidence ledger cannot be used."""


class VerificationError(LedgerError):
    """A log, tree head, key or proof does not verify."""


class PipelineError(CeasefireError):
    """A stage was given input it cannot work on."""
