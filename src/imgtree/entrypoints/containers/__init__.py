"""The composition root: the only place that knows concrete adapter classes.

One container per side of the hexagon (dependency-injector's multiple-containers idiom):
`Policies` (limits from Settings), `ProductionAdapters` / `MemoryAdapters` (the outside
world), `UseCases` (the domain, given either), combined by `Application`. Resources receive
use cases, never a container.
"""

from imgtree.entrypoints.containers.adapters import (
    MemoryAdapters,
    ProductionAdapters,
    SystemAdapters,
)
from imgtree.entrypoints.containers.application import Application, build_container, flush_views
from imgtree.entrypoints.containers.policies import Policies
from imgtree.entrypoints.containers.use_cases import UseCases

__all__ = [
    "Application",
    "MemoryAdapters",
    "Policies",
    "ProductionAdapters",
    "SystemAdapters",
    "UseCases",
    "build_container",
    "flush_views",
]
