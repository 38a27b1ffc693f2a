"""Domain services: behaviour several use cases share, with a public API of its own.

A use case's public methods are its API and nothing reaches into another use case: where
upload, complete and the guest flows need the same step (publishing a file), or sign-in and
sign-up the same (starting a session), that step is a service they each depend on.
"""

from imgtree.domain.services.publisher import Publisher, check_room, storage_keys, stream_size
from imgtree.domain.services.session_starter import SessionStarter, SignedIn

__all__ = [
    "Publisher",
    "SessionStarter",
    "SignedIn",
    "check_room",
    "storage_keys",
    "stream_size",
]
