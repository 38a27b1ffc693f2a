"""Domain services: behaviour several use cases share, with a public API of its own.

A use case's public methods are its API and nothing reaches into another use case: where
upload, complete and the guest flows need the same step (publishing a file), or sign-in and
sign-up the same (starting a session), that step is a service they each depend on.
"""

from imgtree.domain.services.publisher import Publisher, check_room, stream_size
from imgtree.domain.services.second_factor import RecoveryCodes, SecondFactor
from imgtree.domain.services.session_starter import SessionStarter, SignedIn
from imgtree.domain.services.shared_blobs import storage_keys
from imgtree.domain.services.sign_in_failures import FailedSignIns
from imgtree.domain.services.view_counter import ViewCounter

__all__ = [
    "FailedSignIns",
    "Publisher",
    "RecoveryCodes",
    "SecondFactor",
    "SessionStarter",
    "SignedIn",
    "ViewCounter",
    "check_room",
    "storage_keys",
    "stream_size",
]
