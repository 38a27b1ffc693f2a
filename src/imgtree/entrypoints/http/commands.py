"""JSON bodies → the domain's typed inputs, with each surface's field names and messages.

The domain takes Python values (str, bool, UUID, enums, commands); what a client may send
in their place (a number for a title, "yes" for a flag, both `isPublic` and `is_public`) is
decided and refused here, in the wire's own words.
"""

from __future__ import annotations

import uuid
from typing import Any

from imgtree.domain.commands import (
    UNSET,
    AlbumChanges,
    ImageChanges,
    PresignRequest,
    Unset,
    UserChanges,
)
from imgtree.domain.errors import InvalidInput
from imgtree.domain.model import MAX_CONTENT_PASSWORD, MAX_IMAGE_DESCRIPTION, Role, Visibility
from imgtree.domain.use_cases.albums import MAX_ARRANGE, MAX_DESCRIPTION, MAX_TITLE
from imgtree.domain.use_cases.bulk import MAX_BULK_IDS
from imgtree.entrypoints.http.requests import (
    VISIBILITY_CHOICES_TEXT,
    aliased,
    parse_expires_in,
    parse_uuid,
    parse_visibility,
)


def field(doc: dict[str, Any], *names: str) -> Any:
    """The value under whichever of `names` `doc` holds (aliases: `isPublic`, `is_public`;
    both at once is 400), else UNSET."""
    if not any(name in doc for name in names):
        return UNSET
    return aliased(doc, *names)


def json_integer(value: Any) -> Any:
    """JSON has one number type: 811.0 is the integer 811 (as JSON Schema's "integer" says).
    Anything else, booleans included, comes back unchanged for the caller to refuse."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value


def text_or_none(value: Any) -> str | None:
    """A string as given; anything else counts as not given."""
    return value if isinstance(value, str) else None


def content_password(doc: dict[str, Any]) -> str | Unset | None:
    """`password` of an image or album PATCH: a string sets it, null or "" clears it."""
    value = field(doc, "password")
    if value is UNSET or value is None or value == "":
        return None if value == "" else value
    if not isinstance(value, str) or len(value) > MAX_CONTENT_PASSWORD:
        raise InvalidInput(
            f"password must be text of at most {MAX_CONTENT_PASSWORD} characters, or null"
            " to remove it"
        )
    return value


def strict_flag(value: Any, name: str) -> bool:
    """JSON true/false only (the session API does not read "yes" as true)."""
    if not isinstance(value, bool):
        raise InvalidInput(f"{name} must be true or false")
    return value


# --- /api/albums ------------------------------------------------------------------------------


def _album_title(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("title is required")
    return value


def _album_description(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"description must be text of at most {MAX_DESCRIPTION} characters")
    return value


def new_album(doc: dict[str, Any]) -> tuple[str, str, bool]:
    """(title, description, is_public) of POST /api/albums."""
    public = field(doc, "isPublic", "is_public")
    return (
        _album_title(doc.get("title")),
        _album_description(doc.get("description")),
        True if public is UNSET else strict_flag(public, "isPublic"),
    )


def album_changes(doc: dict[str, Any]) -> AlbumChanges:
    """PATCH /api/albums/{id}: only the fields present change."""
    title, description = field(doc, "title"), field(doc, "description")
    public = field(doc, "isPublic", "is_public")
    raw_cover = field(doc, "coverImageId", "cover_image_id")
    cover: uuid.UUID | Unset | None = UNSET
    if raw_cover is not UNSET:  # null: the cover is the first image again
        cover = None if raw_cover is None else parse_uuid(raw_cover, "coverImageId")
    return AlbumChanges(
        title=UNSET if title is UNSET else _album_title(title),
        description=UNSET if description is UNSET else _album_description(description),
        is_public=UNSET if public is UNSET else strict_flag(public, "isPublic"),
        cover_image_id=cover,
        password=content_password(doc),
    )


def album_order(doc: dict[str, Any]) -> list[uuid.UUID]:
    """PUT /api/albums/{id}/order: `image_ids` (alias `imageIds`), a list of image UUIDs."""
    raw = aliased(doc, "image_ids", "imageIds")
    if not isinstance(raw, list):
        raise InvalidInput("image_ids must be a list of the album's image ids")
    if len(raw) > MAX_ARRANGE:
        raise InvalidInput(f"image_ids: an album is arranged {MAX_ARRANGE} images at most")
    return [parse_uuid(value, "image_ids[]") for value in raw]


# --- /api/images/{id} ------------------------------------------------------------------------

IMAGE_NOTHING_TO_CHANGE = (
    "Nothing to change: send title, description, albumId, visibility, isPublic, expiresIn"
    " or password"
)


def image_changes(doc: dict[str, Any]) -> ImageChanges:
    """PATCH /api/images/{id}: title, albumId (null or "" takes it out), isPublic,
    expiresIn (seconds from now; null: never)."""
    title = field(doc, "title")
    if title is not UNSET and not isinstance(title, str):
        raise InvalidInput(f"title must be text of at most {MAX_TITLE} characters")
    raw_album = field(doc, "albumId", "album_id")
    album_id: uuid.UUID | Unset | None = UNSET
    if raw_album is not UNSET:
        album_id = None if raw_album in (None, "") else parse_uuid(raw_album, "albumId")
    description = field(doc, "description")
    if description is not UNSET and not isinstance(description, str):
        raise InvalidInput(
            f"description must be text of at most {MAX_IMAGE_DESCRIPTION} characters"
        )
    field(doc, "visibility", "isPublic", "is_public")  # one of them at most (else 400)
    public = field(doc, "isPublic", "is_public")
    flag = UNSET if public is UNSET else strict_flag(public, "isPublic")
    raw_visibility = field(doc, "visibility")
    visibility = UNSET if raw_visibility is UNSET else parse_visibility(raw_visibility)
    raw_expiry = field(doc, "expiresIn", "expires_in")
    expires_in = UNSET if raw_expiry is UNSET else parse_expires_in(raw_expiry)
    return ImageChanges(
        title=title,
        album_id=album_id,
        is_public=flag,
        visibility=visibility,
        description=description,
        expires_in=expires_in,
        password=content_password(doc),
    )


# --- /api/images/bulk/* ----------------------------------------------------------------------


def bulk_ids(doc: dict[str, Any]) -> list[uuid.UUID]:
    """`ids`: a JSON list of image UUIDs (the use case checks count and repeats)."""
    raw = doc.get("ids")
    if not isinstance(raw, list):
        raise InvalidInput("ids must be a list of image ids")
    if len(raw) > MAX_BULK_IDS:  # before parsing: a huge list costs nothing more
        raise InvalidInput(f"ids: at most {MAX_BULK_IDS} images per request")
    return [parse_uuid(value, "ids[]") for value in raw]


def bulk_album(doc: dict[str, Any]) -> uuid.UUID | None:
    """POST /api/images/bulk/move: `albumId` (alias `album_id`) is required; null (or "")
    takes the images out of their albums, so forgetting the field never does that."""
    raw = field(doc, "albumId", "album_id")
    if raw is UNSET:
        raise InvalidInput("albumId is required: an album id, or null for no album")
    return None if raw in (None, "") else parse_uuid(raw, "albumId")


def bulk_visibility(doc: dict[str, Any]) -> Visibility:
    if "visibility" not in doc:
        raise InvalidInput(f"visibility is required: one of {VISIBILITY_CHOICES_TEXT}")
    return parse_visibility(doc["visibility"])


# --- /api/admin/users/{id} ---------------------------------------------------------------------

USER_NOTHING_TO_CHANGE = "Nothing to change: send role, active or quota_bytes"


def user_changes(doc: dict[str, Any]) -> UserChanges:
    """PATCH /api/admin/users/{id}: role ("user"/"admin"), active, quota_bytes (null: none)."""
    role: Role | Unset = UNSET
    if "role" in doc:
        try:
            role = Role(doc["role"])
        except (ValueError, TypeError):
            raise InvalidInput('role must be "user" or "admin"') from None
    active = field(doc, "active")
    if active is not UNSET:
        active = strict_flag(active, "active")
    quota = json_integer(field(doc, "quota_bytes"))
    if quota not in (UNSET, None) and (
        isinstance(quota, bool) or not isinstance(quota, int) or quota < 0
    ):
        raise InvalidInput("quota_bytes must be a non-negative integer, or null for unlimited")
    return UserChanges(role=role, active=active, quota_bytes=quota)


# --- /api/v1/upload/presign and /complete -----------------------------------------------------


def presign_request(item: Any) -> PresignRequest:
    """One declared file (`contentType`/`content_type`, `sizeBytes`/`size_bytes`); a value of
    the wrong JSON type is passed on as not given, and refused for that file alone."""
    if not isinstance(item, dict):
        return PresignRequest(None, None, None)
    size = json_integer(aliased(item, "sizeBytes", "size_bytes"))
    return PresignRequest(
        filename=text_or_none(item.get("filename")),
        content_type=text_or_none(aliased(item, "contentType", "content_type")),
        size_bytes=None if isinstance(size, bool) or not isinstance(size, int) else size,
    )


def _token(value: Any) -> str:
    """A token that is not a string completes nothing ("" is refused as an invalid token)."""
    return value if isinstance(value, str) else ""


def completion_token(doc: dict[str, Any]) -> str:
    """`completion_token` (or `token`) of POST /api/v1/upload/complete."""
    token = aliased(doc, "completion_token", "token")
    if token is None:
        raise InvalidInput("completion_token is required")
    return _token(token)


def completion_tokens(doc: dict[str, Any]) -> list[str]:
    """`completion_tokens` (or `tokens`) of POST /api/v1/upload/complete/batch."""
    tokens = aliased(doc, "completion_tokens", "tokens")
    if not isinstance(tokens, list):
        raise InvalidInput("completion_tokens must be a list of tokens")
    return [_token(t) for t in tokens]
