"""Fusion: observations → events (associate, localize, track).

``fuse(obs, config)`` is the stage; the estimators are public for tests and the
scorer: :func:`triangulate` / :func:`triangulate_wgs84` (Stansfield start +
Gauss-Newton ML, bearings and ranges), :func:`multilaterate` (TDOA with the
emission time), :func:`intersect_rays`, :func:`stansfield`, and the batched
solver :func:`ceasefire.fuse.solve.fit`. Settings: :class:`FuseConfig`, the aggregate
of each stage's own config (association's roles, launch and ray pairing with the
weapons' flight keyed by name, corroboration, tracks). Covariances are inverse Fisher
information; ``ceasefire.model.results.ellipse_from_cov`` gives the 95 % ellipse.
"""

from ceasefire.fuse.association import AssociationConfig
from ceasefire.fuse.config import FuseConfig
from ceasefire.fuse.corroborate import CorroborationConfig
from ceasefire.fuse.engine import fuse
from ceasefire.fuse.frame import Grid
from ceasefire.fuse.multilaterate import TdoaFix, multilaterate, tdoa_start
from ceasefire.fuse.pairing import LaunchPairConfig
from ceasefire.fuse.raypairs import RayPairConfig
from ceasefire.fuse.tracks import TrackConfig
from ceasefire.fuse.triangulate import (
    Fix,
    intersect_rays,
    stansfield,
    triangulate,
    triangulate_wgs84,
)
from ceasefire.fuse.weapons import WEAPON_FLIGHTS, WeaponFlight

__all__ = [
    "WEAPON_FLIGHTS",
    "AssociationConfig",
    "CorroborationConfig",
    "Fix",
    "FuseConfig",
    "Grid",
    "LaunchPairConfig",
    "RayPairConfig",
    "TdoaFix",
    "TrackConfig",
    "WeaponFlight",
    "fuse",
    "intersect_rays",
    "multilaterate",
    "stansfield",
    "tdoa_start",
    "triangulate",
    "triangulate_wgs84",
]
