"""Signed tree heads as C2SP checkpoints (signed notes), the format that
transparency-log witnesses co-sign (c2sp.org/tlog-checkpoint, c2sp.org/signed-note).

A checkpoint's note text is three lines, each ending in a newline: the log's
origin, the tree size in decimal, the base64 root hash. The mission key signs
it with Ed25519 (signature type 0x01); the signature line is
``— <origin> base64(key ID || signature)`` with the key ID
``SHA-256(origin || 0x0A || 0x01 || 32-byte public key)[:4]``. The head's time
is not in the note (extension lines are not recommended); it stays in the
ceasefire head signed beside it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ceasefire.model.errors import VerificationError

__all__ = [
    "checkpoint_note",
    "checkpoint_text",
    "note_key_id",
    "origin_for",
    "parse_checkpoint",
    "sign_checkpoint",
    "verifier_key",
]

_ED25519 = b"\x01"
_DASH = "\u2014 "


def origin_for(key_id_hex: str) -> str:
    """The log's origin line: a schema-less name unique to the mission key."""
    return f"ceasefire.ledger/{key_id_hex[:16]}"


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def note_key_id(origin: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte signed-note key ID of ``public_key`` under the name ``origin``."""
    return hashlib.sha256(origin.encode() + b"\n" + _ED25519 + _raw(public_key)).digest()[:4]


def verifier_key(origin: str, public_key: Ed25519PublicKey) -> str:
    """The verifier key string witnesses configure: ``name+hex key ID+base64(0x01||key)``."""
    kid = note_key_id(origin, public_key).hex()
    return f"{origin}+{kid}+{base64.b64encode(_ED25519 + _raw(public_key)).decode()}"


def checkpoint_text(origin: str, size: int, root: bytes) -> bytes:
    """The note text of a checkpoint (what the signature covers)."""
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n".encode()


def sign_checkpoint(key: Ed25519PrivateKey, origin: str, size: int, root: bytes) -> str:
    """base64(key ID || Ed25519 signature) of the checkpoint of ``size`` and ``root``."""
    sig = key.sign(checkpoint_text(origin, size, root))
    return base64.b64encode(note_key_id(origin, key.public_key()) + sig).decode()


def checkpoint_note(origin: str, size: int, root: bytes, signature: str) -> str:
    """The whole signed note: text, a blank line, the signature line."""
    return f"{checkpoint_text(origin, size, root).decode()}\n{_DASH}{origin} {signature}\n"


def parse_checkpoint(
    note: str, public_key: Ed25519PublicKey, origin: str, where: str = "checkpoint"
) -> tuple[int, bytes]:
    """``(size, root)`` of a checkpoint signed by ``public_key`` as ``origin``.

    Signatures of other keys (witness co-signatures) are ignored, as the spec
    requires; VerificationError unless the mission key's signature verifies.
    """
    text, sep, sigs = note.partition("\n\n")
    if not sep or not text:
        raise VerificationError(f"{where}: not a signed note (no blank line before signatures)")
    text += "\n"
    lines = text.split("\n")[:-1]
    if len(lines) < 3 or any(not x for x in lines):
        raise VerificationError(f"{where}: expected origin, size and root hash lines")
    if lines[0] != origin:
        raise VerificationError(
            f"{where}: origin {lines[0][:80]!r}; expected this log's origin {origin!r}"
        )
    if not lines[1].isdigit() or (lines[1] != "0" and lines[1].startswith("0")):
        raise VerificationError(f"{where}: tree size {lines[1][:40]!r}; expected a decimal number")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except binascii.Error:
        root = b""
    if len(root) != 32:
        raise VerificationError(f"{where}: root hash line is not base64 of 32 bytes")
    kid = note_key_id(origin, public_key)
    found = False
    for line in sigs.split("\n"):
        if not line:
            continue
        if not line.startswith(_DASH):
            raise VerificationError(f"{where}: signature line does not start with an em dash")
        name, _, b64 = line[len(_DASH) :].rpartition(" ")
        try:
            blob = base64.b64decode(b64, validate=True)
        except binascii.Error:
            continue
        if name != origin or blob[:4] != kid:
            continue  # another key's signature (a witness): not ours to check
        try:
            public_key.verify(blob[4:], text.encode())
        except InvalidSignature:
            raise VerificationError(
                f"{where}: the mission key's signature does not verify; the checkpoint was "
                "altered or forged"
            ) from None
        found = True
    if not found:
        raise VerificationError(f"{where}: no signature by the mission key {kid.hex()}")
    return int(lines[1]), root
