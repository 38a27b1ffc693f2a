"""Claim guest uploads into an account: the delete token proves the claimant uploaded them.

A guest's browser keeps the delete links of its uploads; after sign-up or sign-in it offers
them here. Each item is its own transaction: one image over the quota (or gone) does not
undo the others. Only live guest images (no owner) move; the owner's quota is charged in the
same conditional update an upload uses. The delete token keeps working after the claim.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Sequence

import attrs

from imgtree.domain.errors import QuotaExceeded, RateLimited
from imgtree.domain.model import Image
from imgtree.domain.ports import Clock, SecretHasher, UnitOfWorkFactory

# Items one claim may carry (the browser keeps at most this many recent uploads).
MAX_CLAIM_ITEMS = 200
# Delete tokens are 32 characters; anything far longer is not one.
MAX_CLAIM_TOKEN_CHARS = 256


class ClaimOutcome(enum.Enum):
    CLAIMED = "claimed"
    ALREADY_YOURS = "already_yours"
    # Unknown, deleted, someone else's or a wrong token: one answer, so nothing can be probed.
    NOT_FOUND = "not_found"
    OVER_QUOTA = "over_quota"
    # The client's miss budget ran out before this item was checked.
    RATE_LIMITED = "rate_limited"


@attrs.frozen
class ClaimItem:
    image_id: uuid.UUID
    delete_token: str


@attrs.frozen
class ClaimResult:
    image_id: uuid.UUID
    outcome: ClaimOutcome
    image: Image | None = None  # the (now owned) image when claimed or already yours


@attrs.define
class ClaimImages:
    uow: UnitOfWorkFactory
    hasher: SecretHasher
    # Expired images are gone at the moment of expiry (Image.expires_at), for every reader.
    clock: Clock = attrs.field(kw_only=True)

    def __call__(
        self,
        owner_id: uuid.UUID,
        items: Sequence[ClaimItem],
        on_miss: Callable[[], None] | None = None,
    ) -> list[ClaimResult]:
        """One result per item, in order. `on_miss` is called for each NOT_FOUND (the
        caller's guess budget); once it raises RateLimited the rest are not checked."""
        results: list[ClaimResult] = []
        limited = False
        for item in items:
            if limited:
                results.append(ClaimResult(item.image_id, ClaimOutcome.RATE_LIMITED))
                continue
            result = self._claim_one(owner_id, item)
            results.append(result)
            if result.outcome is ClaimOutcome.NOT_FOUND and on_miss is not None:
                try:
                    on_miss()
                except RateLimited:
                    limited = True
        return results

    def _claim_one(self, owner_id: uuid.UUID, item: ClaimItem) -> ClaimResult:
        missing = ClaimResult(item.image_id, ClaimOutcome.NOT_FOUND)
        try:
            with self.uow() as uow:
                image = uow.images.get(item.image_id)
                if image is None or not image.alive(self.clock.now()):
                    return missing
                if not self.hasher.verify(item.delete_token, image.delete_token_hash):
                    return missing
                if image.owner_id == owner_id:
                    return ClaimResult(item.image_id, ClaimOutcome.ALREADY_YOURS, image)
                if image.owner_id is not None:
                    return missing
                if not uow.images.assign_owner(image.id, owner_id):
                    return missing  # a concurrent claim or delete won
                uow.commit()
        except QuotaExceeded:
            return ClaimResult(item.image_id, ClaimOutcome.OVER_QUOTA)
        return ClaimResult(
            item.image_id, ClaimOutcome.CLAIMED, attrs.evolve(image, owner_id=owner_id)
        )
