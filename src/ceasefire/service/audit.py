"""The access audit: one record per request in its own signed Merkle log.

It is a ledger directory of the ``ledger`` room (RFC 9162 tree, Ed25519 heads,
consistency proofs), separate from the evidence ledger. Each record::

    {"type": "access", "id": "req-<uuid>", "time": ISO 8601 UTC, "user": name|null,
     "role": role|null, "method": "GET", "resource": "/api/v1/violations",
     "filters": {query parameters}, "returned": n|null, "written": n|null,
     "status": 200, "outcome": "allowed"|"denied"|"unauthenticated"|"invalid"|"error"}

A head is signed when a day is published and when the server stops; a party
given two heads can check with a consistency proof that nothing was removed
or rewritten between them.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ceasefire.ledger import Ledger, SignedTreeHead

__all__ = ["AuditLog", "outcome_of"]


def outcome_of(status: int, user: str | None) -> str:
    """The audit outcome of an HTTP status."""
    if status == 401:
        return "unauthenticated"
    if status in (403, 404) and user is not None:
        return "denied" if status == 403 else "not_found"
    if 400 <= status < 500:
        return "invalid"
    if status >= 500:
        return "error"
    return "allowed"


class AuditLog:
    """Append-only access audit over a ledger directory; safe across threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._ledger = Ledger.open(self.path)
        self._lock = threading.Lock()

    def record(
        self,
        *,
        user: str | None,
        role: str | None,
        method: str,
        resource: str,
        filters: dict[str, str],
        returned: int | None,
        written: int | None,
        status: int,
    ) -> str:
        """Append one request's record; returns its id."""
        now = time.time()
        rid = f"req-{uuid.uuid4().hex}"
        rec: dict[str, Any] = {
            "type": "access",
            "id": rid,
            "time": datetime.fromtimestamp(now, tz=UTC).isoformat(timespec="milliseconds"),
            "user": user,
            "role": role,
            "method": method,
            "resource": resource,
            "filters": dict(sorted(filters.items())),
            "returned": returned,
            "written": written,
            "status": status,
            "outcome": outcome_of(status, user),
        }
        with self._lock:
            self._ledger.append([rec])
        return rid

    def sign(self, time_s: float | None = None) -> SignedTreeHead:
        """Sign the audit log's current head."""
        with self._lock:
            return self._ledger.sign_head(time.time() if time_s is None else time_s)

    def size(self) -> int:
        return self._ledger.size

    def heads(self) -> list[SignedTreeHead]:
        return self._ledger.heads()

    def entries(
        self, user: str | None = None, since_s: float | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every record in order, optionally of one user and from a time on."""
        since = (
            datetime.fromtimestamp(since_s, tz=UTC).isoformat(timespec="milliseconds")
            if since_s is not None
            else None
        )
        for i in range(self._ledger.size):
            rec = self._ledger.record(i)
            if user is not None and rec.get("user") != user:
                continue
            if since is not None and str(rec.get("time", "")) < since:
                continue
            yield rec

    def prove_consistency(
        self, old: SignedTreeHead, new: SignedTreeHead | None = None
    ) -> dict[str, Any]:
        """The consistency bundle between two signed heads (``ledger verify-proof`` checks it)."""
        return self._ledger.prove_consistency(old, new)

    def close(self) -> None:
        self._ledger.close()
