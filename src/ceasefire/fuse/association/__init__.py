"""Association of acoustic and visual reports (bearings and arrivals) into
events, one module per role, vectorized end to end:

- :mod:`~.reports` what association works on (:class:`Reports`);
- :mod:`~.clusters` the state it builds (:class:`Clusters`) and its upkeep
  (:meth:`Clusters.settle`: refit, prune, drop what cannot stand);
- :mod:`~.gates` how well a report fits an event (:class:`GateConfig`);
- :mod:`~.pairs` gated pairs of bearings (:class:`PairConfig`);
- :mod:`~.seeding` where events start (:class:`SeedConfig`);
- :mod:`~.attachment` free reports joining events, and the late offer of free
  bearings to located events (:class:`AttachConfig`);
- :mod:`~.merging` two events that are one (:class:`MergeConfig`);
- :mod:`~.reassignment` one least-cost redistribution of bearings
  (:class:`ReassignConfig`);
- :mod:`~.registration` each observer's clock offset and noise scale, from a
  first association (:class:`RegistrationConfig`);
- :mod:`~.rounds` the order they run in (:func:`associate`,
  :class:`AssociationConfig`).
"""

from ceasefire.fuse.association.attachment import AttachConfig, late_attach
from ceasefire.fuse.association.clusters import Clusters
from ceasefire.fuse.association.gates import GateConfig
from ceasefire.fuse.association.merging import MergeConfig
from ceasefire.fuse.association.pairs import PairConfig
from ceasefire.fuse.association.reassignment import ReassignConfig
from ceasefire.fuse.association.registration import (
    ObserverRegistration,
    Registration,
    RegistrationConfig,
    Residuals,
    estimate,
    register,
    residuals,
)
from ceasefire.fuse.association.reports import Reports
from ceasefire.fuse.association.rounds import AssociationConfig, associate
from ceasefire.fuse.association.seeding import SeedConfig

__all__ = [
    "AssociationConfig",
    "AttachConfig",
    "Clusters",
    "GateConfig",
    "MergeConfig",
    "ObserverRegistration",
    "PairConfig",
    "ReassignConfig",
    "Registration",
    "RegistrationConfig",
    "Reports",
    "Residuals",
    "SeedConfig",
    "associate",
    "estimate",
    "late_attach",
    "register",
    "residuals",
]
