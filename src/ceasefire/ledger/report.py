"""What verification found: the result types of ``Ledger.verify`` and ``verify_bundle``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ceasefire.ledger.heads import SignedTreeHead

__all__ = ["ProofCheck", "VerifyReport"]


@dataclass(frozen=True)
class VerifyReport:
    """A whole-log verification that passed."""

    size: int
    root_hash: str
    records_bytes: int
    commits: int
    heads: int
    latest_head: SignedTreeHead | None
    key_id: str
    key_source: str
    unsigned_records: int
    elapsed_s: float
    notes: list[str] = field(default_factory=list)

    @property
    def records_per_s(self) -> float:
        """Verification throughput."""
        return self.size / self.elapsed_s if self.elapsed_s > 0 else float("inf")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {
            "ok": True,
            "size": self.size,
            "root_hash": self.root_hash,
            "records_bytes": self.records_bytes,
            "commits": self.commits,
            "heads": self.heads,
            "latest_head": self.latest_head.to_dict() if self.latest_head else None,
            "key_id": self.key_id,
            "key_source": self.key_source,
            "unsigned_records": self.unsigned_records,
            "elapsed_s": round(self.elapsed_s, 6),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class ProofCheck:
    """A proof bundle that verified offline."""

    kind: str
    key_id: str
    head: SignedTreeHead
    record_id: str | None = None
    record_type: str | None = None
    leaf_index: int | None = None
    old_head: SignedTreeHead | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {
            "ok": True,
            "kind": self.kind,
            "key_id": self.key_id,
            "record_id": self.record_id,
            "record_type": self.record_type,
            "leaf_index": self.leaf_index,
            "head": self.head.to_dict(),
            "old_head": self.old_head.to_dict() if self.old_head else None,
        }
