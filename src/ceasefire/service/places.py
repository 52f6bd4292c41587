"""Where a served store keeps its evidence ledger and its access audit.

The two ledger directories are named in the store (``meta``), so that
``ceasefire audit --store URL`` finds the audit of a store that was served.
Defaults: beside a SQLite store file (``X.db`` → ``X.ledger/``, ``X.audit/``),
else ``ceasefire-ledger/`` and ``ceasefire-audit/`` in the working folder.
"""

from __future__ import annotations

from pathlib import Path

from ceasefire.model.errors import StoreError
from ceasefire.store import Store

__all__ = ["audit_dir", "service_dirs"]

LEDGER_KEY = "evidence_ledger"
AUDIT_KEY = "audit_ledger"


def _default(store_target: str, suffix: str) -> Path:
    if "://" not in store_target:
        p = Path(store_target).resolve()
        return p.with_name(p.stem + suffix)
    return Path.cwd() / f"ceasefire{'-' + suffix.lstrip('.')}"


def service_dirs(
    store: Store, store_target: str, ledger: Path | None, audit: Path | None
) -> tuple[Path, Path]:
    """The (evidence ledger, access audit) directories of ``store``: those given,
    else those recorded in the store, else the defaults; recorded in the store."""
    out = []
    for given, key, suffix in ((ledger, LEDGER_KEY, ".ledger"), (audit, AUDIT_KEY, ".audit")):
        recorded = store.get_meta(key)
        path = (
            Path(given).resolve()
            if given is not None
            else Path(recorded)
            if recorded
            else _default(store_target, suffix)
        )
        if recorded != str(path):
            store.set_meta(key, str(path))
        out.append(path)
    return out[0], out[1]


def audit_dir(store: Store) -> Path:
    """The access audit directory recorded in ``store``."""
    recorded = store.get_meta(AUDIT_KEY)
    if recorded is None:
        raise StoreError(
            f"{store.target} has no access audit: it has not been served "
            "(`ceasefire serve --store ...` creates one)"
        )
    return Path(recorded)
