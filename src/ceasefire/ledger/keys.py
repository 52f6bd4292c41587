"""The mission's Ed25519 signing key: generate, store with owner-only permissions, load.

The private key is a PKCS#8 PEM file of mode 0600 in a directory of mode 0700;
it is never printed or logged. The key id is the hex SHA-256 of the public
key's DER SubjectPublicKeyInfo (the RFC 6962 log id), and is what parties
compare when they receive the public key out of band.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from cryptography.exceptions import InternalError, InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ceasefire.model.errors import LedgerError, VerificationError

__all__ = [
    "PRIVATE_KEY_NAME",
    "PUBLIC_KEY_NAME",
    "generate_key",
    "key_id",
    "load_private_key",
    "load_public_key",
    "public_key_pem",
]

PRIVATE_KEY_NAME = "mission.key"
PUBLIC_KEY_NAME = "mission.pub.pem"


def key_id(public_key: Ed25519PublicKey) -> str:
    """Hex SHA-256 of the DER SubjectPublicKeyInfo."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    """The public key as SubjectPublicKeyInfo PEM."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _write_new(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def generate_key(directory: Path) -> Path:
    """Create a new key pair in ``directory``; return the private key's path.

    ``mission.key`` (0600) and ``mission.pub.pem`` (0644); the directory is
    created with mode 0700. An existing key is never overwritten.
    """
    directory = Path(directory)
    private_path = directory / PRIVATE_KEY_NAME
    if private_path.exists():
        raise LedgerError(f"{private_path}: a key exists already; refusing to overwrite it")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_new(private_path, pem, 0o600)
    pub_path = directory / PUBLIC_KEY_NAME
    if pub_path.exists():
        pub_path.unlink()
    _write_new(pub_path, public_key_pem(key.public_key()), 0o644)
    return private_path


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Load the signing key; refuse a file that group or others can read or write."""
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError as exc:
        raise LedgerError(f"{path}: no such key file; expected an Ed25519 private key") from exc
    if st.st_mode & 0o077:
        raise LedgerError(
            f"{path}: key file has mode {stat.S_IMODE(st.st_mode):04o}, open to group or "
            f"others; expected 0600 (run: chmod 600 {path})"
        )
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm, InternalError) as exc:
        raise LedgerError(
            f"{path}: not a readable unencrypted PEM private key ({type(exc).__name__}); "
            "expected the mission's Ed25519 key as written by `ledger init` (damaged file?)"
        ) from exc
    except OSError as exc:
        raise LedgerError(f"{path}: cannot read the key file ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise LedgerError(f"{path}: found a {type(key).__name__}; expected an Ed25519 key")
    _self_test(key, path)
    return key


def _self_test(key: Ed25519PrivateKey, path: Path) -> None:
    """Sign and verify a probe, so that a damaged key fails here with its file's
    name rather than later inside a signature."""
    probe = b"ceasefire-ledger key self-test"
    try:
        key.public_key().verify(key.sign(probe), probe)
    except (InvalidSignature, InternalError, ValueError) as exc:
        raise LedgerError(
            f"{path}: the key does not sign and verify ({type(exc).__name__}); expected an "
            "intact Ed25519 private key (damaged file?)"
        ) from exc


def load_public_key(source: bytes | str | Path) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM bytes or from a PEM file's path."""
    if isinstance(source, str | Path):
        where = str(source)
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise VerificationError(f"{where}: cannot read public key ({exc})") from exc
    else:
        where, data = "public key", bytes(source)
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise VerificationError(f"{where}: not a PEM public key ({exc})") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise VerificationError(f"{where}: found a {type(key).__name__}; expected Ed25519")
    return key
