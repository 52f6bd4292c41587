"""Signed tree heads: (size, root hash, time) under the mission's Ed25519 key.

The signed message is binary and fixed-width, so that any party can rebuild
it in any language::

    b"ceasefire-ledger/sth/v1\\x00" || uint64be(size) || uint64be(timestamp_ms) || root_hash

``timestamp_ms`` is the head's time in integer milliseconds since the UNIX
epoch (UTC), as in RFC 9162.
"""

from __future__ import annotations

import base64
import binascii
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ceasefire.ledger.checkpoint import (
    checkpoint_note,
    origin_for,
    parse_checkpoint,
    sign_checkpoint,
)
from ceasefire.ledger.keys import key_id
from ceasefire.model.errors import VerificationError

__all__ = ["STH_DOMAIN", "SignedTreeHead", "sign_tree_head", "sth_message", "verify_head"]

STH_DOMAIN = b"ceasefire-ledger/sth/v1\x00"


def sth_message(size: int, timestamp_ms: int, root: bytes) -> bytes:
    """The exact bytes a tree head's signature covers."""
    return STH_DOMAIN + struct.pack(">QQ", size, timestamp_ms) + root


@dataclass(frozen=True)
class SignedTreeHead:
    """One signed tree head: ``size`` leaves with ``root_hash`` (hex) at ``time_s``."""

    size: int
    root_hash: str
    time_s: float
    signature: str
    key_id: str
    #: base64(note key ID || Ed25519 signature) of the head as a C2SP checkpoint
    checkpoint_signature: str | None = None

    @property
    def timestamp_ms(self) -> int:
        """The signed time, integer milliseconds since the epoch."""
        return round(self.time_s * 1000)

    @property
    def time(self) -> str:
        """The signed time as ISO 8601 UTC."""
        dt = datetime.fromtimestamp(self.timestamp_ms / 1000, tz=UTC)
        return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def message(self) -> bytes:
        """The bytes the signature covers."""
        return sth_message(self.size, self.timestamp_ms, bytes.fromhex(self.root_hash))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form (what the report, bundles and ``heads.ndjson`` carry)."""
        return {
            "size": self.size,
            "root_hash": self.root_hash,
            "time": self.time,
            "time_s": self.time_s,
            "timestamp_ms": self.timestamp_ms,
            "signature": self.signature,
            "signature_algorithm": "Ed25519",
            "key_id": self.key_id,
        } | (
            {"checkpoint_signature": self.checkpoint_signature} if self.checkpoint_signature else {}
        )

    def stored(self) -> dict[str, Any]:
        """The minimal form stored in ``heads.ndjson``."""
        out = {
            "key_id": self.key_id,
            "root_hash": self.root_hash,
            "signature": self.signature,
            "size": self.size,
            "timestamp_ms": self.timestamp_ms,
        }
        if self.checkpoint_signature is not None:
            out["checkpoint_signature"] = self.checkpoint_signature
        return out

    @classmethod
    def from_dict(cls, data: Any, where: str = "tree head") -> SignedTreeHead:
        """Parse (and shape-check) a head from its JSON form."""
        if not isinstance(data, Mapping):
            raise VerificationError(f"{where}: found {type(data).__name__}; expected an object")
        try:
            size = data["size"]
            root = data["root_hash"]
            ms = data["timestamp_ms"] if "timestamp_ms" in data else round(data["time_s"] * 1000)
            sig = data["signature"]
            kid = data["key_id"]
        except (KeyError, TypeError) as exc:
            raise VerificationError(f"{where}: missing field {exc}") from exc
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise VerificationError(f"{where}: size {size!r}; expected an integer >= 0")
        if not isinstance(ms, int) or isinstance(ms, bool) or ms < 0:
            raise VerificationError(f"{where}: timestamp_ms {ms!r}; expected an integer >= 0")
        for name, value, length in (("root_hash", root, 64), ("key_id", kid, 64)):
            if not isinstance(value, str) or len(value) != length:
                raise VerificationError(f"{where}: {name} {value!r}; expected {length} hex digits")
            try:
                bytes.fromhex(value)
            except ValueError as exc:
                raise VerificationError(f"{where}: {name} is not hex") from exc
        if not isinstance(sig, str):
            raise VerificationError(f"{where}: signature {sig!r}; expected base64 text")
        cp = data.get("checkpoint_signature")
        if cp is not None and not isinstance(cp, str):
            raise VerificationError(f"{where}: checkpoint_signature {cp!r}; expected base64 text")
        return cls(
            size=size,
            root_hash=root,
            time_s=ms / 1000,
            signature=sig,
            key_id=kid,
            checkpoint_signature=cp,
        )

    def checkpoint(self) -> str:
        """This head as a C2SP checkpoint (signed note); LedgerError-free: heads
        signed before checkpoints existed have none (VerificationError)."""
        if self.checkpoint_signature is None:
            raise VerificationError(
                f"the head of size {self.size} ({self.time}) was signed without a checkpoint"
            )
        return checkpoint_note(
            origin_for(self.key_id),
            self.size,
            bytes.fromhex(self.root_hash),
            self.checkpoint_signature,
        )


def sign_tree_head(key: Ed25519PrivateKey, size: int, root: bytes, time_s: float) -> SignedTreeHead:
    """Sign ``(size, root, time_s)``."""
    ms = round(time_s * 1000)
    if ms < 0:
        raise ValueError(f"time_s {time_s}; expected seconds since the epoch >= 0")
    sig = key.sign(sth_message(size, ms, root))
    kid = key_id(key.public_key())
    return SignedTreeHead(
        size=size,
        root_hash=root.hex(),
        time_s=ms / 1000,
        signature=base64.b64encode(sig).decode("ascii"),
        key_id=kid,
        checkpoint_signature=sign_checkpoint(key, origin_for(kid), size, root),
    )


def verify_head(head: SignedTreeHead, public_key: Ed25519PublicKey, where: str = "") -> None:
    """VerificationError unless ``head`` is signed by ``public_key``."""
    label = where or f"tree head (size {head.size}, time {head.time})"
    expected_id = key_id(public_key)
    if head.key_id != expected_id:
        raise VerificationError(
            f"{label}: signed by key {head.key_id[:16]}…, but the key given is "
            f"{expected_id[:16]}…; expected the mission key that signed the log (wrong key?)"
        )
    try:
        sig = base64.b64decode(head.signature, validate=True)
        if base64.b64encode(sig).decode("ascii") != head.signature:
            raise ValueError("signature is not in canonical base64")
        public_key.verify(sig, head.message())
    except (InvalidSignature, binascii.Error, ValueError) as exc:
        raise VerificationError(
            f"{label}: the Ed25519 signature does not verify for size {head.size}, root "
            f"{head.root_hash[:16]}…, timestamp_ms {head.timestamp_ms}; the head was "
            "altered or forged"
        ) from exc
    if head.checkpoint_signature is not None:
        size, root = parse_checkpoint(
            head.checkpoint(), public_key, origin_for(head.key_id), f"{label}: checkpoint"
        )
        if (size, root.hex()) != (head.size, head.root_hash):
            raise VerificationError(f"{label}: checkpoint names another size or root")
