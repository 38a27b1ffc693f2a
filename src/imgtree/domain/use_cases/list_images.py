"""List an owner's live images, one page at a time: newest first, or as the gallery's query
asks (search, filters, another order)."""

from __future__ import annotations

import uuid

import attrs

from imgtree.domain.commands import MAX_SEARCH, PLAIN_QUERY, ImageQuery
from imgtree.domain.errors import InvalidInput
from imgtree.domain.model import Image, Page
from imgtree.domain.policies import PagePolicy
from imgtree.domain.ports import Clock, UnitOfWorkFactory

MAX_PAGE = 1_000_000  # bounds the offset: a huge page would overflow the database's integers


def page_window(page: int | None, limit: int | None, policy: PagePolicy) -> tuple[int, int]:
    """Validate paging: 1 <= page <= MAX_PAGE; limit defaults, and is capped at the maximum."""
    page = 1 if page is None else page
    limit = policy.default_limit if limit is None else limit
    if page < 1:
        raise InvalidInput("page must be >= 1")
    if page > MAX_PAGE:
        raise InvalidInput(f"page must be <= {MAX_PAGE}")
    if limit < 1:
        raise InvalidInput("limit must be >= 1")
    return page, min(limit, policy.max_limit)


@attrs.define
class ListImages:
    uow: UnitOfWorkFactory
    policy: PagePolicy = attrs.Factory(PagePolicy)
    # Expired images are gone at the moment of expiry (Image.expires_at), for every reader.
    clock: Clock = attrs.field(kw_only=True)

    def __call__(
        self,
        owner_id: uuid.UUID,
        *,
        page: int | None = None,
        limit: int | None = None,
        album_id: uuid.UUID | None = None,
        query: ImageQuery = PLAIN_QUERY,
    ) -> Page[Image]:
        """One page of the owner's live images; `query` searches, filters and orders them
        (InvalidInput for a search longer than MAX_SEARCH characters)."""
        page, limit = page_window(page, limit, self.policy)
        if len(query.search) > MAX_SEARCH:
            raise InvalidInput(f"search must be at most {MAX_SEARCH} characters")
        now = self.clock.now()
        with self.uow(read_only=True) as uow:
            total = uow.images.count_for_owner(owner_id, album_id=album_id, query=query, now=now)
            items = uow.images.list_for_owner(
                owner_id,
                offset=(page - 1) * limit,
                limit=limit,
                album_id=album_id,
                query=query,
                now=now,
            )
        return Page(items=tuple(items), page=page, limit=limit, total=total)
