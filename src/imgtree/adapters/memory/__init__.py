"""In-memory adapters for every port: a supported API for tests and embedders.

    from imgtree.adapters.memory import MemoryStore, MemoryUnitOfWork, MemoryBlobStorage

Everything is thread-safe; a unit of work is serialisable (it holds the store's lock).
"""

from imgtree.adapters.memory.clock import FixedClock
from imgtree.adapters.memory.rate_limit import MemoryRateLimiter
from imgtree.adapters.memory.storage import MemoryBlobStorage
from imgtree.adapters.memory.uow import MemoryStore, MemoryUnitOfWork, memory_uow_factory

__all__ = [
    "FixedClock",
    "MemoryBlobStorage",
    "MemoryRateLimiter",
    "MemoryStore",
    "MemoryUnitOfWork",
    "memory_uow_factory",
]
