"""The mission service: the API (``/api/v1``), users and roles, sector
compartments, the access audit and the event stream (``ceasefire serve``)."""

from ceasefire.service.app import ServiceConfig, create_app
from ceasefire.service.auth import ROLES, Principal, hash_token, new_token

__all__ = ["ROLES", "Principal", "ServiceConfig", "create_app", "hash_token", "new_token"]
