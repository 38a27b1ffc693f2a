"""The application container: settings, policies, one adapters container, the use cases.

    Application(settings, policies=Policies(...), adapters=ProductionAdapters(...) | MemoryAdapters(...))
        .policies   the limits, built once      (containers/policies.py)
        .adapters   one side of the hexagon     (containers/adapters.py)
        .use_cases  the domain, wired to both   (containers/use_cases.py)

A backend is chosen by choosing the adapters container (`build_container(settings,
adapters=MemoryAdapters)`), as in dependency-injector's use-cases example; nothing is
overridden provider by provider. Whoever builds an Application shuts it down:
`shutdown_resources()` disposes the engine and closes the S3 client (the CLI after each
command, each server worker as it exits, `ImgTree.close()`).
"""

from __future__ import annotations

import contextlib
from typing import Any

from dependency_injector import containers, providers

from imgtree.entrypoints.containers.adapters import ProductionAdapters, SystemAdapters
from imgtree.entrypoints.containers.policies import Policies
from imgtree.entrypoints.containers.use_cases import UseCases
from imgtree.entrypoints.settings import Settings


class Application(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    policies = providers.DependenciesContainer()
    adapters = providers.DependenciesContainer()
    use_cases = providers.Container(
        UseCases, settings=settings, policies=policies, adapters=adapters
    )


def build_container(
    settings: Settings | None = None,
    *,
    adapters: type[SystemAdapters] = ProductionAdapters,
    **adapter_overrides: Any,
) -> Application:
    """The application on `adapters` (ProductionAdapters, or MemoryAdapters), one Policies
    shared by the adapters and the use cases. Settings default to the environment's.
    `adapter_overrides` replace adapters by name (`clock=FixedClock(...)`)."""
    settings = settings or Settings.from_env()
    policies = Policies(settings=settings)
    chosen = adapters(settings=settings, policies=policies, **adapter_overrides)
    return Application(settings=settings, policies=policies, adapters=chosen)


def flush_views(container: Application) -> None:
    """Write the process's counted views before it goes (worker exit, interpreter exit,
    ImgTree.close); a database already gone loses them, as a crash would."""
    with contextlib.suppress(Exception):
        container.use_cases.view_counter().flush()
