"""Which optional extra of the package provides which import.

``pip install ceasefire`` alone installs what verifying the evidence ledger
needs (``ceasefire ledger verify-proof``); the rest comes in extras (``pip
install 'ceasefire[all]'``). A missing one is named in a clear error.
"""

from __future__ import annotations

#: top-level import name → the extra that installs it
EXTRA_OF: dict[str, str] = {
    "scipy": "pipeline",
    "pyproj": "pipeline",
    "shapely": "pipeline",
    "sqlalchemy": "pipeline",
    "jinja2": "report",
    "markupsafe": "report",
    "matplotlib": "report",
    "weasyprint": "report",
    "pyogrio": "report",
    "fastkml": "report",
    "PIL": "report",
    "ortools": "pipeline",
    "psycopg": "postgres",
    "dask": "cluster",
    "distributed": "cluster",
}


def missing_extra_error(exc: ModuleNotFoundError, what: str) -> ImportError:
    """A clear ImportError for ``exc`` when an extra provides the missing module
    (``exc`` itself otherwise)."""
    top = (exc.name or "").split(".")[0]
    extra = EXTRA_OF.get(top)
    if extra is None:
        return exc
    return ImportError(
        f"{what} needs the optional dependency {top!r}, which is not installed; "
        f"install it with: pip install 'ceasefire[{extra}]' (or 'ceasefire[all]')",
        name=exc.name,
    )
