"""POST /api/images/claim: a signed-in user takes over the guest uploads this browser made.

The body names each image by id and proves possession with its delete token (the browser
keeps both from the delete_url). Every item gets its own result; unknown ids, wrong tokens,
deleted and someone else's images all answer `not_found`, and each of those counts against
the client's miss budget (the same one delete links use), so tokens cannot be guessed here.
"""

from __future__ import annotations

from typing import Any

import attrs
import falcon

from imgtree.domain.errors import InvalidInput
from imgtree.domain.use_cases.claim import (
    MAX_CLAIM_ITEMS,
    MAX_CLAIM_TOKEN_CHARS,
    ClaimImages,
    ClaimItem,
    ClaimOutcome,
)
from imgtree.entrypoints.http import presenters
from imgtree.entrypoints.http.misses import MissGuard
from imgtree.entrypoints.http.presenters import Urls
from imgtree.entrypoints.http.requests import aliased, parse_uuid, read_json_object
from imgtree.entrypoints.http.session.guard import SessionGuard

_BODY_FIELDS = frozenset({"items"})
_ITEM_FIELDS = frozenset({"image_id", "imageId", "delete_token", "deleteToken"})


def claim_items(doc: dict[str, Any]) -> list[ClaimItem]:
    """The body's `items`: 1 to 200 objects with `image_id` (or `imageId`) and `delete_token`
    (or `deleteToken`), nothing else. An image listed twice is checked twice, in order (the
    second answer is `already_yours` or `not_found`; the quota is charged once)."""
    _known(doc, _BODY_FIELDS)
    items = doc.get("items")
    if not isinstance(items, list) or not items:
        raise InvalidInput("items must be a non-empty list")
    if len(items) > MAX_CLAIM_ITEMS:
        raise InvalidInput(f"At most {MAX_CLAIM_ITEMS} items per claim")
    parsed: list[ClaimItem] = []
    for item in items:
        if not isinstance(item, dict):
            raise InvalidInput("Each item must be an object with image_id and delete_token")
        _known(item, _ITEM_FIELDS)
        image_id = parse_uuid(aliased(item, "image_id", "imageId"), "image_id")
        token = aliased(item, "delete_token", "deleteToken")
        if not isinstance(token, str) or not 0 < len(token) <= MAX_CLAIM_TOKEN_CHARS:
            raise InvalidInput(
                f"delete_token must be a string of 1 to {MAX_CLAIM_TOKEN_CHARS} characters"
            )
        parsed.append(ClaimItem(image_id, token))
    return parsed


def _known(doc: dict[str, Any], fields: frozenset[str]) -> None:
    unknown = sorted(set(doc) - fields)
    if unknown:
        raise InvalidInput(f"Unknown field: {unknown[0]}")


@attrs.define
class ClaimResource:
    claim_images: ClaimImages
    guard: SessionGuard
    urls: Urls
    misses: MissGuard | None = None

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        context = self.guard.require(req)
        items = claim_items(read_json_object(req))
        misses = self.misses
        if misses is not None:
            misses.check(req)  # an over-budget client is 429 before anything is checked
        results = self.claim_images(
            context.user.id, items, on_miss=(lambda: misses.miss(req)) if misses else None
        )
        resp.media = {
            "success": True,
            "claimed": sum(r.outcome is ClaimOutcome.CLAIMED for r in results),
            "results": [
                {
                    "image_id": str(r.image_id),
                    "status": r.outcome.value,
                    "image": presenters.owned_image(self.urls, r.image) if r.image else None,
                }
                for r in results
            ],
        }
