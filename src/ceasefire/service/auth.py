"""Users, roles and bearer tokens; what each role may read, as store selections.

A token is 32 random bytes (``secrets.token_urlsafe``) shown once; the store
keeps only its SHA-256. A slow password hash is not needed: the token has 256
bits of entropy, so its digest cannot be inverted by guessing.

Roles (``docs/service.md`` explains why):

=========  ===========================================================
monitor    submits observations; reads its own submissions
analyst    reads observations, events, violations, escalations of its sectors
chief      reads everything; processes and publishes days
party      a party's liaison: published violations, escalations, reports
           and proofs of every sector; never observations or observers
public     published daily reports only
=========  ===========================================================
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal

from ceasefire.model.errors import CeasefireError
from ceasefire.store import Selection

__all__ = ["ROLES", "Principal", "Role", "hash_token", "new_token"]

Role = Literal["monitor", "analyst", "chief", "party", "public"]
ROLES: tuple[str, ...] = ("monitor", "analyst", "chief", "party", "public")
TOKEN_PREFIX = "cf_"


def new_token() -> str:
    """A new bearer token (``cf_`` + 43 URL-safe characters)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest the store keeps instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AccessError(CeasefireError):
    """The principal may not do this (403)."""


@dataclass(frozen=True)
class Principal:
    """An authenticated user: name, role, the sectors of an analyst, the party of a liaison."""

    name: str
    role: str
    sectors: tuple[str, ...] = ()
    party: str | None = None

    def require(self, *roles: str) -> None:
        """Raise :class:`AccessError` unless the role is one of ``roles``."""
        if self.role not in roles:
            raise AccessError(f"role {self.role!r} may not do this; allowed: {', '.join(roles)}")

    def sectors_for(self, asked: str | None) -> tuple[str, ...] | None:
        """The sectors a selection is limited to (None: all), given the ``sector``
        filter asked for; asking for a sector outside the compartment is refused."""
        if self.role == "analyst":
            if asked is not None:
                if asked not in self.sectors:
                    raise AccessError(
                        f"sector {asked!r} is outside your sectors ({', '.join(self.sectors)})"
                    )
                return (asked,)
            return self.sectors
        return (asked,) if asked is not None else None

    def observations(self, sel: Selection, asked_sector: str | None) -> Selection:
        """``sel`` limited to the observations this principal may read."""
        self.require("monitor", "analyst", "chief")
        if self.role == "monitor":
            return _with(sel, submitted_by=self.name, sectors=self.sectors_for(asked_sector))
        return _with(sel, sectors=self.sectors_for(asked_sector))

    def events(self, sel: Selection, asked_sector: str | None) -> Selection:
        self.require("analyst", "chief")
        return _with(sel, sectors=self.sectors_for(asked_sector))

    def violations(self, sel: Selection, asked_sector: str | None) -> Selection:
        """Analysts: their sectors; chief: all; parties: published days of every sector."""
        self.require("analyst", "chief", "party")
        if self.role == "party":
            return _with(sel, sectors=self.sectors_for(asked_sector), published_only=True)
        return _with(sel, sectors=self.sectors_for(asked_sector))

    escalations = violations

    @property
    def sees_observers(self) -> bool:
        """Whether responses may name observations (their ids carry the observers)."""
        return self.role in ("analyst", "chief")


def _with(sel: Selection, **changes: object) -> Selection:
    from dataclasses import replace

    return replace(sel, **changes)  # type: ignore[arg-type]
