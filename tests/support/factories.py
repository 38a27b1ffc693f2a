"""Domain objects built directly, as a repository stores them, for tests that need rows
without going through the use cases.

Every builder fills a complete, valid object (ids fresh, times at `T0`) and takes any field
by keyword; `add_users` stores users in one unit of work.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from imgtree.domain.model import Album, ApiKey, Image, ImageFormat, User
from imgtree.domain.ports import UnitOfWorkFactory

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def make_user(email: str | None = None, **kw: object) -> User:
    fields: dict[str, object] = {
        "id": uuid.uuid4(),
        "email": email or f"{uuid.uuid4().hex[:10]}@example.com",
        "created_at": T0,
    }
    return User(**(fields | kw))  # type: ignore[arg-type]


def make_key(user: User, **kw: object) -> ApiKey:
    fields: dict[str, object] = {
        "id": uuid.uuid4(),
        "user_id": user.id,
        "name": "laptop",
        "prefix": uuid.uuid4().hex[:12],
        "secret_hash": "sha256$" + uuid.uuid4().hex,
        "created_at": T0,
    }
    return ApiKey(**(fields | kw))  # type: ignore[arg-type]


def make_album(owner: User, **kw: object) -> Album:
    fields: dict[str, object] = {
        "id": uuid.uuid4(),
        "owner_id": owner.id,
        "title": "Holidays",
        "created_at": T0,
    }
    return Album(**(fields | kw))  # type: ignore[arg-type]


def make_image(owner: User | None = None, **kw: object) -> Image:
    """An image row as a repository stores it: owned by `owner` (None: a guest's), a 100-byte
    10x20 PNG with a WebP thumbnail created at T0; any field can be given by keyword (pass
    `owner_id=` directly when only an id is at hand). The storage key's extension follows
    `content_type`."""
    image_id = kw.pop("id", None) or uuid.uuid4()
    content_type = kw.get("content_type", ImageFormat.PNG)
    assert isinstance(content_type, ImageFormat)
    fields: dict[str, object] = {
        "id": image_id,
        "slug": uuid.uuid4().hex[:8],
        "owner_id": owner.id if owner else None,
        "original_name": "cat.png",
        "content_type": content_type,
        "size_bytes": 100,
        "width": 10,
        "height": 20,
        "storage_key": f"images/{image_id}.{content_type.extension}",
        "thumb_key": f"thumbs/{image_id}.webp",
        "thumb_content_type": ImageFormat.WEBP,
        "delete_token_hash": "sha256$" + uuid.uuid4().hex,
        "created_at": T0,
    }
    return Image(**(fields | kw))  # type: ignore[arg-type]


def add_users(uow_factory: UnitOfWorkFactory, *users: User) -> None:
    with uow_factory() as uow:
        for user in users:
            uow.users.add(user)
        uow.commit()
