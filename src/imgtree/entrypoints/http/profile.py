"""/u/{user_id}: a user's public profile, server-rendered (works without JavaScript).

It lists the user's `public` images, newest first, a page at a time (?page=), and their
public albums. Unlisted and private images never appear; unknown and deactivated accounts
are 404. No email is shown: the display name, or "imgtree user" when there is none.
"""

from __future__ import annotations

import uuid

import attrs
import falcon

from imgtree.domain.errors import NotFound, RateLimited
from imgtree.domain.use_cases.profile import ViewProfile
from imgtree.entrypoints.http.misses import MissGuard, too_many
from imgtree.entrypoints.http.presenters import Urls
from imgtree.entrypoints.http.web.render import render

ANONYMOUS_NAME = "imgtree user"
MAX_PROFILE_PAGE = 1_000_000


def _page_number(req: falcon.Request) -> int:
    raw = req.get_param("page") or "1"
    try:
        return max(1, min(int(raw), MAX_PROFILE_PAGE))
    except ValueError:
        return 1


@attrs.define
class ProfilePage:
    view_profile: ViewProfile
    urls: Urls
    misses: MissGuard | None = None

    def on_get(self, req: falcon.Request, resp: falcon.Response, user_id: str) -> None:
        try:
            if self.misses is not None:
                self.misses.check(req)
            try:
                profile = self.view_profile(uuid.UUID(user_id), page=_page_number(req))
            except (NotFound, ValueError):
                if self.misses is not None:
                    self.misses.miss(req)
                raise NotFound("User not found") from None
        except RateLimited as exc:
            too_many(resp, exc)
            return
        except NotFound:
            render(
                resp,
                "message.html",
                status=404,
                heading="Not found",
                text="This profile does not exist.",
            )
            return
        images = profile.images
        render(
            resp,
            "profile.html",
            display_name=profile.user.name.strip() or ANONYMOUS_NAME,
            profile_path=f"/u/{profile.user.id}",
            tiles=[
                {
                    "url": self.urls.page(image),
                    "thumb_url": self.urls.thumb(image),
                    "name": image.title or image.original_name,
                }
                for image in images.items
            ],
            albums=profile.albums,
            page=images,
            has_previous=images.page > 1,
        )
